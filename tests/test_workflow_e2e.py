"""End to end: the demo audit builds from raw exports to PDF, and rebuilds identically."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_snakemake

pytestmark = pytest.mark.e2e

DELIVERABLES = ("output/tables.xlsx", "output/report.pdf", "output/report.html")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generated_files(workdir: Path) -> dict[str, str]:
    """Digest of every generated CSV, XLSX, SVG, PNG, HTML and PDF (logs and Parquet aside)."""
    files = {}
    for folder in ("processed", "analysis", "output"):
        for path in sorted((workdir / folder).rglob("*")):
            kept = path.suffix in {".csv", ".xlsx", ".svg", ".png", ".html", ".pdf", ".txt"}
            if path.is_file() and kept and "logs" not in path.parts:
                files[str(path.relative_to(workdir))] = digest(path)
    return files


def test_demo_builds_every_deliverable(built_demo: Path) -> None:
    for name in DELIVERABLES:
        path = built_demo / name
        assert path.is_file() and path.stat().st_size > 0, name


def test_nothing_to_do_after_a_build(built_demo: Path) -> None:
    result = run_snakemake(built_demo, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_second_build_is_byte_identical(built_demo: Path, tmp_path: Path) -> None:
    again = copy_project(tmp_path)
    run_snakemake(again)
    assert generated_files(again) == generated_files(built_demo)


def test_generated_folders_hold_every_table_of_the_catalogue(built_demo: Path) -> None:
    import yaml

    catalogue = yaml.safe_load((built_demo / "config/tables.yaml").read_text(encoding="utf-8"))
    for table in catalogue["tables"]:
        assert (built_demo / "analysis/tables" / f"{table['id']}.csv").is_file(), table["id"]
