"""Replicate-weight variance: jackknife (JK1, JKn), Rao-Wu bootstrap, BRR/Fay, supplied weights.

Modelled on R's `survey`: `as.svrepdesign()` builds the replicates of a design, `svrepdesign()`
reads replicate weights delivered with the data, and `svymean` / `svyby` / `svyciprop` on the
replicate design give the estimates, variances and intervals. The full-sample estimate is the
design's; only the variance (and the degrees of freedom) come from the replicates.

Replicates are held as *factors*, one row per PSU (or per respondent for supplied weights):
replicate weight = weight x factor. A replicate's domain totals are the factor matrix times
the PSU x (group, category) weight totals - one pass over the data plus a small matrix
product - never a respondents x replicates weight matrix when the replicates are PSU-level.
See docs/methods.md for the formulas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from enkat.design import (
    DENSE_CELLS,
    Design,
    Proportions,
    confidence_interval,
    domain_estimates,
    t_ppf,
)
from enkat.domain_totals import domain_totals
from enkat.errors import EnkatError

METHODS = ("taylor", "jk1", "jkn", "bootstrap", "brr", "fay", "supplied")
MAX_FACTOR_CELLS = 50_000_000  # PSUs x replicates held as float64 (400 MB)
RANK_TOL = 1e-5  # relative tolerance of the rank behind the df (R: qr(..., tol = 1e-5))


@dataclass(frozen=True)
class Replicates:
    """Replicate factors of a design and the constants of `svrVar`.

    variance = scale * sum_r rscales_r * (theta_r - centre)^2, centre the mean of the
    replicates (mse False) or the full-sample estimate (mse True).
    """

    method: str
    factors: np.ndarray  # (U, R): U PSUs of the design, or its rows when row_level
    scale: float
    rscales: np.ndarray  # (R,)
    mse: bool = False
    row_level: bool = False
    jk_stratum: np.ndarray | None = None  # (U,) jackknife stratum, -1: PSU without replicates
    unit_of_row: np.ndarray | None = None  # (n,) factor row of each design row, if not its PSU
    _ranks: dict[bytes, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_replicates(self) -> int:
        return int(self.factors.shape[1])

    def degf(self, units: np.ndarray) -> int:
        """R's `degf()` of the domain holding these PSUs (rows): rank of its replicate
        weights minus one. Jackknife: exact from the structure (no matrix); else numerical."""
        units = np.asarray(units, dtype=np.int64)
        if units.size == 0:
            return -1
        if self.jk_stratum is not None:
            return _jackknife_rank(self.jk_stratum, units) - 1
        key = units.tobytes()  # the domains of a table mostly share their PSUs: rank once
        if key not in self._ranks:
            self._ranks[key] = _rank(self.factors[units])
        return self._ranks[key] - 1


def _jackknife_rank(jk_stratum: np.ndarray, units: np.ndarray) -> int:
    """Rank of the jackknife factor rows of `units`.

    Within a replicated stratum h (n_h PSUs) the rows are 1 + M_h with M_h 1 = 0; the rows of
    a stratum sum to n_h times the all-ones row, so the only dependencies among the rows are
    whole strata (one less than their number) and the all-ones row of unreplicated PSUs
    (fully enumerated strata), which whole strata already span.
    """
    h = jk_stratum[units]
    replicated = h >= 0
    d = int(replicated.sum())
    strata_sizes = np.bincount(jk_stratum[jk_stratum >= 0])
    inside = np.bincount(h[replicated], minlength=strata_sizes.size)
    full = int(((inside == strata_sizes) & (strata_sizes > 0)).sum())
    ones_row = bool((~replicated).any())
    return d - max(0, full - 1) + (1 if ones_row and full == 0 else 0)


def _rank(x: np.ndarray) -> int:
    """Numerical rank with a relative tolerance (distinct rows; Gram matrix when tall)."""
    if x.shape[0] == 0 or x.shape[1] == 0:
        return 0
    if x.shape[0] > 2 * x.shape[1]:
        eig = np.linalg.eigvalsh(x.T @ x)
        top = eig.max()
        return int((eig > top * RANK_TOL**2).sum()) if top > 0 else 0
    s = np.linalg.svd(x, compute_uv=False)
    return int((s > s[0] * RANK_TOL).sum()) if s[0] > 0 else 0


# --- Building replicates -------------------------------------------------------------------


def _sampled_fraction_left(design: Design) -> np.ndarray:
    """Per stratum 1 - n_h/N_h (1 without fpc): the finite population correction."""
    n_h = design.n_psu.astype(float)
    if design.fpc is None:
        return np.ones_like(n_h)
    return (design.fpc - n_h) / design.fpc


def _check_size(design: Design, replicates: int, method: str) -> None:
    cells = design.psu_stratum.size * replicates
    if cells > MAX_FACTOR_CELLS:
        raise EnkatError(
            "too many replicates for the design",
            key="estimation.variance",
            value=f"{method}: {design.psu_stratum.size} PSUs x {replicates} replicates",
            expected=f"at most {MAX_FACTOR_CELLS} PSU-replicate cells",
            hint="use bootstrap with fewer replicates, or taylor",
        )


def jackknife(design: Design, stratified: bool = True) -> Replicates:
    """Delete-one-PSU jackknife: JKn within strata (`as.svrepdesign(type="JKn")`) or JK1 over
    the whole sample, ignoring strata and fpc (`type="JK1"` of `svydesign(ids=~psu)`).

    Replicate (h, j) drops PSU j of stratum h and multiplies the other PSUs of h by
    n_h / (n_h - 1); rscales = (1 - f_h)(n_h - 1)/n_h. A fully enumerated stratum
    (f_h = 0) gets no replicates, as with R's `survey.drop.replicates`.
    """
    C = design.psu_stratum.size
    if stratified:
        h = design.psu_stratum
        n_h = design.n_psu.astype(float)
        f = _sampled_fraction_left(design)
        labels = design.strata_labels
    else:
        h = np.zeros(C, dtype=np.int64)
        n_h = np.array([float(C)])
        f = np.ones(1)
        labels = ("(all)",)
    lonely = (n_h < 2) & (f > 0)
    if lonely.any():
        s = int(np.flatnonzero(lonely)[0])
        raise EnkatError(
            "a stratum has only one PSU: the jackknife cannot drop it",
            key="estimation.variance",
            value=labels[s],
            expected="at least two PSUs in every stratum that is not fully enumerated",
            hint="combine the stratum with another in the weighting, or use taylor",
        )
    replicated = f[h] > 0
    rep_psus = np.flatnonzero(replicated)
    if rep_psus.size == 0:
        raise EnkatError(
            "every stratum is fully enumerated: there is no sampling variance to replicate",
            key="estimation.variance",
            value="jkn" if stratified else "jk1",
            expected="a design with a sampled stratum",
        )
    _check_size(design, rep_psus.size, "jackknife")
    a = n_h / np.where(n_h > 1, n_h - 1, 1)
    same = h[:, None] == h[rep_psus][None, :]
    factors = np.where(same, a[h][:, None], 1.0)
    factors[rep_psus, np.arange(rep_psus.size)] = 0.0
    s = h[rep_psus]
    rscales = f[s] * (n_h[s] - 1) / n_h[s]
    jk = np.where(replicated, h, -1)
    return Replicates("jkn" if stratified else "jk1", factors, 1.0, rscales, jk_stratum=jk)


def bootstrap(design: Design, replicates: int, seed: int) -> Replicates:
    """Rao-Wu (1988) rescaled bootstrap, m_h = n_h - 1 PSUs drawn with replacement per stratum.

    factor = 1 - lam_h + lam_h * n_h/(n_h - 1) * (times drawn), lam_h = sqrt(1 - f_h), so
    every factor has mean 1; scale = 1/(R - 1). Without fpc this is R's
    `as.svrepdesign(type="subbootstrap")`. Seeded numpy generator: the same seed gives the
    same replicates on every machine.
    """
    if replicates < 2:
        raise EnkatError(
            "the bootstrap needs at least two replicates",
            key="estimation.variance.replicates",
            value=replicates,
            expected="an integer of at least 2",
        )
    _check_size(design, replicates, "bootstrap")
    f = _sampled_fraction_left(design)
    lonely = (design.n_psu < 2) & (f > 0)
    if lonely.any():
        s = int(np.flatnonzero(lonely)[0])
        raise EnkatError(
            "a stratum has only one PSU: the bootstrap cannot resample it",
            key="estimation.variance",
            value=design.strata_labels[s],
            expected="at least two PSUs in every stratum that is not fully enumerated",
            hint="combine the stratum with another in the weighting, or use taylor",
        )
    rng = np.random.default_rng(seed)
    factors = np.ones((design.psu_stratum.size, replicates))
    order = np.argsort(design.psu_stratum, kind="stable")
    starts = np.concatenate([[0], np.cumsum(design.n_psu)])
    for s in range(design.n_psu.size):
        n = int(design.n_psu[s])
        psus = order[starts[s] : starts[s + 1]]
        if f[s] <= 0 or n < 2:
            continue
        draws = rng.integers(0, n, size=(replicates, n - 1))
        draws += np.arange(replicates)[:, None] * n
        counts = np.bincount(draws.ravel(), minlength=replicates * n).reshape(replicates, n)
        lam = np.sqrt(f[s])
        factors[psus] = 1 - lam + lam * n / (n - 1) * counts.T
    return Replicates("bootstrap", factors, 1.0 / (replicates - 1), np.ones(replicates))


def sylvester(order: int) -> np.ndarray:
    """The Sylvester Hadamard matrix of the smallest power-of-two order >= `order`."""
    h = np.ones((1, 1))
    while h.shape[0] < order:
        h = np.block([[h, h], [h, -h]])
    return h


def brr(design: Design, rho: float = 0.0) -> Replicates:
    """Balanced repeated replication (Fay's variant for rho > 0) for two PSUs per stratum.

    Half-samples from the rows 2..H+1 of a Sylvester Hadamard matrix (R: `as.svrepdesign(
    type="BRR"|"Fay", hadamard.matrix=)`): where the entry of stratum h is +1 the first PSU
    (in label order) gets factor rho and the second 2 - rho, else the reverse;
    scale = 1/(R (1 - rho)^2). The fpc is not used (as in R).
    """
    wrong = design.n_psu != 2
    if wrong.any():
        s = int(np.flatnonzero(wrong)[0])
        raise EnkatError(
            "BRR and Fay need exactly two PSUs in every stratum",
            key="estimation.variance",
            value=f"stratum {design.strata_labels[s]!r} has {int(design.n_psu[s])} PSUs",
            expected="two PSUs per stratum",
            hint="use jkn or bootstrap for this design",
        )
    if not 0 <= rho < 1:
        raise EnkatError(
            "Fay's rho must be at least 0 and below 1",
            key="estimation.variance.rho",
            value=rho,
            expected="0 <= rho < 1",
        )
    H = design.n_psu.size
    had = sylvester(H + 1)
    R = had.shape[1]
    _check_size(design, R, "brr")
    order = np.argsort(design.psu_stratum, kind="stable")
    first, second = order[0::2], order[1::2]
    plus = had[1 : H + 1] > 0  # (H, R)
    factors = np.empty((design.psu_stratum.size, R))
    factors[first] = np.where(plus, rho, 2 - rho)
    factors[second] = np.where(plus, 2 - rho, rho)
    return Replicates("fay" if rho > 0 else "brr", factors, 1.0 / (R * (1 - rho) ** 2), np.ones(R))


def supplied(
    design: Design,
    weights: np.ndarray,
    scale: float,
    rscales: float | Sequence[float] = 1.0,
    mse: bool = False,
    combined_weights: bool = True,
    source: str = "replicate weights",
) -> Replicates:
    """Replicate weights delivered with the data, one row per respondent in design order
    (R `svrepdesign(repweights=, scale=, rscales=, mse=, combined.weights=)`)."""
    rw = np.asarray(weights, dtype=float)
    if rw.ndim != 2 or rw.shape[0] != design.n or rw.shape[1] < 2:
        raise EnkatError(
            "the replicate weights do not fit the design",
            file=source,
            value=f"{rw.shape}",
            expected=f"{design.n} rows and at least two replicate columns",
        )
    bad = ~np.isfinite(rw)
    if bad.any():
        row, col = (int(x) for x in np.argwhere(bad)[0])
        raise EnkatError(
            "a replicate weight is missing or not a number",
            file=source,
            row=row + 1,
            value=f"replicate {col + 1}",
            expected="a number in every replicate column",
        )
    r = np.broadcast_to(np.asarray(rscales, dtype=float), (rw.shape[1],)).copy()
    factors = rw / design.weights[:, None] if combined_weights else rw
    return Replicates("supplied", factors, float(scale), r, bool(mse), row_level=True)


def poststratified(reps: Replicates, design: Design) -> Replicates:
    """The replicates of a post-stratified design, each replicate post-stratified again
    (R `postStratify()` of the replicate design): replicate weight
    w_i a_ir N_c / sum_{j in c} w_j a_jr, N_c the post-stratum's total of the calibrated
    weights w. Factor rows become (PSU, post-stratum) pairs; the df is the numerical rank.
    """
    cal = design.calibration
    if cal is None or cal.method != "poststratify" or len(cal.codes) != 1:
        raise EnkatError(
            "replicate variance is not available for calibrated weights",
            key="estimation.variance",
            value=getattr(cal, "method", None),
            expected="post-stratified or uncalibrated weights, or taylor",
        )
    c = np.asarray(cal.codes[0], dtype=np.int64)
    L = int(cal.levels[0])
    unit = np.arange(design.n) if reps.row_level else design.psu
    pairs, unit_of_row = np.unique(unit * L + c, return_inverse=True)
    totals = np.bincount(unit_of_row, weights=design.weights, minlength=pairs.size)
    u, h = pairs // L, pairs % L
    population = np.bincount(h, weights=totals, minlength=L)  # (L,)
    replicate = np.zeros((L, reps.n_replicates))
    np.add.at(replicate, h, reps.factors[u] * totals[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = population[:, None] / replicate  # (L, R)
    factors = reps.factors[u] * ratio[h]
    return Replicates(
        reps.method,
        factors,
        reps.scale,
        reps.rscales,
        reps.mse,
        unit_of_row=unit_of_row.astype(np.int64),
    )


# --- Estimation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicateProportions(Proportions):
    """Proportions with replicate variances; `logit_variance` is that of logit(p) over the
    replicates (R's `svyciprop(method="logit")` refits the logit per replicate), NaN where a
    replicate estimate is 0 or 1."""

    logit_variance: np.ndarray


def _svr_var(theta: np.ndarray, ok: np.ndarray, full: np.ndarray, reps: Replicates) -> np.ndarray:
    """`svrVar` per cell: theta (R, G, K), ok (R, G) replicates with a defined estimate."""
    rs = reps.rscales[:, None, None]
    okk = np.broadcast_to(ok[:, :, None], theta.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        if reps.mse:
            centre = full
        else:
            use = okk & (rs > 0)
            centre = np.where(use, theta, 0.0).sum(axis=0) / use.sum(axis=0)
        dev = np.where(okk, theta - centre[None], 0.0)
        v = reps.scale * (rs * dev * dev).sum(axis=0)
    return np.where(okk.any(axis=0), v, np.nan)


def replicate_proportions(
    design: Design,
    reps: Replicates,
    codes: np.ndarray,
    n_categories: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> ReplicateProportions:
    """`svymean` of a factor per domain on the replicate design (`svyby` semantics, domains
    as `subset()`), with the same estimates as `proportions` and replicate variances."""
    k_all = np.asarray(codes, dtype=np.int64)
    g_all = np.zeros_like(k_all) if groups is None else np.asarray(groups, dtype=np.int64)
    keep = (k_all >= 0) & (g_all >= 0)
    w = design.weights[keep]
    g = g_all[keep]
    K, G = n_categories, n_groups
    GK = G * K
    gk = g * K + k_all[keep]
    # the full-sample estimates are the design's (Taylor's, from the same unit array)
    X, N, _ = domain_totals(design, codes, K, groups, G).block(total=groups is None)
    p, n, base_n, W = domain_estimates(X, N)

    if reps.unit_of_row is not None:
        unit = reps.unit_of_row[keep]
    else:
        unit = np.flatnonzero(keep) if reps.row_level else design.psu[keep]
    U, R = reps.factors.shape
    if U * GK <= DENSE_CELLS:
        A = np.bincount(unit * GK + gk, weights=w, minlength=U * GK).reshape(U, GK)
        T = reps.factors.T @ A
        present = np.bincount(unit * G + g, minlength=U * G).reshape(U, G) > 0
        members = [np.flatnonzero(present[:, j]) for j in range(G)]
    else:
        from scipy import sparse

        A = sparse.csr_matrix((w, (unit, gk)), shape=(U, GK))
        T = np.asarray((A.T @ reps.factors).T)
        cells = np.unique(unit * G + g)
        members = [cells[cells % G == j] // G for j in range(G)]
    T = T.reshape(R, G, K)
    Wr = T.sum(axis=2)
    ok = Wr != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = T / Wr[:, :, None]
        variance = _svr_var(theta, ok, p, reps)
        logit = np.log(theta / (1 - theta))
        finite = np.where(ok[:, :, None], np.isfinite(logit), True).all(axis=0)
        logit_full = np.log(p / (1 - p))
        logit_variance = _svr_var(np.where(np.isfinite(logit), logit, 0.0), ok, logit_full, reps)
    logit_variance = np.where(finite, logit_variance, np.nan)
    variance = np.where(W[:, None] > 0, np.maximum(variance, 0.0), np.nan)
    df = np.array([reps.degf(m) for m in members], dtype=float)

    with np.errstate(divide="ignore", invalid="ignore"):
        nb = base_n[:, None]
        fpc_srs = (W[:, None] - nb) / (W[:, None] * nb)
        vsrs = p * (1 - p) * nb / (nb - 1) * fpc_srs
        deff = np.where((W[:, None] >= nb) & (vsrs > 0), variance / vsrs, np.nan)
    return ReplicateProportions(p, variance, n, base_n, W, df, deff, logit_variance)


def replicate_cell_covariance(
    design: Design, reps: Replicates, cells: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Domain means of cell indicators, their replicate covariance (`svymean` of a matrix on
    the replicate design: `svrVar` of the replicate means) and the domain's `degf()`: what
    `svychisq` on a replicate design uses in place of the linearised covariance."""
    keep = cells >= 0
    w = design.weights[keep]
    j = np.asarray(cells, dtype=np.int64)[keep]
    W = w.sum()
    m = np.bincount(j, weights=w, minlength=n_cells) / W
    if reps.unit_of_row is not None:
        unit = reps.unit_of_row[keep]
    else:
        unit = np.flatnonzero(keep) if reps.row_level else design.psu[keep]
    U = reps.factors.shape[0]
    if U * n_cells <= DENSE_CELLS:
        A = np.bincount(unit * n_cells + j, weights=w, minlength=U * n_cells)
        T = reps.factors.T @ A.reshape(U, n_cells)
    else:
        from scipy import sparse

        A = sparse.csr_matrix((w, (unit, j)), shape=(U, n_cells))
        T = np.asarray((A.T @ reps.factors).T)
    Wr = T.sum(axis=1)
    ok = Wr != 0
    theta = T[ok] / Wr[ok, None]
    rs = reps.rscales[ok]
    centre = m if reps.mse else theta[rs > 0].mean(axis=0)
    dev = (theta - centre) * np.sqrt(rs)[:, None]
    return m, reps.scale * dev.T @ dev, float(reps.degf(np.unique(unit)))


def replicate_interval(
    est: ReplicateProportions, level: float = 0.95, method: str = "logit"
) -> tuple[np.ndarray, np.ndarray]:
    """CI as `svyciprop` on the replicate design with df = `degf()` of the domain.

    beta: Korn-Graubard with the replicate variance. logit: logit(p) +- t * SE of the
    replicate logits (R refits the logit in each replicate); where a replicate estimate is
    0 or 1 that SE is infinite and the delta-method logit interval with the replicate
    variance of p is used instead. Estimates of 0 or 1 and zero variance: as
    `confidence_interval`.
    """
    base_n, df = est.base_n[:, None], est.df[:, None]
    low, high = confidence_interval(est.estimate, est.variance, base_n, df, level, method)
    if method != "logit":
        return low, high
    p = est.estimate
    alpha = 1 - level
    d = np.broadcast_to(df, p.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d > 0, t_ppf(1 - alpha / 2, np.where(d > 0, d, 1)), np.nan)
        eta = np.log(p / (1 - p))
        se = np.sqrt(est.logit_variance)
        r_low = 1 / (1 + np.exp(-(eta - t * se)))
        r_high = 1 / (1 + np.exp(-(eta + t * se)))
    use = (p > 0) & (p < 1) & np.isfinite(est.logit_variance) & (est.variance > 0)
    return np.where(use, r_low, low), np.where(use, r_high, high)


# --- Config -------------------------------------------------------------------------------


def variance_spec(estimation: Mapping[str, Any] | None, survey: str) -> dict[str, Any]:
    """The variance method of one survey from config `estimation.variance` (default taylor).

    `estimation.variance.<survey>` is a method name or a mapping with `method` and its
    settings; see docs/methods.md.
    """
    chosen = ((estimation or {}).get("variance") or {}).get(survey, "taylor")
    spec = {"method": chosen} if isinstance(chosen, str) else dict(chosen)
    method = spec.get("method", "taylor")
    if method not in METHODS:
        raise EnkatError(
            "unknown variance method",
            key=f"estimation.variance.{survey}",
            value=method,
            expected=", ".join(METHODS),
        )
    spec["method"] = method
    return spec


def build_replicates(
    design: Design,
    spec: Mapping[str, Any],
    weights: np.ndarray | None = None,
    source: str = "replicate weights",
) -> Replicates | None:
    """The replicates a variance spec asks for (None for taylor)."""
    method = spec["method"]
    if method == "taylor":
        return None
    if method in ("jk1", "jkn"):
        reps = jackknife(design, stratified=method == "jkn")
    elif method == "bootstrap":
        reps = bootstrap(design, int(spec.get("replicates", 80)), int(spec.get("seed", 1)))
    elif method in ("brr", "fay"):
        rho = float(spec.get("rho", 0.5 if method == "fay" else 0.0))
        if method == "fay" and rho <= 0:
            raise EnkatError(
                "Fay's method needs a rho above 0",
                key="estimation.variance.rho",
                value=rho,
                expected="0 < rho < 1 (rho 0 is brr)",
            )
        reps = brr(design, rho)
    else:
        if weights is None:
            raise EnkatError(
                "supplied replicate weights were not read",
                key="estimation.variance.file",
                expected="a file of replicate weights",
            )
        return supplied(
            design,
            weights,
            float(spec["scale"]),
            spec.get("rscales", 1.0),
            bool(spec.get("mse", False)),
            bool(spec.get("combined_weights", True)),
            source,
        )
    if spec.get("mse"):
        reps = Replicates(
            reps.method,
            reps.factors,
            reps.scale,
            reps.rscales,
            True,
            reps.row_level,
            reps.jk_stratum,
        )
    return reps


def read_replicate_weights(
    path: str | Path, spec: Mapping[str, Any], respondent_ids: Sequence[str]
) -> np.ndarray:
    """The replicate-weight columns of a delivered file, rows in the order of
    `respondent_ids` (the design's): `columns` is a list of names or a regular expression."""
    import re

    import pandas as pd

    from enkat.readers import read_input

    table = read_input(Path(path)).data
    id_column = str(spec.get("id_column", "respondent_id"))
    if id_column not in table.columns:
        raise EnkatError(
            "the replicate-weight file lacks its id column",
            file=str(path),
            column=id_column,
            expected=f"one of {', '.join(map(str, table.columns))}",
            hint="set estimation.variance.<survey>.id_column",
        )
    wanted = spec.get("columns", "^rw[0-9]+$")
    if isinstance(wanted, str):
        columns = [c for c in table.columns if re.search(wanted, str(c))]
    else:
        columns = [str(c) for c in wanted]
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise EnkatError(
                "the replicate-weight file lacks a column",
                file=str(path),
                column=missing[0],
                expected=f"one of {', '.join(map(str, table.columns))}",
            )
    if len(columns) < 2:
        raise EnkatError(
            "the replicate-weight file has fewer than two replicate columns",
            file=str(path),
            value=wanted,
            expected="columns matching estimation.variance.<survey>.columns",
        )
    ids = table[id_column].astype(str)
    if ids.duplicated().any():
        raise EnkatError(
            "a respondent has two rows of replicate weights",
            file=str(path),
            column=id_column,
            value=ids[ids.duplicated()].iloc[0],
            expected="one row per respondent",
        )
    where = pd.Index(ids).get_indexer(pd.Index([str(i) for i in respondent_ids]))
    if (where < 0).any():
        lacking = [str(i) for i in respondent_ids][int(np.flatnonzero(where < 0)[0])]
        raise EnkatError(
            "a respondent has no replicate weights",
            file=str(path),
            column=id_column,
            value=lacking,
            expected="a row for every respondent of the survey",
        )
    values = table[columns].iloc[where]
    numbers = values.apply(pd.to_numeric, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.any():
        r, c = (int(x) for x in np.argwhere(bad)[0])
        raise EnkatError(
            "a replicate weight is missing or not a number",
            file=str(path),
            row=int(where[r]) + 2,
            column=columns[c],
            value=values.iat[r, c],
            expected="a number",
        )
    return numbers.to_numpy(dtype=float)


def replicates_for(
    estimation: Mapping[str, Any] | None,
    survey: str,
    design: Design,
    survey_path: str | Path | None = None,
    respondent_ids: Any = None,
    replicate_weights: str | Path | None = None,
) -> Replicates | None:
    """Pipeline step's hook: the replicates config `estimation.variance.<survey>` asks for.

    None for taylor. Post-stratified weights are post-stratified again in every replicate;
    raked or linearly calibrated weights keep the Taylor variance (which accounts for the
    calibration): redoing those calibrations per replicate is not implemented.
    """
    spec = variance_spec(estimation, survey)
    if spec["method"] == "taylor":
        return None
    calibration = getattr(design, "calibration", None)
    if calibration is not None and calibration.method != "poststratify":
        raise EnkatError(
            "replicate variance is not available for calibrated weights",
            key=f"estimation.variance.{survey}",
            value=f"{spec['method']} with {calibration.method} weights",
            expected="taylor (whose variance accounts for the calibration) or post-stratification",
            hint="set the survey's variance to taylor, or weight it by post-stratification",
        )
    weights = None
    if spec["method"] == "supplied":
        if replicate_weights is None:
            replicate_weights = spec.get("file")
        if respondent_ids is None:
            import pyarrow.parquet as pq

            respondent_ids = pq.read_table(survey_path, columns=["respondent_id"])["respondent_id"]
        ids = (
            [str(i) for i in respondent_ids.to_pylist()]
            if hasattr(respondent_ids, "to_pylist")
            else [str(i) for i in respondent_ids]
        )
        weights = read_replicate_weights(str(replicate_weights), spec, ids)
    reps = build_replicates(design, spec, weights, str(replicate_weights or "replicates"))
    if reps is not None and calibration is not None:
        reps = poststratified(reps, design)
    return reps
