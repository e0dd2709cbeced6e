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


# --- one bad input per kind, through Snakemake (issue 6: stop clearly, lose nothing) ------------


def _edit_csv(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a demo CSV (row as in a spreadsheet: header = row 1)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def _edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _xlsx_with_formula(workdir: Path) -> None:
    import openpyxl
    import pandas as pd

    export = pd.read_csv(workdir / "raw/demo/handlaggarenkat.csv", dtype=str)
    path = workdir / "raw/demo/handlaggarenkat.xlsx"
    export.to_excel(path, index=False)
    wb = openpyxl.load_workbook(path)
    wb.active["C7"] = "=1+0"
    wb.save(path)
    _edit_text(
        workdir / "config/config.yaml",
        "path: raw/demo/handlaggarenkat.csv",
        "path: raw/demo/handlaggarenkat.xlsx",
    )


def _duplicate_item(workdir: Path) -> None:
    import yaml

    path = workdir / "config/codebooks/handlers.yaml"
    book = yaml.safe_load(path.read_text(encoding="utf-8"))
    book["items"].append(dict(book["items"][0]))
    path.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False), encoding="utf-8")


# case -> (source whose step fails or None for config, the defect, what the message must name)
BAD = {
    "region outside the set": (
        "register",
        lambda w: _edit_csv(w / "raw/demo/kontorsregister.csv", 5, "region", "Norr"),
        ["the region is not an allowed value", "row 5", "'region'", "'Norr'", "did you mean"],
    ),
    "duplicated person": (
        "frame",
        lambda w: _edit_csv(w / "raw/demo/handlaggarram.csv", 9, "handlaggare_id", "H0001"),
        ["a duplicated person id", "row 9", "'handlaggare_id'", "'H0001'", "also on row 2"],
    ),
    "negative visits": (
        "visits",
        lambda w: _edit_csv(w / "raw/demo/besok_per_omgang.csv", 4, "besok", "-12"),
        ["not a non-negative whole number", "row 4", "'besok'", "'-12'", "negative"],
    ),
    "empty errand file": (
        "errands",
        lambda w: (w / "raw/demo/arenderegistrering.csv").write_bytes(b""),
        ["the file is empty", "arenderegistrering.csv"],
    ),
    "formula in an XLSX export": (
        "handlers",
        _xlsx_with_formula,
        ["a cell holds a formula", "handlaggarenkat.xlsx", "row 7", "'C7'", "'=1+0'"],
    ),
    "codebook repeats an item": (  # caught when the DAG is built (crossref): nothing runs
        None,
        _duplicate_item,
        ["an item id appears twice", "config/codebooks/handlers.yaml", "value:"],
    ),
    "misspelt config key": (
        None,
        lambda w: _edit_text(
            w / "config/config.yaml", "    on_invalid: stop", "    on_invaild: stop"
        ),
        ["an unknown key", "key sources.register.on_invaild", "did you mean 'on_invalid'?"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_stops_the_run_and_changes_nothing_else(
    ingested: Path, tmp_path: Path, case: str
) -> None:
    source, defect, named = BAD[case]
    workdir = tmp_path / "project"
    shutil.copytree(ingested, workdir, symlinks=True)
    assert "Nothing to be done" in run_snakemake(workdir, "-n", *TARGETS).stdout
    (workdir / "raw/demo/handlaggarenkat.csv").write_bytes(  # undo the other test's edit
        (ROOT / "raw/demo/handlaggarenkat.csv").read_bytes()
    )
    run_snakemake(workdir, *TARGETS)
    before = digests(workdir)
    defect(workdir)

    result = run_snakemake(workdir, *TARGETS, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count("enkat: error:") == 1 and "Traceback" not in output
    for text in named:
        assert text in output, (text, output)
    after = digests(workdir)
    failed = {
        f"processed/{source}.parquet",
        f"processed/rejected_{source}.csv",
        f"processed/audit/{source}.csv",
    }
    for name in failed if source else ():
        assert name not in after, name
    assert {k: v for k, v in after.items() if k not in failed} == {
        k: v for k, v in before.items() if k not in failed
    }


def test_reject_mode_sets_rows_aside_and_the_run_goes_on(ingested: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "project"
    shutil.copytree(ingested, workdir, symlinks=True)
    (workdir / "raw/demo/handlaggarenkat.csv").write_bytes(
        (ROOT / "raw/demo/handlaggarenkat.csv").read_bytes()
    )
    _edit_csv(workdir / "raw/demo/handlaggarenkat.csv", 6, "q5", "8")
    config = workdir / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    marker = "    codebook: config/codebooks/handlers.yaml\n    on_invalid: stop"
    assert marker in text
    config.write_text(text.replace(marker, marker.replace("stop", "reject")), encoding="utf-8")

    result = run_snakemake(workdir, *TARGETS)
    assert "enkat: error:" not in result.stdout + result.stderr
    import pandas as pd

    rejected = pd.read_csv(workdir / "processed/rejected_handlers.csv", dtype=str)
    assert rejected[["row", "column"]].values.tolist() == [["6", "q5"]]
    # no value and no raw columns: none is declared non-personal (sources.handlers.non_personal)
    assert list(rejected.columns) == ["row", "column", "reason"]
    assert len(pd.read_parquet(workdir / "processed/handlers.parquet")) == 538
    trail = pd.read_csv(workdir / "processed/audit_trail.csv")
    step = trail[(trail["source"] == "handlers") & (trail["step"] == "reject")]
    assert step[["rows_in", "rows_out"]].values.tolist() == [[539, 538]]
