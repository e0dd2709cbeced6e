"""Data lineage for the appendix: what went in, what happened to it, with what software.

A reader must be able to tell which files a report was built from (by SHA-256), what the
ingest did to every row, and which rules were in force, without access to the project.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from enkat import fmt

PACKAGES = (
    "enkat",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "pyarrow",
    "matplotlib",
    "openpyxl",
    "jinja2",
    "weasyprint",
    "snakemake",
)


def read_audit_trail(path: str | Path) -> pd.DataFrame:
    """The ingest audit trail, counts as integers and every text kept as written."""
    trail = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for column in ("rows_in", "rows_out"):
        trail[column] = pd.to_numeric(trail[column], errors="coerce").fillna(0).astype(int)
    return trail


def input_files(trail: pd.DataFrame) -> list[dict[str, str]]:
    """Each input file once: source, path, SHA-256 and the rows read."""
    reads = trail[trail["step"] == "read"].drop_duplicates(["source", "file"])
    return [
        {
            "source": r["source"],
            "file": r["file"],
            "sha256": r["sha256"],
            "rows": fmt.number(int(r["rows_in"])),
        }
        for _, r in reads.iterrows()
    ]


def rejected_rows(trail: pd.DataFrame) -> list[dict[str, str]]:
    """Rows set aside by the ingest (lenient sources), per source and reason."""
    rejects = trail[trail["step"] == "reject"]
    return [
        {
            "source": r["source"],
            "file": r["file"],
            "rows": fmt.number(int(r["rows_in"]) - int(r["rows_out"])),
            "reason": r["reason"],
        }
        for _, r in rejects.iterrows()
    ]


def trail_rows(trail: pd.DataFrame) -> list[dict[str, str]]:
    """The audit trail as text rows, in the order the ingest wrote it."""
    return [
        {
            "source": r["source"],
            "step": r["step"],
            "rows_in": fmt.number(int(r["rows_in"])),
            "rows_out": fmt.number(int(r["rows_out"])),
            "reason": r["reason"],
        }
        for _, r in trail.iterrows()
    ]


def software_versions() -> list[dict[str, str]]:
    """Python and the versions of the packages that shape the numbers and the document."""
    versions = [{"name": "Python", "version": platform.python_version()}]
    for name in PACKAGES:
        try:
            versions.append({"name": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            continue
    return versions


def config_text(config: Mapping[str, Any]) -> str:
    """The configuration in force, as YAML, in its own key order."""
    return yaml.safe_dump(
        dict(config), allow_unicode=True, sort_keys=False, default_flow_style=False, width=88
    )
