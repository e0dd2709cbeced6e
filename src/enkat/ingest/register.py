"""The office register: one row per office, office type as its Swedish label."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enkat.audit import AuditTrail
from enkat.ingest.common import (
    Outputs,
    Settings,
    check_text,
    clean_rows,
    finish,
    non_negative_integers,
    read_audit_step,
    read_source,
    require,
    select,
    unique,
    used_columns,
)
from enkat.ingest.problems import Problems
from enkat.text import did_you_mean, prints_same

COLUMNS = ["office_id", "office_name", "region", "area", "office_type", "visits"]


def allowed_value(
    data: pd.DataFrame,
    name: str,
    column: str,
    allowed: Mapping[str, str],
    problems: Problems,
    what: str,
    key: str,
) -> pd.Series:
    """Map raw values through `allowed` (raw -> stored); near misses get a 'did you mean'."""
    values = data[name]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([allowed.get(str(u)) for u in uniques] + [None], dtype=object)[codes]
    bad = pd.isna(mapped) & values.notna().to_numpy()
    if bad.any():
        squashed = {" ".join(k.split()).casefold(): k for k in allowed}

        def suggest(value: str) -> str:
            near = squashed.get(" ".join(value.split()).casefold())
            near = near or next((k for k in allowed if prints_same(value, k)), None)
            close = difflib.get_close_matches(value, list(allowed), n=1)
            if near or close:
                return did_you_mean(value, near or close[0])
            return f"use one of the values of config {key}"

        hints = values[bad].map(suggest)
        problems.add_mask(
            data,
            bad,
            column,
            values,
            f"the {what} is not an allowed value",
            "one of " + ", ".join(dict.fromkeys(allowed)),
            hints.reindex(data.index).to_numpy(dtype=object),
        )
    return pd.Series(mapped, index=data.index, dtype="string")


def build_register(
    raw: Any, spec: Mapping[str, Any], settings: Settings, problems: Problems
) -> pd.DataFrame:
    """Checked register rows (index = spreadsheet row)."""
    cols = spec.get("columns") or {}
    data = select(raw, spec, "register", COLUMNS)
    for name, what in (
        ("office_id", "office id"),
        ("office_name", "office name"),
        ("region", "region"),
        ("area", "office area"),
        ("office_type", "office type"),
    ):
        require(data, name, cols[name], problems, what)
    unique(data, "office_id", cols["office_id"], problems, "office id")
    ids = data["office_id"]
    padded = (ids.notna() & (ids != ids.str.strip())).to_numpy(dtype=bool)
    problems.add_mask(
        data,
        padded,
        cols["office_id"],
        ids,
        "the office id has spaces before or after it",
        "the office id without surrounding spaces",
        "delete the spaces: the office ids of the other files would not match it",
    )
    # A register may hold the type codes (stort) or their labels (Stort kontor).
    types = {
        **{label: label for label in settings.office_types.values()},
        **dict(settings.office_types),
    }
    data["office_type"] = allowed_value(
        data,
        "office_type",
        cols["office_type"],
        types,
        problems,
        "office type",
        "register.office_types",
    )
    data["region"] = allowed_value(
        data,
        "region",
        cols["region"],
        {r: r for r in settings.regions},
        problems,
        "region",
        "register.regions",
    )
    data["visits"] = non_negative_integers(
        data, "visits", cols["visits"], problems, allow_empty=True
    )
    return data[COLUMNS]


def ingest_register(
    spec: Mapping[str, Any], settings: Settings, outputs: Outputs, path: str | Path | None = None
) -> pd.DataFrame:
    """Pipeline step: processed/register.parquet from the raw office register."""
    raw = read_source(spec, settings, path)
    audit = AuditTrail("register", raw.file)
    read_audit_step(raw, audit)
    problems = Problems(raw.file)
    check_text(raw, used_columns(spec), problems)
    data = build_register(raw, spec, settings, problems)
    good = clean_rows(data, problems)
    audit.add(
        "recode", len(good), len(good), "office type codes to labels (config register.office_types)"
    )
    empty = int(good["visits"].isna().sum())
    if empty:
        audit.add(
            "recode",
            len(good),
            len(good),
            f"{empty} office(s) without visits kept with empty visits (left out of cost per visit)",
        )
    return finish("register", spec, raw, data, problems, audit, outputs)
