"""Reading the analysis CSVs that the workbook, figures and report present.

Labels are read as strings exactly as written (a label such as "NA", "None" or "=1" must
survive), numbers as floats, and the `suppressed` flag as a boolean. The apostrophe that
enkat.csvsafe puts before formula-like text is removed again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from enkat.csvsafe import restore
from enkat.errors import EnkatError

ESTIMATE_COLUMNS = [
    "table_id",
    "survey",
    "variable",
    "variable_label",
    "group_var",
    "group",
    "category",
    "n",
    "base_n",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "deff",
    "suppressed",
    "flag",
]
ESTIMATE_TEXT = [
    "table_id",
    "survey",
    "variable",
    "variable_label",
    "group_var",
    "group",
    "category",
]
ESTIMATE_NUMBERS = ["n", "base_n", "estimate", "se", "ci_low", "ci_high", "deff"]
TEST_COLUMNS = ["table_id", "variable", "group_var", "statistic", "ndf", "ddf", "p_value"]
TRUE_TEXT = {"true", "1", "yes"}


def require_columns(frame: pd.DataFrame, path: str | Path, columns: list[str]) -> None:
    """An analysis file written by an older or foreign build fails here, not mid-table."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EnkatError(
            "an analysis file lacks a column",
            file=str(path),
            column=missing[0],
            expected="columns " + ", ".join(columns),
            hint="rebuild it with snakemake",
        )


def _read(path: str | Path, columns: list[str], text: list[str]) -> pd.DataFrame:
    frame = restore(
        pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", lineterminator="\n")
    )
    require_columns(frame, path, columns)
    numbers = [c for c in columns if c not in text]
    frame[numbers] = frame[numbers].apply(pd.to_numeric, errors="coerce")
    return frame


def read_estimates(path: str | Path) -> pd.DataFrame:
    """A survey estimate table (`analysis/tables/<id>.csv`), typed."""
    frame = _read(path, ESTIMATE_COLUMNS, [*ESTIMATE_TEXT, "suppressed", "flag"])
    frame["suppressed"] = frame["suppressed"].str.strip().str.lower().isin(TRUE_TEXT)
    return frame


def read_tests(path: str | Path) -> pd.DataFrame:
    """The group-difference tests of a by-table (`analysis/tests/<id>.csv`), typed."""
    return _read(path, TEST_COLUMNS, ["table_id", "variable", "group_var"])


def read_numeric_csv(path: str | Path) -> pd.DataFrame:
    """A CSV of mixed columns (weights, nonresponse): numbers where a whole column parses."""
    frame = restore(
        pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", lineterminator="\n")
    )
    for column in frame.columns:
        values = frame[column]
        parsed = pd.to_numeric(values.where(values != ""), errors="coerce")
        if parsed.notna().sum() == (values != "").sum() and (values != "").any():
            frame[column] = parsed
    return frame
