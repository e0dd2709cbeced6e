"""The ingest rules as an auditor runs them: a bad input stops the run with one readable
error, leaves none of the failed step's outputs, and a good rerun is byte-identical."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_project, run_snakemake

pytestmark = pytest.mark.e2e

TARGETS = (
    "processed/audit_trail.csv",
    "processed/handlers.parquet",
    "processed/customers.parquet",
    "processed/visits.parquet",
    "processed/errands.parquet",
)


def project_copy(dest: Path) -> Path:
    """The checkout, plus environment.yml that the rules' `conda:` directive names."""
    copy_project(dest)
    shutil.copy2(ROOT / "environment.yml", dest / "environment.yml")
    return dest


def digests(workdir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(workdir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((workdir / "processed").rglob("*"))
        if p.is_file() and "logs" not in p.parts
    }


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = project_copy(tmp_path_factory.mktemp("ingest"))
    run_snakemake(workdir, *TARGETS)
    return workdir


def test_every_source_is_ingested_with_its_audit(ingested: Path) -> None:
    trail = (ingested / "processed/audit_trail.csv").read_text(encoding="utf-8").splitlines()
    assert trail[0] == "source,file,sha256,step,rows_in,rows_out,reason"
    sources = [line.split(",")[0] for line in trail[1:]]
    assert list(dict.fromkeys(sources)) == [
        "register",
        "frame",
        "handlers",
        "customers",
        "visits",
        "errands",
    ]


def test_bad_answer_stops_with_one_error_and_no_output(ingested: Path) -> None:
    before = digests(ingested)
    export = ingested / "raw/demo/handlaggarenkat.csv"
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[3].rstrip("\n").split(",")
    cells[header.index("kontor_id")] = "K999"
    lines[3] = ",".join(cells) + "\n"
    export.write_text("".join(lines), encoding="utf-8")

    result = run_snakemake(ingested, *TARGETS, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count("enkat: error:") == 1
    assert "the office is not in the office register" in output
    assert "row 4" in output and "'kontor_id'" in output and "K999" in output
    assert "Traceback" not in output
    assert not (ingested / "processed/handlers.parquet").exists()
    assert not (ingested / "processed/rejected_handlers.csv").exists()
    after = digests(ingested)
    unchanged = {k: v for k, v in before.items() if "handlers" not in k}
    assert {k: after[k] for k in unchanged} == unchanged


def test_restored_input_rebuilds_the_same_bytes(ingested: Path, tmp_path: Path) -> None:
    fresh = project_copy(tmp_path)
    run_snakemake(fresh, *TARGETS)
    (ingested / "raw/demo/handlaggarenkat.csv").write_bytes(
        (fresh / "raw/demo/handlaggarenkat.csv").read_bytes()
    )
    run_snakemake(ingested, *TARGETS)
    assert digests(ingested) == digests(fresh)
