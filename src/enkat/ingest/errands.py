"""The errand registration week: one row per errand, with its agency and solution."""

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

CATEGORIES = ["agency", "solution"]


def build_errands(
    raw: Any, spec: Mapping[str, Any], register: pd.DataFrame, problems: Problems
) -> pd.DataFrame:
    cols = spec.get("columns") or {}
    data = select(raw, spec, "errands", ["errand_id", "office_id", "agency", "solution"])
    for name, what in (
        ("errand_id", "errand id"),
        ("office_id", "office id"),
        ("agency", "agency"),
        ("solution", "solution"),
    ):
        require(data, name, cols[name], problems, what)
    unique(data, "errand_id", cols["errand_id"], problems, "errand id")
    data = in_register(data, register, cols["office_id"], problems)
    return data[["errand_id", "office_id", "agency", "solution", *REGISTER_COLUMNS]]
