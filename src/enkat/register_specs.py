"""What each register analysis reads, apart from the analyses themselves.

The Snakefile needs this to build the DAG; it is kept out of `enkat.register_tables`, which
imports pandas, so that building the DAG does not pay for that import.
"""

from __future__ import annotations

# The processed files each analysis reads (keys of the `inputs` mapping).
ANALYSIS_INPUTS: dict[str, tuple[str, ...]] = {
    "cost_per_visit": ("register",),
    "cost_per_visit_range": ("register",),
    "errand_solutions": ("errands",),
    "customer_response": ("customers", "visits"),
}
COST_ANALYSES = ("cost_per_visit", "cost_per_visit_range")

# Columns read from a processed file where an analysis needs only a few of a large file
# (the customer survey holds a million rows of answers); other files are read whole.
INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("respondent_id", "office_id", "wave", "office_type"),
}
