"""enkat's estimates, CIs and tests equal R survey's (tests/fixtures/r/make_fixtures.R).

Estimates and standard errors to 1e-8, CI bounds, deff, F, degrees of freedom and p to 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat.design import Design
from enkat.tables import TableVariable, estimate_table

FIXTURES = Path(__file__).parent / "fixtures" / "r"

DESIGNS = {
    # name: (input file, variables, by variables, filter)
    "census": (
        "input_census.csv",
        {
            "qa": ("Alltid", "Ofta", "Sällan", "Aldrig"),
            "qb": ("Ja", "Nej", "Vet ej"),
            "qc": ("Vald", "Ej vald"),
        },
        ["region", "office_type"],
        None,
    ),
    "customers": (
        "input_customers.csv",
        {"HJALP": ("Ja", "Delvis", "Nej"), "TID": ("Ja", "Delvis", "Nej")},
        ["wave", "mode", "office_type"],
        None,
    ),
    "customers2021": (
        "input_customers.csv",
        {"HJALP": ("Ja", "Delvis", "Nej")},
        ["office_type"],
        {"wave": ["2021"]},
    ),
    "raked": ("weights_rake.csv", {"qa": ("Ja", "Nej")}, ["region"], None),
}
if (FIXTURES / "demo_input.csv").is_file() and (FIXTURES / "estimates_demo.csv").is_file():
    _spec = pd.read_csv(FIXTURES / "demo_spec.csv", dtype=str)
    DESIGNS["demo"] = (
        "demo_input.csv",
        {v: tuple(g["category"]) for v, g in _spec.groupby("variable", sort=False)},
        ["office_type", "region"],
        None,
    )


def ours(name: str, ci_method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    file, variables, bys, spec_filter = DESIGNS[name]
    data = pd.read_csv(FIXTURES / file, dtype=str, keep_default_na=False, na_values=[""])
    design = Design.from_weights(data)
    tvars = [TableVariable(v, v, cats) for v, cats in variables.items()]
    estimates, tests = [], []
    for by in bys:
        est, test = estimate_table(data, design, tvars, by, spec_filter, 0.95, ci_method)
        estimates.append(est)
        tests.append(test)
    est = pd.concat(estimates).drop_duplicates(["variable", "group_var", "group", "category"])
    return est, pd.concat(tests)


def theirs(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    est = pd.read_csv(
        FIXTURES / f"estimates_{name}.csv",
        dtype={"group": str, "group_var": str},
        keep_default_na=False,
        na_values=[""],
    )
    est["group_var"] = est["group_var"].fillna("")
    tests = pd.read_csv(FIXTURES / f"tests_{name}.csv", dtype={"group_var": str})
    return est, tests


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def design_name(request: pytest.FixtureRequest) -> str:
    return request.param


def merged(name: str, ci_method: str = "logit") -> pd.DataFrame:
    mine, _ = ours(name, ci_method)
    r, _ = theirs(name)
    keys = ["variable", "group_var", "group", "category"]
    both = r.merge(mine, on=keys, how="left", suffixes=("_r", ""), validate="one_to_one")
    assert len(both) == len(r)
    return both


def test_every_domain_of_r_is_estimated(design_name: str) -> None:
    both = merged(design_name)
    assert both["estimate"].notna().all()
    assert (both["n"] == both["n_r"]).all()
    assert (both["base_n"] == both["base_n_r"]).all()
    assert (both["df"] == both["df_r"]).all()


def test_estimates_and_standard_errors_match_r(design_name: str) -> None:
    both = merged(design_name)
    np.testing.assert_allclose(both["estimate"], both["estimate_r"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(both["se"], both["se_r"], rtol=0, atol=1e-8)


def test_design_effects_match_r(design_name: str) -> None:
    both = merged(design_name)
    np.testing.assert_allclose(both["deff"], both["deff_r"], rtol=1e-6, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize(
    "method,r_low,r_high",
    [("logit", "ci_low_r", "ci_high_r"), ("beta", "ci_low_beta", "ci_high_beta")],
)
def test_confidence_intervals_match_svyciprop(
    design_name: str, method: str, r_low: str, r_high: str
) -> None:
    both = merged(design_name, method)
    # R gives no interval at 0 or 1; with zero variance its beta interval is [0.5, 0.5];
    # in a domain of 2-3 respondents (df = 1) its logit interval breaks down to [0, NaN]
    inner = both[r_low].notna() & both[r_high].notna() & (both["se_r"] > 0)
    assert inner.sum() > 0
    np.testing.assert_allclose(both.loc[inner, "ci_low"], both.loc[inner, r_low], atol=1e-6)
    np.testing.assert_allclose(both.loc[inner, "ci_high"], both.loc[inner, r_high], atol=1e-6)


def test_rao_scott_matches_svychisq(design_name: str) -> None:
    _, mine = ours(design_name, "logit")
    _, r = theirs(design_name)
    r = r.dropna(subset=["statistic"])  # R's svychisq stops on a singular covariance there
    both = r.merge(mine, on=["variable", "group_var"], suffixes=("_r", ""), validate="one_to_one")
    assert len(both) == len(r) > 0
    for col in ("statistic", "ndf", "ddf", "p_value"):
        np.testing.assert_allclose(both[col], both[f"{col}_r"], rtol=1e-6, atol=1e-6)


def test_zero_variance_inside_gives_the_estimate_as_interval() -> None:
    both = merged("census", "beta")
    exact = (both["se_r"] == 0) & (both["estimate"] > 0) & (both["estimate"] < 1)
    assert exact.any()
    assert (both.loc[exact, "ci_low"] == both.loc[exact, "estimate"]).all()
    assert (both.loc[exact, "ci_high"] == both.loc[exact, "estimate"]).all()
