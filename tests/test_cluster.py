"""Ready for a cluster: the demo built through the cluster-generic executor, every job a
separate local process (workflow/profiles/local-cluster), gives the local build's bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_project, run_snakemake

pytestmark = pytest.mark.e2e

PROFILE = "workflow/profiles/local-cluster"
COMPARED = {".csv", ".xlsx", ".svg", ".png", ".txt", ".html", ".pdf"}


def outputs(workdir: Path) -> dict[str, str]:
    """SHA-256 of every generated file that is a deliverable or feeds one (logs aside)."""
    found = {}
    for folder in ("processed", "analysis", "output"):
        for path in sorted((workdir / folder).rglob("*")):
            if path.is_file() and path.suffix in COMPARED and "logs" not in path.parts:
                found[str(path.relative_to(workdir))] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return found


def test_the_profiles_exist() -> None:
    assert (ROOT / PROFILE / "config.yaml").is_file()
    assert (ROOT / "workflow/profiles/slurm/config.yaml").is_file()


def test_cluster_generic_build_equals_the_local_build(built_demo: Path, tmp_path: Path) -> None:
    workdir = copy_project(tmp_path)
    result = run_snakemake(workdir, "--profile", PROFILE)
    log = result.stdout + result.stderr
    assert "with external jobid" in log, "no job went through the cluster submit command"
    assert outputs(workdir) == outputs(built_demo)
    assert (workdir / "output/report.pdf").is_file()
