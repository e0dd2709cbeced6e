"""Ingest: one module per source, each writing processed/<source>.parquet.

`ingest(source, ...)` dispatches on the source key; see docs/inputs.md for the formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from enkat.ingest.common import Outputs, Settings

SURVEYS = ("handlers", "customers")


def ingest(
    source: str,
    spec: Mapping[str, Any],
    settings: Settings,
    inputs: Mapping[str, str | Path],
    outputs: Outputs,
) -> pd.DataFrame:
    """Run one source's ingest; `inputs` holds raw, and register/frame/codebook as needed."""
    from enkat.ingest.common import ingest_joined
    from enkat.ingest.errands import CATEGORIES, build_errands
    from enkat.ingest.frame import build_frame
    from enkat.ingest.register import ingest_register
    from enkat.ingest.survey import ingest_survey
    from enkat.ingest.visits import build_visits

    raw = inputs["raw"]
    if source == "register":
        return ingest_register(spec, settings, outputs, raw)
    if source in SURVEYS:
        return ingest_survey(
            source,
            spec,
            settings,
            inputs["codebook"],
            inputs["register"],
            outputs,
            inputs.get("frame") if source == "handlers" else None,
            raw,
            visits_path=inputs.get("visits") if source == "customers" else None,
        )
    joined = {
        "frame": (build_frame, ()),
        "visits": (build_visits, ("wave",)),
        "errands": (build_errands, CATEGORIES),
    }
    if source in joined:
        build, text_columns = joined[source]
        return ingest_joined(
            source, build, spec, settings, inputs["register"], outputs, raw, text_columns
        )
    raise ValueError(f"unknown source {source!r}")


def ingest_step(
    source: str,
    spec: Mapping[str, Any],
    config_values: Mapping[str, Any],
    inputs: Mapping[str, str | Path],
    data: str | Path,
    rejected: str | Path,
    audit: str | Path,
) -> pd.DataFrame:
    """The Snakemake step: `config_values` holds register, limits and report from config."""
    return ingest(
        source, spec, Settings.from_config(config_values), inputs, Outputs(data, rejected, audit)
    )


__all__ = ["Outputs", "Settings", "ingest", "ingest_step"]
