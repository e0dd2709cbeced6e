"""Rao-Scott second-order test of independence, as R's `svychisq(statistic="F")`.

Pearson's X² on the weighted table (scaled to the domain's n) is divided by the mean
generalised design effect and referred to F(d0, d0 * nu), where d0 = tr(D)² / tr(D²) of the
design-effect matrix D and nu the design's degrees of freedom. Rows and columns that nobody
falls in are dropped, as R's `factor()` does. See docs/methods.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse, special

from enkat.calibration import adjusted_covariance
from enkat.design import Design


@dataclass(frozen=True)
class RaoScott:
    statistic: float
    ndf: float
    ddf: float
    p_value: float
    pearson: float  # the uncorrected Pearson X² on the table scaled to n


NO_TEST = RaoScott(np.nan, np.nan, np.nan, np.nan, np.nan)


def cell_covariance(
    design: Design, cells: np.ndarray, n_cells: int
) -> tuple[np.ndarray, np.ndarray]:
    """Domain means of cell indicators and their linearised covariance (`svymean` of a matrix).

    `cells` holds a cell index per row, -1 outside the domain. With s_h the stratum factor
    and Z_c = (A_c - B_c m) / W the PSU scores: V = sum_h s_h (sum_c Z_c Z_c' - n_h zbar zbar').
    """
    keep = cells >= 0
    w = design.weights[keep]
    j = cells[keep]
    W = w.sum()
    m = np.bincount(j, weights=w, minlength=n_cells) / W
    n_h = design.n_psu.astype(float)
    H = n_h.size
    scale = np.where(n_h > 1, design.scale(), 0.0)
    if design.one_row_psu:
        h = design.stratum[keep]
        s = scale[h]
        AtSA = np.diag(np.bincount(j, weights=s * w * w, minlength=n_cells))
        AtSB = np.bincount(j, weights=s * w * w, minlength=n_cells)
        BtSB = float((s * w * w).sum())
        a_h = np.bincount(h * n_cells + j, weights=w, minlength=H * n_cells).reshape(H, n_cells)
        b_h = np.bincount(h, weights=w, minlength=H)
    else:
        present = np.bincount(design.psu[keep], minlength=design.psu_stratum.size) > 0
        index = np.cumsum(present) - 1
        c = index[design.psu[keep]]
        h_c = design.psu_stratum[present]
        A = sparse.csr_matrix((w, (c, j)), shape=(int(present.sum()), n_cells))
        B = np.asarray(A.sum(axis=1)).ravel()
        s_c = scale[h_c]
        SA = A.multiply(s_c[:, None]).tocsr()
        AtSA = (A.T @ SA).toarray()
        AtSB = np.asarray(SA.T @ B).ravel()
        BtSB = float((s_c * B * B).sum())
        a_h = stratum_totals(h_c, A, H)
        b_h = np.bincount(h_c, weights=B, minlength=H)
    within = (AtSA - np.outer(AtSB, m) - np.outer(m, AtSB) + BtSB * np.outer(m, m)) / W**2
    S1 = (a_h - b_h[:, None] * m[None, :]) / W
    if design.calibration is not None:  # residuals of the calibration model (enkat.calibration)
        within, S1 = adjusted_covariance(design, keep, w, j, n_cells, W, m, scale, within, S1)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_h > 1, scale / n_h, 0.0)
    between = S1.T @ (S1 * factor[:, None])
    return m, within - between


def stratum_totals(strata: np.ndarray, A: sparse.csr_matrix, n_strata: int) -> np.ndarray:
    """Sum the PSU rows of A within each stratum, without densifying A."""
    grouping = sparse.csr_matrix(
        (np.ones(strata.size), (strata, np.arange(strata.size))), shape=(n_strata, strata.size)
    )
    return (grouping @ A).toarray()


def _cells(rows: np.ndarray, cols: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Cell index `row + nr * col` per design row (-1 outside the domain), rows and columns
    renumbered 0..nr-1 and 0..nc-1 over the values that occur (R drops empty factor levels).

    The rows and columns that occur are read off the small table of cell counts, so the
    million-row arrays are passed over only to count and to look the cells up.
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
    keep = (r_all >= 0) & (c_all >= 0)
    cells, nr, nc = _cells(r_all, c_all, keep)
    if nr < 2 or nc < 2:
        return NO_TEST
    J = nr * nc
    N = float(keep.sum())
    if replicates is not None:
        from enkat.replicates import replicate_cell_covariance

        m, V, nu = replicate_cell_covariance(design, replicates, cells, J)
    else:
        m, V = cell_covariance(design, cells, J)
        psus = np.bincount(design.psu[keep], minlength=design.psu_stratum.size) > 0
        strata = np.bincount(design.psu_stratum[psus], minlength=design.n_psu.size) > 0
        nu = float(psus.sum() - strata.sum())
    if design.calibration is not None and replicates is None:
        # R keeps every row of a calibrated design in subset(), and svychisq counts the
        # PSUs and strata of all of them
        nu = float(design.psu_stratum.size - np.count_nonzero(design.n_psu))

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
