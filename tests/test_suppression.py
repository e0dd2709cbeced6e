"""Suppression and reliability rules and their Swedish footnotes."""

from __future__ import annotations

import pandas as pd

from enkat.suppression import (
    Rules,
    effective_n,
    footnote_unreliable,
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
    assert "under 50" in lines[2] and "20 procentenheter" in lines[2]
    assert footnote_unreliable(Rules()) is None
    assert len(rules_text(Rules())) == 2


def test_rules_from_config() -> None:
    rules = Rules.from_config(
        {"min_base": 7, "min_group": 15, "reliability": {"max_ci_width": 0.25}}
    )
    assert rules == Rules(min_base=7, min_group=15, min_effective_n=None, max_ci_width=0.25)
