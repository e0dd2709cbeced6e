"""The results a summary sentence is built from.

Config `report.findings` names a table and an answer category; the template turns the
result into words. Whether a sentence may speak of a difference between groups is decided
here, once, from the Rao-Scott test and the configured level, so no template can call a
non-significant gap a difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from enkat import fmt
from enkat.errors import EnkatError
from enkat.suppression import TOTAL, Rules, unreliable


@dataclass(frozen=True)
class Share:
    """One estimate with its interval, formatted for text."""

    group: str
    estimate: float
    ci_low: float
    ci_high: float
    base_n: int
    suppressed: bool
    uncertain: bool

    @property
    def pct(self) -> str:
        return fmt.percent_value(self.estimate, 0)

    @property
    def ci(self) -> str:
        return fmt.interval(self.ci_low, self.ci_high, 0)


@dataclass(frozen=True)
class Test:
    """A Rao-Scott F test and the verdict the text may draw from it."""

    statistic: float
    ndf: float
    ddf: float
    p_value: float
    level: float

    @property
    def significant(self) -> bool:
        return bool(self.p_value < self.level)

    @property
    def p(self) -> str:
        return fmt.p_value(self.p_value)

    @property
    def f(self) -> str:
        return fmt.number(self.statistic, 2)


@dataclass
class Finding:
    """A summary finding: the total, the groups (by-tables) and the test between them."""

    table_id: str
    title: str
    survey: str
    variable_label: str
    category: str
    total: Share
    row_label: str = ""  # the grid row or option the finding is about, if the table has several
    group_var: str = ""
    groups: list[Share] = field(default_factory=list)
    test: Test | None = None

    @property
    def group_label(self) -> str:
        return fmt.group_var_label(self.group_var) if self.group_var else ""

    @property
    def shown_groups(self) -> list[Share]:
        return [g for g in self.groups if not g.suppressed]

    @property
    def lowest(self) -> Share | None:
        shown = self.shown_groups
        return min(shown, key=lambda g: g.estimate) if shown else None

    @property
    def highest(self) -> Share | None:
        shown = self.shown_groups
        return max(shown, key=lambda g: g.estimate) if shown else None


def _share(row: pd.Series, uncertain: bool) -> Share:
    return Share(
        group=str(row["group"]),
        estimate=float(row["estimate"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        base_n=int(row["base_n"]),
        suppressed=bool(row["suppressed"]),
        uncertain=uncertain,
    )


def _choose(frame: pd.DataFrame, column: str, value: str, table_id: str, key: str) -> pd.DataFrame:
    chosen = frame[frame[column] == value]
    if chosen.empty:
        raise EnkatError(
            f"a report finding names a {column} the table does not have",
            file="config/config.yaml",
            key=key,
            value=value,
            expected=f"one of the {column} values of table {table_id}: "
            + ", ".join(repr(v) for v in pd.unique(frame[column])),
        )
    return chosen


def build_finding(
    spec: Mapping[str, Any],
    catalogue_entry: Mapping[str, Any],
    estimates: pd.DataFrame,
    tests: pd.DataFrame | None,
    rules: Rules,
    level: float,
    key: str,
) -> Finding:
    """The finding that config entry `spec` (table, category, optional variable) names."""
    table_id = str(spec["table"])
    rows = estimates
    if spec.get("variable"):
        rows = _choose(rows, "variable", str(spec["variable"]), table_id, key + ".variable")
    else:
        rows = rows[rows["variable"] == rows["variable"].iloc[0]]
    rows = _choose(rows, "category", str(spec["category"]), table_id, key + ".category")
    shaky = unreliable(rows, rules)
    total = rows[rows["group"] == TOTAL]
    groups = rows[rows["group"] != TOTAL]
    finding = Finding(
        table_id=table_id,
        title=str(catalogue_entry.get("title", table_id)),
        survey=str(rows["survey"].iloc[0]),
        variable_label=str(rows["variable_label"].iloc[0]),
        category=str(spec["category"]),
        row_label=str(rows["variable_label"].iloc[0])
        if estimates["variable"].nunique() > 1
        else "",
        total=_share(total.iloc[0], bool(shaky[total.index[0]])),
        group_var=str(groups["group_var"].iloc[0]) if len(groups) else "",
        groups=[_share(r, bool(shaky[i])) for i, r in groups.iterrows()],
    )
    if tests is not None and len(groups):
        test = tests[tests["variable"] == rows["variable"].iloc[0]]
        if len(test):
            t = test.iloc[0]
            finding.test = Test(
                float(t["statistic"]), float(t["ndf"]), float(t["ddf"]), float(t["p_value"]), level
            )
    return finding
