"""One survey design, many estimators - modelled on R's `survey` package.

The design is stratified with one stage of primary sampling units (PSUs), weights and an
optional finite population correction, the way `svydesign()` holds it:

- handler census: `svydesign(ids=~1, strata=~stratum, fpc=~population_size, weights=~weight)`
  (every respondent is its own PSU);
- clustered customers: `svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE)`.

Domains (item nonresponse, filters, groups) follow `subset()` / `svyby()`: rows outside the
domain score zero but the design (PSUs per stratum, fpc) is that of the whole sample.
The strata and PSU index arrays are built once; every estimator is a handful of `bincount`s
over them, so a table of many variables and groups costs a few passes over the data.
See docs/methods.md for the formulas.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import special

from enkat.calibration import Calibration, adjusted_sums
from enkat.errors import EnkatError
from enkat.weights_file import (
    WEIGHT_COLUMNS,
    calibration_columns,
    is_census,
    read_weights_table,
    recorded_facts,
)

DENSE_CELLS = 4_000_000  # PSU x group x category cells held densely (else hashed)


@dataclass(frozen=True)
class Design:
    """Weights, strata and PSUs of one survey as integer index arrays (built once)."""

    weights: np.ndarray  # (n,) float
    stratum: np.ndarray  # (n,) int, 0..H-1
    psu: np.ndarray  # (n,) int, 0..C-1, unique across strata (nest=TRUE)
    psu_stratum: np.ndarray  # (C,) stratum of each PSU
    n_psu: np.ndarray  # (H,) PSUs per stratum in the whole sample
    fpc: np.ndarray | None  # (H,) population PSUs per stratum, or None (no fpc)
    strata_labels: tuple[str, ...]
    # the calibration model (postStratify / rake / calibrate), None for fixed weights
    calibration: Calibration | None = None

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @property
    def one_row_psu(self) -> bool:
        """Every PSU is one respondent (`ids=~1`)."""
        return self.psu_stratum.size == self.weights.size

    @classmethod
    def build(
        cls,
        weights: np.ndarray | pd.Series,
        stratum: np.ndarray | pd.Series,
        psu: np.ndarray | pd.Series | None = None,
        population_size: np.ndarray | pd.Series | None = None,
        source: str = "design",
    ) -> Design:
        """Index a design. `psu=None` means every row is its own PSU (`ids=~1`)."""
        w = np.asarray(weights, dtype=float)
        if w.size == 0:
            raise EnkatError("the design has no respondents", file=source)
        bad = ~np.isfinite(w) | (w <= 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise EnkatError(
                "a weight is missing, zero or negative",
                file=source,
                row=row + 1,
                column="weight",
                value=w[row],
                expected="a positive number",
                hint="rerun the weighting step",
            )
        h, labels = _factorize(stratum)
        if psu is None:
            c = np.arange(w.size)
        else:
            p_codes, p_labels = _factorize(psu)
            c = _ranks(h.astype(np.int64) * len(p_labels) + p_codes, len(labels) * len(p_labels))
        n_c = int(c.max()) + 1
        psu_stratum = np.zeros(n_c, dtype=np.int64)
        psu_stratum[c] = h
        n_psu = np.bincount(psu_stratum, minlength=len(labels))
        fpc = None
        if population_size is not None:
            pop = np.asarray(population_size, dtype=float)
            fpc = np.zeros(len(labels))
            fpc[h] = pop
            if not np.allclose(fpc[h], pop):
                raise EnkatError(
                    "population_size differs within a stratum",
                    file=source,
                    column="population_size",
                    expected="one population size per stratum",
                )
            short = fpc < n_psu
            if short.any():
                s = int(np.flatnonzero(short)[0])
                raise EnkatError(
                    "a stratum has more respondents than its population",
                    file=source,
                    column="population_size",
                    value=fpc[s],
                    expected=f"at least {n_psu[s]} in stratum {labels[s]!r}",
                    hint="check the frame or visits the weights were made from",
                )
        return cls(
            w,
            h.astype(np.int64),
            c.astype(np.int64),
            psu_stratum,
            n_psu,
            fpc,
            tuple(str(x) for x in labels),
        )

    @classmethod
    def from_weights(cls, table: pd.DataFrame, source: str = "weights") -> Design:
        """The design of a `processed/weights_<survey>.csv` table (rows in its order).

        Where `psu == respondent_id` (a census of people) the fpc is the stratum's
        population size; otherwise PSUs are clusters and no fpc is used.
        """
        missing = [c for c in WEIGHT_COLUMNS if c not in table.columns]
        if missing:
            raise EnkatError(
                "the weights file lacks columns",
                file=source,
                value=missing,
                expected=", ".join(WEIGHT_COLUMNS),
            )
        census = bool((table["psu"].astype(str) == table["respondent_id"].astype(str)).all())
        if census:
            design = cls.build(
                table["weight"], table["stratum"], None, table["population_size"], source
            )
        else:
            design = cls.build(table["weight"], table["stratum"], table["psu"], None, source)
        return design.calibrated(_calibration_of(table, list(table.columns)))

    def calibrated(self, calibration: Calibration | None) -> Design:
        """The same design with a calibration model (its variance uses the model's residuals)."""
        if calibration is None:
            return self
        return dataclasses.replace(self, calibration=calibration)

    @classmethod
    def read(
        cls, path: str | Path, survey: str | Path | None = None
    ) -> tuple[Design, pa.Array | None]:
        """Read a weights file: the design and the respondent ids (Arrow) in design order.

        `processed/weights_<survey>.parquet` (what the table steps read: no text to parse,
        strata and PSUs dictionary-encoded) or the CSV contract file it mirrors; the rows
        are indexed exactly as `from_weights` does. When the Parquet records that its rows
        are those of the `survey` file as it is now, the ids are not read and None is
        returned for them: the rows already line up (see enkat.weights_file).
        """
        census, in_order = recorded_facts(path, survey)
        if census is None:
            columns = list(WEIGHT_COLUMNS)
        else:
            columns = ["weight", "stratum", "population_size" if census else "psu"]
            columns += [] if in_order else ["respondent_id"]
        extra = calibration_columns(path)
        table = read_weights_table(path, [*columns, *extra])
        calibration = _calibration_of(table, extra) if extra else None
        if census is None:
            census = is_census(table)
        ids = None if in_order else table["respondent_id"].combine_chunks()
        stratum = _codes(table["stratum"])
        if census:
            return cls.build(
                table["weight"].to_numpy(),
                stratum,
                None,
                table["population_size"].to_numpy(),
                str(path),
            ).calibrated(calibration), ids
        return cls.build(
            table["weight"].to_numpy(), stratum, _codes(table["psu"]), None, str(path)
        ).calibrated(calibration), ids

    def scale(self) -> np.ndarray:
        """Per stratum: (1 - f_h) * n_h / (n_h - 1), the factor of `svyrecvar`."""
        n_h = self.n_psu.astype(float)
        f = np.ones_like(n_h) if self.fpc is None else (self.fpc - n_h) / self.fpc
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n_h > 1, f * n_h / (n_h - 1), f)

    def subset(self, rows: np.ndarray) -> Design:
        """The design restricted to some rows, keeping PSU counts and fpc (R `[`, drop=TRUE)."""
        if self.calibration is not None:
            raise EnkatError(
                "a calibrated design cannot drop rows",
                expected="domains as codes of -1 (the calibration model needs every row)",
            )
        return Design(
            self.weights[rows],
            self.stratum[rows],
            self.psu[rows],
            self.psu_stratum,
            self.n_psu,
            self.fpc,
            self.strata_labels,
        )


def _calibration_of(table: pd.DataFrame | pa.Table, columns: list[str]) -> Calibration | None:
    """The calibration model recorded in a weights table: its `calibration` method column
    and the `cal_<margin>` category columns (docs/architecture.md), or None."""
    margins = [c for c in columns if c.startswith("cal_")]
    if "calibration" not in columns or not margins:
        return None
    col = table["calibration"]
    if isinstance(col, pa.ChunkedArray):
        methods = col.unique().to_pylist()
    else:
        methods = list(pd.unique(np.asarray(col, dtype=object)))
    if len(methods) != 1:
        raise EnkatError(
            "the weights file names more than one calibration method",
            column="calibration",
            value=", ".join(map(str, methods)),
            expected="one method on every row",
            hint="rerun the weighting step",
        )
    values = {}
    for name in margins:
        col = table[name]
        values[name[4:]] = _codes(col) if isinstance(col, pa.ChunkedArray) else col
    return Calibration.from_columns(str(methods[0]), values)


def _codes(column: pa.ChunkedArray) -> pd.Categorical:
    """A string column as a pandas Categorical via Arrow's dictionary encoding."""
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    return column.combine_chunks().to_pandas()


def _ranks(values: np.ndarray, size: int) -> np.ndarray:
    """Each value's rank among the distinct values (`pd.factorize(sort=True)` codes) for
    integers in [0, size): one bincount instead of a sort when `size` is not much larger
    than the data."""
    if size > max(values.size, 1 << 20):
        return pd.factorize(values, sort=True)[0]
    present = np.bincount(values, minlength=size) > 0
    return (np.cumsum(present) - 1)[values]


def _factorize(values: object) -> tuple[np.ndarray, pd.Index]:
    """Codes and sorted string labels; categorical input costs only its categories."""
    if isinstance(values, pd.Series):
        values = values.array if isinstance(values.dtype, pd.CategoricalDtype) else values
    if isinstance(values, pd.Categorical):
        labels = values.categories.astype(str)
        order = np.argsort(labels.to_numpy(), kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        codes = np.asarray(values.codes)
        if (codes < 0).any():
            raise EnkatError(
                "a stratum or PSU is missing",
                column="stratum/psu",
                expected="a value on every row",
                hint="rerun the weighting step",
            )
        used = np.bincount(rank[codes], minlength=order.size) > 0
        remap = np.cumsum(used) - 1
        return remap[rank[codes]].astype(np.int64), labels[order][used]
    codes, labels = pd.factorize(pd.Series(np.asarray(values)).astype(str), sort=True)
    return codes.astype(np.int64), labels


@dataclass(frozen=True)
class Proportions:
    """Domain proportions, arrays of shape (groups, categories) or (groups,)."""

    estimate: np.ndarray
    variance: np.ndarray
    n: np.ndarray  # unweighted count per category
    base_n: np.ndarray  # (G,) unweighted domain size
    weight_sum: np.ndarray  # (G,)
    df: np.ndarray  # (G,) degrees of freedom: PSUs - strata in the domain
    deff: np.ndarray

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(self.variance)


def proportions(
    design: Design,
    codes: np.ndarray,
    n_categories: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> Proportions:
    """`svymean` of a factor in each domain, with `svyby(..., deff=TRUE)` semantics.

    `codes` holds a category index per row (-1: outside the base); `groups` a domain index
    (-1: in no domain). All groups and categories are done in one pass of group sums.
    """
    k_all = np.asarray(codes, dtype=np.int64)
    g_all = np.zeros_like(k_all) if groups is None else np.asarray(groups, dtype=np.int64)
    keep = (k_all >= 0) & (g_all >= 0)
    w = design.weights[keep]
    g = g_all[keep]
    K, G = n_categories, n_groups
    gk = g * K + k_all[keep]  # (group, category) cell of each row in the domains

    counts = np.bincount(gk, minlength=G * K).reshape(G, K)
    n, base_n = counts.astype(float), counts.sum(axis=1).astype(float)
    W = np.bincount(g, weights=w, minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.bincount(gk, weights=w, minlength=G * K).reshape(G, K) / W[:, None]

    SA, SAA, SAB, SB, SBB, psus_in = _psu_sums(design, keep, w, g, gk, G, K)

    with np.errstate(divide="ignore", invalid="ignore"):
        Wd = W[None, :, None]
        pp = p[None, :, :]
        s1 = (SA - pp * SB) / Wd
        s2 = (SAA - 2 * pp * SAB + pp * pp * SBB) / (Wd * Wd)
        if design.calibration is not None:
            s1, s2 = adjusted_sums(design, keep, w, g, gk, G, K, W, p, s1, s2)
        n_h = design.n_psu[:, None, None].astype(float)
        centred = np.where(n_h > 1, s2 - s1 * s1 / n_h, 0.0)
        variance = np.nansum(design.scale()[:, None, None] * centred, axis=0)
    variance = np.where(W[:, None] > 0, np.maximum(variance, 0.0), np.nan)
    df = (psus_in.sum(axis=0) - (psus_in > 0).sum(axis=0)).astype(float)

    with np.errstate(divide="ignore", invalid="ignore"):
        nb = base_n[:, None]
        fpc_srs = (W[:, None] - nb) / (W[:, None] * nb)
        vsrs = p * (1 - p) * nb / (nb - 1) * fpc_srs
        deff = np.where((W[:, None] >= nb) & (vsrs > 0), variance / vsrs, np.nan)
    return Proportions(p, variance, n, base_n, W, df, deff)


def _psu_sums(
    design: Design,
    keep: np.ndarray,
    w: np.ndarray,
    g: np.ndarray,
    gk: np.ndarray,
    G: int,
    K: int,
) -> tuple[np.ndarray, ...]:
    """Stratum sums of the PSU totals A (PSU, group, category) and B (PSU, group), of their
    squares and cross products, and the number of PSUs of each stratum in each group.

    `keep` marks the design rows in the domains; `w`, `g` and `gk` (group * K + category)
    are those rows' weights, groups and cells."""
    H = len(design.n_psu)
    size = H * G * K
    if design.one_row_psu:
        # Every PSU is one respondent: the PSU totals are the rows themselves, A*B = A*A.
        h = design.stratum[keep]
        hgk = h * (G * K) + gk
        hg = h * G + g
        SA = np.bincount(hgk, weights=w, minlength=size).reshape(H, G, K)
        SAA = np.bincount(hgk, weights=w * w, minlength=size).reshape(H, G, K)
        SB = np.bincount(hg, weights=w, minlength=H * G).reshape(H, G, 1)
        SBB = np.bincount(hg, weights=w * w, minlength=H * G).reshape(H, G, 1)
        psus_in = np.bincount(hg, minlength=H * G).reshape(H, G)
        return SA, SAA, SAA, SB, SBB, psus_in
    c = design.psu[keep]
    C = design.psu_stratum.size
    if C * G * K <= DENSE_CELLS:
        # Few PSUs: dense PSU totals, then sums over the PSUs of each stratum.
        cell = c * (G * K) + gk
        A = np.bincount(cell, weights=w, minlength=C * G * K).reshape(C, G, K)
        B = A.sum(axis=2, keepdims=True)
        present = np.bincount(cell, minlength=C * G * K).reshape(C, G, K).sum(axis=2) > 0
        hs = design.psu_stratum

        def by_stratum(x: np.ndarray) -> np.ndarray:
            out = np.zeros((H, *x.shape[1:]))
            np.add.at(out, hs, x)
            return out

        return (
            by_stratum(A),
            by_stratum(A * A),
            by_stratum(A * B),
            by_stratum(B),
            by_stratum(B * B),
            by_stratum(present.astype(float)).astype(np.int64),
        )
    # Many PSUs: totals of the (PSU, group, category) cells that occur.
    cell_index, cell = pd.factorize(c * (G * K) + gk)
    A = np.bincount(cell_index, weights=w)
    cg_of_cell = cell // K
    cg_index, cg = pd.factorize(cg_of_cell)
    B_cg = np.bincount(cg_index, weights=A)
    B = B_cg[cg_index]
    h_u = design.psu_stratum[cg_of_cell // G]
    hgk = (h_u * G + cg_of_cell % G) * K + cell % K
    SA = np.bincount(hgk, weights=A, minlength=size).reshape(H, G, K)
    SAA = np.bincount(hgk, weights=A * A, minlength=size).reshape(H, G, K)
    SAB = np.bincount(hgk, weights=A * B, minlength=size).reshape(H, G, K)
    hg = design.psu_stratum[cg // G] * G + cg % G
    SB = np.bincount(hg, weights=B_cg, minlength=H * G).reshape(H, G, 1)
    SBB = np.bincount(hg, weights=B_cg * B_cg, minlength=H * G).reshape(H, G, 1)
    psus_in = np.bincount(hg, minlength=H * G).reshape(H, G)
    return SA, SAA, SAB, SB, SBB, psus_in


def confidence_interval(
    estimate: np.ndarray,
    variance: np.ndarray,
    base_n: np.ndarray,
    df: np.ndarray,
    level: float = 0.95,
    method: str = "logit",
) -> tuple[np.ndarray, np.ndarray]:
    """CI of a proportion as `svyciprop(method="logit" | "beta", df=degf(domain))`.

    Where the estimate is 0 or 1 (R fails or gives a degenerate interval) both methods give
    the Clopper-Pearson interval with the domain's unweighted n, widened by the same t
    ratio as Korn-Graubard: [0, 1 - (a/2)^(1/n*)] at 0 and its mirror at 1. Where the
    variance is 0 inside (0, 1) - a domain within fully enumerated strata - the interval is
    the estimate itself (R's logit gives that too; its beta gives 0.5, an artefact).
    """
    p = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    n = np.broadcast_to(np.asarray(base_n, dtype=float), p.shape)
    d = np.broadcast_to(np.asarray(df, dtype=float), p.shape)
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(d > 0, t_ppf(1 - alpha / 2, np.where(d > 0, d, 1)), np.nan)
        interior = (p > 0) & (p < 1)
        if method == "logit":
            se_logit = np.sqrt(v) / (p * (1 - p))
            eta = np.log(p / (1 - p))
            low = 1 / (1 + np.exp(-(eta - t * se_logit)))
            high = 1 / (1 + np.exp(-(eta + t * se_logit)))
        elif method == "beta":
            low, high = _korn_graubard(p, p * (1 - p) / v, n, d, alpha)
        else:
            raise EnkatError(
                "unknown CI method",
                column="estimation.ci_method",
                value=method,
                expected="logit or beta",
            )
        b_low, b_high = _korn_graubard(p, n, n, d, alpha)
    edge = ~interior & np.isfinite(p)
    low = np.where(edge, b_low, low)
    high = np.where(edge, b_high, high)
    exact = interior & (v == 0)  # e.g. a domain inside fully enumerated strata
    return np.where(exact, p, low), np.where(exact, p, high)


def _korn_graubard(
    p: np.ndarray, n_eff: np.ndarray, n: np.ndarray, df: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Korn-Graubard beta interval (R `svyciprop(method="beta")`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = t_ppf(alpha / 2, n - 1) / t_ppf(alpha / 2, np.where(df > 0, df, np.nan))
        ne = n_eff * ratio**2
        ne = np.where(np.isfinite(ne) & (ne > 0), ne, np.nan)
        x = ne * p
        low = np.where(p > 0, beta_ppf(alpha / 2, x, ne * (1 - p) + 1), 0.0)
        high = np.where(p < 1, beta_ppf(1 - alpha / 2, x + 1, ne * (1 - p)), 1.0)
    bad = ~np.isfinite(ne) | (ne <= 0)
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


# Quantiles as scipy.stats computes them (t.ppf calls stdtrit, beta.ppf Boost's inverse of
# the incomplete beta, as betaincinv does), with its nan outside the parameter space, but
# without importing scipy.stats: that import alone costs each table job about 0.35 s.


def t_ppf(q: float | np.ndarray, df: np.ndarray) -> np.ndarray:
    """`scipy.stats.t.ppf(q, df)` for 0 < q < 1."""
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, special.stdtrit(np.where(df > 0, df, 1.0), q), np.nan)


def beta_ppf(q: float, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`scipy.stats.beta.ppf(q, a, b)` for 0 < q < 1."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ok = (a > 0) & (b > 0)
    with np.errstate(invalid="ignore"):
        quantile = special.betaincinv(np.where(ok, a, 1.0), np.where(ok, b, 1.0), q)
    return np.where(ok, quantile, np.nan)
