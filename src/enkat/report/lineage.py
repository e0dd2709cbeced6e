"""Data lineage for the appendix: what went in, what happened to it, with what software.

A reader must be able to tell which files a report was built from (by SHA-256), what the
ingest did to every row, and which rules were in force, without access to the project.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from enkat import fmt

if TYPE_CHECKING:  # pandas only where the audit trail is read: the report_config job
    import pandas as pd  # (write_config_copy) then starts without it

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


SOURCE_LABELS = {  # reader-facing names of the source keys
    "register": "Kontorsregister",
    "frame": "Handläggarram",
    "handlers": "Handläggarenkät",
    "customers": "Kundundersökning",
    "visits": "Besök per omgång",
    "errands": "Ärenderegistrering",
}


def read_audit_trail(path: str | Path) -> pd.DataFrame:
    """The ingest audit trail, counts as integers and every text kept as written."""
    import pandas as pd

    from enkat.csvsafe import restore

    trail = restore(
        pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", lineterminator="\n")
    )
    for column in ("rows_in", "rows_out"):
        trail[column] = pd.to_numeric(trail[column], errors="coerce").fillna(0).astype(int)
    return trail


def input_files(trail: pd.DataFrame) -> list[dict[str, str]]:
    """Each input file once: source, path, SHA-256 and the rows read."""
    reads = trail[trail["step"] == "read"].drop_duplicates(["source", "file"])
    kept = {}
    for (source, file), steps in trail.groupby(["source", "file"], sort=False):
        kept[(source, file)] = int(steps["rows_out"].iloc[-1])
    return [
        {
            "source": r["source"],
            "source_label": SOURCE_LABELS.get(str(r["source"]), str(r["source"])),
            "file": r["file"],
            "sha256": r["sha256"],
            "rows": fmt.number(int(r["rows_in"])),
            "kept": fmt.number(kept.get((r["source"], r["file"]), int(r["rows_in"]))),
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


def config_digest(config: Mapping[str, Any]) -> str:
    """SHA-256 of `config_text`: the file written beside the report has exactly this digest."""
    return hashlib.sha256(config_text(config).encode("utf-8")).hexdigest()


def write_config_copy(config: Mapping[str, Any], path: str | Path) -> None:
    """The configuration in force, as a file beside the PDF (instead of pages of YAML in it)."""
    from enkat.atomic import write_text_atomic

    write_text_atomic(path, config_text(config))
