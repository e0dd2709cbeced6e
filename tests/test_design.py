"""Design internals: the three ways of summing PSU totals agree; domains; CI edge rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat import design as design_module
from enkat.design import Design, confidence_interval, proportions
from enkat.errors import EnkatError
from enkat.raoscott import rao_scott

FIXTURES = Path(__file__).parent / "fixtures" / "r"


def customers() -> pd.DataFrame:
    return pd.read_csv(
        FIXTURES / "input_customers.csv", dtype=str, keep_default_na=False, na_values=[""]
    )


def codes_of(data: pd.DataFrame, column: str, cats: list[str]) -> np.ndarray:
    return pd.Index(cats).get_indexer(data[column].fillna("<NA>"))


def test_dense_and_hashed_psu_totals_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    data = customers()
    d = Design.from_weights(data)
    k = codes_of(data, "HJALP", ["Ja", "Delvis", "Nej"])
    g = codes_of(data, "mode", ["Papper", "QR"])
    dense = proportions(d, k, 3, g, 2)
    monkeypatch.setattr(design_module, "DENSE_CELLS", 0)
    hashed = proportions(d, k, 3, g, 2)
    np.testing.assert_allclose(hashed.variance, dense.variance, rtol=1e-10)
    np.testing.assert_array_equal(hashed.df, dense.df)
    assert (dense.se > 0).all()


def test_a_census_as_clusters_of_one_equals_the_census() -> None:
    data = pd.read_csv(
        FIXTURES / "input_census.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    census = Design.from_weights(data)
    clusters = Design.build(
        data["weight"].astype(float),
        data["stratum"],
        data["psu"],
        data["population_size"].astype(float),
    )
    assert census.one_row_psu
    k = codes_of(data, "qa", ["Alltid", "Ofta", "Sällan", "Aldrig"])
    g = codes_of(data, "region", ["Nord", "Mitt", "Syd", "Öst"])
    a, b = proportions(census, k, 4, g, 4), proportions(clusters, k, 4, g, 4)
    np.testing.assert_allclose(a.variance, b.variance, rtol=1e-10)
    ra, rb = rao_scott(census, k, g), rao_scott(clusters, k, g)
    assert ra.statistic == pytest.approx(rb.statistic, rel=1e-10)


def test_domains_keep_the_whole_design() -> None:
    """A domain's SE uses every PSU of its strata (zeros outside), unlike a new design."""
    data = pd.read_csv(
        FIXTURES / "input_census.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    d = Design.from_weights(data)
    k = codes_of(data, "qb", ["Ja", "Nej"])
    g = codes_of(data, "region", ["Nord", "Mitt"])
    est = proportions(d, k, 2, g, 2)
    inside = g == 0
    alone = Design.from_weights(data[inside])
    own = proportions(alone, k[inside], 2)
    assert est.estimate[0, 0] == pytest.approx(own.estimate[0, 0])
    assert est.se[0, 0] != pytest.approx(own.se[0, 0], rel=1e-6)


def test_ci_at_zero_and_one_is_clopper_pearson_with_the_domain_n() -> None:
    p = np.array([0.0, 1.0])
    low, high = confidence_interval(p, np.zeros(2), np.array([40, 40]), np.array([39, 39]))
    assert low[0] == 0 and high[1] == 1
    assert high[0] == pytest.approx(1 - 0.025 ** (1 / 40), rel=1e-6)
    assert low[1] == pytest.approx(0.025 ** (1 / 40), rel=1e-6)
    _, bhigh = confidence_interval(
        p, np.zeros(2), np.array([40, 40]), np.array([39, 39]), method="beta"
    )
    assert bhigh[0] == pytest.approx(1 - 0.025 ** (1 / 40), rel=1e-9)


def test_ci_without_degrees_of_freedom_is_missing() -> None:
    low, high = confidence_interval(np.array([0.4]), np.array([0.01]), np.array([3]), np.array([0]))
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_bad_weights_and_fpc_are_errors() -> None:
    with pytest.raises(EnkatError):
        Design.build(np.array([1.0, -1.0]), np.array(["a", "a"]))
    with pytest.raises(EnkatError):
        Design.build(np.array([1.0, 1.0]), np.array(["a", "a"]), None, np.array([1.0, 1.0]))
