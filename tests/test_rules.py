"""Ready for a cluster, cheap to plan: every rule that runs a job declares threads and
resources, bookkeeping rules are local, and what the Snakefile imports to build the DAG
does not pull in pandas, pyarrow or scipy (seconds per `snakemake` call otherwise)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

RULE = re.compile(r"^rule (\w+):\n((?:[ \t]+\S.*\n|[ \t]*\n)*)", re.MULTILINE)
SNAKEFILES = [ROOT / "Snakefile", *sorted((ROOT / "workflow/rules").glob("*.smk"))]


def rules() -> dict[str, str]:
    """Rule name -> the indented body of its definition."""
    found: dict[str, str] = {}
    for path in SNAKEFILES:
        for match in RULE.finditer(path.read_text(encoding="utf-8")):
            found[match.group(1)] = match.group(2)
    return found


def job_rules() -> dict[str, str]:
    """Rules that run something (a target rule such as `all` only names inputs)."""
    return {
        name: body
        for name, body in rules().items()
        if re.search(r"^\s+(script|shell|run|notebook|wrapper):", body, re.MULTILINE)
    }


def test_the_rules_are_found() -> None:
    assert {"ingest", "weights", "table", "table_by", "workbook", "all"} <= set(rules())


@pytest.mark.parametrize("name", sorted(job_rules()))
def test_every_job_declares_threads_memory_and_runtime(name: str) -> None:
    body = job_rules()[name]
    assert re.search(r"^\s+threads:\s*\d+", body, re.MULTILINE), f"{name}: no threads"
    resources = body.split("resources:", 1)[1] if "resources:" in body else ""
    assert re.search(r"mem_mb\s*=", resources), f"{name}: no resources mem_mb"
    assert re.search(r"runtime\s*=", resources), f"{name}: no resources runtime"


def test_bookkeeping_rules_run_in_the_main_process() -> None:
    text = (ROOT / "Snakefile").read_text(encoding="utf-8")
    block = re.search(r"^localrules:\n((?:[ \t]+.*\n)+)", text, re.MULTILINE)
    assert block, "the Snakefile declares no localrules"
    local = set(re.findall(r"\w+", block.group(1)))
    assert {"all", "audit_trail"} <= local
    assert local <= set(rules())


def test_building_the_dag_imports_no_heavy_libraries() -> None:
    imported = {
        m.group(1)
        for path in SNAKEFILES
        for m in re.finditer(r"^from (enkat[\w.]*) import", path.read_text(), re.MULTILINE)
    }
    assert imported, "the Snakefile imports nothing from enkat"
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in sorted(imported))
        + "print(','.join(m for m in ('pandas', 'pyarrow', 'scipy', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "", f"the DAG build imports {result.stdout.strip()}"
