"""Visits per office in each customer-survey wave's period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from enkat.ingest.common import (
    REGISTER_COLUMNS,
    in_register,
    non_negative_integers,
    require,
    select,
    unique,
)
from enkat.ingest.problems import Problems


def build_visits(
    raw: Any, spec: Mapping[str, Any], register: pd.DataFrame, problems: Problems
) -> pd.DataFrame:
    cols = spec.get("columns") or {}
    data = select(raw, spec, "visits", ["office_id", "wave", "visits"])
    require(data, "office_id", cols["office_id"], problems, "office id")
    require(data, "wave", cols["wave"], problems, "wave")
    key = data["office_id"].astype("string") + " / " + data["wave"].str.strip()
    data["_key"] = key
    unique(data, "_key", f"{cols['office_id']}, {cols['wave']}", problems, "office and wave")
    data["visits"] = non_negative_integers(data, "visits", cols["visits"], problems)
    data = in_register(data, register, cols["office_id"], problems)
    return data[["office_id", "wave", "visits", *REGISTER_COLUMNS]]
