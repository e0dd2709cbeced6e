"""Weighting: classes, collapsing, post-stratification, raking (against R) and trimming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.weighting import collapse_cells, kish, make_weights, rake, trim

FIXTURES = Path(__file__).parent / "fixtures" / "r"
COLLAPSE = {
    "Flexikontor": "Litet kontor",
    "Litet kontor": "Mellanstort kontor",
    "Mellanstort kontor": "Stort kontor",
    "Stort kontor": "Mellanstort kontor",
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    data = pd.read_csv(FIXTURES / "frame_weighting.csv", dtype=str)
    return data.rename(columns={"person_id": "respondent_id"})


def respondents(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["responded"] == "TRUE"].reset_index(drop=True)


def test_classes_collapse_a_small_class_like_r(frame: pd.DataFrame) -> None:
    settings = {
        "method": "classes",
        "classes": ["office_type"],
        "min_respondents": 10,
        "collapse": COLLAPSE,
    }
    result = make_weights(respondents(frame), frame, settings, "handlers")
    r = pd.read_csv(FIXTURES / "weights_collapse.csv", dtype={"respondent_id": str})
    both = r.merge(result.weights, on="respondent_id", suffixes=("_r", ""))
    assert len(both) == len(r) == len(result.weights)
    np.testing.assert_allclose(both["weight"], both["weight_r"], rtol=1e-12)
    assert (both["stratum"] == both["stratum_r"]).all()
    np.testing.assert_allclose(both["population_size"], both["population_size_r"])
    summary = result.summary.set_index("stratum")
    assert summary.loc["Litet kontor + Flexikontor", "collapsed"]
    assert summary.loc["Totalt", "N"] == len(frame)
    assert result.weights["weight"].sum() == pytest.approx(len(frame))


def test_raking_reproduces_r_rake(frame: pd.DataFrame) -> None:
    settings = {
        "method": "rake",
        "margins": ["office_type", "region"],
        "tolerance": 1e-12,
        "max_iterations": 500,
    }
    result = make_weights(respondents(frame), frame, settings, "handlers")
    r = pd.read_csv(FIXTURES / "weights_rake.csv", dtype={"respondent_id": str})
    both = r.merge(result.weights, on="respondent_id", suffixes=("_r", ""))
    assert len(both) == len(r)
    np.testing.assert_allclose(both["weight"], both["weight_r"], rtol=1e-8)
    for margin in ("office_type", "region"):
        resp = respondents(frame).assign(w=result.weights["weight"].to_numpy())
        np.testing.assert_allclose(
            resp.groupby(margin)["w"].sum(), frame.groupby(margin).size(), rtol=1e-10
        )


def test_raking_that_cannot_converge_names_the_margin() -> None:
    codes = np.array([0, 0, 1, 1])
    other = np.array([0, 0, 1, 1])  # the same split with contradicting totals
    with pytest.raises(EnkatError) as err:
        rake(
            np.ones(4),
            [codes, other],
            [np.array([1.0, 3.0]), np.array([3.0, 1.0])],
            ["office_type", "region"],
            max_iterations=20,
        )
    assert "margin" in str(err.value.column)


def test_poststratification_to_visits_per_wave_and_office_type() -> None:
    resp = pd.DataFrame(
        {
            "respondent_id": [f"c{i}" for i in range(40)],
            "wave": ["2019"] * 20 + ["2021"] * 20,
            "office_type": (["Stort kontor"] * 12 + ["Litet kontor"] * 8) * 2,
            "office_id": ["A", "B", "C", "D"] * 10,
        }
    )
    visits = pd.DataFrame(
        {
            "wave": ["2019", "2019", "2019", "2021", "2021", "2021"],
            "office_type": ["Stort kontor", "Litet kontor", "Litet kontor"] * 2,
            "visits": [1000.0, 300.0, 200.0, 900.0, 150.0, 150.0],
        }
    )
    settings = {
        "method": "poststratify",
        "classes": ["wave", "office_type"],
        "psu": "office_id",
        "min_respondents": 10,
        "collapse": {"Litet kontor": "Stort kontor", "Stort kontor": "Litet kontor"},
    }
    result = make_weights(resp, visits, settings, "customers", population_size="visits")
    w = result.weights
    # Litet has 8 < 10 respondents per wave: merged into Stort within the same wave
    assert set(w["stratum"]) == {
        "2019 / Stort kontor + 2019 / Litet kontor",
        "2021 / Stort kontor + 2021 / Litet kontor",
    }
    assert w.groupby("stratum")["weight"].sum().tolist() == pytest.approx([1500.0, 1200.0])
    assert (w["psu"] == resp["office_id"]).all()


def test_collapse_without_neighbour_for_an_empty_class_is_an_error() -> None:
    n = pd.Series({"Stort kontor": 30})
    N = pd.Series({"Stort kontor": 40.0, "Flexikontor": 5.0})
    with pytest.raises(EnkatError):
        collapse_cells(n, N, ["office_type"], {}, 10)


def test_trimming_bounds_weights_and_keeps_the_total() -> None:
    w = np.array([1.0, 1.0, 1.0, 1.0, 10.0, 0.05])
    out, fixed = trim(w, 0.3, 3.0)
    assert out.sum() == pytest.approx(w.sum())
    mean = w.mean()
    assert out.max() <= 3.0 * mean * (1 + 1e-9)
    assert out.min() >= 0.3 * mean * (1 - 1e-9)
    assert fixed[4] and fixed[5]


def test_trim_in_settings_is_applied(frame: pd.DataFrame) -> None:
    settings = {
        "method": "classes",
        "classes": ["office_type"],
        "min_respondents": 1,
        "collapse": {},
        "trim": {"lower": 0.9, "upper": 1.1},
    }
    result = make_weights(respondents(frame), frame, settings, "handlers")
    w = result.weights["weight"]
    assert w.sum() == pytest.approx(len(frame))
    assert w.max() <= 1.1 * w.mean() * (1 + 1e-9)
    assert result.summary["trimmed"].iloc[-1] > 0


def test_kish_design_effect() -> None:
    deff, neff = kish(np.array([1.0, 1.0, 2.0, 2.0]))
    assert deff == pytest.approx(4 * 10 / 36)
    assert neff == pytest.approx(4 / deff)


def test_method_none_gives_equal_weights(frame: pd.DataFrame) -> None:
    result = make_weights(respondents(frame), frame, {"method": "none"}, "handlers")
    w = result.weights["weight"]
    assert np.allclose(w, len(frame) / len(w))
    assert set(result.weights["stratum"]) == {"Alla"}


def test_achieved_margins_hold_after_raking_and_show_what_trimming_moved(
    frame: pd.DataFrame,
) -> None:
    """The margins file states the weighted totals achieved, per margin and category."""
    settings = {
        "method": "rake",
        "margins": ["office_type", "region"],
        "tolerance": 1e-12,
        "max_iterations": 500,
    }
    raked = make_weights(respondents(frame), frame, settings, "handlers").margins
    assert set(raked["margin"]) == {"office_type", "region"}
    assert set(raked.loc[raked["margin"] == "region", "category"]) == set(frame["region"])
    np.testing.assert_allclose(raked["achieved"], raked["target"], rtol=1e-9)
    target = frame.groupby("office_type").size()
    by_type = raked[raked["margin"] == "office_type"].set_index("category")["target"]
    np.testing.assert_allclose(by_type.loc[target.index], target.to_numpy())

    trimmed = make_weights(
        respondents(frame), frame, {**settings, "trim": {"lower": 0.8, "upper": 1.2}}, "handlers"
    ).margins
    assert trimmed["relative_difference"].abs().max() > 1e-3  # trimming moved some totals
    np.testing.assert_allclose(
        trimmed["relative_difference"], trimmed["achieved"] / trimmed["target"] - 1
    )
    # the overall total still holds: trimming redistributes within the total
    per_margin = trimmed.groupby("margin")[["target", "achieved"]].sum()
    np.testing.assert_allclose(per_margin["achieved"], per_margin["target"], rtol=1e-9)


def test_achieved_margins_of_classes_are_the_collapsed_classes(frame: pd.DataFrame) -> None:
    settings = {
        "method": "classes",
        "classes": ["office_type"],
        "min_respondents": 10,
        "collapse": COLLAPSE,
    }
    margins = make_weights(respondents(frame), frame, settings, "handlers").margins
    assert list(margins["margin"].unique()) == ["office_type"]
    assert "Litet kontor + Flexikontor" in set(margins["category"])
    np.testing.assert_allclose(margins["achieved"], margins["target"], rtol=1e-12)
