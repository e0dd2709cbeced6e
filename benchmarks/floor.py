"""The numpy floor of a table's estimation: what the customer tables cannot be faster than.

A plain, self-contained numpy computation of one table - Totalt and group shares, their
linearised SEs under the benchmark's design (strata, PSUs = offices, post-stratified
weights: residuals of the post-stratum means, R `postStratify`), logit CIs and the Rao-Scott
F test of each variable by the group - with nothing shared with enkat: per variable one
combined integer index over (PSU x post-stratum, group, category) and two `bincount`s (weight
totals and counts), then dense arithmetic on that small array. `benchmarks/estimate.py floor`
times it against `enkat.tables.estimate_table` on the same data and checks that the numbers
agree; the target is enkat within 2x of this floor (docs: benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from scipy import special


@dataclass(frozen=True)
class FloorDesign:
    """The benchmark design as plain arrays, built once per survey."""

    w: np.ndarray  # (n,) weights
    unit: np.ndarray  # (n,) (PSU, post-stratum) pair of each row
    unit_psu: np.ndarray  # (U,) PSU of each pair (pairs sorted by PSU)
    unit_cell: np.ndarray  # (U,) post-stratum of each pair
    psu_stratum: np.ndarray  # (C,) stratum of each PSU
    n_h: np.ndarray  # (H,) PSUs per stratum
    scale: np.ndarray  # (H,) n_h / (n_h - 1), 0 where n_h < 2
    U_cal: np.ndarray  # (C, L) weight total of each PSU in each post-stratum
    n_cell: np.ndarray  # (L,) respondents per post-stratum
    n_psu: int
    n_cells: int

    @classmethod
    def read(cls, weights_parquet: Path) -> FloorDesign:
        """From `processed/weights_customers.parquet` (rows in survey order)."""
        t = pq.read_table(weights_parquet, columns=["weight", "stratum", "psu", "cal_cell"])
        w = t["weight"].to_numpy()
        h, _ = pd.factorize(t["stratum"].to_pandas().astype(str), sort=True)
        p, p_labels = pd.factorize(t["psu"].to_pandas().astype(str), sort=True)
        psu, _ = pd.factorize(h * len(p_labels) + p, sort=True)  # nest=TRUE
        cell, cells = pd.factorize(t["cal_cell"].to_pandas().astype(str), sort=True)
        C, L = int(psu.max()) + 1, len(cells)
        pairs, unit = np.unique(psu * L + cell, return_inverse=True)
        psu_stratum = np.zeros(C, dtype=np.int64)
        psu_stratum[psu] = h
        n_h = np.bincount(psu_stratum).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n_h > 1, n_h / (n_h - 1), 0.0)
        U_cal = np.bincount(psu * L + cell, weights=w, minlength=C * L).reshape(C, L)
        return cls(
            w,
            unit.astype(np.int64),
            pairs // L,
            pairs % L,
            psu_stratum,
            n_h,
            scale,
            U_cal,
            np.bincount(cell, minlength=L).astype(float),
            C,
            L,
        )


def codes(column: pd.Series, categories: Sequence[str]) -> np.ndarray:
    """Category index per row of a dictionary-encoded column (-1: null or not a category)."""
    lookup = pd.Index(categories).get_indexer(column.cat.categories.astype(str))
    return np.append(lookup, -1)[column.cat.codes.to_numpy()]


def _psu_sums(d: FloorDesign, X: np.ndarray) -> np.ndarray:
    """(pair, ...) totals summed into PSUs (pairs sorted by PSU)."""
    out = np.zeros((d.n_psu, *X.shape[1:]))
    np.add.at(out, d.unit_psu, X)
    return out


def _residual_scores(
    d: FloorDesign, X: np.ndarray, N: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p (D, K), W (D,) and the residual PSU scores E (C, D, K) of domain shares."""
    A = _psu_sums(d, X)
    W = A.sum(axis=(0, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = A.sum(axis=0) / W[:, None]
        Z = (A - p * A.sum(axis=2, keepdims=True)) / W[None, :, None]
        # post-stratum means of z / w over the whole sample
        Nq = np.zeros((d.n_cells, *N.shape[1:]))
        np.add.at(Nq, d.unit_cell, N)
        b = (Nq - p * Nq.sum(axis=2, keepdims=True)) / (W[None, :, None] * d.n_cell[:, None, None])
    b = np.nan_to_num(b, nan=0.0, posinf=0.0, neginf=0.0)
    E = Z - np.einsum("cl,ldk->cdk", d.U_cal, b)
    return p, W, np.nan_to_num(E, nan=0.0)


def _variance(d: FloorDesign, E: np.ndarray) -> np.ndarray:
    """sum_h n_h/(n_h - 1) (sum_c E² - (sum_c E)² / n_h), per (domain, category)."""
    H = d.n_h.size
    s1 = np.zeros((H, *E.shape[1:]))
    s2 = np.zeros((H, *E.shape[1:]))
    np.add.at(s1, d.psu_stratum, E)
    np.add.at(s2, d.psu_stratum, E * E)
    n_h = d.n_h.reshape(-1, *([1] * (E.ndim - 1)))
    scale = d.scale.reshape(n_h.shape)
    return (scale * (s2 - s1 * s1 / np.maximum(n_h, 1))).sum(axis=0)


def _domain(d: FloorDesign, X: np.ndarray, N: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Estimates, SEs, df and logit CIs of the domains of one block (X, N: (U, D, K))."""
    p, _, E = _residual_scores(d, X, N)
    se = np.sqrt(np.maximum(_variance(d, E), 0.0))
    present = _psu_sums(d, N.sum(axis=2)) > 0  # (C, D)
    strata = np.zeros((d.n_h.size, present.shape[1]))
    np.add.at(strata, d.psu_stratum, present)
    df = (present.sum(axis=0) - (strata > 0).sum(axis=0)).astype(float)[:, None]
    t = special.stdtrit(np.maximum(df, 1), 1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta, half = np.log(p / (1 - p)), t * se / (p * (1 - p))
        low, high = 1 / (1 + np.exp(-(eta - half))), 1 / (1 + np.exp(-(eta + half)))
    return {
        "estimate": p,
        "se": se,
        "ci_low": low,
        "ci_high": high,
        "df": np.broadcast_to(df, p.shape),
    }


def _rao_scott(d: FloorDesign, X: np.ndarray, N: np.ndarray) -> tuple[float, float, float, float]:
    """svychisq(statistic="F") of categories by groups from the group block (U, G, K)."""
    counts = N.sum(axis=0)
    rows, cols = counts.sum(axis=0) > 0, counts.sum(axis=1) > 0
    nr, nc = int(rows.sum()), int(cols.sum())
    if nr < 2 or nc < 2:
        return (np.nan,) * 4
    Xc = X[:, cols][:, :, rows].reshape(X.shape[0], 1, nc * nr)
    Nc = N[:, cols][:, :, rows].reshape(X.shape[0], 1, nc * nr)
    m, _, E = _residual_scores(d, Xc, Nc)
    m, E = m[0], E[:, 0]
    V = np.zeros((nr * nc, nr * nc))
    for h in range(d.n_h.size):
        Eh = E[d.psu_stratum == h]
        if d.n_h[h] > 1:
            s = Eh.sum(axis=0)
            V += d.scale[h] * (Eh.T @ Eh - np.outer(s, s) / d.n_h[h])
    J = nr * nc
    r, c = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    X1 = np.column_stack(
        [np.ones(J)]
        + [(r == i).astype(float) for i in range(1, nr)]
        + [(c == i).astype(float) for i in range(1, nc)]
    )
    X12 = np.column_stack(
        [((r == i) & (c == k)).astype(float) for k in range(1, nc) for i in range(1, nr)]
    )
    Cm = X12 - X1 @ np.linalg.lstsq(X1, X12, rcond=None)[0]
    n = float(counts.sum())
    inv = np.where(m == 0, 0.0, 1 / np.where(m == 0, 1, m))
    delta = np.linalg.solve(Cm.T @ (inv[:, None] / n * Cm), Cm.T @ (inv[:, None] * V * inv) @ Cm)
    tr, tr2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    table = m.reshape(nc, nr).T
    expected = np.outer(table.sum(axis=1), table.sum(axis=0))
    pearson = n * float(((table - expected) ** 2 / expected).sum())
    d0 = tr * tr / tr2
    nu = float(d.n_psu - np.count_nonzero(d.n_h))  # calibrated: every PSU of the sample
    statistic = pearson / tr
    return statistic, d0, d0 * nu, float(special.fdtrc(d0, d0 * nu, statistic))


def floor_table(
    d: FloorDesign,
    data: pd.DataFrame,
    variables: Sequence[tuple[str, Sequence[str]]],
    by: str | None,
    spec_filter: Mapping[str, Sequence[str]] | None,
    group_order: Sequence[str] | None,
    level: float = 0.95,
) -> dict[str, Any]:
    """One table: per variable (name, base categories) the Totalt and group blocks and the
    test, as arrays; groups in `group_order`, then the rest sorted (as enkat orders them)."""
    keep = np.ones(len(data), dtype=bool)
    for column, allowed in (spec_filter or {}).items():
        keep &= (
            data[column]
            .astype("string")
            .isin([str(a) for a in allowed])
            .fillna(False)
            .to_numpy(bool)
        )
    if by is not None:
        col = data[by]
        seen = np.bincount(col.cat.codes.to_numpy() + 1, minlength=len(col.cat.categories) + 1)[1:]
        present = [str(x) for x in col.cat.categories[seen > 0]]
        labels = [g for g in (group_order or []) if g in present]
        labels += sorted(g for g in present if g not in labels)
        g = codes(col, labels)
        G = len(labels)
        slot = d.unit * (G + 1) + np.where(g >= 0, g, G)
    else:
        labels, G, slot = [], 0, d.unit
    S = G + 1
    out: dict[str, Any] = {"groups": labels, "variables": {}}
    for name, categories in variables:
        K = len(categories)
        k = np.where(keep, codes(data[name], categories), -1)
        size = d.unit_psu.size * S * K
        index = np.where(k >= 0, slot * K + k, size)
        X = np.bincount(index, weights=d.w, minlength=size + 1)[:size].reshape(-1, S, K)
        N = np.bincount(index, minlength=size + 1)[:size].reshape(-1, S, K)
        result = {
            "Totalt": _domain(d, X.sum(axis=1, keepdims=True), N.sum(axis=1, keepdims=True), level)
        }
        if by is not None:
            result["groups"] = _domain(d, X[:, :G], N[:, :G], level)
            result["test"] = _rao_scott(d, X[:, :G], N[:, :G])
        out["variables"][name] = result
    return out


def compare(floor: dict[str, Any], estimates: pd.DataFrame, tests: pd.DataFrame) -> float:
    """The largest relative difference between the floor's numbers and enkat's table
    (estimate, se, ci, df) and tests (statistic, ndf, ddf; p-values absolutely)."""
    worst = 0.0

    def diff(a: np.ndarray, b: np.ndarray, absolute: bool = False) -> float:
        a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
        if a.shape != b.shape or (np.isnan(a) != np.isnan(b)).any():
            return np.inf
        ok = ~np.isnan(a)
        scale = 1.0 if absolute else np.maximum(np.abs(b[ok]), 1e-12)
        return float(np.max(np.abs(a[ok] - b[ok]) / scale, initial=0.0))

    for name, result in floor["variables"].items():
        rows = estimates[estimates["variable"] == name]
        for block, part in (
            ("Totalt", rows[rows["group_var"] == ""]),
            ("groups", rows[rows["group_var"] != ""]),
        ):
            if block not in result:
                continue
            for column in ("estimate", "se", "ci_low", "ci_high", "df"):
                worst = max(worst, diff(result[block][column], part[column].to_numpy()))
        if "test" in result:
            t = tests[tests["variable"] == name].iloc[0]
            got = result["test"]
            worst = max(worst, diff(got[:3], [t["statistic"], t["ndf"], t["ddf"]]))
            worst = max(worst, diff([got[3]], [t["p_value"]], absolute=True))
    return worst
