"""Benchmarks of enkat at scale: a seeded large-data generator and a stage-by-stage runner.

`python -m benchmarks.run` (or `make bench`) times every stage on a million customer
responses and a handler census of 100 000; see benchmarks/README.md.
"""

from dataclasses import dataclass

SEED = 20221115


@dataclass(frozen=True)
class Sizes:
    """How large the generated audit is."""

    customers: int = 1_000_000
    frame: int = 100_000
    errands: int = 50_000
