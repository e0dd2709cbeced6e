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

import numpy as np
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
    base_n: int | None
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
    caveat: str = ""  # the config's caveat for an unreliable survey; the sentence must carry it

    @property
    def group_label(self) -> str:
        return fmt.group_var_label(self.group_var) if self.group_var else ""

    @property
    def shown_groups(self) -> list[Share]:
        """Groups a sentence may name by their number: not suppressed and not uncertain (an
        uncertain share is never printed as a bare number, docs/report.md)."""
        return [g for g in self.groups if not g.suppressed and not g.uncertain]

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
        base_n=int(row["base_n"]) if pd.notna(row["base_n"]) else None,  # hidden: ".."
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
    caveat: str = "",
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
        caveat=caveat,
    )
    if tests is not None and len(groups):
        test = tests[tests["variable"] == rows["variable"].iloc[0]]
        if len(test):
            t = test.iloc[0]
            finding.test = Test(
                float(t["statistic"]), float(t["ndf"]), float(t["ddf"]), float(t["p_value"]), level
            )
    return finding


# --- finding candidates (analysis/finding_candidates.csv) ------------------------------------

CANDIDATE_COLUMNS = [
    "rank",
    "kind",
    "table_id",
    "survey",
    "title",
    "variable",
    "variable_label",
    "category",
    "group_var",
    "estimate",
    "ci_low",
    "ci_high",
    "base_n",
    "low_group",
    "low_value",
    "high_group",
    "high_value",
    "gap",
    "ratio",
    "statistic",
    "p_value",
    "significant",
    "reliable",
    "caveat",
    "score",
]


def _share_candidates(
    spec: Mapping[str, Any], table: pd.DataFrame, problems: set[str], min_share: float
) -> list[dict[str, Any]]:
    total = table[(table["group"] == TOTAL) & ~table["suppressed"]]
    rows = total[total["category"].isin(problems) & (total["estimate"] >= min_share)]
    return [
        {
            "kind": "andel",
            "variable": r["variable"],
            "variable_label": r["variable_label"],
            "category": r["category"],
            "estimate": float(r["estimate"]),
            "ci_low": float(r["ci_low"]),
            "ci_high": float(r["ci_high"]),
            "base_n": int(r["base_n"]),
            "score": float(r["estimate"]),
        }
        for _, r in rows.iterrows()
    ]


def _difference_candidates(
    table: pd.DataFrame, tests: pd.DataFrame, rules: Rules, level: float
) -> list[dict[str, Any]]:
    """Significant group differences, by effect size: the largest gap between two groups."""
    out = []
    for _, t in tests.iterrows():
        if not float(t["p_value"]) < level:
            continue
        rows = table[(table["variable"] == t["variable"]) & (table["group"] != TOTAL)]
        rows = rows[~rows["suppressed"] & ~unreliable(rows, rules)]
        best = None
        for category, block in rows.groupby("category", sort=False):
            if len(block) < 2:
                continue
            high = block.loc[block["estimate"].idxmax()]
            low = block.loc[block["estimate"].idxmin()]
            gap = float(high["estimate"] - low["estimate"])
            if best is None or gap > best["gap"]:
                best = {"category": category, "gap": gap, "high": high, "low": low}
        if best is None:
            continue
        total = table[
            (table["variable"] == t["variable"])
            & (table["group"] == TOTAL)
            & (table["category"] == best["category"])
        ]
        out.append(
            {
                "kind": "skillnad",
                "variable": t["variable"],
                "variable_label": best["high"]["variable_label"],
                "category": best["category"],
                "group_var": t["group_var"],
                "estimate": float(total["estimate"].iloc[0]) if len(total) else None,
                "base_n": (
                    int(total["base_n"].iloc[0])
                    if len(total) and pd.notna(total["base_n"].iloc[0])
                    else None  # hidden: ".."
                ),
                "low_group": best["low"]["group"],
                "low_value": float(best["low"]["estimate"]),
                "high_group": best["high"]["group"],
                "high_value": float(best["high"]["estimate"]),
                "gap": best["gap"],
                "statistic": float(t["statistic"]),
                "p_value": float(t["p_value"]),
                "significant": True,
                "score": best["gap"],
            }
        )
    return out


def _spread_candidates(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Register measures in kronor: the ratio of the highest to the lowest row."""
    out = []
    money = table[(table["unit"] == "kronor") & (table["value"] > 0)]
    for (block, measure), rows in money.groupby(["block", "measure"], sort=False):
        if len(rows) < 3:
            continue
        high = rows.loc[rows["value"].idxmax()]
        low = rows.loc[rows["value"].idxmin()]
        ratio = float(high["value"] / low["value"])
        out.append(
            {
                "kind": "spridning",
                "variable": measure,
                "variable_label": f"{high['measure_label']} ({block})",
                "low_group": low["row"],
                "low_value": float(low["value"]),
                "high_group": high["row"],
                "high_value": float(high["value"]),
                "ratio": ratio,
                "score": min(1.0, float(np.log(ratio) / np.log(100))) if ratio > 1 else 0.0,
            }
        )
    return out


def finding_candidates(
    catalogue: Mapping[str, Any],
    estimates: Mapping[str, pd.DataFrame],
    tests: Mapping[str, pd.DataFrame],
    register: Mapping[str, pd.DataFrame],
    rules: Rules,
    level: float,
    settings: Mapping[str, Any],
    caveats: Mapping[str, str],
) -> pd.DataFrame:
    """Candidates for the summary, ranked from the data so auditors choose instead of hunt.

    Three kinds: large shares on problem categories (config report.candidates), significant
    group differences by their largest gap, the widest spreads in register costs. A
    candidate from a survey marked unreliable ranks after every reliable one and carries its
    caveat.
    """
    problems = {str(c) for c in settings.get("problem_categories") or []}
    per_table = {str(k): {str(c) for c in v} for k, v in (settings.get("per_table") or {}).items()}
    min_share = float(settings.get("min_share", 0.2))
    rows: list[dict[str, Any]] = []
    for spec in catalogue["tables"]:
        table_id = str(spec["id"])
        found: list[dict[str, Any]] = []
        if table_id in estimates:
            table = estimates[table_id]
            found += _share_candidates(
                spec, table, problems | per_table.get(table_id, set()), min_share
            )
            if table_id in tests:
                found += _difference_candidates(table, tests[table_id], rules, level)
        elif table_id in register:
            found += _spread_candidates(register[table_id])
        survey = str(spec.get("survey", ""))
        for row in found:
            row.update(
                table_id=table_id,
                survey=survey,
                title=str(spec.get("title", "")),
                reliable=survey not in caveats,
                caveat=caveats.get(survey, ""),
            )
        rows += found
    frame = pd.DataFrame(rows, columns=[c for c in CANDIDATE_COLUMNS if c != "rank"])
    if frame.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    frame["significant"] = frame["significant"].astype("boolean")
    frame = frame.sort_values(
        ["reliable", "score", "table_id", "variable", "category"],
        ascending=[False, False, True, True, True],
        kind="mergesort",
        na_position="last",
    ).reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame[CANDIDATE_COLUMNS]


def write_finding_candidates(
    config: Mapping[str, Any],
    catalogue: Mapping[str, Any],
    tables: list[str],
    tests: list[str],
    output: str,
) -> None:
    """analysis/finding_candidates.csv from the table and test CSVs (the rule's job)."""
    from pathlib import Path

    from enkat.analysis_files import read_estimates, read_tests
    from enkat.audit import write_csv_atomic
    from enkat.register_tables import read_register_table

    report = config.get("report") or {}
    kinds = {str(t["id"]): t.get("kind", "survey") for t in catalogue["tables"]}
    by_id = {Path(p).stem: p for p in tables}
    estimates = {i: read_estimates(p) for i, p in by_id.items() if kinds.get(i) == "survey"}
    register = {i: read_register_table(p) for i, p in by_id.items() if kinds.get(i) == "register"}
    test_frames = {Path(p).stem: read_tests(p) for p in tests}
    frame = finding_candidates(
        catalogue,
        estimates,
        test_frames,
        register,
        Rules.from_config(config["suppression"]),
        float(config["estimation"].get("test_level", 0.05)),
        report.get("candidates") or {},
        {str(k): str(v) for k, v in (report.get("unreliable_surveys") or {}).items()},
    )
    write_csv_atomic(frame, output)
