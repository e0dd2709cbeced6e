"""Hostile, broken and faulty inputs (issue 18): nothing stale, nothing lost, no traceback.

Each test feeds one input that a real user could produce (a typo in a path, a repeated
YAML key, an alias bomb, a CSV with 100 000 columns, a full disk, a killed run) and checks
that enkat stops with its one error format naming the file, row, column or key, or keeps
the previous outputs in place.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from enkat.analysis_files import read_estimates
from enkat.atomic import atomic_path, write_bytes_atomic
from enkat.audit import write_csv_atomic
from enkat.cli import run_step
from enkat.codebook import load_codebook
from enkat.config import check_paths, load_config, load_yaml, validate
from enkat.csvsafe import neutralise, restore
from enkat.design import Design
from enkat.errors import EnkatError
from enkat.figures import EMPTY_FIGURE, describe_bars, draw_bars
from enkat.raoscott import rao_scott
from enkat.readers import Limits, read_csv, read_input
from enkat.register_tables import read_register_table, write_register_table
from enkat.tables import write_csv
from enkat.weighting import make_weights
from tests.conftest import ROOT, SNAKEMAKE, copy_project, run_snakemake
from tests.test_ingest import CUSTOMERS, HANDLERS, REGISTER, Project

# --- YAML: repeated keys and alias bombs ------------------------------------------------------


def test_a_key_given_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    text = (ROOT / "config/config.yaml").read_text(encoding="utf-8")
    assert "suppression:\n" in text
    doubled = text.replace("suppression:\n", "suppression:\n  min_base: 3\n", 1)
    path = tmp_path / "config.yaml"
    path.write_text(doubled, encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        load_config(path)
    err = info.value
    assert "twice" in err.message and err.column == "min_base" and err.row is not None
    assert doubled.splitlines()[err.row - 1].strip().startswith("min_base")


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(EnkatError) as info:
        load_yaml(path)
    assert "aliases" in info.value.message and info.value.file == str(path)
    assert time.perf_counter() - start < 5


def test_a_few_aliases_are_still_allowed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("base: &b {x: 1}\none: *b\ntwo: *b\n", encoding="utf-8")
    assert load_yaml(path) == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}


def test_a_codebook_path_that_is_a_folder_is_an_enkat_error(tmp_path: Path) -> None:
    with pytest.raises(EnkatError) as info:
        load_codebook(tmp_path)
    assert "folder" in info.value.message and info.value.file == str(tmp_path)


# --- ids: full-match patterns -----------------------------------------------------------------


def test_a_table_id_ending_in_a_newline_is_refused() -> None:
    catalogue = yaml.safe_load((ROOT / "config/tables.yaml").read_text(encoding="utf-8"))
    catalogue["tables"][0]["id"] += "\n"
    with pytest.raises(EnkatError) as info:
        validate(catalogue, "tables", "config/tables.yaml")
    assert info.value.key == "tables[0].id" and info.value.value.endswith("\n")


def test_a_codebook_item_id_ending_in_a_newline_is_refused(tmp_path: Path) -> None:
    book = yaml.safe_load((ROOT / "config/codebooks/handlers.yaml").read_text("utf-8"))
    book["items"][0]["id"] += "\n"
    path = tmp_path / "handlers.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        load_codebook(path)
    assert info.value.key == "items[0].id"


# --- every configured input exists ------------------------------------------------------------


def _config_in(tmp_path: Path) -> dict:
    """The demo config with paths made absolute, so the checks run from any folder."""
    config = load_yaml(ROOT / "config/config.yaml")
    for spec in config["sources"].values():
        spec["path"] = str(ROOT / spec["path"])
        if "codebook" in spec:
            spec["codebook"] = str(ROOT / spec["codebook"])
    config["paths"]["tables"] = str(ROOT / config["paths"]["tables"])
    config["report"]["templates"] = str(ROOT / config["report"].get("templates", "x"))
    if config["report"].get("narrative"):  # checked too (a folder) when set
        config["report"]["narrative"] = str(ROOT / config["report"]["narrative"])
    return config


def test_the_demo_config_names_only_existing_files(tmp_path: Path) -> None:
    check_paths(_config_in(tmp_path))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: p + "x", "does not exist"),
        (lambda p: p + "\n", "line break"),
        (lambda p: str(Path(p).parent), "folder"),
    ],
)
def test_a_missing_or_odd_raw_path_names_the_key_and_the_path(
    tmp_path: Path, change, words: str
) -> None:
    config = _config_in(tmp_path)
    config["sources"]["handlers"]["path"] = change(config["sources"]["handlers"]["path"])
    with pytest.raises(EnkatError) as info:
        check_paths(config)
    assert info.value.key == "sources.handlers.path"
    assert info.value.value == config["sources"]["handlers"]["path"]
    assert words in info.value.message


# --- reject mode: nothing personal --------------------------------------------------------


def test_reject_mode_writes_only_row_column_reason_and_non_personal_columns(
    project: Project,
) -> None:
    header, *rows = HANDLERS.splitlines()
    text = "\n".join(
        [header + ",epost"] + [r + f",person{i}@example.se" for i, r in enumerate(rows)]
    ).replace("H3,K2,1.0,99", "H3,K9,1.0,7")
    raw = project.write("handlers", text + "\n")
    project.run("handlers", raw=raw, on_invalid="reject", non_personal=["q_dist"])
    out = Path(project.outputs("handlers").rejected)
    rejected = pd.read_csv(out, dtype=str)
    assert list(rejected.columns) == ["row", "column", "reason", "q_dist"]
    assert rejected[["row", "column"]].values.tolist() == [["4", "kontor_id"], ["4", "q1"]]
    written = out.read_text(encoding="utf-8")
    assert "example.se" not in written and "K9" not in written  # no value, no e-mail


def test_a_non_personal_column_that_is_not_in_the_file_is_named(project: Project) -> None:
    raw = project.write("handlers", HANDLERS.replace("H3,K2,1.0,99", "H3,K9,1.0,7"))
    with pytest.raises(EnkatError) as info:
        project.run("handlers", raw=raw, on_invalid="reject", non_personal=["epsot"])
    assert info.value.key == "sources.handlers.non_personal" and info.value.value == "epsot"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


# --- silent cases become errors ---------------------------------------------------------------


def test_answers_from_an_office_with_zero_visits_are_refused(project: Project) -> None:
    visits = project.write("visits", "kontor_id,omgang,besok\nK1,2019,500\nK2,2021,0\n")
    project.run("visits", raw=visits)
    inputs_visits = project.outputs("visits").data
    from enkat.ingest import ingest
    from tests.test_ingest import SETTINGS, SPECS

    inputs = {
        "raw": project.root / "raw" / "customers.csv",
        "register": project.outputs("register").data,
        "codebook": project.root / "customers.yaml",
        "visits": inputs_visits,
    }
    with pytest.raises(EnkatError) as info:
        ingest("customers", SPECS["customers"], SETTINGS, inputs, project.outputs("customers"))
    err = info.value
    assert "visits" in err.message and err.row == 3 and err.column == "kontor_id"
    assert err.value == "K2 / 2021" and err.file.endswith("customers.csv")


def test_a_weighting_class_with_population_zero_is_refused() -> None:
    respondents = pd.DataFrame(
        {"respondent_id": [f"R{i}" for i in range(30)], "office_type": ["A"] * 20 + ["B"] * 10}
    )
    population = pd.DataFrame({"office_type": ["A", "B"], "visits": [500, 0]})
    settings = {"method": "classes", "classes": ["office_type"], "min_respondents": 5}
    with pytest.raises(EnkatError) as info:
        make_weights(respondents, population, settings, "customers", "visits", "visits.parquet")
    assert "population of 0" in info.value.message and info.value.value == "B"
    assert info.value.file == "visits.parquet"


def test_hidden_xlsx_rows_with_data_are_refused(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "svar"])
    for i in range(1, 5):
        ws.append([f"R{i}", i])
    ws.row_dimensions[4].hidden = True
    path = tmp_path / "export.xlsx"
    wb.save(path)
    with pytest.raises(EnkatError) as info:
        read_input(path)
    assert "hidden" in info.value.message and info.value.row == 4


def test_columns_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,Q1,q1\nR1,1,2\n", encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        read_input(path)
    assert "case" in info.value.message and info.value.column == "q1"


# --- limits ----------------------------------------------------------------------------------


def test_a_csv_with_100000_columns_stops_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    names = ",".join(f"c{i}" for i in range(100_000))
    path.write_text(names + "\n" + ",".join("1" * 100_000) + "\n", encoding="utf-8")
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(EnkatError) as info:
        read_input(path, limits=Limits(max_line_length=10_000_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "columns" in info.value.message and "limits.max_columns" in info.value.expected
    assert peak < 200 * 1024 * 1024


def test_a_line_past_the_limit_is_named_by_its_row(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("id,text\nR1,kort\nR2," + "x" * 5000 + "\nR3,kort\n", encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        read_csv(path, limits=Limits(max_line_length=1000))
    assert info.value.row == 3 and "max_line_length" in info.value.expected


def test_rows_past_the_limit_stop(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("id,x\n" + "".join(f"R{i},1\n" for i in range(50)), encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        read_csv(path, limits=Limits(max_rows=49))
    assert "rows" in info.value.message
    assert len(read_csv(path, limits=Limits(max_rows=50)).data) == 50


def test_limits_come_from_config() -> None:
    limits = Limits.from_config({"max_columns": 7, "max_rows": 8, "max_line_length": 900})
    assert (limits.max_columns, limits.max_rows, limits.max_line_length) == (7, 8, 900)


# --- no tracebacks ---------------------------------------------------------------------------


def test_a_census_with_full_response_gives_no_test_and_no_division_by_zero() -> None:
    n = 40
    rng = np.random.default_rng(1)
    rows = rng.integers(0, 2, n)
    cols = rng.integers(0, 3, n)
    census = Design.build(np.ones(n), np.zeros(n, dtype=int), population_size=np.full(n, n))
    result = rao_scott(census, rows, cols)
    assert np.isnan(result.p_value) and np.isnan(result.statistic)


def _by_table(suppressed: bool) -> pd.DataFrame:
    from enkat.analysis_files import ESTIMATE_COLUMNS

    frame = pd.DataFrame(
        {
            "table_id": "T",
            "survey": "handlers",
            "variable": "T05",
            "variable_label": "Fråga",
            "group_var": "office_type",
            "group": ["Totalt", "Totalt", "Stort kontor", "Stort kontor"],
            "category": ["Ja", "Nej", "Ja", "Nej"],
            "n": [2, 1, 2, 1],
            "base_n": 3,
            "estimate": [0.67, 0.33, 0.67, 0.33],
            "se": 0.1,
            "ci_low": 0.2,
            "ci_high": 0.9,
            "deff": 1.0,
            "suppressed": suppressed,
        }
    )
    for column in ESTIMATE_COLUMNS:  # columns other features add (flags) stay empty
        if column not in frame.columns:
            frame[column] = ""
    return frame


def test_a_bar_figure_whose_totalt_base_is_suppressed_is_drawn_empty() -> None:
    fig = draw_bars(_by_table(True), "Titel", False)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert EMPTY_FIGURE in texts
    assert describe_bars(_by_table(True)) == EMPTY_FIGURE


def test_a_full_disk_becomes_an_enkat_error_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def write() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.pdf"))

    with pytest.raises(SystemExit) as info:
        run_step(write, log=tmp_path / "step.log")
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("enkat: error:") and "No space left" in err and "free disk" in err
    assert "Traceback" not in err


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    target.write_bytes(b"previous")
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]
    (tmp_path / ".report.pdf.abc.tmp").write_bytes(b"left by a killed run")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


# --- CSV formula injection --------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+46 8 123", "-cmd", "@SUM(A1)", "\tflik", "\rrad"]


def test_formula_text_is_neutralised_and_numbers_stay(tmp_path: Path) -> None:
    frame = pd.DataFrame({"label": [*FORMULAS, "-1", "'=x", "vanlig"], "n": range(-4, 5)})
    out = tmp_path / "t.csv"
    write_csv(frame, out)
    # enkat writes LF line ends; a CR inside a cell is data (read with lineterminator="\n")
    written = pd.read_csv(out, dtype=str, keep_default_na=False, lineterminator="\n")
    assert all(v.startswith("'") for v in written["label"][: len(FORMULAS)])
    assert written["label"].tolist()[len(FORMULAS) :] == ["-1", "''=x", "vanlig"]
    assert written["n"].tolist() == [str(i) for i in range(-4, 5)]  # negative numbers too
    assert restore(written)["label"].tolist() == frame["label"].tolist()


def test_labels_and_codebook_values_are_neutralised_in_the_table_csv(tmp_path: Path) -> None:
    table = _by_table(False)
    table["variable_label"] = "=1+1"  # a question label from the codebook
    table["category"] = ["@Ja", "-Nej", "@Ja", "-Nej"]  # answer labels of the codebook
    table["group"] = ["Totalt", "Totalt", "+Stort", "+Stort"]  # a register value
    out = tmp_path / "T.csv"
    write_csv(table, out)
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)
    for column in ("variable_label", "category"):
        assert raw[column].str.startswith("'").all(), column
    assert raw["estimate"].tolist()[0] == "0.67"
    back = read_estimates(out)  # the workbook, figures and report read the text as it was
    assert back["category"].tolist() == ["@Ja", "-Nej", "@Ja", "-Nej"]
    assert back["group"].tolist()[2] == "+Stort"


def test_register_and_errand_values_are_neutralised_in_register_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import enkat.register_tables as rt

    table = pd.DataFrame(
        {c: ["=kontor", "-Digitalt"] if c != "value" else [-3.5, 2.0] for c in rt.REGISTER_COLUMNS}
    )
    monkeypatch.setattr(rt, "build_register_table", lambda *a, **k: table)
    out = tmp_path / "T10.csv"
    write_register_table("T10", "x", {}, out, {})
    raw = pd.read_csv(out, dtype=str, keep_default_na=False)
    text = [c for c in rt.REGISTER_COLUMNS if c != "value"]
    assert (raw[text] == pd.DataFrame({c: ["'=kontor", "'-Digitalt"] for c in text})).all().all()
    assert raw["value"].tolist() == ["-3.5", "2.0"]
    assert read_register_table(out)[text[0]].tolist() == ["=kontor", "-Digitalt"]


def test_rejected_rows_and_audit_trail_are_neutralised(tmp_path: Path) -> None:
    out = tmp_path / "rejected.csv"
    write_csv_atomic(
        pd.DataFrame({"row": [2], "column": ["q1"], "kontor": ["=cmd|' /C calc'!A0"]}), out
    )
    assert pd.read_csv(out, dtype=str)["kontor"].iloc[0].startswith("'=")


def test_neutralise_leaves_a_numeric_frame_alone() -> None:
    frame = pd.DataFrame({"x": [-1.0, 2.5], "y": [-3, 4]})
    assert neutralise(frame).equals(frame)


# --- the workflow: missing inputs, stale reports, kills ----------------------------------------


def _copy(built: Path, dest: Path) -> Path:
    shutil.copytree(built, dest, symlinks=True)
    return dest


def test_a_missing_raw_file_stops_the_run_before_anything(tmp_path: Path) -> None:
    """Checked when the Snakefile is read, so old processed/ files cannot be used instead."""
    work = copy_project(tmp_path)
    config = work / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("handlaggarenkat.csv", "handlagarenkat.csv"), "utf-8")
    result = run_snakemake(work, "-n", check=False)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "sources.handlers.path" in out and "raw/demo/handlagarenkat.csv" in out
    assert "Traceback" not in out


def test_a_repeated_key_in_config_yaml_stops_snakemake(tmp_path: Path) -> None:
    work = copy_project(tmp_path)
    config = work / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("suppression:\n", "suppression:\n  min_base: 1\n", 1), "utf-8")
    result = run_snakemake(work, "-n", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "appears twice" in out and "min_base" in out


def test_a_template_edited_with_an_old_mtime_rebuilds_the_report(
    built_demo: Path, tmp_path: Path
) -> None:
    work = _copy(built_demo, tmp_path / "p")
    template = work / "report_templates/report.html.j2"
    stat = template.stat()
    template.write_text(template.read_text(encoding="utf-8") + "\n{# edited #}\n", "utf-8")
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    out = run_snakemake(work, "-n").stdout
    report = out[out.index("rule report:") :].split("\n\n", 1)[0]
    assert "Params have changed" in report and "report.html.j2" in report


def test_a_killed_report_job_keeps_the_previous_report_and_one_command_recovers(
    built_demo: Path, tmp_path: Path
) -> None:
    work = _copy(built_demo, tmp_path / "p")
    before = (work / "output/report.pdf").read_bytes()
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1668470400"}
    proc = subprocess.Popen(
        [*SNAKEMAKE, "--cores", "1", "--forcerun", "report"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    marker = work / "output/report.sha256"
    while marker.exists() and time.time() < deadline:  # the job has started when it is gone
        time.sleep(0.2)
    time.sleep(2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not marker.exists()
    assert (work / "output/report.pdf").read_bytes() == before
    assert not list((work / "output").glob("*.partial"))
    # `make recover` (README): release the dead run's lock, rerun what it left incomplete
    run_snakemake(work, "--unlock")
    recover = run_snakemake(work, "--rerun-incomplete", check=False)
    assert recover.returncode == 0, recover.stdout + recover.stderr
    assert marker.is_file() and (work / "output/report.pdf").is_file()
    assert not list((work / "output").glob(".*.tmp"))


def test_a_failed_workbook_job_keeps_the_previous_workbook(
    built_demo: Path, tmp_path: Path
) -> None:
    """update() + enkat.atomic, as for the report: Snakemake does not delete the workbook
    when the job starts, a failed job leaves it as it was, and the checksum file written
    last is missing until a workbook job completes (so the next run rebuilds it)."""
    import hashlib

    work = _copy(built_demo, tmp_path / "p")
    book, marker = work / "output/tables.xlsx", work / "output/tables.sha256"
    before = book.read_bytes()
    assert marker.read_text(encoding="utf-8").split()[0] == hashlib.sha256(before).hexdigest()
    broken = work / "analysis/contrasts/T05.csv"
    good = broken.read_text(encoding="utf-8")
    # an analysis file from a foreign build: its first column (table_id) is missing
    broken.write_text("".join(line.split(",", 1)[1] for line in good.splitlines(True)), "utf-8")
    result = run_snakemake(work, "output/tables.sha256", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "table_id" in out and "Traceback" not in out
    assert book.read_bytes() == before
    assert not marker.exists()
    assert not list((work / "output").glob(".*.tmp"))
    broken.write_text(good, "utf-8")
    run_snakemake(work, "output/tables.sha256")
    digest = hashlib.sha256(book.read_bytes()).hexdigest()
    assert marker.read_text(encoding="utf-8") == f"{digest}  tables.xlsx\n"


# --- a second hostile pass (issue 18, every point re-checked with new inputs) -----------------


def _ingest_fails(tmp_path: Path, source: str, raw: str | bytes, suffix: str = "csv") -> EnkatError:
    project = Project(tmp_path)
    path = project.write(source, raw, suffix)
    with pytest.raises(EnkatError) as info:
        project.run(source, raw=path)
    return info.value


def test_a_ragged_row_after_a_utf8_bom_and_crlf_is_named_by_its_own_row(tmp_path: Path) -> None:
    lines = HANDLERS.split("\n")
    lines[2] += ",extra"
    text = "\ufeff" + "\r\n".join(lines)
    err = _ingest_fails(tmp_path, "handlers", text.encode("utf-8"))
    assert err.row == 3 and "different number of cells" in err.message
    assert err.file.endswith("handlers.csv")


def test_an_unknown_code_after_a_bom_names_its_row_and_column(tmp_path: Path) -> None:
    text = "\ufeff" + HANDLERS.replace("H3,K2,1.0,99", "H3,K2,1.0,77")
    err = _ingest_fails(tmp_path, "handlers", text.replace("\n", "\r\n").encode("utf-8"))
    assert (err.row, err.column, err.value) == (4, "q1", "77")


@pytest.mark.parametrize("title", ["Handläggarenkät 2022, export", "Handläggarenkät;2022\n"])
def test_a_title_line_above_the_header_is_named_as_a_title(tmp_path: Path, title: str) -> None:
    err = _ingest_fails(tmp_path, "handlers", f"{title}\n{HANDLERS}")
    assert "title" in err.message and err.row == 1


def test_an_office_id_with_a_line_break_in_the_register_is_named(tmp_path: Path) -> None:
    register = REGISTER.replace("K2,Beta", '"K2\n",Beta')
    err = _ingest_fails(tmp_path, "register", register)
    assert err.file.endswith("register.csv") and err.row == 3
    assert (err.column, err.value) == ("kontor_id", "K2\n")


def test_an_xlsx_date_in_the_wave_column_blames_the_raw_file(tmp_path: Path) -> None:
    project = Project(tmp_path)
    wb = openpyxl.Workbook()
    for row in CUSTOMERS.strip().split("\n"):
        wb.active.append(row.split(","))
    wb.active.cell(row=3, column=3).value = dt.datetime(2021, 1, 1)
    path = tmp_path / "raw" / "customers.xlsx"
    wb.save(path)
    with pytest.raises(EnkatError) as info:
        project.run("customers", raw=path)
    err = info.value
    assert err.file == str(path) and (err.row, err.column) == (3, "omgang")
    assert "date" in err.message and "parquet" not in str(err)


def test_xlsx_columns_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    project = Project(tmp_path)
    rows = [r.split(",") for r in HANDLERS.strip().split("\n")]
    rows[0][3], rows[0][-1] = "q1", "Q1"
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    path = tmp_path / "raw" / "handlers.xlsx"
    wb.save(path)
    with pytest.raises(EnkatError) as info:
        project.run("handlers", raw=path)
    assert "case" in info.value.message and info.value.row == 1


def test_a_tab_indented_config_names_the_line(tmp_path: Path) -> None:
    text = (ROOT / "config/config.yaml").read_text(encoding="utf-8")
    path = tmp_path / "config.yaml"
    path.write_text(text.replace("  min_base: 5", "\tmin_base: 5", 1), encoding="utf-8")
    line = text.splitlines().index(next(x for x in text.splitlines() if "min_base: 5" in x)) + 1
    with pytest.raises(EnkatError) as info:
        load_yaml(path)
    assert info.value.row == line and "tab" in (info.value.hint or "")


def test_a_config_path_with_a_newline_and_a_codebook_folder_name_their_keys(
    tmp_path: Path,
) -> None:
    config = _config_in(tmp_path)
    config["sources"]["handlers"]["path"] += "\n"
    with pytest.raises(EnkatError) as info:
        check_paths(config)
    assert info.value.key == "sources.handlers.path" and "line break" in info.value.message
    config = _config_in(tmp_path)
    config["sources"]["customers"]["codebook"] = str(ROOT / "config/codebooks")
    with pytest.raises(EnkatError) as info:
        check_paths(config)
    assert info.value.key == "sources.customers.codebook" and "folder" in info.value.message


def test_a_group_named_totalt_is_refused_not_mixed_up_with_the_total() -> None:
    """Else a region called 'Totalt' (3 answers) was hidden, yet Totalt minus the other
    group gave it away, and two rows called Totalt reached the workbook."""
    from enkat.suppression import Rules, classify
    from enkat.tables import TableVariable, estimate_table

    n = 60
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {"V": rng.choice(["Ja", "Nej"], n), "region": ["Totalt"] * 3 + ["Nord"] * 57}
    )
    design = Design.build(np.full(n, 2.0), np.zeros(n, dtype=int), population_size=np.full(n, 120))
    estimates, _ = estimate_table(data, design, [TableVariable("V", "V", ("Ja", "Nej"))], "region")
    with pytest.raises(EnkatError) as info:
        classify(estimates, Rules())
    assert (info.value.column, info.value.value) == ("region", "Totalt")


@pytest.mark.parametrize("preset", ["enkat", "nchs"])
def test_an_empty_base_everywhere_hides_every_cell_without_an_error(preset: str) -> None:
    from enkat.suppression import Rules, classify, publish
    from enkat.tables import TableVariable, estimate_table

    n = 30
    data = pd.DataFrame({"V": [None] * n, "g": ["a"] * 15 + ["b"] * 15})
    design = Design.build(np.full(n, 2.0), np.zeros(n, dtype=int), population_size=np.full(n, 60))
    estimates, tests = estimate_table(data, design, [TableVariable("V", "V", ("Ja", "Nej"))], "g")
    decided = classify(estimates, Rules(preset=preset))
    assert decided["suppressed"].all()
    shown = publish(estimates.assign(suppressed=decided["suppressed"], flag=decided["flag"]))
    assert (shown[["n", "base_n", "estimate"]] == "..").all().all()
    assert tests["p_value"].isna().all()


def test_full_response_in_every_weighting_class_gives_weight_one_and_a_table() -> None:
    """A census where everyone answered: weights 1, SEs 0 (fpc), NCHS by the effective n
    = n; no division by zero anywhere."""
    from enkat.suppression import Rules, classify
    from enkat.tables import TableVariable, estimate_table

    frame = pd.DataFrame(
        {"person_id": [f"R{i}" for i in range(60)], "office_type": ["A"] * 40 + ["B"] * 20}
    )
    respondents = pd.DataFrame({"respondent_id": frame["person_id"]})
    settings = {"method": "classes", "classes": ["office_type"], "min_respondents": 5}
    weights = make_weights(respondents, frame, settings, "handlers").weights
    assert (weights["weight"] == 1.0).all()
    design = Design.build(
        weights["weight"].to_numpy(),
        pd.factorize(weights["stratum"])[0],
        population_size=weights["population_size"].to_numpy(),
    )
    data = frame.assign(V=np.where(np.arange(60) % 3 == 0, "Ja", "Nej"))
    estimates, _ = estimate_table(
        data, design, [TableVariable("V", "V", ("Ja", "Nej"))], "office_type"
    )
    assert (estimates["se"] == 0).all()
    flags = classify(estimates, Rules(preset="nchs"))["flag"]
    assert list(flags[estimates["group"] == "B"]) == ["nchs", "nchs"]  # n_eff = 20 < 30
    assert not flags[estimates["group"] == "Totalt"].isin(["nchs"]).any()


def test_formula_text_in_group_labels_is_neutralised_in_the_wave_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from enkat.contrasts import read_contrasts, write_waves
    from tests.test_disclosure import ESTIMATION, _wave_project

    survey, weights, book = _wave_project(tmp_path, monkeypatch)
    data = pd.read_parquet(survey)
    data["office_type"] = data["office_type"].replace({"Litet kontor": '=HYPERLINK("x")'})
    data.to_parquet(survey)
    spec = {"id": "K", "survey": "customers", "item": "HJALP", "by": "office_type"}
    out = tmp_path / "w.csv"
    write_waves(spec, survey, weights, book, ESTIMATION, None, {}, {}, out, None, {})
    text = out.read_text(encoding="utf-8")
    assert ',office_type,"\'=HYPERLINK(""x"")",' in text and ",=HYPERLINK" not in text
    assert '=HYPERLINK("x")' in set(read_contrasts(out)["group"])


@pytest.mark.e2e
def test_a_build_where_every_cell_is_suppressed_completes(built_demo: Path, tmp_path: Path) -> None:
    """min_base above every base: each table, contrast and wave row is '..'; the workbook
    and the report are still built (a hidden base once stopped the report with a bug)."""
    work = _copy(built_demo, tmp_path / "p")
    config = work / "config/config.yaml"
    text = config.read_text(encoding="utf-8")
    assert "  min_base: 5 " in text
    config.write_text(text.replace("  min_base: 5 ", "  min_base: 100000 ", 1), "utf-8")
    result = run_snakemake(work, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in out, out[-3000:]
    for folder, column in (("tables", "n"), ("contrasts", "difference"), ("waves", "difference")):
        for path in (work / "analysis" / folder).glob("*.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            if column in frame.columns:  # (register tables have no suppression)
                assert (frame[column] == "..").all(), path.name
    for name in ("tables.sha256", "report.sha256"):
        assert (work / "output" / name).is_file()


@pytest.mark.parametrize("text", ["", "- project\n- paths\n"])
def test_an_empty_or_list_config_names_the_file(tmp_path: Path, text: str) -> None:
    work = copy_project(tmp_path)
    (work / "config/config.yaml").write_text(text, encoding="utf-8")
    result = run_snakemake(work, "-n", check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "holds no settings" in out and "config/config.yaml" in out
    assert "Traceback" not in out and "WorkflowError" not in out
