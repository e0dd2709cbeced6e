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
    out = customer_response(customers, visits, ["Stort kontor", "Litet kontor"])
    row = out[(out["wave"] == "2019") & (out["office_type"] == "Litet kontor")].iloc[0]
    assert (row["n"], row["visits"], row["visits_all_offices"]) == (1, 50.0, 80.0)
    total = out[(out["wave"] == "2021") & (out["office_type"] == "Totalt")].iloc[0]
    assert total["responses_per_visit"] == pytest.approx(3 / 20)
