"""Register analyses: cost per visit (T10/T11), errand solutions (T13), customer response."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.register_tables import (
    REGISTER_COLUMNS,
    _read,
    build_register_table,
    read_register_table,
    write_register_table,
)

OFFICE_TYPES = {"stort": "Stort kontor", "litet": "Litet kontor", "flexikontor": "Flexikontor"}
COSTS = {"stort": 15_300_000, "litet": 3_200_000, "flexikontor": 900_000}


@pytest.fixture
def register() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "office_id": ["K1", "K2", "K3", "K4", "K5", "K6"],
            "office_name": ["Kista", "Malmö City", "Ljusdal", "Åsele", "Flexi A", "Nytt"],
            "region": ["Stockholm och Gotland", "Syd", "Nord", "Nord", "Mitt", "Väst"],
            "area": ["a1", "a2", "a3", "a3", "a4", "a5"],
            "office_type": [
                "Stort kontor",
                "Stort kontor",
                "Litet kontor",
                "Litet kontor",
                "Flexikontor",
                "Litet kontor",
            ],
            "visits": [100_000, 30_000, 16_000, 575, 108, 0],
        }
    )


def value(table: pd.DataFrame, measure: str, row: str, group: str = "") -> float:
    hit = table[(table["measure"] == measure) & (table["row"] == row) & (table["group"] == group)]
    assert len(hit) == 1, (measure, row, group)
    return float(hit["value"].iloc[0])


def test_cost_per_visit_is_standard_cost_over_mean_visits(register: pd.DataFrame) -> None:
    table = build_register_table(
        "T10", "cost_per_visit", {"register": register}, OFFICE_TYPES, COSTS
    )
    assert list(table.columns) == REGISTER_COLUMNS
    assert value(table, "visits_mean", "Stort kontor") == 65_000
    assert value(table, "cost_per_visit", "Stort kontor") == pytest.approx(15_300_000 / 65_000)
    # the zero-visit office counts in the mean of its type
    assert value(table, "visits_mean", "Litet kontor") == pytest.approx((16_000 + 575) / 3)
    total_cost = 2 * 15_300_000 + 3 * 3_200_000 + 900_000
    assert value(table, "cost_per_visit", "Samtliga kontor") == pytest.approx(
        total_cost / register["visits"].sum()
    )
    assert table["row"].drop_duplicates().tolist() == [
        "Stort kontor",
        "Litet kontor",
        "Flexikontor",
        "Samtliga kontor",
    ]


def test_cost_per_visit_range_spans_and_lists_every_office(register: pd.DataFrame) -> None:
    table = build_register_table(
        "T11", "cost_per_visit_range", {"register": register}, OFFICE_TYPES, COSTS
    )
    assert value(table, "cost_per_visit_min", "Litet kontor") == pytest.approx(3_200_000 / 16_000)
    assert value(table, "cost_per_visit_max", "Litet kontor") == pytest.approx(3_200_000 / 575)
    assert value(table, "visits_min", "Litet kontor") == 575
    assert value(table, "offices", "Litet kontor") == 2  # the office without visits is left out
    detail = table[table["block"] == "Per kontor"]
    assert set(detail["row"]) == {"Kista", "Malmö City", "Ljusdal", "Åsele", "Flexi A"}
    assert value(detail, "cost_per_visit", "Åsele", "Litet kontor") == pytest.approx(
        3_200_000 / 575
    )


def test_missing_standard_cost_names_the_type(register: pd.DataFrame) -> None:
    with pytest.raises(EnkatError) as err:
        build_register_table(
            "T10",
            "cost_per_visit",
            {"register": register},
            OFFICE_TYPES,
            {"stort": 1.0, "litet": 1.0},
        )
    assert err.value.value == "flexikontor"


def test_unknown_office_type_is_an_error(register: pd.DataFrame) -> None:
    register.loc[0, "office_type"] = "Jätteklontor"
    with pytest.raises(EnkatError, match="office type"):
        build_register_table("T10", "cost_per_visit", {"register": register}, OFFICE_TYPES, COSTS)


def test_errand_solutions_shares_per_agency() -> None:
    errands = pd.DataFrame(
        {
            "errand_id": [str(i) for i in range(7)],
            "office_id": ["K1"] * 7,
            "agency": ["Skatteverket"] * 4 + ["Arbetsförmedlingen"] * 3,
            "solution": [
                "Digitalt",
                "Digitalt",
                "Verksamhetssystem",
                "Hänvisning",
                "Digitalt",
                "30 000-linjen",
                "30 000-linjen",
            ],
        }
    )
    table = build_register_table("T13", "errand_solutions", {"errands": errands}, OFFICE_TYPES)
    assert value(table, "share", "Digitalt", "Skatteverket") == 0.5
    assert value(table, "share", "Verksamhetssystem", "Arbetsförmedlingen") == 0.0
    assert value(table, "errands", "Totalt", "Arbetsförmedlingen") == 3
    assert table["group"].drop_duplicates().tolist() == ["Arbetsförmedlingen", "Skatteverket"]
    # solutions in order of first appearance, total last
    assert table["row"].drop_duplicates().tolist() == [
        "Digitalt",
        "Verksamhetssystem",
        "Hänvisning",
        "30 000-linjen",
        "Totalt",
    ]


def customer_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    customers = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(6)],
            "office_id": ["K1", "K1", "K1", "K3", "K1", "K3"],
            "wave": ["2019", "2019", "2019", "2019", "2021", "2021"],
            "office_type": ["Stort kontor"] * 3 + ["Litet kontor", "Stort kontor", "Litet kontor"],
        }
    )
    visits = pd.DataFrame(
        {
            "office_id": ["K1", "K3", "K1", "K3"],
            "wave": ["2019", "2019", "2021", "2021"],
            "visits": [300, 100, 50, 25],
            "office_type": ["Stort kontor", "Litet kontor", "Stort kontor", "Litet kontor"],
        }
    )
    return customers, visits


def test_customer_response_rate_relative_to_visits() -> None:
    customers, visits = customer_frames()
    table = build_register_table(
        "KUND_SVAR", "customer_response", {"customers": customers, "visits": visits}, OFFICE_TYPES
    )
    assert value(table, "answers", "Stort kontor", "2019") == 3
    assert value(table, "response_rate", "Stort kontor", "2019") == pytest.approx(3 / 300)
    assert value(table, "response_rate", "Totalt", "2019") == pytest.approx(4 / 400)
    assert value(table, "response_rate", "Totalt", "2021") == pytest.approx(2 / 75)
    assert value(table, "offices", "Totalt", "2021") == 2


def test_customer_response_by_another_register_variable() -> None:
    customers, visits = customer_frames()
    visits["region"] = ["Syd", "Nord", "Syd", "Nord"]
    table = build_register_table(
        "KUND_SVAR",
        "customer_response",
        {"customers": customers, "visits": visits},
        OFFICE_TYPES,
        by="region",
    )
    assert set(table["row_var"]) == {"Region"}
    assert list(dict.fromkeys(table["row"])) == ["Nord", "Syd", "Totalt"]
    assert value(table, "response_rate", "Nord", "2019") == pytest.approx(1 / 100)
    assert value(table, "response_rate", "Syd", "2021") == pytest.approx(1 / 50)
    assert value(table, "response_rate", "Totalt", "2019") == pytest.approx(4 / 400)
    with pytest.raises(EnkatError) as err:
        build_register_table(
            "KUND_SVAR",
            "customer_response",
            {"customers": customers, "visits": visits},
            OFFICE_TYPES,
            by="kommun",
        )
    assert err.value.column == "kommun"
    with pytest.raises(EnkatError):
        build_register_table(
            "T10", "cost_per_visit", {"register": visits}, OFFICE_TYPES, {}, by="region"
        )


def test_answers_from_an_unvisited_office_are_an_error() -> None:
    customers, visits = customer_frames()
    with pytest.raises(EnkatError) as err:
        build_register_table(
            "KUND_SVAR",
            "customer_response",
            {"customers": customers, "visits": visits.iloc[:3]},
            OFFICE_TYPES,
        )
    assert "K3" in str(err.value.value)


def test_csv_round_trip_is_stable(register: pd.DataFrame, tmp_path: Path) -> None:
    parquet = tmp_path / "register.parquet"
    register.to_parquet(parquet)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        write_register_table(
            "T11", "cost_per_visit_range", {"register": parquet}, out, OFFICE_TYPES, COSTS
        )
    assert first.read_bytes() == second.read_bytes()
    back = read_register_table(first)
    assert back["group"].iloc[0] == ""
    assert back["value"].dtype == float


def test_customer_response_from_parquet_reads_four_columns_and_agrees(tmp_path: Path) -> None:
    customers, visits = customer_frames()
    customers["BEMOTANDE"] = "Bra"  # an answer column the analysis must not read
    paths = {"customers": tmp_path / "customers.parquet", "visits": tmp_path / "visits.parquet"}
    customers.to_parquet(paths["customers"])
    visits.to_parquet(paths["visits"])
    out = tmp_path / "KUND_SVAR.csv"
    write_register_table("KUND_SVAR", "customer_response", paths, out, OFFICE_TYPES)
    in_memory = build_register_table(
        "KUND_SVAR", "customer_response", {"customers": customers, "visits": visits}, OFFICE_TYPES
    )
    text = io.StringIO(in_memory.to_csv(index=False, lineterminator="\n"))
    pd.testing.assert_frame_equal(read_register_table(out), read_register_table(text))
    assert set(_read("customers", paths["customers"]).columns) == {
        "respondent_id",
        "office_id",
        "wave",
        "office_type",
    }


def test_an_unvisited_office_names_the_first_such_answer_row() -> None:
    customers, visits = customer_frames()
    with pytest.raises(EnkatError) as err:
        build_register_table(
            "KUND_SVAR",
            "customer_response",
            {"customers": customers.astype("category"), "visits": visits.iloc[:3]},
            OFFICE_TYPES,
        )
    assert err.value.value == "K3 (2021)"
    assert err.value.row == 5 + 2  # the sixth answer; header and 1-based rows


def test_offices_without_answers_do_not_dilute_the_response_rate() -> None:
    """The visits file may list every office; only offices with answers were surveyed."""
    customers, visits = customer_frames()
    unsurveyed = pd.DataFrame(
        {
            "office_id": ["K9", "K8"],
            "wave": ["2019", "2019"],
            "visits": [5000, 700],
            "office_type": ["Stort kontor", "Flexikontor"],
        }
    )
    table = build_register_table(
        "KUND_SVAR",
        "customer_response",
        {"customers": customers, "visits": pd.concat([visits, unsurveyed])},
        OFFICE_TYPES,
    )
    assert value(table, "response_rate", "Stort kontor", "2019") == pytest.approx(3 / 300)
    assert value(table, "offices", "Totalt", "2019") == 2
    assert value(table, "visits", "Totalt", "2019") == 400
    assert "Flexikontor" not in set(table["row"])  # no flexi office was surveyed
