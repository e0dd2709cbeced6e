"""Problems found in an input file, collected per file before one decision is made.

Checks add problems (vectorised: a mask over the rows) instead of raising at once, so that
`on_invalid: stop` can show the first problems of a file and a count in one error, and
`on_invalid: reject` can set exactly the bad rows aside with their reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from enkat.errors import EnkatError

COLUMNS = ["row", "column", "value", "reason", "expected", "hint"]
SHOWN = 5


class Problems:
    """The problems of one input file, each tied to a row (spreadsheet number) and column."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._parts: list[pd.DataFrame] = []

    def add(
        self,
        rows: pd.Index | Sequence[int],
        column: str,
        values: Any,
        reason: str,
        expected: str,
        hint: Any = "",
    ) -> None:
        """Record one problem per row; `values` and `hint` may be scalars or per-row arrays."""
        rows = pd.Index(rows)
        if len(rows) == 0:
            return
        n = len(rows)
        part = pd.DataFrame(
            {
                "row": np.asarray(rows, dtype=np.int64),
                "column": column,
                "value": _per_row(values, n),
                "reason": reason,
                "expected": expected,
                "hint": _per_row(hint, n),
            }
        )
        self._parts.append(part)

    def add_mask(
        self,
        data: pd.DataFrame | pd.Series,
        mask: Any,
        column: str,
        values: Any,
        reason: str,
        expected: str,
        hint: Any = "",
    ) -> None:
        """Record a problem for each row where `mask` holds; `values` aligned to `data`."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        vals = values[mask] if isinstance(values, pd.Series | np.ndarray) else values
        hints = hint[mask] if isinstance(hint, pd.Series | np.ndarray) else hint
        self.add(data.index[mask], column, _as_array(vals), reason, expected, _as_array(hints))

    def __bool__(self) -> bool:
        return bool(self._parts)

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """All problems, ordered by row then by the order the checks ran."""
        if not self._parts:
            return pd.DataFrame(columns=COLUMNS)
        out = pd.concat(self._parts, ignore_index=True)
        return out.sort_values("row", kind="stable").reset_index(drop=True)

    def rows(self) -> pd.Index:
        """The rows with at least one problem."""
        return pd.Index(self.frame()["row"].unique())

    def raise_if_any(self, source: str) -> None:
        """`on_invalid: stop`: one error showing the first problem, a few more and the count."""
        if not self._parts:
            return
        table = self.frame()
        first = table.iloc[0]
        extra = []
        if len(table) > 1:
            extra.append(f"{len(table) - 1} more problem(s) in this file, the first:")
            for _, p in table.iloc[1:SHOWN].iterrows():
                extra.append(
                    f"- row {p['row']}, column {p['column']!r}: {p['reason']}"
                    f" (value {_short(p['value'])})"
                )
            extra.append(f"(set sources.{source}.on_invalid: reject to set bad rows aside)")
        raise EnkatError(
            str(first["reason"]),
            file=self.file,
            row=int(first["row"]),
            column=str(first["column"]),
            value=first["value"],
            expected=str(first["expected"]) or None,
            hint=str(first["hint"]) or None,
            extra=extra,
        )


def _per_row(value: Any, n: int) -> Any:
    if isinstance(value, np.ndarray | list | pd.Series | pd.Index):
        return np.asarray(value, dtype=object)
    return [value] * n


def _as_array(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.astype(object).where(value.notna(), None).to_numpy()
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…'"
