"""Swedish number formatting: decimal comma, no-break spaces, U+2212, half-up rounding."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enkat import fmt

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234567, 0, f"1{NB}234{NB}567"),
        (3.5, 1, "3,5"),
        (-12, 0, "\u221212"),
        (2.45, 1, "2,5"),  # half up on the decimal value, not banker's rounding
        (0.5, 0, "1"),
        (2.5, 0, "3"),
        (999.95, 1, f"1{NB}000,0"),
        (None, 0, "–"),
        (math.nan, 1, "–"),
    ],
)
def test_number(value: float | None, decimals: int, expected: str) -> None:
    assert fmt.number(value, decimals) == expected


def test_percent_forms() -> None:
    assert fmt.percent(0.445) == f"44,5{NB}%"
    assert fmt.percent(0.0) == f"0,0{NB}%"
    assert fmt.percent(1, 0) == f"100{NB}%"
    assert fmt.percent_value(0.1234) == "12,3"
    assert fmt.interval(0.401, 0.489) == "40,1–48,9"
    assert fmt.interval(None, 0.4) == "–"


def test_p_value_and_kronor() -> None:
    assert fmt.p_value(0.0321) == "0,032"
    assert fmt.p_value(0.0004) == "<0,001"
    assert fmt.kronor(15_300_000) == f"15{NB}300{NB}000{NB}kr"


def test_labels() -> None:
    assert fmt.group_var_label("office_type") == "Kontorstyp"
    assert fmt.group_var_label("okand") == "okand"
    assert fmt.quoted("Ja") == "\u201dJa\u201d"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_number_round_trips(value: float) -> None:
    text = fmt.number(value, 2)
    parsed = float(text.replace(NB, "").replace(",", ".").replace("\u2212", "-"))
    assert abs(parsed - value) <= 0.005 + 1e-6 * abs(value)
    assert "." not in text and " " not in text
