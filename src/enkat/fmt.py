"""Swedish number formatting: the one place where numbers become text.

Rules (Språkrådet / Riksrevisionen practice): decimal comma; a no-break space as the
thousands separator and before the percent sign; minus as U+2212. Rounding is half away
from zero on the decimal value (not banker's rounding), so 0.5 rounds to 1 as readers expect.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MINUS = "\u2212"
SUPPRESSED = ".."
MISSING = "–"


def round_half_up(value: float, decimals: int = 0) -> Decimal:
    """Round as a reader would (2.45 -> 2.5), using the shortest repr of the float."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number: '1 234 567', '3,5', '−12'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    rounded = round_half_up(value, decimals)
    sign = MINUS if rounded < 0 else ""
    text = f"{abs(rounded):,.{decimals}f}"
    integer, _, fraction = text.partition(".")
    integer = integer.replace(",", NBSP)
    return sign + integer + ("," + fraction if fraction else "")


def percent(proportion: float | None, decimals: int = 1) -> str:
    """Format a proportion (0-1) as a Swedish percentage: 0.445 -> '44,5 %'."""
    if proportion is None or (isinstance(proportion, float) and math.isnan(proportion)):
        return MISSING
    return number(proportion * 100, decimals) + NBSP + "%"


def percent_value(proportion: float | None, decimals: int = 1) -> str:
    """A percentage without the sign, for table cells under a '%' header: '44,5'."""
    if proportion is None or (isinstance(proportion, float) and math.isnan(proportion)):
        return MISSING
    return number(proportion * 100, decimals)


def interval(low: float | None, high: float | None, decimals: int = 1) -> str:
    """A confidence interval in percent: '40,1–48,9'."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return MISSING
    return percent_value(low, decimals) + "–" + percent_value(high, decimals)


def p_value(p: float | None) -> str:
    """A p-value as a report shows it: '0,032', '<0,001'."""
    if p is None or math.isnan(p):
        return MISSING
    if p < 0.001:
        return "<0,001"
    return number(p, 3)


def kronor(value: float | None) -> str:
    """An amount in Swedish kronor: '15 300 000 kr'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return number(value, 0) + NBSP + "kr"


# Swedish display names of the respondent variables a table can be broken out by.
GROUP_VAR_LABELS = {
    "office_type": "Kontorstyp",
    "region": "Region",
    "area": "Kontorsområde",
    "wave": "Undersökningsomgång",
    "mode": "Insamlingssätt",
    "language": "Språk",
    "agency": "Samverkansmyndighet",
}


def group_var_label(name: str) -> str:
    """The Swedish name of a break-out variable ('office_type' -> 'Kontorstyp')."""
    return GROUP_VAR_LABELS.get(name, name)


def quoted(text: str) -> str:
    """Quote an answer label the Swedish way: ”Ja”."""
    return f"\u201d{text}\u201d"
