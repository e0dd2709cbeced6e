"""Calibrated weights and their variance equal R's (tests/fixtures/r/make_calibration_fixtures.R).

Each design is weighted by enkat from the fixture's inputs (design strata as sampled, the
weighting separate), then estimated; weights, estimates and standard errors must equal R's
`postStratify` / `rake` / `calibrate` design to 1e-8, CIs, deff and Rao-Scott tests to 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat.calibration import Calibration, calibrate, residuals
from enkat.design import Design, proportions
from enkat.errors import EnkatError
from enkat.tables import TableVariable, estimate_table, write_csv
from enkat.weighting import make_weights
from enkat.weights_file import write_parquet_mirror

FIXTURES = Path(__file__).parent / "fixtures" / "r"
HANDLER_VARS = {"qa": ("Ja", "Nej"), "qb": ("Ofta", "Ibland", "Aldrig")}
CUSTOMER_VARS = {"HJALP": ("Ja", "Delvis", "Nej"), "TID": ("Ja", "Nej")}
TIGHT = {"tolerance": 1e-13, "max_iterations": 1000}

DESIGNS = {
    # name: (survey, settings, variables, by)
    "ps_handlers": (
        "handlers",
        {"method": "poststratify", "classes": ["office_type"], "strata": ["region"]},
        HANDLER_VARS,
        ["region", "alder"],
    ),
    "rake_handlers": (
        "handlers",
        {"method": "rake", "margins": ["office_type", "alder"], "strata": ["office_type"], **TIGHT},
        HANDLER_VARS,
        ["region", "office_type"],
    ),
    "lin_customers": (
        "customers",
        {
            "method": "calibrate",
            "margins": ["wave", "office_type", "region"],
            "strata": ["wave", "office_type"],
            "psu": "office_id",
            "calibration": {"calfun": "linear", "bounds": {"lower": 0.3, "upper": 1.9}},
            **TIGHT,
        },
        CUSTOMER_VARS,
        ["wave", "office_type", "region"],
    ),
    "rak_customers": (
        "customers",
        {
            "method": "calibrate",
            "margins": ["wave", "region"],
            "strata": ["wave", "office_type"],
            "psu": "office_id",
            "calibration": {"calfun": "raking", "bounds": {"lower": 0.5, "upper": 1.2}},
            **TIGHT,
        },
        CUSTOMER_VARS,
        ["wave", "office_type", "region"],
    ),
}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False, na_values=[""])


def inputs(survey: str) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    if survey == "handlers":
        return read("cal_handlers.csv"), read("cal_frame.csv"), None
    visits = read("cal_visits.csv").astype({"visits": float})
    return read("cal_customers.csv"), visits, "visits"


def weighted(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """enkat's weights file for a design, and the respondents with frame variables joined."""
    survey, settings, _, _ = DESIGNS[name]
    resp, population, size = inputs(survey)
    result = make_weights(resp, population, settings, survey, size, f"cal_{survey}")
    data = resp.copy()
    if survey == "handlers":
        frame = population.set_index("person_id")["alder"]
        data["alder"] = data["respondent_id"].map(frame)
    return result.weights, data


@pytest.fixture(scope="module", params=sorted(DESIGNS))
def design_name(request: pytest.FixtureRequest) -> str:
    return request.param


def ours(name: str, ci_method: str = "logit") -> tuple[pd.DataFrame, pd.DataFrame]:
    weights, data = weighted(name)
    design = Design.from_weights(weights)
    _, _, variables, bys = DESIGNS[name]
    tvars = [TableVariable(v, v, cats) for v, cats in variables.items()]
    estimates, tests = [], []
    for by in bys:
        est, test = estimate_table(data, design, tvars, by, None, 0.95, ci_method)
        estimates.append(est)
        tests.append(test)
    est = pd.concat(estimates).drop_duplicates(["variable", "group_var", "group", "category"])
    return est, pd.concat(tests)


def merged(name: str, ci_method: str = "logit") -> pd.DataFrame:
    mine, _ = ours(name, ci_method)
    r = pd.read_csv(
        FIXTURES / f"cal_estimates_{name}.csv",
        dtype={"group": str, "group_var": str},
        keep_default_na=False,
        na_values=[""],
    )
    r["group_var"] = r["group_var"].fillna("")
    keys = ["variable", "group_var", "group", "category"]
    both = r.merge(mine, on=keys, how="left", suffixes=("_r", ""), validate="one_to_one")
    assert len(both) == len(r) > 0
    return both


def test_weights_match_r(design_name: str) -> None:
    weights, _ = weighted(design_name)
    r = read(f"cal_weights_{design_name}.csv").astype({"weight": float})
    both = r.merge(weights, on="respondent_id", suffixes=("_r", ""), validate="one_to_one")
    assert len(both) == len(r) == len(weights)
    np.testing.assert_allclose(both["weight"], both["weight_r"], rtol=1e-9)
    assert weights["calibration"].nunique() == 1
    assert any(c.startswith("cal_") for c in weights.columns)


def test_bounds_are_active_where_set() -> None:
    for name, lower, upper in (("lin_customers", 0.3, 1.9), ("rak_customers", 0.5, 1.2)):
        weights, _ = weighted(name)
        g = weights["weight"] / (weights["weight"].sum() / len(weights))
        assert g.min() >= lower - 1e-9 and g.max() <= upper + 1e-9
        at_bound = np.isclose(g, lower, rtol=1e-9) | np.isclose(g, upper, rtol=1e-9)
        assert at_bound.any()


def test_design_strata_are_separate_from_the_weighting() -> None:
    weights, data = weighted("ps_handlers")
    assert (weights["stratum"].to_numpy() == data["region"].to_numpy()).all()
    assert (weights["cal_cell"].to_numpy() == data["office_type"].to_numpy()).all()
    frame = read("cal_frame.csv")
    sizes = frame["region"].value_counts()
    assert (weights["population_size"].to_numpy() == data["region"].map(sizes).to_numpy()).all()


def test_domains_match_r(design_name: str) -> None:
    both = merged(design_name)
    assert (both["n"] == both["n_r"]).all()
    assert (both["base_n"] == both["base_n_r"]).all()
    assert (both["df"] == both["df_r"]).all()


def test_estimates_and_standard_errors_match_r(design_name: str) -> None:
    both = merged(design_name)
    np.testing.assert_allclose(both["estimate"], both["estimate_r"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(both["se"], both["se_r"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(both["deff"], both["deff_r"], rtol=1e-6, atol=1e-6, equal_nan=True)


def test_calibration_changes_the_standard_errors(design_name: str) -> None:
    """The comparison can fail: the same weights treated as fixed give other SEs."""
    weights, data = weighted(design_name)
    fixed = Design.from_weights(weights.drop(columns=["calibration"]))
    calibrated = Design.from_weights(weights)
    assert fixed.calibration is None and calibrated.calibration is not None
    var = next(iter(DESIGNS[design_name][2].items()))
    codes = pd.Index(var[1]).get_indexer(data[var[0]])
    a = proportions(fixed, codes, len(var[1])).se
    b = proportions(calibrated, codes, len(var[1])).se
    assert np.max(np.abs(a - b)) > 1e-5  # far above the 1e-8 of the comparisons


@pytest.mark.parametrize(
    "method,r_low,r_high",
    [("logit", "ci_low_r", "ci_high_r"), ("beta", "ci_low_beta", "ci_high_beta")],
)
def test_confidence_intervals_match_r(
    design_name: str, method: str, r_low: str, r_high: str
) -> None:
    both = merged(design_name, method)
    inner = both[r_low].notna() & both[r_high].notna() & (both["se_r"] > 0)
    assert inner.sum() > 0
    np.testing.assert_allclose(both.loc[inner, "ci_low"], both.loc[inner, r_low], atol=1e-6)
    np.testing.assert_allclose(both.loc[inner, "ci_high"], both.loc[inner, r_high], atol=1e-6)


def test_rao_scott_matches_svychisq(design_name: str) -> None:
    _, mine = ours(design_name)
    r = pd.read_csv(FIXTURES / f"cal_tests_{design_name}.csv", dtype={"group_var": str})
    r = r.dropna(subset=["statistic"])
    both = r.merge(mine, on=["variable", "group_var"], suffixes=("_r", ""), validate="one_to_one")
    assert len(both) == len(r) > 0
    for col in ("statistic", "ndf", "ddf", "p_value"):
        np.testing.assert_allclose(both[col], both[f"{col}_r"], rtol=1e-6, atol=1e-6)


def test_row_residuals_give_the_same_variance(design_name: str) -> None:
    """`residuals` (the per-row hook for other estimators) agrees with `proportions`."""
    weights, data = weighted(design_name)
    design = Design.from_weights(weights)
    var, cats = next(iter(DESIGNS[design_name][2].items()))
    codes = pd.Index(cats).get_indexer(data[var])
    est = proportions(design, codes, len(cats))
    inside = codes >= 0
    W = design.weights[inside].sum()
    y = (codes[:, None] == np.arange(len(cats))[None, :]).astype(float)
    z = np.where(inside[:, None], design.weights[:, None] * (y - est.estimate[0]) / W, 0.0)
    e = residuals(design, z)
    totals = np.zeros((design.psu_stratum.size, len(cats)))
    np.add.at(totals, design.psu, e)
    v = np.zeros(len(cats))
    scale = design.scale()
    for h in range(design.n_psu.size):
        t = totals[design.psu_stratum == h]
        if len(t) > 1:
            v += scale[h] * ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    np.testing.assert_allclose(v, est.variance[0], rtol=1e-10, atol=1e-14)


def test_the_parquet_mirror_carries_the_calibration(tmp_path: Path) -> None:
    weights, data = weighted("lin_customers")
    write_csv(weights, tmp_path / "w.csv")
    write_parquet_mirror(tmp_path / "w.csv", tmp_path / "w.parquet")
    for path in (tmp_path / "w.csv", tmp_path / "w.parquet"):
        design, _ = Design.read(path)
        assert design.calibration is not None and design.calibration.method == "linear"
        codes = pd.Index(("Ja", "Nej")).get_indexer(data["TID"])
        got = proportions(design, codes, 2).se
        want = proportions(Design.from_weights(weights), codes, 2).se
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_classes_keep_fixed_weight_variance() -> None:
    resp, frame, _ = inputs("handlers")
    settings = {"method": "classes", "classes": ["office_type"]}
    weights = make_weights(resp, frame, settings, "handlers").weights
    assert "calibration" not in weights.columns
    assert Design.from_weights(weights).calibration is None


def test_bounds_that_cannot_be_met_name_the_margin() -> None:
    resp, visits, size = inputs("customers")
    settings = dict(DESIGNS["lin_customers"][1])
    settings["calibration"] = {"calfun": "linear", "bounds": {"lower": 0.9, "upper": 1.1}}
    settings["max_iterations"] = 30
    with pytest.raises(EnkatError) as err:
        make_weights(resp, visits, settings, "customers", size, "cal_visits.csv")
    assert str(err.value.column).startswith("margin ")
    assert str(err.value.column)[7:] in ("wave", "office_type", "region")
    assert "g = w/d between 0.9 and 1.1" in str(err.value.expected)


def test_calibration_without_bounds_is_the_closed_form_greg() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 3, 200), rng.integers(0, 2, 200)
    d = np.full(200, 5.0)
    totals = [np.array([300.0, 400.0, 300.0]), np.array([550.0, 450.0])]
    w = calibrate(d, [a, b], totals, ["a", "b"], "linear")
    X = np.column_stack([np.ones(200), a == 1, a == 2, b == 1]).astype(float)
    T = np.array([1000.0, 400.0, 300.0, 450.0])
    g = 1 + X @ np.linalg.solve(X.T @ (X * d[:, None]), T - X.T @ d)
    np.testing.assert_allclose(w, d * g, rtol=1e-12)
    np.testing.assert_allclose(np.bincount(a, weights=w), totals[0], rtol=1e-10)


def test_unknown_calibration_method_is_an_error() -> None:
    with pytest.raises(EnkatError):
        Calibration.from_columns("logit", {"x": np.array(["a", "b"])})


def test_the_weighting_step_joins_frame_variables(tmp_path: Path) -> None:
    """write_weights reads an age band from the frame file, not the survey file."""
    from enkat.weighting import write_weights

    resp, frame, _ = inputs("handlers")
    resp.to_parquet(tmp_path / "handlers.parquet")
    frame.to_parquet(tmp_path / "frame.parquet")
    settings = {"method": "rake", "margins": ["office_type", "alder"], **TIGHT}
    out = tmp_path / "w.csv"
    write_weights(
        "handlers",
        tmp_path / "handlers.parquet",
        tmp_path / "frame.parquet",
        settings,
        out,
        tmp_path / "summary.csv",
        tmp_path / "w.parquet",
    )
    written = pd.read_csv(out, dtype=str)
    assert list(written.columns)[5:] == ["calibration", "cal_office_type", "cal_alder"]
    ages = frame.set_index("person_id")["alder"]
    assert (written["cal_alder"] == written["respondent_id"].map(ages)).all()
    design, _ = Design.read(tmp_path / "w.parquet", tmp_path / "handlers.parquet")
    assert design.calibration is not None and design.calibration.names == ("office_type", "alder")
    weights = written.astype({"weight": float})
    np.testing.assert_allclose(
        weights.groupby("cal_alder")["weight"].sum(), frame.groupby("alder").size(), rtol=1e-10
    )


def test_config_states_design_and_calibration_separately() -> None:
    import copy

    from enkat.config import check_config, load_yaml
    from enkat.crossref import check_weighting

    root = Path(__file__).resolve().parents[1]
    config = load_yaml(root / "config/config.yaml")
    config = copy.deepcopy(dict(config))
    config["weighting"]["handlers"] = {
        "method": "calibrate",
        "margins": ["office_type", "alder"],
        "strata": ["region"],
        "population": "frame",
        "calibration": {"calfun": "raking", "bounds": {"lower": 0.5, "upper": 2.0}},
    }
    check_config(config)
    check_weighting(config, "config/config.yaml")
    config["weighting"]["handlers"]["calibration"]["calfun"] = "logit"
    with pytest.raises(EnkatError) as err:
        check_config(config)
    assert "calfun" in str(err.value)
    config["weighting"]["handlers"]["calibration"]["calfun"] = "linear"
    config["weighting"]["handlers"]["strata"] = ["kommun"]
    with pytest.raises(EnkatError) as err:
        check_weighting(config, "config/config.yaml")
    assert "kommun" in str(err.value)


def test_contrasts_use_the_calibration_residuals() -> None:
    """A difference of two domains of a calibrated design equals R's (the SE of its
    linearised score as a `svytotal` on the calibrated design)."""
    from enkat.contrasts import difference

    weights, data = weighted("lin_customers")
    design = Design.from_weights(weights)
    codes = pd.Index(["Ja", "Nej"]).get_indexer(data["TID"])
    mitt = (data["region"] == "Mitt").to_numpy()
    r = read("cal_contrasts_lin_customers.csv").astype({"difference": float, "se": float})
    for _, row in r.iterrows():
        diff = difference(design, codes, 2, (data["region"] == row["group"]).to_numpy(), mitt)
        assert diff.difference[0] == pytest.approx(row["difference"], abs=1e-10)
        assert diff.se[0] == pytest.approx(row["se"], abs=1e-10)


def test_trimmed_calibrated_weights_keep_their_model() -> None:
    """Trimming after calibration keeps the calibration columns (the variance then uses the
    trimmed weights' residuals, docs/methods.md) and the weights' total."""
    resp, frame, _ = inputs("handlers")
    settings = {**DESIGNS["rake_handlers"][1], "trim": {"lower": 0.9, "upper": 1.1}}
    weights = make_weights(resp, frame, settings, "handlers").weights
    assert weights["calibration"].iloc[0] == "rake"
    assert weights["weight"].sum() == pytest.approx(len(frame))
    mean = weights["weight"].mean()
    assert weights["weight"].max() <= 1.1 * mean * (1 + 1e-9)
    assert Design.from_weights(weights).calibration is not None
