"""The Parquet mirror of a weights CSV: the same design as the CSV, the facts it records, and
the table step reading it gives the CSV's bytes (with or without matching the ids)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from enkat import tables
from enkat.design import Design
from enkat.weights_file import CENSUS, SURVEY_SHA256, recorded_facts, write_parquet_mirror
from tests.test_tables import CODEBOOK, SETTINGS

FIXTURES = Path(__file__).parent / "fixtures" / "r"
WEIGHTS = ["respondent_id", "weight", "stratum", "population_size", "psu"]


def fixture(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False, na_values=[""])


def files(tmp: Path, data: pd.DataFrame, survey_rows: pd.DataFrame) -> tuple[Path, Path, Path]:
    """weights.csv from `data`, survey.parquet from `survey_rows`, and the mirror."""
    csv, parquet, survey = tmp / "weights.csv", tmp / "weights.parquet", tmp / "survey.parquet"
    data[WEIGHTS].to_csv(csv, index=False)
    survey_rows.drop(columns=["weight", "psu", "population_size"]).to_parquet(survey)
    write_parquet_mirror(csv, parquet, survey)
    return csv, parquet, survey


def same_design(a: Design, b: Design) -> None:
    for field in ("weights", "stratum", "psu", "psu_stratum", "n_psu"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.fpc is None) == (b.fpc is None)
    if a.fpc is not None:
        np.testing.assert_array_equal(a.fpc, b.fpc)
    assert a.strata_labels == b.strata_labels


@pytest.mark.parametrize(
    ("name", "census"), [("input_census.csv", True), ("input_customers.csv", False)]
)
def test_the_mirror_holds_the_csvs_design_and_records_census(
    name: str, census: bool, tmp_path: Path
) -> None:
    data = fixture(name)
    csv, parquet, survey = files(tmp_path, data, data)
    from_csv, ids = Design.read(csv)
    from_parquet, no_ids = Design.read(parquet, survey)
    same_design(from_csv, from_parquet)
    assert from_csv.one_row_psu is census
    assert no_ids is None  # the survey file is the one the mirror vouches for
    assert list(ids.to_pylist()) == list(data["respondent_id"])
    meta = pq.read_schema(parquet).metadata
    assert meta[CENSUS] == (b"true" if census else b"false")
    assert recorded_facts(parquet, survey) == (census, True)


def test_rows_in_another_order_than_the_survey_are_not_vouched_for(tmp_path: Path) -> None:
    data = fixture("input_customers.csv")
    _, parquet, survey = files(tmp_path, data, data.iloc[::-1])
    assert SURVEY_SHA256 not in pq.read_schema(parquet).metadata
    design, ids = Design.read(parquet, survey)
    assert ids is not None and len(ids) == design.n


def test_a_survey_changed_after_the_weighting_is_matched_by_id(tmp_path: Path) -> None:
    data = fixture("input_customers.csv")
    _, parquet, survey = files(tmp_path, data, data)
    data.drop(columns=["weight", "psu", "population_size"]).iloc[::-1].to_parquet(survey)
    assert recorded_facts(parquet, survey) == (False, False)
    _, ids = Design.read(parquet, survey)
    assert ids is not None


@pytest.mark.parametrize("order", ["same", "reversed"])
def test_a_table_from_the_mirror_has_the_bytes_of_one_from_the_csv(
    order: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tables, "load_codebook", lambda path: CODEBOOK)
    data = fixture("input_census.csv")
    csv, parquet, survey = files(tmp_path, data, data if order == "same" else data.iloc[::-1])
    spec = {"id": "TQ", "survey": "handlers", "item": "QA", "by": "region"}
    out = {}
    for weights in (csv, parquet):
        table, test = tmp_path / f"{weights.suffix}.csv", tmp_path / f"{weights.suffix}_test.csv"
        tables.write_table(
            spec,
            survey,
            weights,
            "codebook.yaml",
            SETTINGS["estimation"],
            SETTINGS["suppression"],
            {},
            table,
            test,
        )
        out[weights.suffix] = (table.read_bytes(), test.read_bytes())
    assert out[".csv"] == out[".parquet"]
