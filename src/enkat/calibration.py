"""Calibration of weights to population totals and the variance that accounts for it.

Two halves, both modelled on R's `survey` package:

- weights: `calibrate()` - Newton iterations on the calibration equations, as R's `grake`,
  with the linear (GREG) or raking distance and optional bounds on g = w / d (R
  `calibrate(..., calfun="linear" | "raking", bounds=c(lo, hi))`);
- variance: a calibrated design's linearised scores are replaced by the residuals of the
  calibration model before the usual stratified cluster variance (R `svyrecvar` with
  `postStrata`): e_i = w_i (u_i - x_i'b) with u_i = z_i / w_i, x_i the respondent's dummies of
  every margin and b the least-squares coefficients (`postStratify`, `calibrate`) or ten
  sweeps of margin-by-margin centring (`rake`, as R does).

The starting weights of every calibrated survey are equal (N / n), so R's regressions
weighted by the design weights are unweighted here. The margins are categorical: a
respondent's category per margin is all the variance needs, and it travels to the table jobs
as the `cal_<margin>` columns of the weights file (docs/architecture.md). The formulas are in
docs/methods.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from enkat.errors import EnkatError

METHODS = ("poststratify", "rake", "linear", "raking")
RAKE_SWEEPS = 10  # R's svyrecvar centres a raked design's scores ten times per margin
PREFIX = "cal_"


@dataclass(frozen=True)
class Calibration:
    """The calibration model of a design: method and each margin's category per row."""

    method: str
    names: tuple[str, ...]
    codes: tuple[np.ndarray, ...]  # per margin: category index 0..L-1 per design row
    levels: tuple[int, ...]
    _cache: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise EnkatError(
                "unknown calibration method in the weights file",
                column="calibration",
                value=self.method,
                expected=", ".join(METHODS),
                hint="rerun the weighting step",
            )

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.levels)])[:-1].astype(np.int64)

    @property
    def q(self) -> int:
        return int(sum(self.levels))

    @classmethod
    def from_columns(cls, method: str, columns: dict[str, object]) -> Calibration:
        """From the `cal_<margin>` columns (labels or categoricals), in the given order."""
        import pandas as pd

        names, codes, levels = [], [], []
        for name, values in columns.items():
            series = pd.Series(values)
            if isinstance(series.dtype, pd.CategoricalDtype):
                # a dictionary-encoded column: its codes as they are (no strings built)
                c = series.cat.codes.to_numpy()
                n_levels = len(series.cat.categories)
            else:
                c, uniques = pd.factorize(series.astype(str), sort=True)
                n_levels = len(uniques)
            if (c < 0).any():
                raise EnkatError(
                    "a calibration category is missing in the weights file",
                    column=f"cal_{name}",
                    expected="a category on every row",
                    hint="rerun the weighting step",
                )
            names.append(name)
            codes.append(c.astype(np.int64))
            levels.append(n_levels)
        return cls(method, tuple(names), tuple(codes), tuple(levels))

    def crossproducts(self) -> np.ndarray:
        """X'X of the full dummy matrix (q x q): counts of every pair of categories."""
        if "xtx" not in self._cache:
            q, off = self.q, self.offsets
            xtx = np.zeros((q, q))
            for a, (ca, oa, la) in enumerate(zip(self.codes, off, self.levels, strict=True)):
                for b, (cb, ob, lb) in enumerate(zip(self.codes, off, self.levels, strict=True)):
                    if b < a:
                        continue
                    block = np.bincount(ca * lb + cb, minlength=la * lb).reshape(la, lb)
                    xtx[oa : oa + la, ob : ob + lb] = block
                    xtx[ob : ob + lb, oa : oa + la] = block.T
            self._cache["xtx"] = xtx
        return self._cache["xtx"]  # type: ignore[return-value]

    def coefficients(self, xtu: np.ndarray) -> np.ndarray:
        """b with X b the model's fit of u, from X'u (q x cells)."""
        xtx = self.crossproducts()
        if self.method != "rake":
            return np.linalg.lstsq(xtx, xtu, rcond=None)[0]
        # R: for 1:10, for each margin: u <- u - ave(u, margin): Gauss-Seidel on X'X b = X'u
        b = np.zeros_like(xtu, dtype=float)
        off = self.offsets
        for _ in range(RAKE_SWEEPS):
            for o, lev in zip(off, self.levels, strict=True):
                rows = slice(o, o + lev)
                counts = np.diag(xtx)[rows]
                with np.errstate(divide="ignore", invalid="ignore"):
                    step = (xtu[rows] - xtx[rows] @ b) / counts[:, None]
                b[rows] += np.where(counts[:, None] > 0, step, 0.0)
        return b

    def psu_totals(self, design: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """U (C x q): each PSU's weighted margin counts; per stratum sum_c U_c (H x q) and
        sum_c U_c U_c' (H x q x q). Over all rows: a calibrated domain keeps the sample."""
        if "psu" not in self._cache:
            w = design.weights  # type: ignore[attr-defined]
            psu = design.psu  # type: ignore[attr-defined]
            hs = design.psu_stratum  # type: ignore[attr-defined]
            C, H = hs.size, design.n_psu.size  # type: ignore[attr-defined]
            U = np.zeros((C, self.q))
            for c, o, lev in zip(self.codes, self.offsets, self.levels, strict=True):
                U[:, o : o + lev] = np.bincount(
                    psu * lev + c, weights=w, minlength=C * lev
                ).reshape(C, lev)
            SU = np.column_stack(
                [np.bincount(hs, weights=U[:, j], minlength=H) for j in range(self.q)]
            ).reshape(H, self.q)
            M = np.zeros((H, self.q, self.q))
            order = np.argsort(hs, kind="stable")
            bounds = np.searchsorted(hs[order], np.arange(H + 1))
            for h in range(H):
                Uh = U[order[bounds[h] : bounds[h + 1]]]
                M[h] = Uh.T @ Uh
            self._cache["psu"] = (U, SU, M)
        return self._cache["psu"]  # type: ignore[return-value]


def model_terms(
    design: object,
    units: object,
    unit_ids: np.ndarray,
    N: np.ndarray,
    X2: np.ndarray | None,
    p: np.ndarray,
    W: np.ndarray,
    psu_scores: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The model's coefficients b (q, D, K) for the scores of every (domain, category), and
    T (H, q, D, K) = sum_c U_c Z_c per stratum, SU (H, q) and M (H, q, q) of the PSUs'
    weighted margin counts U_c - all from the unit array of enkat.domain_totals.

    `N` and `X2` are the unit array's counts and squared-weight totals (units, D, K);
    `psu_scores` (PSUs, their strata, Z of shape (PSUs, D, K)) for clustered designs, None
    where every PSU is one respondent (then Z_i = w_i (y_i - p) / W and U_i = w_i x_i)."""
    cal: Calibration = design.calibration  # type: ignore[attr-defined]
    U, SU, M = cal.psu_totals(design)
    H, q = SU.shape
    D, K = p.shape
    DK = D * K
    cats = units.margins[unit_ids]  # type: ignore[attr-defined]
    counts = np.empty((q, D, K))
    for m, (o, lev) in enumerate(zip(cal.offsets, cal.levels, strict=True)):
        counts[o : o + lev] = _sum_by_key(cats[:, m], lev, N.reshape(-1, DK)).reshape(lev, D, K)
    with np.errstate(divide="ignore", invalid="ignore"):
        xtu = (counts - p[None] * counts.sum(axis=2, keepdims=True)) / W[None, :, None]
    xtu = np.nan_to_num(xtu, nan=0.0, posinf=0.0, neginf=0.0)
    b = cal.coefficients(xtu.reshape(q, DK)).reshape(q, D, K)
    T = np.zeros((H, q, DK))
    if psu_scores is None:  # one-row PSUs: sum over a unit's rows of w_i x_i Z_i
        h_u = units.stratum[unit_ids]  # type: ignore[attr-defined]
        with np.errstate(divide="ignore", invalid="ignore"):
            V = (X2 - p * X2.sum(axis=2, keepdims=True)) / W[None, :, None]  # type: ignore[union-attr]
        V = V.reshape(-1, DK)
        for m, (o, lev) in enumerate(zip(cal.offsets, cal.levels, strict=True)):
            T[:, o : o + lev] = _sum_by_key(h_u * lev + cats[:, m], H * lev, V).reshape(H, lev, DK)
    else:
        psus, h_c, Z = psu_scores
        Uc, Zc = U[psus], Z.reshape(-1, DK)
        starts = np.flatnonzero(np.diff(h_c, prepend=-1))  # PSUs run stratum by stratum
        ends = np.append(starts[1:], h_c.size)
        for s, e in zip(starts, ends, strict=True):
            T[h_c[s]] = Uc[s:e].T @ Zc[s:e]
    T = np.nan_to_num(T, nan=0.0, posinf=0.0, neginf=0.0).reshape(H, q, D, K)
    return b, T, SU, M


def _sum_by_key(keys: np.ndarray, n_keys: int, x: np.ndarray) -> np.ndarray:
    """Sums of the rows of x (n, F) by key: one bincount over (key, column)."""
    F = x.shape[1]
    index = (keys[:, None] * F + np.arange(F)[None, :]).ravel()
    sums = np.bincount(index, weights=x.ravel().astype(float), minlength=n_keys * F)
    return sums.reshape(n_keys, F)


def adjusted_sums(
    design: object,
    units: object,
    unit_ids: np.ndarray,
    N: np.ndarray,
    X2: np.ndarray | None,
    p: np.ndarray,
    W: np.ndarray,
    s1: np.ndarray,
    s2: np.ndarray,
    psu_scores: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stratum sums of the residual PSU scores E_c = Z_c - U_c'b and of E_c², from those of
    Z_c (`s1`, `s2`, shape (H, D, K)): sum E = sum Z - SU b and
    sum E² = sum Z² - 2 b'T + b'M b (every PSU of the sample counts, in the domain or not)."""
    b, T, SU, M = model_terms(design, units, unit_ids, N, X2, p, W, psu_scores)
    e1 = s1 - np.einsum("hq,qgk->hgk", SU, b)
    e2 = s2 - 2 * np.einsum("qgk,hqgk->hgk", b, T) + np.einsum("qgk,hqr,rgk->hgk", b, M, b)
    return e1, e2


def adjusted_covariance(
    design: object,
    units: object,
    unit_ids: np.ndarray,
    N: np.ndarray,
    X2: np.ndarray | None,
    m: np.ndarray,
    W: float,
    scale: np.ndarray,
    within: np.ndarray,
    S1: np.ndarray,
    psu_scores: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """`within` (sum_h s_h sum_c Z_c Z_c') and S1 (sum_c Z_c per stratum) of the residual
    scores, for the covariance of one domain's cell means (the Rao-Scott test). The cells
    are the categories of one domain: `N`, `X2` (units, 1, J), the scores (PSUs, 1, J)."""
    b, T, SU, M = model_terms(design, units, unit_ids, N, X2, m[None, :], np.array([W]), psu_scores)
    b, T = b[:, 0, :], T[:, :, 0, :]  # (q, J), (H, q, J)
    Tw = np.einsum("h,hqj->qj", scale, T)
    Mw = np.einsum("h,hqr->qr", scale, M)
    within = within - b.T @ Tw - Tw.T @ b + b.T @ Mw @ b
    return within, S1 - SU @ b


def residuals(design: object, z: np.ndarray) -> np.ndarray:
    """Per-row residuals e = z - w X b of scores z (n or n x m, R's `x * pweights / psum`):
    what a calibrated design's variance is computed from. Uncalibrated: z itself."""
    cal: Calibration | None = getattr(design, "calibration", None)
    if cal is None:
        return z
    w = design.weights  # type: ignore[attr-defined]
    zz = np.asarray(z, dtype=float)
    flat = zz.reshape(zz.shape[0], -1)
    u = flat / w[:, None]
    xtu = np.zeros((cal.q, flat.shape[1]))
    for c, o, lev in zip(cal.codes, cal.offsets, cal.levels, strict=True):
        for j in range(flat.shape[1]):
            xtu[o : o + lev, j] = np.bincount(c, weights=u[:, j], minlength=lev)
    b = cal.coefficients(xtu)
    return (flat - w[:, None] * model_fit(cal, b, slice(None))).reshape(zz.shape)


def model_fit(cal: Calibration, b: np.ndarray, rows: slice | np.ndarray) -> np.ndarray:
    """X b on some rows: each row's sum of its margin categories' coefficients (b: q x m)."""
    fit: np.ndarray | None = None
    for c, o, lev in zip(cal.codes, cal.offsets, cal.levels, strict=True):
        part = b[o : o + lev][c[rows]]
        fit = part + 0.0 if fit is None else fit + part  # 0 + x, as a sum from zero does
    assert fit is not None  # a calibration has at least one margin
    return fit


def add_margin_sums(
    cal: Calibration, xtu: np.ndarray, rows: slice | np.ndarray, z: np.ndarray
) -> None:
    """X'z of some rows (z: rows x m) added into `xtu` in row order, as `bincount` sums."""
    for c, o, lev in zip(cal.codes, cal.offsets, cal.levels, strict=True):
        np.add.at(xtu[o : o + lev], c[rows], z)


# --- calibrated weights ----------------------------------------------------------------------


def _distance(calfun: str, u: np.ndarray, lower: float, upper: float) -> tuple[np.ndarray, ...]:
    """g - 1 and its derivative for R's `cal.linear` / `cal.raking` (bounds on g)."""
    if calfun == "linear":
        g = np.clip(u + 1, lower, upper)
        return g - 1, ((u + 1 < upper) & (u + 1 > lower)).astype(float)
    with np.errstate(over="ignore"):
        e = np.exp(u)
    g = np.clip(e, lower, upper)
    return g - 1, np.where((e < upper) & (e > lower), e, 0.0)


def calibrate(
    start: np.ndarray,
    margins: Sequence[np.ndarray],
    totals: Sequence[np.ndarray],
    names: Sequence[str],
    calfun: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    tolerance: float = 1e-8,
    max_iterations: int = 50,
    labels: Sequence[Sequence[str]] | None = None,
) -> np.ndarray:
    """Weights d g calibrated to every margin's totals (R `calibrate(design, ~m1 + m2, pop,
    calfun, bounds)` on categorical margins, with R's `grake` Newton steps).

    The model matrix is R's `model.matrix(~m1 + m2)`: an intercept and every category but
    the first of each margin. Stops with an error naming the worst margin and category
    when the totals cannot be met within `max_iterations` (e.g. bounds too narrow).
    The Newton derivative is that of the bounded distance itself (zero only where g sits
    at a bound); R's `cal.raking` tests log g against the bounds instead, which stalls its
    iterations where g < 0.5, but where R converges both solve the same equations.
    """
    d = np.asarray(start, dtype=float)
    n = d.size
    cols = [np.ones(n)]
    target = [float(totals[0].sum())]
    for codes, tot in zip(margins, totals, strict=True):
        for level in range(1, tot.size):
            cols.append((codes == level).astype(float))
            target.append(float(tot[level]))
    X = np.column_stack(cols)
    T = np.asarray(target)
    lower, upper = float(bounds[0]), float(bounds[1])
    sample = X.T @ d
    eta = np.zeros(X.shape[1])
    xeta = X @ eta
    gm1, deriv = _distance(calfun, xeta, lower, upper)
    for _ in range(max_iterations):
        tmat = (X * (d * deriv)[:, None]).T @ X
        misfit = T - sample - X.T @ (d * gm1)
        step = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + step
        xeta = X @ eta
        gm1, deriv = _distance(calfun, xeta, lower, upper)
        halvings = 0
        while not (np.isfinite(gm1).all() and np.isfinite(deriv).all()) and halvings < 50:
            step = step / 2
            eta = eta - step
            xeta = X @ eta
            gm1, deriv = _distance(calfun, xeta, lower, upper)
            halvings += 1
        misfit = T - sample - X.T @ (d * gm1)
        if np.all(np.abs(misfit) / (1 + np.abs(T)) < tolerance):
            return d * (1 + gm1)
    w = d * (1 + gm1)
    worst = (-1.0, names[0], "")
    for i, (codes, tot, name) in enumerate(zip(margins, totals, names, strict=True)):
        got = np.bincount(codes, weights=w, minlength=tot.size)
        rel = np.abs(got - tot) / (1 + np.abs(tot))
        k = int(np.argmax(rel))
        if rel[k] > worst[0]:
            worst = (float(rel[k]), name, str(labels[i][k]) if labels is not None else str(k))
    bounded = np.isfinite([lower, upper]).any()
    raise EnkatError(
        "calibration cannot meet the population totals",
        column=f"margin {worst[1]}",
        value=worst[2],
        expected=(
            f"every total met to {tolerance} (relative) within {max_iterations} iterations"
            + (f" with g = w/d between {lower} and {upper}" if bounded else "")
            + f"; the worst total is off by {worst[0]:.3g} (relative)"
        ),
        hint="widen weighting.<survey>.calibration.bounds, merge small categories of that "
        "margin or raise weighting.<survey>.max_iterations",
    )
