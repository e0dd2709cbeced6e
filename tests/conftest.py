"""Shared fixtures: a built copy of the demo audit, made once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PARTS = (
    "Snakefile",
    "profiles",
    "workflow",
    "config",
    "raw/demo",
    "report_templates",
    "environment.yml",
)
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def copy_project(dest: Path) -> Path:
    """Copy what an auditor's checkout holds (no generated folders) into `dest`."""
    for part in PROJECT_PARTS:
        src = ROOT / part
        if not src.exists():
            continue
        target = dest / part
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def run_snakemake(
    workdir: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run snakemake in `workdir` the way an auditor does."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1668470400"}
    result = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo audit built from scratch in a temporary copy of the project."""
    workdir = copy_project(tmp_path_factory.mktemp("demo"))
    run_snakemake(workdir)
    return workdir
