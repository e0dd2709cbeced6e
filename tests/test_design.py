"""Design internals: all and compacted units agree; census as clusters; domains; CI edge rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat import domain_totals
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


def test_all_units_and_compacted_units_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above DENSE_CELLS the array keeps only the units with a row in the base."""
    data = customers()
    d = Design.from_weights(data)
    k = codes_of(data, "HJALP", ["Ja", "Delvis", "Nej"])
    g = codes_of(data, "mode", ["Papper", "QR"])
    dense = proportions(d, k, 3, g, 2)
    monkeypatch.setattr(domain_totals, "DENSE_CELLS", 0)
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


def test_quantiles_are_scipy_stats_bit_for_bit() -> None:
    """design/raoscott call scipy.special directly (scipy.stats is slow to import)."""
    from scipy import stats

    from enkat.design import beta_ppf, t_ppf
    from enkat.raoscott import f_sf

    rng = np.random.default_rng(7)
    df = np.concatenate([[np.nan, -1.0, 0.0, 0.5, 1.0, 2.0, 1e6], rng.uniform(0.1, 5000, 500)])
    for q in (0.025, 0.975, 0.005):
        np.testing.assert_array_equal(t_ppf(q, df), stats.t.ppf(q, df))
    a = np.concatenate([[np.nan, 0.0, -1.0, 1.0, 2.0, np.inf], rng.lognormal(2, 2, 500)])
    b = np.concatenate([[1.0, 1.0, 1.0, 0.0, np.inf, 3.0], rng.lognormal(2, 2, 500)])
    for q in (0.025, 0.975):
        np.testing.assert_array_equal(beta_ppf(q, a, b), stats.beta.ppf(q, a, b))
    for x, d1, d2 in [(0.0, 2, 3), (-1.0, 2, 3), (np.inf, 2, 3), (np.nan, 2, 3), (1.0, 0, 3)]:
        np.testing.assert_array_equal(f_sf(x, d1, d2), stats.f.sf(x, d1, d2))
    for x, d1, d2 in zip(
        rng.lognormal(0, 2, 300), rng.uniform(0.2, 40, 300), rng.uniform(1, 4000, 300), strict=True
    ):
        assert f_sf(x, d1, d2) == stats.f.sf(x, d1, d2)
