"""Catalogue expansion and the long table step (write_table) on a small survey."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat import tables
from enkat.errors import EnkatError
from enkat.tables import TABLE_COLUMNS, TEST_COLUMNS, TableVariable, category_codes, expand

FIXTURES = Path(__file__).parent / "fixtures" / "r"


@dataclass(frozen=True)
class Var:
    name: str
    item: str
    label: str
    categories: tuple[str, ...]
    not_in_base: tuple[str, ...] = ()
    question: str = "?"
    type: str = "grid"


class FakeCodebook:
    """Stands in for enkat.codebook.Codebook (only `variables` is used)."""

    def __init__(self, variables: list[Var]) -> None:
        self._vars = variables

    def variables(self, item_id: str | None = None) -> list[Var]:
        found = [v for v in self._vars if item_id is None or v.item == item_id]
        if item_id is not None and not found:
            raise KeyError(item_id)
        return found


CODEBOOK = FakeCodebook(
    [
        Var("qa", "QA", "Fråga A", ("Alltid", "Ofta", "Sällan", "Aldrig")),
        Var("qb", "QB", "Fråga B", ("Ja", "Nej", "Vet ej"), ("Kan inte svara",)),
        Var("qc", "QC", "Vald", ("Vald", "Ej vald")),
    ]
)
SETTINGS = {
    "estimation": {"confidence_level": 0.95, "ci_method": "logit", "test_level": 0.05},
    "suppression": {"min_base": 5, "min_group": 10},
}


@pytest.fixture()
def survey(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    data = pd.read_csv(
        FIXTURES / "input_census.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    data["qb"] = data["qb"].where(data.index % 7 != 0, "Kan inte svara")  # shown, not in base
    weights = data[["respondent_id", "weight", "stratum", "population_size", "psu"]]
    weights.to_csv(tmp_path / "weights.csv", index=False)
    data.drop(columns=["weight", "psu", "population_size"]).iloc[::-1].to_parquet(
        tmp_path / "survey.parquet"
    )  # another row order than the weights
    monkeypatch.setattr(tables, "load_codebook", lambda path: CODEBOOK)
    return tmp_path / "survey.parquet", tmp_path / "weights.csv"


def run(spec: dict, survey: tuple[Path, Path], tmp: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    out, test = tmp / "t.csv", tmp / "tests.csv"
    tables.write_table(
        spec,
        survey[0],
        survey[1],
        "codebook.yaml",
        SETTINGS["estimation"],
        SETTINGS["suppression"],
        {"region": ["Syd", "Nord"]},
        out,
        test if spec.get("by") else None,
    )
    read = pd.read_csv(out, dtype={"group": str}, keep_default_na=False, na_values=["", ".."])
    return read, (pd.read_csv(test) if spec.get("by") else pd.DataFrame())


def test_a_by_table_has_exactly_the_columns_totals_and_groups(survey, tmp_path) -> None:
    spec = {"id": "TQ", "survey": "handlers", "item": "QA", "by": "region"}
    table, test = run(spec, survey, tmp_path)
    assert list(table.columns) == TABLE_COLUMNS
    assert list(test.columns) == TEST_COLUMNS
    groups = list(dict.fromkeys(table["group"]))
    assert groups[:3] == ["Totalt", "Syd", "Nord"]  # configured order first
    total = table[table["group"] == "Totalt"]
    assert total["estimate"].sum() == pytest.approx(1.0)
    assert (total["group_var"].isna()).all()
    assert (table.loc[table["group"] != "Totalt", "group_var"] == "region").all()
    small = table[table["group"] == "Öst"]
    assert small["suppressed"].all()  # fewer than min_group respondents
    assert test.loc[0, "p_value"] < 1


def test_categories_outside_the_base_are_not_rows(survey, tmp_path) -> None:
    spec = {"id": "TB", "survey": "handlers", "item": "QB"}
    table, _ = run(spec, survey, tmp_path)
    assert list(table["category"]) == ["Ja", "Nej", "Vet ej"]
    assert table.loc[2, "n"] == 0 and table.loc[2, "estimate"] == 0
    assert table.loc[2, "ci_low"] == 0 and 0 < table.loc[2, "ci_high"] < 0.05
    assert table["base_n"].iloc[0] < 488


def test_a_filter_restricts_every_domain(survey, tmp_path) -> None:
    spec = {"id": "TF", "survey": "handlers", "item": "QA", "filter": {"region": ["Nord"]}}
    table, _ = run(spec, survey, tmp_path)
    full = pd.read_csv(FIXTURES / "estimates_census.csv", dtype={"group": str})
    r = full[(full["variable"] == "qa") & (full["group"] == "Nord")]
    np.testing.assert_allclose(table["estimate"], r["estimate"], atol=1e-12)
    np.testing.assert_allclose(table["se"], r["se"], atol=1e-12)


def test_the_same_inputs_give_the_same_bytes(survey, tmp_path) -> None:
    spec = {"id": "TQ", "survey": "handlers", "item": "QA", "by": "office_type"}
    run(spec, survey, tmp_path)
    first = (tmp_path / "t.csv").read_bytes()
    run(spec, survey, tmp_path)
    assert (tmp_path / "t.csv").read_bytes() == first


def test_expand_an_item_and_named_variables() -> None:
    assert [v.name for v in expand({"item": "QA"}, CODEBOOK)] == ["qa"]
    data = pd.DataFrame({"mode": ["QR", "Papper", None]})
    got = expand({"variables": ["qb", "mode"]}, CODEBOOK, data)
    assert got[1] == TableVariable("mode", "mode", ("Papper", "QR"))
    with pytest.raises(EnkatError):
        expand({"id": "X", "item": "NOPE"}, CODEBOOK)
    with pytest.raises(EnkatError):
        expand({"id": "X", "variables": ["nope"]}, CODEBOOK, data)


def test_an_unknown_answer_is_an_error_naming_the_row() -> None:
    values = pd.Series(["Ja", None, "Kanske"], name="qb")
    with pytest.raises(EnkatError) as err:
        category_codes(values, ("Ja", "Nej"))
    assert err.value.row == 3 and err.value.column == "qb"
    assert list(category_codes(values, ("Ja", "Nej"), ("Kanske",))) == [0, -1, -1]


def test_weights_for_other_respondents_are_an_error(survey, tmp_path) -> None:
    weights = pd.read_csv(survey[1], dtype=str).iloc[1:]
    weights.to_csv(survey[1], index=False)
    with pytest.raises(EnkatError):
        run({"id": "TQ", "survey": "handlers", "item": "QA"}, survey, tmp_path)
