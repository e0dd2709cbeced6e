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

from enkat import fmt

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


def suppression_reason(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """Why each cell is suppressed: 'base', 'group' or '' - footnotes differ by reason."""
    small_base = table["base_n"] < rules.min_base
    small_group = (table["group"] != TOTAL) & (table["base_n"] < rules.min_group)
    reason = np.where(small_base, "base", np.where(small_group, "group", ""))
    return pd.Series(reason, index=table.index, name="reason")


def footnote_suppressed(rules: Rules) -> str:
    """The footnote explaining the '..' symbol."""
    return (
        f"{fmt.SUPPRESSED} Uppgiften redovisas inte eftersom färre än "
        f"{fmt.number(rules.min_base)} har svarat på frågan i gruppen."
    )


def footnote_small_group(rules: Rules) -> str:
    """The footnote explaining why a small group is not broken out."""
    return (
        f"Grupper med färre än {fmt.number(rules.min_group)} svarande redovisas inte separat "
        f"(visas som {fmt.SUPPRESSED}), men ingår i totalen."
    )


def footnote_unreliable(rules: Rules) -> str | None:
    """The footnote explaining UNRELIABLE_MARK, or None when no reliability rule is set."""
    parts = []
    if rules.min_effective_n is not None:
        parts.append(f"det effektiva antalet svar är under {fmt.number(rules.min_effective_n)}")
    if rules.max_ci_width is not None:
        width = fmt.number(rules.max_ci_width * 100, 0)
        parts.append(f"konfidensintervallet är bredare än {width} procentenheter")
    if not parts:
        return None
    return f"{UNRELIABLE_MARK} Osäker skattning: " + " eller ".join(parts) + "."


def rules_text(rules: Rules) -> list[str]:
    """The suppression and reliability rules in Swedish, one sentence each, for readers."""
    lines = [footnote_suppressed(rules), footnote_small_group(rules)]
    unreliable_note = footnote_unreliable(rules)
    if unreliable_note:
        lines.append(unreliable_note)
    return lines
