"""Cross-references between config, catalogue and codebooks are caught before any job runs."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from enkat.codebook import load_codebook
from enkat.config import load_config, load_tables
from enkat.crossref import check_references
from enkat.errors import EnkatError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo():
    config = load_config(ROOT / "config" / "config.yaml")
    catalogue = load_tables(ROOT / "config" / "tables.yaml")
    books = {
        s: load_codebook(ROOT / config["sources"][s]["codebook"]) for s in ("handlers", "customers")
    }
    return config, catalogue, books


def _table(catalogue, table_id):
    return next(t for t in catalogue["tables"] if t["id"] == table_id)


def _raises(config, catalogue, books) -> EnkatError:
    with pytest.raises(EnkatError) as info:
        check_references(config, catalogue, books)
    return info.value


def test_demo_config_has_no_broken_reference(demo):
    check_references(*demo)


def test_by_variable_that_is_no_column(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), copy.deepcopy(demo[1]), demo[2]
    _table(catalogue, "T12_region")["by"] = "regoin"
    err = _raises(config, catalogue, books)
    assert err.key.endswith("(T12_region).by")
    assert err.value == "regoin"
    assert "'region'" in err.expected
    assert "region" in err.hint  # the close match is suggested


def test_filter_column_and_filter_value(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), copy.deepcopy(demo[1]), demo[2]
    _table(catalogue, "KUND_HJALP_TYP")["filter"] = {"vag": ["2021"]}
    err = _raises(config, catalogue, books)
    assert "filter" in err.key and err.value == "vag"
    assert "'wave'" in err.expected

    _table(catalogue, "KUND_HJALP_TYP")["filter"] = {"office_type": ["Stort kontr"]}
    err = _raises(config, catalogue, books)
    assert err.value == "Stort kontr"
    assert "'Stort kontor'" in err.expected and "Stort kontor" in err.hint


def test_item_and_variables_of_a_table(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), copy.deepcopy(demo[1]), demo[2]
    _table(catalogue, "T05")["item"] = "T55"
    err = _raises(config, catalogue, books)
    assert err.key.endswith("(T05).item") and "'T05'" in err.expected


def test_collapse_key_and_neighbour_name_a_class(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    collapse = config["weighting"]["handlers"]["collapse"]
    collapse["Flexkontor"] = collapse.pop("Flexikontor")
    err = _raises(config, catalogue, books)
    assert err.key == "weighting.handlers.collapse.Flexkontor"
    assert "'Flexikontor'" in err.expected and "Flexikontor" in err.hint

    config = copy.deepcopy(demo[0])
    config["weighting"]["handlers"]["collapse"]["Litet kontor"] = "Mellanstor kontor"
    err = _raises(config, catalogue, books)
    assert "neighbour" in err.message and err.value == "Mellanstor kontor"


def test_weighting_class_that_is_no_column(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    config["weighting"]["handlers"]["classes"] = ["office_typ"]
    err = _raises(config, catalogue, books)
    assert err.key == "weighting.handlers.classes" and "'office_type'" in err.expected


def test_frame_variables_are_weighting_columns_of_handlers_only(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    config["weighting"]["handlers"]["classes"] = ["office_type", "alder"]
    config["weighting"]["handlers"]["collapse"] = {}
    check_references(config, catalogue, books)
    config["weighting"]["customers"]["classes"] = ["wave", "alder"]
    config["weighting"]["customers"]["collapse"] = {}
    err = _raises(config, catalogue, books)
    assert err.key == "weighting.customers.classes" and err.value == "alder"


def test_nonresponse_breakdown_names_a_frame_column(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    config["nonresponse"] = {"handlers": {"by": ["office_type", "alder", "kommun"]}}
    err = _raises(config, catalogue, books)
    assert err.key == "nonresponse.handlers.by" and err.value == "kommun"
    assert "'alder'" in err.expected and "'area'" in err.expected  # frame and register columns
    config["nonresponse"]["handlers"]["by"] = ["area", "alder"]
    check_references(config, catalogue, books)


def test_finding_table_variable_and_category(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    config["report"]["findings"] = [{"table": "T99", "category": "Ja"}]
    err = _raises(config, catalogue, books)
    assert err.key == "report.findings[0].table" and "'T01'" in err.expected

    config["report"]["findings"] = [{"table": "T03", "variable": "T03_xx", "category": "Ja"}]
    err = _raises(config, catalogue, books)
    assert err.key == "report.findings[0].variable" and "'T03_mv'" in err.expected

    config["report"]["findings"] = [{"table": "T12", "category": "Det är ofta mycket att göra"}]
    err = _raises(config, catalogue, books)
    assert err.key == "report.findings[0].category"
    assert "Det är ofta för mycket att göra" in err.hint


def test_free_text_names_a_text_item(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    config["report"]["free_text"] = ["T05"]
    err = _raises(config, catalogue, books)
    assert err.key == "report.free_text[0]"


def test_snakemake_stops_before_any_job(tmp_path):
    """A misspelt `by:` stops `snakemake -n` with the key and the allowed values."""
    tables = yaml.safe_load((ROOT / "config" / "tables.yaml").read_text(encoding="utf-8"))
    next(t for t in tables["tables"] if t["id"] == "T12_region")["by"] = "regoin"
    broken = tmp_path / "tables.yaml"
    broken.write_text(yaml.safe_dump(tables, allow_unicode=True), encoding="utf-8")
    snakemake = Path(sys.executable).with_name("snakemake")
    result = subprocess.run(
        [str(snakemake), "-n", "--config", f"paths={{'tables': '{broken}'}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "regoin" in result.stderr and "did you mean 'region'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_answer_hint_points_nonresponse_text_to_the_nonresponse_list():
    """A label export's 'Vet ej' must go in `nonresponse`, not in the options (issue 17)."""
    import pandas as pd

    from enkat.codebook import map_answers
    from enkat.ingest.problems import Problems

    book = load_codebook(ROOT / "config" / "codebooks" / "customers.yaml")
    item = book.item("HJALP")
    data = pd.DataFrame({c: ["1"] for c in book.columns()})
    data[str(item.column)] = ["Vet ej"]
    problems = Problems("kund.csv")
    map_answers(book, data, problems)
    hints = " ".join(str(h) for h in problems.frame()["hint"])
    assert "nonresponse list" in hints and "not as an option" in hints


def test_register_table_by(demo):
    config, catalogue, books = copy.deepcopy(demo[0]), copy.deepcopy(demo[1]), demo[2]
    _table(catalogue, "KUND_SVAR")["by"] = "regon"
    err = _raises(config, catalogue, books)
    assert err.key.endswith("(KUND_SVAR).by") and "'region'" in err.expected
    _table(catalogue, "KUND_SVAR")["by"] = "region"
    check_references(config, catalogue, books)
    _table(catalogue, "T10")["by"] = "region"
    err = _raises(config, catalogue, books)
    assert err.key.endswith("(T10).by")


# --- report.narrative: the auditors' chapter files (issue 17.5) ------------------------------


def _narrative(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "kapitel"
    folder.mkdir()
    for name in names:
        (folder / name).write_text("# Titel\n\nText.\n", encoding="utf-8")
    return folder


def test_narrative_folder_of_another_audit(demo, tmp_path):
    """A folder of its own passes when it has every text section's file (result chapters'
    files are optional); a section without its file stops the run at validation."""
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    folder = _narrative(tmp_path, ["sammanfattning.md", "inledning.md", "stod.md"])
    config["report"]["narrative"] = str(folder)
    err = _raises(config, catalogue, books)
    assert err.message == "a report section has no narrative file"
    sections = config["report"]["sections"]
    assert err.key == f"report.sections[{sections.index('slutsatser')}]"
    assert err.value == "slutsatser" and err.file == str(folder / "slutsatser.md")
    (folder / "slutsatser.md").write_text("# Slutsatser\n", encoding="utf-8")
    check_references(config, catalogue, books)


def test_misnamed_narrative_file_names_the_allowed_files(demo, tmp_path):
    config, catalogue, books = copy.deepcopy(demo[0]), demo[1], demo[2]
    names = ["sammanfattning.md", "inledning.md", "slutsatser.md", "arbetsatt.md"]
    config["report"]["narrative"] = str(_narrative(tmp_path, names))
    err = _raises(config, catalogue, books)
    assert err.message == "a narrative file names no report section or result chapter"
    assert err.key == "report.narrative" and err.value == "arbetsatt.md"
    assert "'arbetssatt.md'" in err.expected and "did you mean 'arbetssatt.md'" in err.hint


def test_narrative_folder_that_does_not_exist(demo, tmp_path):
    from enkat.config import check_paths

    config = copy.deepcopy(demo[0])
    config["report"]["narrative"] = str(tmp_path / "kaptiel")
    with pytest.raises(EnkatError) as info:
        check_paths(config)
    assert info.value.key == "report.narrative" and "does not exist" in info.value.message
