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
    assert {"ingest", "weights", "table", "workbook", "all"} <= set(rules())
    derived = {
        match.group(2): match.group(1)
        for path in SNAKEFILES
        for match in re.finditer(r"^use rule (\w+) as (\w+) with:", path.read_text("utf-8"), re.M)
    }
    # a table's job writes what the catalogue asks of it; the rules differ in outputs only
    assert derived == {"table_by": "table", "table_waves": "table", "table_by_waves": "table"}


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


# --- Job start-up: each job imports what it uses, and nothing report- or workflow-heavy ---

SCRIPTS = ROOT / "workflow/scripts"
# What no job but the one that needs it may load at start-up (each costs a job 0.1-0.6 s).
HEAVY = {"snakemake", "weasyprint", "matplotlib", "jinja2", "openpyxl", "statsmodels", "pingouin"}
NEEDS = {  # script -> the heavy libraries it does use
    "figure.py": {"matplotlib"},
    "nonresponse_customers.py": {"statsmodels"},
    "nonresponse_handlers.py": {"statsmodels"},
    "workbook.py": {"openpyxl"},
    "report.py": {"jinja2", "weasyprint", "matplotlib"},
}


def job_imports(script: str) -> set[str]:
    """Top-level packages loaded by the `enkat` imports of a job script, in a fresh process
    (the script's own import lines, without Snakemake's preamble)."""
    lines = [
        line
        for line in (SCRIPTS / script).read_text(encoding="utf-8").splitlines()
        if re.match(r"(from|import) enkat\b", line)
    ]
    assert lines, f"{script} imports nothing from enkat"
    code = "\n".join(
        ["import sys", *lines, "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"]
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_a_job_starts_without_libraries_it_does_not_use(script: str) -> None:
    loaded = job_imports(script) & HEAVY
    assert loaded <= NEEDS.get(script, set()), f"{script} loads {sorted(loaded)} at start-up"


def test_an_estimation_job_leaves_out_the_figure_and_report_stack() -> None:
    """The many small jobs: a demo table job spent 71 % of its time importing (issue 16)."""
    loaded = job_imports("table.py")
    assert "pandas" in loaded, "the check must see the job's real imports"
    assert not loaded & (HEAVY | {"PIL", "yaml", "jsonschema"}), sorted(loaded & HEAVY)


# --- Only the figures the report shows are drawn ----------------------------------------------


def test_figure_jobs_are_exactly_the_figures_the_report_shows(tmp_path) -> None:
    """common.smk's figure_ids() and the report's show_choice decide alike: by default a
    figure for plain tables, the table for by-tables, report.show overriding both."""
    import yaml

    from enkat.report.context import show_choice
    from tests.conftest import copy_project, run_snakemake

    work = copy_project(tmp_path / "proj")
    catalogue = yaml.safe_load((work / "config/tables.yaml").read_text(encoding="utf-8"))
    with_figure = [t for t in catalogue["tables"] if t.get("figure", "none") != "none"]
    plain = next(t["id"] for t in with_figure if not t.get("by"))
    by_table = next(t["id"] for t in with_figure if t.get("by"))
    show = {plain: "table", by_table: "figure"}
    (work / "extra.yaml").write_text(yaml.safe_dump({"report": {"show": show}}), "utf-8")
    config = yaml.safe_load((work / "config/config.yaml").read_text(encoding="utf-8"))
    show = {**(config["report"].get("show") or {}), **show}

    plan = run_snakemake(work, "-n", "--configfile", "extra.yaml").stdout
    planned = set(re.findall(r"figure_id=(\w+)", plan))
    expected = {t["id"] for t in with_figure if show_choice(t, True, show) != "table"}
    assert plain not in planned and by_table in planned
    assert planned == expected
