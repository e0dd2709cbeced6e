"""Rao-Scott second-order test of independence, as R's `svychisq(statistic="F")`.

Pearson's X² on the weighted table (scaled to the domain's n) is divided by the mean
generalised design effect and referred to F(d0, d0 * nu), where d0 = tr(D)² / tr(D²) of the
design-effect matrix D and nu the design's degrees of freedom. Rows and columns that nobody
falls in are dropped, as R's `factor()` does. The cell covariance is computed from the
variable's unit x group x category array (enkat.domain_totals), the same one pass that gives
the table's estimates. See docs/methods.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from enkat.calibration import adjusted_covariance
from enkat.design import Design, psu_totals, sum_by
from enkat.domain_totals import DomainTotals, domain_totals, units


@dataclass(frozen=True)
class RaoScott:
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    pearson: float  # the uncorrected Pearson X² on the table scaled to n


NO_TEST = RaoScott(np.nan, np.nan, np.nan, np.nan, np.nan)


def cell_covariance(
    design: Design, totals: DomainTotals, row_in: np.ndarray, col_in: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Domain means of the cells (category `row_in` x group `col_in`, cell r + nr * c) and
    their linearised covariance (`svymean` of a matrix), and the design df of the domain.

    With s_h the stratum factor and Z_c = (A_c - B_c m) / W the PSU scores:
    V = sum_h s_h (sum_c Z_c Z_c' - n_h zbar zbar')."""
    X, N, X2 = totals.block(total=False)
    cells = np.ix_(np.arange(X.shape[0]), np.flatnonzero(col_in), np.flatnonzero(row_in))
    J = int(row_in.sum() * col_in.sum())
    Xc, Nc = X[cells].reshape(-1, J), N[cells].reshape(-1, J)
    u = units(design)
    ids = totals.unit_ids
    n_h = design.n_psu.astype(float)
    H = n_h.size
    scale = np.where(n_h > 1, design.scale(), 0.0)
    if design.one_row_psu:  # a unit holds rows of one stratum; every row is a PSU
        X2c = X2[cells].reshape(-1, J)  # type: ignore[index]
        h_u = u.stratum[ids]
        a_h, a2_h = sum_by(h_u, H, Xc), sum_by(h_u, H, X2c)
        W = float(a_h.sum())
        m = a_h.sum(axis=0) / W
        AtSB = scale @ a2_h
        BtSB = float(scale @ a2_h.sum(axis=1))
        AtSA = np.diag(AtSB)
        b_h = a_h.sum(axis=1)
        psus = float(Nc.sum())
        strata = float(np.count_nonzero(sum_by(h_u, H, Nc.sum(axis=1))))
        scores = None
        within = (AtSA - np.outer(AtSB, m) - np.outer(m, AtSB) + BtSB * np.outer(m, m)) / W**2
        S1 = (a_h - b_h[:, None] * m[None, :]) / W
    else:
        A, N_c, c, h_c = psu_totals(u, ids, Xc[:, None, :], Nc[:, None, :])
        A, N_c = A[:, 0, :], N_c[:, 0, :]
        W = float(A.sum())
        m = A.sum(axis=0) / W
        Z = (A - A.sum(axis=1, keepdims=True) * m[None, :]) / W
        inside = N_c.sum(axis=1) > 0
        psus = float(np.count_nonzero(inside))
        strata = float(np.unique(h_c[inside]).size)
        within = (Z * scale[h_c][:, None]).T @ Z
        S1 = sum_by(h_c, H, Z)
        scores = (c, h_c, Z[:, None, :])
        X2c = None
    if design.calibration is not None:  # residuals of the calibration model (enkat.calibration)
        within, S1 = adjusted_covariance(
            design,
            u,
            ids,
            Nc[:, None, :],
            None if X2c is None else X2c[:, None, :],
            m,
            W,
            scale,
            within,
            S1,
            scores,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_h > 1, scale / n_h, 0.0)
    between = S1.T @ (S1 * factor[:, None])
    return m, within - between, psus - strata


def rao_scott(
    design: Design, rows: np.ndarray, cols: np.ndarray, replicates: Any = None
) -> RaoScott:
    """`svychisq(~row + col, subset(design, domain), statistic="F")`.

    `rows` and `cols` are category indices per design row, -1 outside the domain (a row is
    in the domain when both are >= 0). With `replicates` (enkat.replicates) the covariance
    and nu are those of the replicate design (`svychisq` on an `as.svrepdesign()`).
    """
    r_all = np.asarray(rows, dtype=np.int64)
    c_all = np.asarray(cols, dtype=np.int64)
    if replicates is not None:
        return _replicate_test(design, r_all, c_all, replicates)
    if r_all.size == 0 or r_all.max() < 0 or c_all.max() < 0:
        return NO_TEST
    totals = domain_totals(design, r_all, int(r_all.max()) + 1, c_all, int(c_all.max()) + 1)
    return rao_scott_totals(design, totals)


def rao_scott_totals(design: Design, totals: DomainTotals) -> RaoScott:
    """The test of a variable's categories by its groups, from the variable's array."""
    counts = totals.block(total=False)[1].sum(axis=0)  # (groups, categories)
    row_in, col_in = counts.sum(axis=0) > 0, counts.sum(axis=1) > 0
    nr, nc = int(row_in.sum()), int(col_in.sum())
    if nr < 2 or nc < 2:
        return NO_TEST
    m, V, nu = cell_covariance(design, totals, row_in, col_in)
    if design.calibration is not None:
        # R keeps every row of a calibrated design in subset(), and svychisq counts the
        # PSUs and strata of all of them
        nu = float(design.psu_stratum.size - np.count_nonzero(design.n_psu))
    return _test(m, V, float(counts.sum()), nu, nr, nc)


def _replicate_test(
    design: Design, r_all: np.ndarray, c_all: np.ndarray, replicates: Any
) -> RaoScott:
    from enkat.replicates import replicate_cell_covariance

    keep = (r_all >= 0) & (c_all >= 0)
    cells, nr, nc = _cells(r_all, c_all, keep)
    if nr < 2 or nc < 2:
        return NO_TEST
    m, V, nu = replicate_cell_covariance(design, replicates, cells, nr * nc)
    return _test(m, V, float(keep.sum()), nu, nr, nc)


def _cells(rows: np.ndarray, cols: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Cell index `row + nr * col` per design row (-1 outside the domain), rows and columns
    renumbered 0..nr-1 and 0..nc-1 over the values that occur (R drops empty factor levels).
    """
    if not keep.any():
        return np.full(rows.size, -1, dtype=np.int64), 0, 0
    R, C = int(rows.max()) + 1, int(cols.max()) + 1
    raw = np.where(keep, rows + R * cols, R * C)  # R * C: outside the domain
    counts = np.bincount(raw, minlength=R * C + 1)[:-1].reshape(C, R)
    row_in, col_in = counts.sum(axis=0) > 0, counts.sum(axis=1) > 0
    nr, nc = int(row_in.sum()), int(col_in.sum())
    cell = (np.cumsum(row_in) - 1)[None, :] + nr * (np.cumsum(col_in) - 1)[:, None]
    return np.append(cell.ravel(), -1)[raw], nr, nc


def _test(m: np.ndarray, V: np.ndarray, N: float, nu: float, nr: int, nc: int) -> RaoScott:
    """The second-order corrected F test from the cell means m (cell r + nr * c), their
    covariance V, the domain's n and the design df nu."""
    J = nr * nc
    grid_r = np.tile(np.arange(nr), nc)
    grid_c = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack(
        [np.ones(J)]
        + [(grid_r == i).astype(float) for i in range(1, nr)]
        + [(grid_c == i).astype(float) for i in range(1, nc)]
    )
    X12 = np.column_stack(
        [((grid_r == i) & (grid_c == k)).astype(float) for k in range(1, nc) for i in range(1, nr)]
    )
    C = X12 - X1 @ np.linalg.lstsq(X1, X12, rcond=None)[0]
    with np.errstate(divide="ignore"):
        inv_m = np.where(m == 0, 0.0, 1 / m)
    denom = C.T @ (inv_m[:, None] / N * C)
    numr = C.T @ (inv_m[:, None] * V * inv_m[None, :]) @ C
    try:
        delta = np.linalg.solve(denom, numr)
    except np.linalg.LinAlgError:  # a singular margin (a weight sum of 0): no test
        return NO_TEST
    trace = float(np.trace(delta))
    trace_sq = float(np.trace(delta @ delta))

    table = m.reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(N * ((table - expected) ** 2 / expected).sum())
    if not (np.isfinite(trace) and trace > 0 and trace_sq > 0):
        # No sampling variance: every unit answered in a census (100 % response, fpc 1),
        # so the table is the population's and there is nothing to test.
        return RaoScott(np.nan, np.nan, np.nan, np.nan, pearson)
    d0 = trace**2 / trace_sq
    statistic = pearson / trace
    ddf = d0 * nu
    p_value = f_sf(statistic, d0, ddf) if ddf > 0 else np.nan
    return RaoScott(statistic, d0, ddf, p_value, pearson)


def f_sf(x: float, dfn: float, dfd: float) -> float:
    """`scipy.stats.f.sf(x, dfn, dfd)`: the same `fdtrc` call, without importing scipy.stats."""
    if not (dfn > 0 and dfd > 0) or np.isnan(x):
        return np.nan
    return 1.0 if x <= 0 else float(special.fdtrc(dfn, dfd, x))
