"""Replicate-weight variance (enkat.replicates) equals R survey's replicate designs.

Fixtures: tests/fixtures/r/make_replicate_fixtures.R (`as.svrepdesign()` / `svrepdesign()` +
`svymean` on `subset()` domains + `svyciprop`). Estimates and SEs to 1e-8, CIs and deff to
1e-6, df exactly. The bootstrap cases use R's replicates (R's random numbers are not numpy's);
enkat's own seeded Rao-Wu generation is checked for its properties below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat.design import Design, proportions
from enkat.errors import EnkatError
from enkat.replicates import (
    Replicates,
    bootstrap,
    brr,
    build_replicates,
    jackknife,
    poststratified,
    read_replicate_weights,
    replicate_proportions,
    replicates_for,
    variance_spec,
)
from enkat.tables import TableVariable, estimate_table

FIXTURES = Path(__file__).parent / "fixtures" / "r"
CENSUS_VARS = {
    "qa": ("Alltid", "Ofta", "Sällan", "Aldrig"),
    "qb": ("Ja", "Nej", "Vet ej"),
    "qc": ("Vald", "Ej vald"),
}
CLUSTERED_VARS = {"y1": ("Ja", "Delvis", "Nej"), "y2": ("Vald", "Ej vald")}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False, na_values=[""])


def r_subboot(design: Design, data: pd.DataFrame) -> Replicates:
    """R's Rao-Wu replicates (one row per PSU label) as factors in the design's PSU order."""
    table = pd.read_csv(FIXTURES / "replicates_subboot.csv", dtype={"psu": str}).set_index("psu")
    factors = np.empty((design.psu_stratum.size, table.shape[1]))
    factors[design.psu] = table.loc[data["psu"]].to_numpy()
    return Replicates("bootstrap", factors, 1 / (table.shape[1] - 1), np.ones(table.shape[1]))


def r_supplied(design: Design, data: pd.DataFrame) -> Replicates:
    spec = {"method": "supplied", "columns": "^rw[0-9]+$", "scale": 1 / 79, "mse": True}
    weights = read_replicate_weights(
        FIXTURES / "repweights_supplied.csv", spec, data["respondent_id"]
    )
    reps = build_replicates(design, spec, weights)
    assert reps is not None
    return reps


CASES: dict[str, tuple[str, dict, list[str], Callable[[Design, pd.DataFrame], Replicates]]] = {
    "census_jkn": (
        "input_census.csv",
        CENSUS_VARS,
        ["region", "office_type"],
        lambda d, _: jackknife(d),
    ),
    "clustered_jk1": (
        "input_clustered.csv",
        CLUSTERED_VARS,
        ["region", "mode"],
        lambda d, _: jackknife(d, stratified=False),
    ),
    "clustered_jkn": (
        "input_clustered.csv",
        CLUSTERED_VARS,
        ["region", "mode"],
        lambda d, _: build_replicates(d, {"method": "jkn"}),
    ),
    "clustered_subboot": ("input_clustered.csv", CLUSTERED_VARS, ["region", "mode"], r_subboot),
    "clustered_supplied": (
        "input_clustered.csv",
        CLUSTERED_VARS,
        ["region", "mode"],
        r_supplied,
    ),
    "poststrat_jkn": (
        "input_poststrat.csv",
        CLUSTERED_VARS,
        ["region", "mode"],
        lambda d, _: poststratified(jackknife(d), d),
    ),
    "poststrat_subboot": (
        "input_poststrat.csv",
        CLUSTERED_VARS,
        ["region", "mode"],
        lambda d, data: poststratified(r_subboot(d, data), d),
    ),
    "paired_brr": (
        "input_paired.csv",
        {"y1": ("Ja", "Delvis", "Nej")},
        ["region"],
        lambda d, _: build_replicates(d, {"method": "brr"}),
    ),
    "paired_fay": (
        "input_paired.csv",
        {"y1": ("Ja", "Delvis", "Nej")},
        ["region"],
        lambda d, _: build_replicates(d, {"method": "fay", "rho": 0.5}),
    ),
}
KEYS = ["variable", "group_var", "group", "category"]


def merged(name: str, ci_method: str) -> pd.DataFrame:
    file, variables, bys, make = CASES[name]
    data = read(file)
    design = Design.from_weights(data)
    reps = make(design, data)
    tvars = [TableVariable(v, v, cats) for v, cats in variables.items()]
    ours = []
    for by in bys:
        est, _ = estimate_table(data, design, tvars, by, None, 0.95, ci_method, replicates=reps)
        ours.append(est)
    mine = pd.concat(ours).drop_duplicates(KEYS)
    # cells whose replicate logits are all finite (R's refitted logit is then exact)
    finite = []
    for var in tvars:
        codes = pd.Index(var.categories).get_indexer(data[var.name].fillna("\0"))
        for by in bys:
            groups, labels = pd.factorize(data[by], sort=True)
            for g, glabels in ((None, ["Totalt"]), (groups, list(labels))):
                est = replicate_proportions(
                    design, reps, codes, len(var.categories), g, len(glabels)
                )
                for gi, gl in enumerate(glabels):
                    for k, cat in enumerate(var.categories):
                        finite.append(
                            (
                                var.name,
                                "" if g is None else by,
                                gl,
                                cat,
                                bool(np.isfinite(est.logit_variance[gi, k])),
                            )
                        )
    fin = pd.DataFrame(finite, columns=[*KEYS, "logit_finite"]).drop_duplicates(KEYS)
    fin.loc[fin["group"] == "Totalt", "group_var"] = ""
    fin = fin.drop_duplicates(KEYS)
    r = pd.read_csv(
        FIXTURES / f"estimates_rep_{name}.csv",
        dtype={"group": str},
        keep_default_na=False,
        na_values=[""],
    )
    r["group_var"] = r["group_var"].fillna("")
    both = r.merge(mine, on=KEYS, how="left", suffixes=("_r", ""), validate="one_to_one")
    both = both.merge(fin, on=KEYS, how="left", validate="one_to_one")
    assert len(both) == len(r) > 0
    return both


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return request.param


def test_estimates_standard_errors_and_df_match_r(case: str) -> None:
    both = merged(case, "logit")
    assert (both["n"] == both["n_r"]).all()
    assert (both["base_n"] == both["base_n_r"]).all()
    np.testing.assert_allclose(both["estimate"], both["estimate_r"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(both["se"], both["se_r"], rtol=0, atol=1e-8)
    assert (both["df"] == both["df_r"]).all(), both.loc[both["df"] != both["df_r"], KEYS]
    np.testing.assert_allclose(both["deff"], both["deff_r"], rtol=1e-6, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize(
    "method,r_low,r_high",
    [("logit", "ci_low_r", "ci_high_r"), ("beta", "ci_low_beta", "ci_high_beta")],
)
def test_confidence_intervals_match_svyciprop(
    case: str, method: str, r_low: str, r_high: str
) -> None:
    both = merged(case, method)
    inner = both[r_low].notna() & both[r_high].notna() & (both["se_r"] > 0)
    if method == "logit":
        # where a replicate estimate is 0 or 1, R's refitted logit does not converge
        inner &= both["logit_finite"]
    assert inner.sum() > 0
    np.testing.assert_allclose(both.loc[inner, "ci_low"], both.loc[inner, r_low], atol=1e-6)
    np.testing.assert_allclose(both.loc[inner, "ci_high"], both.loc[inner, r_high], atol=1e-6)


def test_rao_scott_matches_svychisq_on_the_replicate_design(case: str) -> None:
    file, variables, bys, make = CASES[case]
    data = read(file)
    design = Design.from_weights(data)
    reps = make(design, data)
    tvars = [TableVariable(v, v, cats) for v, cats in variables.items()]
    mine = pd.concat(
        estimate_table(data, design, tvars, by, None, 0.95, "logit", replicates=reps)[1]
        for by in bys
    )
    r = pd.read_csv(FIXTURES / f"tests_rep_{case}.csv").dropna(subset=["statistic"])
    both = r.merge(mine, on=["variable", "group_var"], suffixes=("_r", ""), validate="one_to_one")
    assert len(both) == len(r) > 0
    for col in ("statistic", "ndf", "ddf", "p_value"):
        np.testing.assert_allclose(both[col], both[f"{col}_r"], rtol=1e-6, atol=1e-6)
    taylor = pd.concat(estimate_table(data, design, tvars, by)[1] for by in bys)
    assert not np.allclose(taylor["statistic"], mine["statistic"], rtol=1e-6)


# --- enkat's own replicates -------------------------------------------------------------------


def clustered() -> tuple[Design, pd.DataFrame]:
    data = read("input_clustered.csv")
    return Design.from_weights(data), data


def test_bootstrap_is_reproducible_and_seeded() -> None:
    design, _ = clustered()
    a = bootstrap(design, 80, 2022)
    b = bootstrap(design, 80, 2022)
    c = bootstrap(design, 80, 2023)
    assert np.array_equal(a.factors, b.factors)
    assert not np.array_equal(a.factors, c.factors)
    assert a.factors.shape == (design.psu_stratum.size, 80)
    assert a.scale == pytest.approx(1 / 79)


def test_rao_wu_factors_resample_n_minus_one_psus_per_stratum() -> None:
    design, _ = clustered()
    reps = bootstrap(design, 200, 7)
    n_h = design.n_psu[design.psu_stratum][:, None]
    draws = reps.factors * (n_h - 1) / n_h  # times each PSU was drawn
    np.testing.assert_allclose(draws, np.round(draws), atol=1e-12)
    per_stratum = np.zeros((design.n_psu.size, 200))
    np.add.at(per_stratum, design.psu_stratum, draws)
    np.testing.assert_allclose(per_stratum, np.repeat((design.n_psu - 1)[:, None], 200, axis=1))
    # every stratum's factors sum to n_h: the replicate weights keep the stratum totals on average
    sums = np.zeros((design.n_psu.size, 200))
    np.add.at(sums, design.psu_stratum, reps.factors)
    np.testing.assert_allclose(sums, np.repeat(design.n_psu[:, None], 200, axis=1).astype(float))


def test_rao_wu_mean_factor_is_one_and_variance_near_taylor() -> None:
    design, data = clustered()
    reps = bootstrap(design, 4000, 11)
    assert abs(reps.factors.mean() - 1) < 0.01
    codes = pd.Index(CLUSTERED_VARS["y2"]).get_indexer(data["y2"])
    boot = replicate_proportions(design, reps, codes, 2)
    taylor = proportions(design, codes, 2)
    # E(bootstrap variance) is the with-replacement (Taylor) variance; 4000 replicates: a few %
    np.testing.assert_allclose(boot.se, taylor.se, rtol=0.06)
    np.testing.assert_allclose(boot.estimate, taylor.estimate, atol=0, rtol=0)


def test_rao_wu_with_fpc_shrinks_and_a_census_stratum_does_not_vary() -> None:
    data = read("input_census.csv")
    design = Design.from_weights(data)
    reps = bootstrap(design, 50, 3)
    flexi = design.strata_labels.index("Flexikontor")
    assert np.all(reps.factors[design.psu_stratum == flexi] == 1.0)
    assert np.all(reps.factors[design.psu_stratum != flexi].std(axis=1) > 0)


def test_brr_is_balanced_so_a_total_has_the_taylor_variance() -> None:
    data = read("input_paired.csv")
    design = Design.from_weights(data)
    reps = brr(design)
    H = design.n_psu.size
    assert reps.n_replicates == 8 and H == 6
    # full orthogonal balance: the BRR variance of a linear total is the Taylor variance
    psu_totals = np.bincount(design.psu, weights=design.weights)
    total_r = reps.factors.T @ psu_totals
    brr_var = reps.scale * ((total_r - psu_totals.sum()) ** 2).sum()
    pairs = psu_totals.reshape(H, 2)
    assert brr_var == pytest.approx(((pairs[:, 0] - pairs[:, 1]) ** 2).sum(), rel=1e-12)


def test_brr_needs_two_psus_per_stratum() -> None:
    design, _ = clustered()
    with pytest.raises(EnkatError, match="exactly two PSUs") as err:
        brr(design)
    assert "S2" in str(err.value) and "3 PSUs" in str(err.value)


def test_jackknife_and_bootstrap_refuse_a_lonely_psu() -> None:
    data = read("input_customers.csv")
    design = Design.from_weights(data)
    for make in (lambda: jackknife(design), lambda: bootstrap(design, 10, 1)):
        with pytest.raises(EnkatError, match="only one PSU") as err:
            make()
        assert "2021 / Litet kontor" in str(err.value)


def test_variance_spec_from_config() -> None:
    estimation = {
        "variance": {
            "customers": {"method": "bootstrap", "replicates": 80, "seed": 1},
            "handlers": "jkn",
        }
    }
    assert variance_spec(estimation, "customers")["replicates"] == 80
    assert variance_spec(estimation, "handlers") == {"method": "jkn"}
    assert variance_spec({}, "handlers") == {"method": "taylor"}
    assert (
        build_replicates(Design.from_weights(read("input_paired.csv")), {"method": "taylor"})
        is None
    )
    with pytest.raises(EnkatError, match="unknown variance method"):
        variance_spec({"variance": {"handlers": "wald"}}, "handlers")


def test_supplied_weights_must_cover_every_respondent(tmp_path: Path) -> None:
    rw = pd.read_csv(FIXTURES / "repweights_supplied.csv", dtype=str).iloc[1:]
    path = tmp_path / "rw.csv"
    rw.to_csv(path, index=False)
    ids = read("input_clustered.csv")["respondent_id"]
    with pytest.raises(EnkatError, match="no replicate weights") as err:
        read_replicate_weights(path, {"columns": "^rw"}, ids)
    assert "K0001" in str(err.value)


def test_pipeline_hook_reads_supplied_weights_by_respondent_id(tmp_path: Path) -> None:
    design, data = clustered()
    rw = pd.read_csv(FIXTURES / "repweights_supplied.csv", dtype=str)
    path = tmp_path / "rw.csv"
    rw.iloc[::-1].to_csv(path, index=False)  # another row order than the design's
    spec = {
        "method": "supplied",
        "file": str(path),
        "columns": "^rw[0-9]+$",
        "scale": 1 / 79,
        "mse": True,
    }
    reps = replicates_for(
        {"variance": {"customers": spec}},
        "customers",
        design,
        respondent_ids=list(data["respondent_id"]),
    )
    assert reps is not None and reps.mse and reps.n_replicates == 80
    np.testing.assert_allclose(reps.factors, r_supplied(design, data).factors, rtol=1e-15)
    assert replicates_for({}, "customers", design) is None


def test_sparse_psu_totals_give_the_dense_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many PSU x cell combinations (a large census) take the sparse path: same numbers."""
    import enkat.replicates as module

    data = read("input_census.csv")
    design = Design.from_weights(data)
    reps = jackknife(design)
    codes = pd.Index(CENSUS_VARS["qa"]).get_indexer(data["qa"].fillna("\0"))
    groups, labels = pd.factorize(data["region"], sort=True)
    dense = replicate_proportions(design, reps, codes, 4, groups, len(labels))
    monkeypatch.setattr(module, "DENSE_CELLS", 0)
    sparse = replicate_proportions(design, reps, codes, 4, groups, len(labels))
    for field in ("estimate", "variance", "logit_variance", "df", "deff"):
        np.testing.assert_allclose(
            getattr(sparse, field), getattr(dense, field), rtol=1e-12, atol=1e-15
        )


def test_post_stratified_replicates_differ_and_raked_weights_are_refused() -> None:
    data = read("input_poststrat.csv")
    design = Design.from_weights(data)
    spec = {"variance": {"customers": "jkn"}}
    reps = replicates_for(spec, "customers", design)
    assert reps is not None and reps.unit_of_row is not None
    codes = pd.Index(CLUSTERED_VARS["y1"]).get_indexer(data["y1"].fillna("\0"))
    post = replicate_proportions(design, reps, codes, 3)
    fixed = replicate_proportions(design, jackknife(design), codes, 3)
    assert not np.allclose(post.se, fixed.se, rtol=1e-3)
    raked = data.assign(calibration="rake", cal_mode=data["mode"])
    with pytest.raises(EnkatError, match="not available for calibrated weights") as err:
        replicates_for(spec, "customers", Design.from_weights(raked))
    assert "rake" in str(err.value)
