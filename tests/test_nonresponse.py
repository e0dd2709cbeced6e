"""Nonresponse: rates, chi-square, R-indicators and customer responses per visit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from enkat.nonresponse import (
    customer_response,
    independence_tests,
    partial_categories,
    propensities,
    r_indicators,
    response_indicator,
    response_rates,
)

FIXTURES = Path(__file__).parent / "fixtures" / "r"


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = pd.read_csv(FIXTURES / "frame_weighting.csv", dtype=str)
    rng = np.random.default_rng(5)
    data["office_id"] = "K" + pd.Series(rng.integers(0, 40, len(data))).astype(str)
    data["alder"] = rng.integers(20, 65, len(data))
    return data


def responders(frame: pd.DataFrame) -> pd.DataFrame:
    resp = frame[frame["responded"] == "TRUE"]
    return resp.rename(columns={"person_id": "respondent_id"})[["respondent_id", "office_id"]]


def test_rates_and_test_of_independence(frame: pd.DataFrame) -> None:
    responded, link = response_indicator(frame, responders(frame))
    assert link == "person"
    rates = response_rates(
        frame,
        responded,
        ["office_type", "region"],
        {"office_type": ["Stort kontor", "Mellanstort kontor"]},
    )
    block = rates[rates["variable"] == "office_type"]
    assert list(block["group"])[:2] == ["Stort kontor", "Mellanstort kontor"]
    assert block["N"].sum() == len(frame)
    total = rates[rates["group"] == "Totalt"].iloc[0]
    assert total["n"] == (frame["responded"] == "TRUE").sum()
    tests = independence_tests(rates).set_index("variable")
    table = pd.crosstab(frame["office_type"], frame["responded"])
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    assert tests.loc["office_type", "statistic"] == pytest.approx(chi2)
    assert 0 < tests.loc["office_type", "cramers_v"] < 1


def test_unlinked_ids_fall_back_to_offices(frame: pd.DataFrame) -> None:
    resp = responders(frame).assign(respondent_id=lambda d: "x" + d["respondent_id"])
    responded, link = response_indicator(frame, resp)
    assert link == "office"
    per_office = pd.Series(responded).groupby(frame["office_id"].to_numpy()).sum()
    assert (
        per_office.to_dict()
        == resp["office_id"].value_counts().reindex(per_office.index, fill_value=0).to_dict()
    )


def test_r_indicator_and_partials(frame: pd.DataFrame) -> None:
    responded, _ = response_indicator(frame, responders(frame))
    variables = ["office_type", "region", "alder"]
    rho = propensities(frame, responded, variables)
    assert rho.mean() == pytest.approx(responded.mean(), rel=1e-6)  # logit score equations
    out = r_indicators(rho, partial_categories(frame, variables))
    value = dict(
        zip(out["indicator"] + out["variable"] + out["category"], out["value"], strict=True)
    )
    assert value["R"] == pytest.approx(1 - 2 * np.std(rho, ddof=1))
    parts = out[(out["indicator"] == "partial_unconditional") & (out["variable"] == "office_type")]
    total, cats = parts.iloc[0]["value"], parts.iloc[1:]["value"]
    assert total == pytest.approx(np.sqrt((cats**2).sum()))
    assert set(out.loc[out["variable"] == "alder", "category"]) - {""}  # quartile bands
    assert value["partial_conditionaloffice_type"] > 0


def test_customer_responses_per_visit() -> None:
    customers = pd.DataFrame(
        {
            "respondent_id": list("abcdef"),
            "office_id": ["A", "A", "B", "C", "C", "C"],
            "wave": ["2019"] * 3 + ["2021"] * 3,
            "office_type": ["Stort kontor", "Stort kontor", "Litet kontor"] + ["Litet kontor"] * 3,
        }
    )
    visits = pd.DataFrame(
        {
            "office_id": ["A", "B", "C", "A", "B", "C"],
            "wave": ["2019"] * 3 + ["2021"] * 3,
            "visits": [100.0, 50.0, 30.0, 90.0, 40.0, 20.0],
            "office_type": ["Stort kontor", "Litet kontor", "Litet kontor"] * 2,
        }
    )
    orders = {"office_type": ["Stort kontor", "Litet kontor"]}
    out = customer_response(customers, visits, ["office_type"], orders)
    row = out[(out["wave"] == "2019") & (out["group"] == "Litet kontor")].iloc[0]
    assert (row["variable"], row["n"], row["visits"], row["visits_all_offices"]) == (
        "office_type",
        1,
        50.0,
        80.0,
    )
    total = out[(out["wave"] == "2021") & (out["group"] == "Totalt")].iloc[0]
    assert total["responses_per_visit"] == pytest.approx(3 / 20)
    # a group with no office surveyed in a wave (Stort kontor, 2021) has no row there
    assert out["group"].tolist() == [
        "Stort kontor",
        "Litet kontor",
        "Totalt",
        "Litet kontor",
        "Totalt",
    ]


def test_customer_response_by_any_register_variable() -> None:
    """Config `nonresponse.customers.by` names any register variable joined to the visits:
    each gets its block per wave, with the respondents placed by their office's value."""
    customers = pd.DataFrame(
        {"office_id": ["A", "A", "B", "C", "C", "C"], "wave": ["2021"] * 6}
    )
    visits = pd.DataFrame(
        {
            "office_id": ["A", "B", "C", "D"],
            "wave": ["2021"] * 4,
            "visits": [100.0, 50.0, 30.0, 70.0],
            "office_type": ["Stort kontor", "Litet kontor", "Litet kontor", "Stort kontor"],
            "region": ["Syd", "Nord", "Syd", "Nord"],
        }
    )
    out = customer_response(customers, visits, ["office_type", "region"], {"region": ["Syd"]})
    region = out[out["variable"] == "region"].set_index("group")
    assert region.index.tolist() == ["Syd", "Nord"]  # config order first, then sorted
    assert region.loc["Syd", ["offices", "visits", "visits_all_offices", "n"]].tolist() == [
        2,
        130.0,
        130.0,
        5,
    ]
    assert region.loc["Nord", "responses_per_visit"] == pytest.approx(1 / 50)
    assert region.loc["Nord", "visits_all_offices"] == 120.0
    # every block adds up to the wave's total
    total = out[out["group"] == "Totalt"].iloc[0]
    for _, block in out[out["variable"] != ""].groupby("variable"):
        assert block["n"].sum() == total["n"] == 6
