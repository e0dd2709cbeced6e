"""Visits per office in each customer-survey wave's period."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from enkat.audit import AuditTrail
from enkat.ingest.common import (
    REGISTER_COLUMNS,
    Outputs,
    Settings,
    audit_trimmed,
    finish,
    in_register,
    non_negative_integers,
    read_audit_step,
    read_register,
    read_source,
    require,
    select,
    trim_text,
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


def ingest_visits(
    spec: Mapping[str, Any],
    settings: Settings,
    register_path: str | Path,
    outputs: Outputs,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Pipeline step: processed/visits.parquet."""
    raw = read_source(spec, settings, path)
    audit = AuditTrail("visits", raw.file)
    read_audit_step(raw, audit)
    problems = Problems(raw.file)
    data = build_visits(raw, spec, read_register(register_path), problems)
    audit.add("join", len(data), len(data), "office type, region and area from the register")
    audit_trimmed(audit, len(data), trim_text(data, ["wave"]), ["wave"])
    return finish("visits", spec, raw, data, problems, audit, outputs)
