"""One survey design, many estimators - modelled on R's `survey` package.

The design is stratified with one stage of primary sampling units (PSUs), weights and an
optional finite population correction, the way `svydesign()` holds it:

- handler census: `svydesign(ids=~1, strata=~stratum, fpc=~population_size, weights=~weight)`
  (every respondent is its own PSU);
- clustered customers: `svydesign(ids=~psu, strata=~stratum, weights=~weight, nest=TRUE)`.

Domains (item nonresponse, filters, groups) follow `subset()` / `svyby()`: rows outside the
domain score zero but the design (PSUs per stratum, fpc) is that of the whole sample.
The strata and PSU index arrays are built once; a variable of a table is one pass over the
rows into a small unit x group x category array (enkat.domain_totals), and its Totalt and
group estimates, variances and degrees of freedom are computed from that array.
See docs/methods.md for the formulas.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import special

from enkat.calibration import Calibration, adjusted_sums
from enkat.domain_totals import DENSE_CELLS as DENSE_CELLS  # re-exported (enkat.replicates)
from enkat.domain_totals import DomainTotals, Units, domain_totals, units
from enkat.errors import EnkatError
from enkat.weights_file import (
    WEIGHT_COLUMNS,
    calibration_columns,
    is_census,
    read_weights_table,
    recorded_facts,
)


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
    # what is built once per design (enkat.domain_totals.units); never shared by copies
    _cache: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

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
            h.astype(np.int64, copy=False),
            c.astype(np.int64, copy=False),
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
        weights = np.array(table["weight"].to_numpy())  # owned: the Arrow table can go
        if census:
            population, psu = np.array(table["population_size"].to_numpy()), None
        else:
            population, psu = None, _codes(table["psu"])
        # hand the decoded Parquet pages back before indexing: a table job's peak memory
        # is the design's (issue 16)
        del table
        pa.default_memory_pool().release_unused()
        design = cls.build(weights, stratum, psu, population, str(path))
        return design.calibrated(calibration), ids

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
        codes = np.asarray(values.codes)  # int8/16/32: kept small until the result
        if (codes < 0).any():
            raise EnkatError(
                "a stratum or PSU is missing",
                column="stratum/psu",
                expected="a value on every row",
                hint="rerun the weighting step",
            )
        used = np.zeros(order.size, dtype=bool)
        used[rank[np.flatnonzero(np.bincount(codes, minlength=order.size))]] = True
        remap = (np.cumsum(used) - 1)[rank]  # category code -> rank among those used
        return remap[codes], labels[order][used]
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
    (-1: in no domain). One pass over the rows (enkat.domain_totals), then the array."""
    totals = domain_totals(design, codes, n_categories, groups, n_groups)
    return block_proportions(design, totals, total=groups is None)


def block_proportions(design: Design, totals: DomainTotals, total: bool) -> Proportions:
    """The proportions of one block of a variable's array: Totalt (`total`) or its groups."""
    X, N, X2 = totals.block(total)
    p, n, base_n, W = domain_estimates(X, N)
    with np.errstate(divide="ignore", invalid="ignore"):
        s1, s2, psus_in = score_sums(design, totals.unit_ids, X, N, X2, p, W)
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


def domain_estimates(
    X: np.ndarray, N: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """p (D, K), n (D, K), base n (D,) and weight total W (D,) of a block of a unit array:
    the full-sample estimates every variance method shares."""
    counts = N.sum(axis=0)
    P = X.sum(axis=0)
    W = P.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = P / W[:, None]
    return p, counts.astype(float), counts.sum(axis=1).astype(float), W


def score_sums(
    design: Design,
    unit_ids: np.ndarray,
    X: np.ndarray,
    N: np.ndarray,
    X2: np.ndarray | None,
    p: np.ndarray,
    W: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per stratum, domain and category: the sum of the PSU scores Z_c = (A_c - p B_c) / W
    and of Z_c², and the PSUs of each stratum in each domain - from the unit array (X, N
    and, for one-row PSUs, X2 of shape (units, domains, categories)). A calibrated design's
    scores are the residuals of its model (enkat.calibration.adjusted_sums)."""
    u = units(design)
    H = design.n_psu.size
    h_u = u.stratum[unit_ids]
    Wd = W[None, :, None]
    if design.one_row_psu:  # a unit is a stratum's rows of one calibration cell
        B = X.sum(axis=2, keepdims=True)
        B2 = X2.sum(axis=2, keepdims=True)  # type: ignore[union-attr]
        s1 = sum_by(h_u, H, (X - p * B) / Wd)
        s2 = sum_by(h_u, H, (X2 - 2 * p * X2 + p * p * B2) / (Wd * Wd))
        psus_in = sum_by(h_u, H, N.sum(axis=2))
        psu_scores = None
    else:
        A, N_c, psus, h_c = psu_totals(u, unit_ids, X, N)
        Z = (A - p * A.sum(axis=2, keepdims=True)) / Wd
        s1, s2 = sum_by(h_c, H, Z), sum_by(h_c, H, Z * Z)
        psus_in = sum_by(h_c, H, (N_c.sum(axis=2) > 0).astype(np.int64))
        psu_scores = (psus, h_c, Z)
    if design.calibration is not None:
        s1, s2 = adjusted_sums(design, u, unit_ids, N, X2, p, W, s1, s2, psu_scores)
    return s1, s2, psus_in


def psu_totals(
    u: Units, unit_ids: np.ndarray, X: np.ndarray, N: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The unit array summed into PSUs: totals, counts, the PSUs and their strata."""
    c_u = u.psu[unit_ids]
    if c_u.size == 0 or bool((np.diff(c_u) > 0).all()):  # one unit per PSU
        return X, N, c_u, u.stratum[unit_ids]
    psus, first = np.unique(c_u, return_index=True)
    # units are numbered PSU by PSU, so each PSU's units are one run
    return (
        np.add.reduceat(X, first, axis=0),
        np.add.reduceat(N, first, axis=0),
        psus,
        u.stratum[unit_ids][first],
    )


def sum_by(keys: np.ndarray, n_keys: int, x: np.ndarray) -> np.ndarray:
    """Sums of the rows of `x` by key (0..n_keys-1): a run-wise reduction where the keys
    are sorted (strata of units always are), else a scatter-add."""
    out = np.zeros((n_keys, *x.shape[1:]), dtype=x.dtype)
    if keys.size == 0:
        return out
    if bool((np.diff(keys) >= 0).all()):
        present, first = np.unique(keys, return_index=True)
        out[present] = np.add.reduceat(x, first, axis=0)
    else:
        np.add.at(out, keys, x)
    return out


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
