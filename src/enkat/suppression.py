"""Suppression and reliability rules, applied the same way in CSV, workbook and report.

A cell is suppressed when its base is below `min_base`, or when its group (not `Totalt`)
has fewer than `min_group` respondents: too few answers either identify people or carry
no information. An estimate is marked unreliable when its effective sample size or its
confidence-interval width fails the configured rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

TOTAL = "Totalt"
UNRELIABLE_MARK = "*"


@dataclass(frozen=True)
class Rules:
    min_base: int = 5
    min_group: int = 10
    min_effective_n: float | None = None
    max_ci_width: float | None = None

    @classmethod
    def from_config(cls, suppression: dict[str, Any]) -> Rules:
        reliability = suppression.get("reliability") or {}
        return cls(
            min_base=int(suppression.get("min_base", 5)),
            min_group=int(suppression.get("min_group", 10)),
            min_effective_n=reliability.get("min_effective_n"),
            max_ci_width=reliability.get("max_ci_width"),
        )


def suppressed(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """True where a cell of a long estimate table must be shown as '..'.

    `group_n` is the number of respondents in the group (any answer to the variable),
    i.e. `base_n`; a group below `min_group` is not broken out at all.
    """
    small_base = table["base_n"] < rules.min_base
    small_group = (table["group"] != TOTAL) & (table["base_n"] < rules.min_group)
    return (small_base | small_group).rename("suppressed")


def effective_n(table: pd.DataFrame) -> pd.Series:
    """Effective sample size of each estimate: base over design effect (Kish)."""
    deff = table["deff"].where(table["deff"] > 0)
    return (table["base_n"] / deff).fillna(table["base_n"].astype(float))


def unreliable(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """True where an estimate fails the reliability rule and carries UNRELIABLE_MARK."""
    flag = pd.Series(False, index=table.index)
    if rules.min_effective_n is not None:
        flag |= effective_n(table) < rules.min_effective_n
    if rules.max_ci_width is not None:
        width = (table["ci_high"] - table["ci_low"]).to_numpy(dtype=float)
        flag |= pd.Series(np.nan_to_num(width, nan=0.0) > rules.max_ci_width, index=table.index)
    return flag.rename("unreliable")
