"""CSV cells that a spreadsheet would run as formulas are neutralised (OWASP rule).

Excel and LibreOffice treat a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula, so a register name, errand text, label or codebook value such as
`=HYPERLINK(...)` in `analysis/tables/*.csv` would run when an auditor opens the file. Every
CSV enkat writes therefore prefixes such a text cell with an apostrophe, which spreadsheets
show as text. Numbers are left alone (numeric columns, and text cells that are just a number
such as the code `-1`), so nothing numeric changes.

The rule is reversible, so enkat's own readers give back the original text: a text cell that
begins with an apostrophe followed by a trigger character or another apostrophe also gets
one, and `restore` removes exactly one apostrophe from such cells.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"\A[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?\Z")
_ENCODED = re.compile(r"\A'['=+\-@\t\r]")


def needs_quote(text: str) -> bool:
    """A text cell a spreadsheet would read as a formula (or that begins like a quoted one)."""
    if not text:
        return False
    if text[0] == "'":
        return len(text) > 1 and text[1] in ("'", *TRIGGERS)
    return text[0] in TRIGGERS and not _NUMBER.match(text)


def neutralise_text(value: Any) -> Any:
    """One cell: an apostrophe before a formula-like text; anything else unchanged."""
    if isinstance(value, str) and needs_quote(value):
        return "'" + value
    return value


def restore_text(value: Any) -> Any:
    """The inverse of `neutralise_text` for a cell read back from an enkat CSV."""
    if isinstance(value, str) and _ENCODED.match(value):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list[Any]:
    return [
        c
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c])
        or pd.api.types.is_string_dtype(frame[c])
        or isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells are safe to open in a spreadsheet (header too)."""
    out = frame.copy()
    for column in _text_columns(out):
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        # only cells whose first character could matter are looked at (a million ids: fast)
        first = values.astype("string").str[:1]
        candidates = first.isin([*TRIGGERS, "'"]).fillna(False).to_numpy(dtype=bool)
        if candidates.any():
            values = values.astype(object).copy()
            values[candidates] = values[candidates].map(neutralise_text)
            out[column] = values
    out.columns = [neutralise_text(c) for c in out.columns]
    return out


def restore(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo `neutralise` on a frame read from an enkat CSV (text columns only)."""
    for column in _text_columns(frame):
        frame[column] = frame[column].map(restore_text, na_action="ignore")
    frame.columns = [restore_text(c) for c in frame.columns]
    return frame
