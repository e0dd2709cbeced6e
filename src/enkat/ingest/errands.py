"""The errand registration week: one row per errand, with its agency and solution."""

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
    read_audit_step,
    read_register,
    read_source,
    require,
    select,
    trim_text,
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


def ingest_errands(
    spec: Mapping[str, Any],
    settings: Settings,
    register_path: str | Path,
    outputs: Outputs,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Pipeline step: processed/errands.parquet."""
    raw = read_source(spec, settings, path)
    audit = AuditTrail("errands", raw.file)
    read_audit_step(raw, audit)
    problems = Problems(raw.file)
    data = build_errands(raw, spec, read_register(register_path), problems)
    audit.add("join", len(data), len(data), "office type, region and area from the register")
    audit_trimmed(audit, len(data), trim_text(data, CATEGORIES), CATEGORIES)
    return finish("errands", spec, raw, data, problems, audit, outputs)
