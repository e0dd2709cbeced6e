"""The handler frame: one row per handler in the population, with their office."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from enkat.ingest.common import (
    REGISTER_COLUMNS,
    in_register,
    require,
    select,
    unique,
)
from enkat.ingest.problems import Problems


def frame_variable(values: pd.Series) -> pd.Series:
    """Numeric when every filled cell is a number (age, years employed), else text."""
    numbers = pd.to_numeric(values.str.strip().str.replace(",", ".", regex=False), errors="coerce")
    if values.notna().any() and numbers[values.notna()].notna().all():
        if (numbers.dropna() % 1 == 0).all():
            return numbers.astype("Int64")
        return numbers.astype("Float64")
    return values


def build_frame(
    raw: Any, spec: Mapping[str, Any], register: pd.DataFrame, problems: Problems
) -> pd.DataFrame:
    cols = spec.get("columns") or {}
    variables = list(spec.get("variables") or [])
    data = select(raw, spec, "frame", ["person_id", "office_id"], extra=variables)
    require(data, "person_id", cols["person_id"], problems, "person id")
    require(data, "office_id", cols["office_id"], problems, "office id")
    unique(data, "person_id", cols["person_id"], problems, "person id")
    data = in_register(data, register, cols["office_id"], problems)
    for var in variables:
        data[var] = frame_variable(data[var])
    return data[["person_id", "office_id", *REGISTER_COLUMNS, *variables]]
