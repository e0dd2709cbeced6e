"""The codebook model: the API others use, and the mapping of answers to labels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enkat.codebook import CHOSEN, NOT_CHOSEN, load_codebook, map_answers
from enkat.errors import EnkatError
from enkat.ingest.problems import Problems
from tests.test_ingest import CODEBOOK, Project

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_codebook(Project(tmp_path).root / "handlers.yaml")


def test_variables_follow_the_contract(book) -> None:  # type: ignore[no-untyped-def]
    names = [v.name for v in book.variables()]
    assert names == [
        "DIST",
        "T01",
        "PILOT",
        "T03_skv",
        "T03_mv",
        "T04_ssc",
        "T04_kollegor",
        "T04_ingen",
    ]
    grid = book.variables("T03")[1]
    assert (grid.label, grid.type, grid.item) == ("Migrationsverket", "grid", "T03")
    assert grid.categories == ("Instämmer helt", "Instämmer delvis", "Instämmer inte")
    assert grid.not_in_base == ("Har inte fått någon",)
    multiple = book.variables("T04")[0]
    assert multiple.categories == (CHOSEN, NOT_CHOSEN) and multiple.label == "SSC"
    assert book.item("T01").filter.values == ("Givarkontor",)


def test_unknown_item_is_an_enkat_error(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(EnkatError, match="no such item") as info:
        book.variables("T4")
    assert "T04" in info.value.hint


@pytest.mark.parametrize("survey", ["handlers", "customers"])
def test_demo_codebooks_load(survey: str) -> None:
    path = ROOT / "config" / "codebooks" / f"{survey}.yaml"
    if not path.exists():
        pytest.skip("demo codebook not generated")
    assert load_codebook(path).variables()


def test_mapping_codes_labels_nonresponse_and_filters(book) -> None:  # type: ignore[no-untyped-def]
    raw = pd.DataFrame(
        {
            "q_dist": ["1", "Mottagarkontor", "3"],
            "q1": ["2", None, None],
            "q_pilot": ["1", "2", "99"],
            "q3_skv": ["1", "Instämmer inte", " "],
            "q3_mv": ["4", None, None],
            "q4_ssc": ["1", "0", None],
            "q4_kollegor": ["SSC", "1", None],
            "q4_ingen": ["0", "0", None],
            "fritext": ["x", None, None],
        },
        index=pd.Index([2, 3, 4], name="row"),
        dtype="string",
    )
    raw.loc[2, "q4_kollegor"] = "0"
    problems = Problems("f.csv")
    out = map_answers(book, raw, problems)
    assert not problems
    assert out["DIST"].tolist() == ["Givarkontor", "Mottagarkontor", "Varken eller"]
    assert out["T01"].tolist()[0] == "Nej" and out["T01"].isna().tolist()[1:] == [True, True]
    assert out["PILOT"].isna().tolist() == [False, False, True]
    assert out["T03_skv"].tolist()[:2] == ["Instämmer helt", "Instämmer inte"]
    assert out["T03_mv"].tolist()[0] == "Har inte fått någon"
    assert out["T04_ssc"].tolist()[:2] == [CHOSEN, NOT_CHOSEN] and out["T04_ssc"].isna()[4]


def test_unknown_codes_are_collected_not_raised(book) -> None:  # type: ignore[no-untyped-def]
    raw = pd.DataFrame(
        {c: ["1", "1"] for c in book.columns()}, index=pd.Index([2, 3]), dtype="string"
    )
    raw["q_dist"] = ["5", "5"]
    problems = Problems("f.csv")
    map_answers(book, raw, problems)
    table = problems.frame()
    dist = table[table["column"] == "q_dist"]
    assert dist["row"].tolist() == [2, 3] and dist["value"].tolist() == ["5", "5"]
    assert "too many options chosen in T04" in set(table["reason"])


def test_codebook_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cb.yaml"
    path.write_text("survey: handlers\nitems: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        load_codebook(path)
    assert info.value.row is not None


def test_single_without_column(tmp_path: Path) -> None:
    project = Project(tmp_path)
    book = {
        **CODEBOOK,
        "items": [
            {"id": "A", "type": "single", "text": "?", "options": [{"code": 1, "label": "Ja"}]}
        ],
    }
    with pytest.raises(EnkatError, match="needs column"):
        load_codebook(project.codebook(book, "handlers"))
