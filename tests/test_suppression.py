"""Suppression and reliability rules and their Swedish footnotes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from enkat.suppression import (
    HIDDEN_FLAGS,
    Rules,
    classify,
    derivable,
    effective_n,
    footnote_unreliable,
    nchs,
    primary_flags,
    publish,
    rules_text,
    suppressed,
    suppression_reason,
    unreliable,
)

RULES = Rules(min_base=5, min_group=10, min_effective_n=30, max_ci_width=0.30)


def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["Totalt", "Totalt", "Stort kontor", "Litet kontor", "Litet kontor"],
            "base_n": [4, 539, 9, 40, 200],
            "deff": [1.0, 1.2, 1.0, 2.0, 1.0],
            "ci_low": [0.1, 0.4, 0.1, 0.3, 0.1],
            "ci_high": [0.2, 0.5, 0.2, 0.5, 0.5],
        }
    )


def test_suppressed_cells_and_reasons() -> None:
    frame = table()
    assert suppressed(frame, RULES).tolist() == [True, False, True, False, False]
    # the total is never 'not broken out'; a small group is
    assert suppression_reason(frame, RULES).tolist() == ["base", "", "group", "", ""]


def test_unreliable_by_effective_n_or_width() -> None:
    frame = table()
    assert effective_n(frame).tolist() == [4, 539 / 1.2, 9, 20, 200]
    assert unreliable(frame, RULES).tolist() == [True, False, True, True, True]


def test_footnotes_name_the_configured_limits() -> None:
    lines = rules_text(Rules(min_base=3, min_group=12, min_effective_n=50, max_ci_width=0.2))
    assert "färre än 3 har svarat" in lines[0]
    assert "färre än 12 svarande" in lines[1]
    assert "räknas fram" in lines[2]  # complementary suppression is always on
    assert "under 50" in lines[3] and "20 procentenheter" in lines[3]
    assert footnote_unreliable(Rules()) is None
    assert len(rules_text(Rules())) == 3
    nchs_lines = rules_text(Rules(preset="nchs"))
    assert "NCHS" in nchs_lines[2] and "8 frihetsgrader" in nchs_lines[-1]


def test_rules_from_config() -> None:
    rules = Rules.from_config(
        {"min_base": 7, "min_group": 15, "reliability": {"max_ci_width": 0.25}}
    )
    assert rules == Rules(min_base=7, min_group=15, min_effective_n=None, max_ci_width=0.25)


# --- secondary (complementary) suppression --------------------------------------------------

# The issue's case: T03_kontorstyp, Migrationsverket. Totalt n = 15, 24, 22 (base 61);
# Mellanstort kontor (base 8) is below min_group.
ISSUE = {
    "Totalt": [15, 24, 22],
    "Stort kontor": [8, 13, 8],
    "Mellanstort kontor": [2, 4, 2],
    "Litet kontor": [5, 7, 12],
}
CATEGORIES = ["Det är tydligt", "Det är delvis tydligt", "Det är otydligt"]


def long_table(cells: dict[str, list[int]], variable: str = "T03_mv") -> pd.DataFrame:
    rows = []
    for group, counts in cells.items():
        base = sum(counts)
        for category, n in zip(CATEGORIES, counts, strict=True):
            p = n / base if base else float("nan")
            se = (p * (1 - p) / base) ** 0.5 if base else float("nan")
            rows.append(
                {
                    "table_id": "T03_kontorstyp",
                    "variable": variable,
                    "group_var": "" if group == "Totalt" else "office_type",
                    "group": group,
                    "category": category,
                    "n": n,
                    "base_n": base,
                    "estimate": p,
                    "se": se,
                    "ci_low": max(0.0, p - 2 * se),
                    "ci_high": min(1.0, p + 2 * se),
                    "deff": 1.0,
                    "df": base - 1,
                }
            )
    return pd.DataFrame(rows)


def as_matrix(table: pd.DataFrame, hidden: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    groups = list(dict.fromkeys(table["group"]))
    counts = np.array(
        [
            [*table.loc[table["group"] == g, "n"], table.loc[table["group"] == g, "base_n"].iloc[0]]
            for g in groups
        ],
        dtype=float,
    )
    h = np.array([[*hidden[table["group"] == g]] for g in groups])
    return counts, np.column_stack([h, h.all(axis=1)])


def test_primary_suppression_alone_leaks_the_issue_cell() -> None:
    table = long_table(ISSUE)
    primary = primary_flags(table, Rules())
    counts, hidden = as_matrix(table, primary.isin(HIDDEN_FLAGS))
    fixed = derivable(counts, hidden)
    assert fixed[2].all()  # Mellanstort: every count and its base = Totalt minus the others


def test_the_smallest_other_group_is_suppressed_with_it() -> None:
    table = long_table(ISSUE)
    decided = classify(table, Rules())
    flags = dict(zip(table["group"], decided["flag"], strict=False))
    assert flags == {
        "Totalt": "",
        "Stort kontor": "",
        "Mellanstort kontor": "group",
        "Litet kontor": "secondary",  # base 24 < 29
    }
    counts, hidden = as_matrix(table, decided["suppressed"])
    assert not derivable(counts, hidden).any()


def test_a_zero_shared_by_the_hidden_groups_hides_one_more() -> None:
    cells = {
        "Totalt": [20, 30, 10],
        "A": [2, 5, 0],  # 7 < min_group
        "B": [3, 6, 0],  # next smallest: together they would show 0 + 0 = 10 - 10
        "C": [15, 19, 10],
    }
    table = long_table(cells)
    decided = classify(table, Rules())
    counts, hidden = as_matrix(table, decided["suppressed"])
    assert hidden[1:].all()  # all three groups: a zero column pinned both otherwise
    assert not derivable(counts, hidden).any()
    assert not decided.loc[table["group"] == "Totalt", "suppressed"].any()


def test_a_single_hidden_cell_in_a_shown_row_gets_a_partner() -> None:
    counts = np.array([[20, 30, 10, 60], [9, 15, 6, 30], [11, 15, 4, 30]], dtype=float)
    hidden = np.zeros_like(counts, dtype=bool)
    hidden[1, 2] = True  # e.g. one share suppressed by the NCHS rule, base shown
    assert derivable(counts, hidden)[1, 2]
    hidden[1, 0] = hidden[2, 0] = hidden[2, 2] = True  # a cycle: row, column, row, column
    assert not derivable(counts, hidden).any()


def test_a_zero_under_a_zero_total_is_no_disclosure() -> None:
    counts = np.array([[20, 0, 20], [3, 0, 3], [4, 0, 4], [13, 0, 13]], dtype=float)
    hidden = np.zeros_like(counts, dtype=bool)
    hidden[1] = hidden[2] = True
    assert not derivable(counts, hidden).any()


def test_published_csv_carries_the_symbol_not_the_numbers(tmp_path) -> None:
    from enkat.analysis_files import ESTIMATE_COLUMNS, read_estimates

    table = long_table(ISSUE)
    table["survey"], table["variable_label"] = "handlers", "Migrationsverket"
    decided = classify(table, Rules())
    table["suppressed"], table["flag"] = decided["suppressed"], decided["flag"]
    out = publish(table[ESTIMATE_COLUMNS])
    out.to_csv(tmp_path / "t.csv", index=False)
    text = (tmp_path / "t.csv").read_text()
    hidden_rows = [line for line in text.splitlines() if ",True," in line]
    assert len(hidden_rows) == 6
    for line in hidden_rows:
        fields = line.split(",")
        assert fields[7:14] == [".."] * 7  # n, base_n, estimate, se, ci_low, ci_high, deff
    back = read_estimates(tmp_path / "t.csv")
    assert back.loc[back["suppressed"], ["n", "base_n", "estimate"]].isna().all().all()
    assert back.loc[~back["suppressed"], "n"].tolist() == [15, 24, 22, 8, 13, 8]
    assert suppression_reason(back, Rules()).tolist()[6:] == ["group"] * 3 + ["secondary"] * 3


# --- NCHS data presentation standards for proportions ------------------------------------------


def srs(x: int, n: int, df: float | None = None) -> dict:
    """A proportion from a simple random sample (deff 1), where Korn-Graubard = Clopper-Pearson."""
    p = x / n
    se = (p * (1 - p) / n) ** 0.5
    return {"estimate": p, "se": se, "base_n": n, "df": n - 1 if df is None else df}


def test_nchs_interval_is_clopper_pearson_for_a_simple_random_sample() -> None:
    from scipy.stats import binomtest

    frame = pd.DataFrame([srs(5, 60), srs(20, 60), srs(20, 40), srs(30, 40)])
    result = nchs(frame)
    for i, (x, n) in enumerate([(5, 60), (20, 60), (20, 40), (30, 40)]):
        ci = binomtest(x, n).proportion_ci(0.95, method="exact")
        assert result.ci_low[i] == pytest.approx(ci.low, abs=1e-10)
        assert result.ci_high[i] == pytest.approx(ci.high, abs=1e-10)


def test_nchs_suppression_steps() -> None:
    cases = [
        (srs(10, 25), True),  # effective n 25 < 30
        (srs(20, 40), True),  # absolute width 0.32 >= 0.30
        (srs(5, 60), True),  # width 0.16 in (0.05, 0.30), relative 1.9 > 1.3
        (srs(20, 60), False),  # width 0.25, relative 0.75
        (srs(3, 400), False),  # width 0.021 <= 0.05: shown whatever the relative width
        (srs(12, 400), True),  # width 0.036 is <= 0.05 ... see below
    ]
    frame = pd.DataFrame([c for c, _ in cases[:-1]])
    result = nchs(frame)
    assert result.width[1] >= 0.30 and 0.05 < result.width[2] < 0.30
    assert result.relative_width[2] > 1.30 and result.width[4] <= 0.05
    assert result.suppress.tolist() == [s for _, s in cases[:-1]]


def test_nchs_effective_n_uses_the_design_effect_and_is_capped_at_n() -> None:
    frame = pd.DataFrame(
        [
            {"estimate": 0.5, "se": 0.5 / np.sqrt(28), "base_n": 100, "df": 99},  # deff ~3.6
            {"estimate": 0.5, "se": 0.5 / np.sqrt(400), "base_n": 100, "df": 99},  # deff 0.25
        ]
    )
    result = nchs(frame)
    assert result.effective_n[0] == pytest.approx(28) and result.suppress[0]
    assert result.effective_n[1] == 100


def test_nchs_few_degrees_of_freedom_and_0_or_100_percent_are_flagged_for_review() -> None:
    frame = pd.DataFrame(
        [
            {"estimate": 0.5, "se": 0.05, "base_n": 100, "df": 5},  # shown, df < 8
            {"estimate": 0.5, "se": 0.05, "base_n": 100, "df": 8},  # shown, no flag
            {"estimate": 0.0, "se": 0.0, "base_n": 40, "df": 39},  # 0 %: no width rule
            {"estimate": 1.0, "se": 0.0, "base_n": 20, "df": 19},  # 100 % but n < 30
            {"estimate": 0.5, "se": 0.05, "base_n": 100, "df": 0},  # no df: no interval
        ]
    )
    result = nchs(frame)
    assert result.suppress.tolist() == [False, False, False, True, True]
    assert result.review.tolist() == [True, False, True, False, False]
    # df 5: the effective n for the interval shrinks by (t_99 / t_5)^2
    from scipy import stats

    ratio = (stats.t.ppf(0.025, 99) / stats.t.ppf(0.025, 5)) ** 2
    ns = 100 * ratio
    low = stats.beta.ppf(0.025, ns * 0.5, ns * 0.5 + 1)
    assert result.ci_low[0] == pytest.approx(low, abs=1e-12)


def test_nchs_preset_flags_in_the_table() -> None:
    table = long_table({"Totalt": [1, 60, 39], "A": [1, 29, 20], "B": [0, 31, 19]})
    decided = classify(table, Rules(preset="nchs"))
    flags = decided["flag"].tolist()
    assert flags[0] == "nchs"  # 1 of 100: relative width far above 1.3
    # Totalt's 1 % is hidden; its row partner (the smallest other share) goes with it
    assert sum(f in HIDDEN_FLAGS for f in flags[:3]) >= 2
    counts, hidden = as_matrix(table, decided["suppressed"])
    assert not derivable(counts, hidden).any()
    assert unreliable(table.assign(flag=decided["flag"]), Rules(preset="nchs")).tolist() == [
        f == "review" for f in flags
    ]


def test_nchs_preset_is_validated_by_the_schema() -> None:
    import copy
    from pathlib import Path

    from enkat.config import check_config, load_config
    from enkat.errors import EnkatError

    config = load_config(Path(__file__).resolve().parents[1] / "config" / "config.yaml")
    good = copy.deepcopy(config)
    good["suppression"] = {"preset": "nchs", "min_base": 5, "min_group": 10}
    check_config(good)
    assert Rules.from_config(good["suppression"]).preset == "nchs"
    bad = copy.deepcopy(config)
    bad["suppression"]["preset"] = "nhcs"
    with pytest.raises(EnkatError) as info:
        check_config(bad)
    assert info.value.key == "suppression.preset" and "nchs" in str(info.value.expected)
    both = copy.deepcopy(config)
    both["suppression"]["preset"] = "nchs"  # with the reliability keys still there
    with pytest.raises(EnkatError) as info:
        check_config(both)
    assert info.value.key == "suppression.reliability"
