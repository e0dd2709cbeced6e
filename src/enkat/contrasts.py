"""Differences between domain proportions: groups against the total, a reference group, each
other, and survey waves - R's `svyby(..., covmat=TRUE)` + `svycontrast`.

A difference p_a - p_b of two domain proportions is linear in their influence functions, so
its variance is the design variance of one score per row,
u_i = 1_a(i) w_i (y_i - p_a) / W_a - 1_b(i) w_i (y_i - p_b) / W_b,
summed to PSU totals and spread over strata exactly as `svyrecvar` does for one estimate.
Domains may overlap (a group and the total that holds it) and may share PSUs (groups that cut
across offices, or an office that is one PSU in two waves): both covariances come out of the
same score, which is what `svycontrast` computes from the full covariance matrix.

Tests refer difference / SE to Student's t with the degrees of freedom of the two domains
together (PSUs minus strata of their union, `degf(subset(design, a | b))`), or to the normal
distribution (`confint(svycontrast(...))`'s default) when config says so; p-values are then
adjusted for multiplicity within a family (R `p.adjust`, Holm or Bonferroni). See
docs/methods.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from enkat.calibration import add_margin_sums, model_fit
from enkat.design import Design, t_ppf
from enkat.errors import EnkatError
from enkat.fmt import SUPPRESSED
from enkat.suppression import TOTAL
from enkat.tables import (
    TableData,
    TableVariable,
    filter_mask,
    group_codes,
    load_table_data,
    variable_codes,
    write_csv,
)

COMPARISONS = ("total", "reference", "pairwise")
WAVE_COMPARISONS = ("consecutive", "reference")
ADJUSTMENTS = ("holm", "bonferroni", "none")
FAMILIES = ("category", "variable", "table")
DISTRIBUTIONS = ("t", "normal")
MARKS = ("none", "total", "letters")

RESULT_COLUMNS = [
    "category",
    "estimate",
    "reference_estimate",
    "difference",
    "se",
    "ci_low",
    "ci_high",
    "df",
    "statistic",
    "p_value",
    "p_adjusted",
    "significant",
]
CONTRAST_COLUMNS = [
    "table_id",
    "survey",
    "variable",
    "variable_label",
    "comparison",
    "group_var",
    "group",
    "reference",
    *RESULT_COLUMNS,
]
WAVE_COLUMNS = [
    "table_id",
    "survey",
    "variable",
    "variable_label",
    "comparison",
    "group_var",
    "group",
    "wave",
    "reference_wave",
    *RESULT_COLUMNS,
]


@dataclass(frozen=True)
class Difference:
    """p_a - p_b for every category of one variable, arrays of shape (K,)."""

    estimate: np.ndarray  # p_a
    reference_estimate: np.ndarray  # p_b
    difference: np.ndarray
    se: np.ndarray
    df: float  # PSUs minus strata of the union of the two domains


CHUNK_ROWS = 1 << 16  # rows whose scores are held at once (0.5 MB per category)


def difference(
    design: Design, codes: np.ndarray, n_categories: int, in_a: np.ndarray, in_b: np.ndarray
) -> Difference:
    """The difference of two domain proportions of every category, with its design SE.

    `codes` holds a category per row (-1: outside the base); `in_a` and `in_b` mark the two
    domains (they may overlap). Rows outside the base belong to neither domain.

    The scores are made and summed a block of rows at a time, in row order, so the sums
    are those of one pass over all rows while memory stays that of a block: a by-table's
    job at 3 M responses holds its data and design, not n x K scores (issue 16).
    """
    K = n_categories
    codes = np.asarray(codes)
    base = codes >= 0
    a = base & np.asarray(in_a, dtype=bool)
    b = base & np.asarray(in_b, dtype=bool)
    del base
    weights = design.weights
    W_a, W_b = float(weights[a].sum()), float(weights[b].sum())
    blocks = [slice(s, min(s + CHUNK_ROWS, design.n)) for s in range(0, design.n, CHUNK_ROWS)]
    C, H = design.psu_stratum.size, design.n_psu.size
    # the domains' weighted category totals (as one `bincount` over the rows) and PSUs
    P_a, P_b, psus = np.zeros(K), np.zeros(K), np.zeros(C, dtype=bool)
    for block in blocks:
        in_a, in_b = a[block], b[block]
        np.add.at(P_a, codes[block][in_a], weights[block][in_a])
        np.add.at(P_b, codes[block][in_b], weights[block][in_b])
        psus[design.psu[block][in_a | in_b]] = True
    nan = np.full(K, np.nan)
    p_a = nan if W_a <= 0 else P_a / W_a
    p_b = nan if W_b <= 0 else P_b / W_b
    if W_a <= 0 or W_b <= 0:
        return Difference(p_a, p_b, nan, nan, np.nan)

    def scores(block: slice) -> tuple[np.ndarray, np.ndarray]:
        """The rows of `block` in either domain, and their scores u (rows x K)."""
        rows = block.start + np.flatnonzero(a[block] | b[block])
        w, ina, inb = weights[rows], a[rows], b[rows]
        y = np.zeros((rows.size, K))
        y[np.arange(rows.size), codes[rows]] = 1.0
        u = (ina * w / W_a)[:, None] * (y - p_a) - (inb * w / W_b)[:, None] * (y - p_b)
        return rows, u

    cal = design.calibration
    if cal is not None:  # residuals of the calibration model (enkat.calibration.residuals)
        xtu = np.zeros((cal.q, K))
        for block in blocks:
            rows, u = scores(block)
            add_margin_sums(cal, xtu, rows, u / weights[rows][:, None])
        coefficients = cal.coefficients(xtu)
    # per PSU (or, for one-row PSUs, per stratum with the squares too) the sums of the scores
    totals = np.zeros((H if design.one_row_psu else C, K))
    squares = np.zeros((H, K)) if design.one_row_psu else None
    for block in blocks:
        rows, u = scores(block)
        if cal is not None:  # every row has a residual, in the domains or not
            full = np.zeros((block.stop - block.start, K))
            full[rows - block.start] = u
            fit = model_fit(cal, coefficients, block)
            rows = np.arange(block.start, block.stop)
            u = full - weights[block][:, None] * fit
        psu = design.psu[rows]
        if squares is not None:
            stratum = design.psu_stratum[psu]
            np.add.at(totals, stratum, u)
            np.add.at(squares, stratum, u * u)
        else:
            np.add.at(totals, psu, u)
    n_h = design.n_psu.astype(float)
    scale = np.where(n_h > 1, design.scale(), 0.0)
    variance = np.zeros(K)
    for j in range(K):
        if squares is not None:  # every PSU one row: its total is the row's score
            s1, s2 = totals[:, j], squares[:, j]
        else:
            U = totals[:, j]
            s1 = np.bincount(design.psu_stratum, weights=U, minlength=H)
            s2 = np.bincount(design.psu_stratum, weights=U * U, minlength=H)
        with np.errstate(divide="ignore", invalid="ignore"):
            centred = np.where(n_h > 1, s2 - s1 * s1 / n_h, 0.0)
        variance[j] = float((scale * centred).sum())
    present = np.flatnonzero(psus)
    strata = np.count_nonzero(np.bincount(design.psu_stratum[present], minlength=H))
    df = float(present.size - strata)
    return Difference(p_a, p_b, p_a - p_b, np.sqrt(np.maximum(variance, 0.0)), df)


def p_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """R's `p.adjust(p, method)` for holm, bonferroni and none; NaN stays NaN and does not
    count towards the number of tests."""
    p = np.asarray(p, dtype=float)
    out = p.copy()
    ok = np.isfinite(p)
    m = int(ok.sum())
    if method == "none" or m == 0:
        return out
    q = p[ok]
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, m * q)
    elif method == "holm":
        order = np.argsort(q, kind="stable")
        stepped = np.maximum.accumulate((m - np.arange(m)) * q[order])
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(1.0, stepped)
        out[ok] = adjusted
    else:
        raise EnkatError(
            "unknown multiplicity adjustment",
            column="contrasts.adjust",
            value=method,
            expected=", ".join(ADJUSTMENTS),
        )
    return out


def _test(
    d: Difference, level: float, distribution: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Wald statistic, two-sided p-value and CI of the difference."""
    alpha = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(d.se > 0, d.difference / d.se, np.nan)
        if distribution == "normal":
            q = float(special.ndtri(1 - alpha / 2))
            p = 2 * special.ndtr(-np.abs(stat))
        elif distribution == "t":
            ok = np.isfinite(d.df) and d.df > 0
            q = float(t_ppf(1 - alpha / 2, np.array(d.df))) if ok else np.nan
            p = 2 * special.stdtr(d.df, -np.abs(stat)) if ok else np.full_like(stat, np.nan)
        else:
            raise EnkatError(
                "unknown reference distribution",
                column="contrasts.distribution",
                value=distribution,
                expected=", ".join(DISTRIBUTIONS),
            )
    return stat, p, d.difference - q * d.se, d.difference + q * d.se


def _rows(
    d: Difference, categories: Sequence[str], level: float, distribution: str, **labels: Any
) -> pd.DataFrame:
    stat, p, low, high = _test(d, level, distribution)
    frame = pd.DataFrame(
        {
            **{key: value for key, value in labels.items()},
            "category": list(categories),
            "estimate": d.estimate,
            "reference_estimate": d.reference_estimate,
            "difference": d.difference,
            "se": d.se,
            "ci_low": low,
            "ci_high": high,
            "df": d.df,
            "statistic": stat,
            "p_value": p,
        }
    )
    return frame


def _adjust(frame: pd.DataFrame, keys: list[str], method: str, test_level: float) -> None:
    """Fill `p_adjusted` and `significant` within each family (rows sharing `keys`)."""
    adjusted = np.full(len(frame), np.nan)
    for _, index in frame.groupby(keys, sort=False).indices.items():
        adjusted[index] = p_adjust(frame["p_value"].to_numpy()[index], method)
    frame["p_adjusted"] = adjusted
    frame["significant"] = np.isfinite(adjusted) & (adjusted < test_level)


FAMILY_KEYS = {
    "category": ["comparison", "variable", "category"],
    "variable": ["comparison", "variable"],
    "table": ["comparison"],
}


@dataclass(frozen=True)
class Settings:
    """The contrast settings of one table: config `contrasts`, the table's own `contrasts`
    block over it, and what its significance marks need."""

    compare: tuple[str, ...]
    reference: str | None
    adjust: str
    family: str
    distribution: str
    marks: str
    confidence_level: float
    test_level: float

    @classmethod
    def resolve(
        cls,
        spec: Mapping[str, Any],
        contrasts: Mapping[str, Any] | None,
        estimation: Mapping[str, Any],
    ) -> Settings:
        merged = {**dict(contrasts or {}), **dict(spec.get("contrasts") or {})}
        compare = merged.get("compare", ["total"])
        compare = [compare] if isinstance(compare, str) else list(compare)
        marks = str(spec.get("significance_marks", merged.get("significance_marks", "none")))
        if marks == "total" and "total" not in compare:
            compare.append("total")
        if marks == "letters" and "pairwise" not in compare:
            compare.append("pairwise")
        for value, allowed, key in (
            *((c, COMPARISONS, "compare") for c in compare),
            (merged.get("adjust", "holm"), ADJUSTMENTS, "adjust"),
            (merged.get("family", "category"), FAMILIES, "family"),
            (merged.get("distribution", "t"), DISTRIBUTIONS, "distribution"),
            (marks, MARKS, "significance_marks"),
        ):
            if value not in allowed:
                raise EnkatError(
                    f"table {spec.get('id', '?')}: bad contrast setting",
                    column=f"contrasts.{key}",
                    value=value,
                    expected=", ".join(allowed),
                )
        reference = merged.get("reference")
        if "reference" in compare and reference in (None, ""):
            raise EnkatError(
                f"table {spec.get('id', '?')} compares with a reference group but names none",
                column="contrasts.reference",
                expected="a group of the table's by variable",
            )
        return cls(
            tuple(dict.fromkeys(compare)),
            None if reference is None else str(reference),
            str(merged.get("adjust", "holm")),
            str(merged.get("family", "category")),
            str(merged.get("distribution", "t")),
            marks,
            float(estimation.get("confidence_level", 0.95)),
            float(estimation.get("test_level", 0.05)),
        )


def contrast_table(
    data: pd.DataFrame,
    design: Design,
    variables: Sequence[TableVariable],
    by: str,
    settings: Settings,
    spec_filter: Mapping[str, Sequence[str]] | None = None,
    group_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every group of a by-table against the total, a reference group or each other.

    The total is the table's `Totalt` domain (everyone in the base, whatever their group);
    pairwise comparisons run in group order, the earlier group first (`a - b`).
    """
    if by not in data.columns:
        raise EnkatError(
            "the by variable is not a column of the survey data",
            column="by",
            value=by,
            expected=", ".join(map(str, data.columns)),
        )
    keep = filter_mask(data, spec_filter)
    groups, labels = group_codes(data[by], group_order)
    groups = groups.astype(np.int32)  # small: a by-table holds it with its data (issue 16)
    if "reference" in settings.compare and settings.reference not in labels:
        raise EnkatError(
            "the reference group does not occur in the data",
            column="contrasts.reference",
            value=settings.reference,
            expected=", ".join(labels),
        )
    pairs: list[tuple[str, str, str, np.ndarray, np.ndarray]] = []
    everyone = np.ones(len(data), dtype=bool)
    for comparison in settings.compare:
        if comparison == "total":
            pairs += [("total", g, TOTAL, groups == i, everyone) for i, g in enumerate(labels)]
        elif comparison == "reference":
            r = labels.index(str(settings.reference))
            pairs += [
                ("reference", g, labels[r], groups == i, groups == r)
                for i, g in enumerate(labels)
                if i != r
            ]
        else:
            pairs += [
                ("pairwise", labels[i], labels[j], groups == i, groups == j)
                for i in range(len(labels))
                for j in range(i + 1, len(labels))
            ]
    blocks = []
    for var in variables:
        codes = np.where(keep, variable_codes(data, var), -1).astype(np.int16)
        for comparison, group, reference, in_a, in_b in pairs:
            d = difference(design, codes, len(var.categories), in_a, in_b)
            blocks.append(
                _rows(
                    d,
                    var.categories,
                    settings.confidence_level,
                    settings.distribution,
                    variable=var.name,
                    variable_label=var.label,
                    comparison=comparison,
                    group_var=by,
                    group=group,
                    reference=reference,
                )
            )
    frame = _concat(blocks, CONTRAST_COLUMNS)
    _adjust(frame, FAMILY_KEYS[settings.family], settings.adjust, settings.test_level)
    return frame


def wave_table(
    data: pd.DataFrame,
    design: Design,
    variables: Sequence[TableVariable],
    wave_var: str,
    compare: str,
    settings: Settings,
    reference: str | None = None,
    by: str | None = None,
    spec_filter: Mapping[str, Sequence[str]] | None = None,
    group_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The change of every share between waves: each wave against the one before
    (`consecutive`) or against a reference wave, in the whole table and, when the table is
    broken out by another variable, within each of its groups.

    Waves are ordered as their labels sort (years). Whether waves are independent is the
    design's business: waves in separate strata share no PSU and the covariance is zero; an
    office that is the same PSU in two waves adds its covariance through the score.
    """
    for column in (wave_var, by):
        if column is not None and column not in data.columns:
            raise EnkatError(
                "a column the wave comparison needs is not in the survey data",
                column="waves.variable" if column == wave_var else "by",
                value=column,
                expected=", ".join(map(str, data.columns)),
            )
    if compare not in WAVE_COMPARISONS:
        raise EnkatError(
            "unknown wave comparison",
            column="waves.compare",
            value=compare,
            expected=", ".join(WAVE_COMPARISONS),
        )
    keep = filter_mask(data, spec_filter)
    wave_codes, waves = group_codes(data[wave_var].where(keep))
    if len(waves) < 2:
        raise EnkatError(
            "a wave comparison needs at least two waves in the table's data",
            column="waves",
            value=", ".join(waves),
            expected="two or more waves (check the table's filter)",
        )
    if compare == "reference":
        ref = waves[0] if reference in (None, "") else str(reference)
        if ref not in waves:
            raise EnkatError(
                "the reference wave does not occur in the table's data",
                column="waves.reference",
                value=reference,
                expected=", ".join(waves),
            )
        r = waves.index(ref)
        wave_pairs = [(i, r) for i in range(len(waves)) if i != r]
    else:
        wave_pairs = [(i, i - 1) for i in range(1, len(waves))]
    outer: list[tuple[str, str, np.ndarray]] = [("", TOTAL, np.ones(len(data), dtype=bool))]
    if by is not None and by != wave_var:
        groups, labels = group_codes(data[by], group_order)
        outer += [(by, g, groups == i) for i, g in enumerate(labels)]
    blocks = []
    for var in variables:
        codes = np.where(keep, variable_codes(data, var), -1)
        for group_var, group, inside in outer:
            for i, r in wave_pairs:
                d = difference(
                    design,
                    codes,
                    len(var.categories),
                    inside & (wave_codes == i),
                    inside & (wave_codes == r),
                )
                blocks.append(
                    _rows(
                        d,
                        var.categories,
                        settings.confidence_level,
                        settings.distribution,
                        variable=var.name,
                        variable_label=var.label,
                        comparison=compare,
                        group_var=group_var,
                        group=group,
                        wave=waves[i],
                        reference_wave=waves[r],
                    )
                )
    frame = _concat(blocks, WAVE_COLUMNS)
    keys = [*FAMILY_KEYS[settings.family], "group_var", "group"]
    _adjust(frame, keys, settings.adjust, settings.test_level)
    return frame


def _concat(blocks: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not blocks:
        return pd.DataFrame(columns=[c for c in columns if c not in ("table_id", "survey")])
    return pd.concat(blocks, ignore_index=True)


def wave_settings(spec: Mapping[str, Any], waves: Mapping[str, Any] | None) -> dict[str, Any]:
    """A table's wave comparison: config `waves` with the table's `waves` block over it
    (`waves: true` takes config as it is)."""
    own = spec.get("waves")
    merged = dict(waves or {})
    if isinstance(own, Mapping):
        merged.update(own)
    return {
        "variable": str(merged.get("variable", "wave")),
        "compare": str(merged.get("compare", "consecutive")),
        "reference": merged.get("reference"),
    }


def write_contrasts(
    spec: Mapping[str, Any],
    survey_path: str | Path,
    weights_path: str | Path,
    codebook_path: str | Path,
    estimation: Mapping[str, Any],
    contrasts: Mapping[str, Any] | None,
    group_orders: Mapping[str, Sequence[str]],
    out: str | Path,
    table_path: str | Path | None = None,
) -> pd.DataFrame:
    """`analysis/contrasts/<table_id>.csv` of a by-table, reading the data itself."""
    loaded = load_table_data(spec, survey_path, weights_path, codebook_path)
    return contrast_file(loaded, spec, estimation, contrasts, group_orders, out, table_path)


def contrast_file(
    loaded: TableData,
    spec: Mapping[str, Any],
    estimation: Mapping[str, Any],
    contrasts: Mapping[str, Any] | None,
    group_orders: Mapping[str, Sequence[str]],
    out: str | Path,
    table_path: str | Path | None = None,
) -> pd.DataFrame:
    """The group differences of a by-table from its data already read (its table job).

    `table_path` is the table's published estimate file: a difference that involves a cell
    it suppresses would give that cell away (difference + the shown share), so its numbers
    are replaced by the suppression symbol too.
    """
    settings = Settings.resolve(spec, contrasts, estimation)
    by = str(spec["by"])
    frame = contrast_table(
        loaded.data,
        loaded.design,
        loaded.variables,
        by,
        settings,
        spec.get("filter"),
        (group_orders or {}).get(by),
    )
    frame.insert(0, "survey", spec["survey"])
    frame.insert(0, "table_id", spec["id"])
    frame = frame[CONTRAST_COLUMNS]
    if table_path is not None:
        from enkat.analysis_files import read_estimates

        frame = hide_suppressed(frame, suppressed_cells(read_estimates(table_path)))
    write_csv(frame, out)
    return frame


HIDDEN_COLUMNS = (
    "estimate",
    "reference_estimate",
    "difference",
    "se",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "p_adjusted",
)


def hide_suppressed(frame: pd.DataFrame, hidden: set[tuple[str, str, str]]) -> pd.DataFrame:
    """Rows whose group or reference cell is suppressed in the table carry the symbol."""
    if not hidden or frame.empty:
        return frame
    variable, category = frame["variable"].astype(str), frame["category"].astype(str)

    def touches(column: str) -> np.ndarray:
        cells = zip(variable, frame[column].astype(str), category, strict=True)
        return np.array([cell in hidden for cell in cells], dtype=bool)

    mask = touches("group") | touches("reference")
    return _blank(frame, mask)


def write_waves(
    spec: Mapping[str, Any],
    survey_path: str | Path,
    weights_path: str | Path,
    codebook_path: str | Path,
    estimation: Mapping[str, Any],
    contrasts: Mapping[str, Any] | None,
    waves: Mapping[str, Any] | None,
    group_orders: Mapping[str, Sequence[str]],
    out: str | Path,
    table_path: str | Path | None = None,
    suppression: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """`analysis/waves/<table_id>.csv` of a table with `waves`, reading the data itself."""
    extra = [wave_settings(spec, waves)["variable"]]
    loaded = load_table_data(spec, survey_path, weights_path, codebook_path, extra)
    return wave_file(
        loaded, spec, estimation, contrasts, waves, group_orders, out, table_path, suppression
    )


def wave_file(
    loaded: TableData,
    spec: Mapping[str, Any],
    estimation: Mapping[str, Any],
    contrasts: Mapping[str, Any] | None,
    waves: Mapping[str, Any] | None,
    group_orders: Mapping[str, Sequence[str]],
    out: str | Path,
    table_path: str | Path | None = None,
    suppression: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The change between waves of a table from its data already read (its table job);
    the data must hold the wave variable.

    `table_path` (the table's published estimate file) and `suppression` (config) decide
    which rows carry the suppression symbol instead of numbers (`hide_wave_cells`)."""
    settings = Settings.resolve({**spec, "significance_marks": "none"}, contrasts, estimation)
    chosen = wave_settings(spec, waves)
    data, design, variables = loaded.data, loaded.design, loaded.variables
    by = spec.get("by")
    frame = wave_table(
        data,
        design,
        variables,
        chosen["variable"],
        chosen["compare"],
        settings,
        chosen["reference"],
        by,
        spec.get("filter"),
        (group_orders or {}).get(by) if by else None,
    )
    frame.insert(0, "survey", spec["survey"])
    frame.insert(0, "table_id", spec["id"])
    frame = frame[WAVE_COLUMNS]
    if table_path is not None or suppression is not None:
        from enkat.analysis_files import read_estimates
        from enkat.suppression import Rules

        table_hidden = (
            suppressed_cells(read_estimates(table_path)) if table_path is not None else set()
        )
        rules = Rules.from_config(dict(suppression or {}))
        blocks = wave_domain_hidden(
            data,
            design,
            variables,
            chosen["variable"],
            by,
            spec.get("filter"),
            rules,
            estimation,
        )
        frame = hide_wave_cells(frame, table_hidden, blocks, by == chosen["variable"])
    write_csv(frame, out)
    return frame


def wave_domain_hidden(
    data: pd.DataFrame,
    design: Design,
    variables: Sequence[TableVariable],
    wave_var: str,
    by: str | None,
    spec_filter: Mapping[str, Sequence[str]] | None,
    rules: Any,
    estimation: Mapping[str, Any],
) -> set[tuple[str, str, str]]:
    """The (variable, group_var, group) blocks of a wave file in which the suppression rules
    hide some wave domain's cell.

    A wave file shows the share of every wave in the whole table and within each group of
    its `by` variable: domains the estimate table does not have (unless `by` is the wave),
    so the table step never judged them. They get the same primary rules here (base,
    group size, NCHS), Taylor-linearised. A block with a hidden cell is hidden whole: the
    shares of one domain add up to one and the waves make up the group's published share,
    so one hidden cell among shown ones could be had by subtraction.
    """
    from enkat.suppression import HIDDEN_FLAGS, primary_flags
    from enkat.tables import estimate_table

    level = float(estimation.get("confidence_level", 0.95))
    ci_method = str(estimation.get("ci_method", "logit"))
    wave = data[wave_var].astype("string")
    sep = "\x1f"  # between group and wave in one domain label; no label holds it
    levels: list[tuple[str, pd.Series]] = []
    if by != wave_var:  # by the wave, the table's groups are the waves: its flags decide
        levels.append(("", wave))
        if by is not None:
            levels.append((by, data[by].astype("string") + sep + wave))
    column = sep + "wave-domain"
    hidden: set[tuple[str, str, str]] = set()
    for group_var, values in levels:
        framed = data.assign(**{column: values})
        estimates, _ = estimate_table(
            framed, design, variables, column, spec_filter, level, ci_method
        )
        domain = estimates[estimates["group"] != TOTAL]
        failed = domain[primary_flags(domain, rules).isin(HIDDEN_FLAGS).to_numpy()]
        for variable, label in failed[["variable", "group"]].to_numpy():
            group = str(label).split(sep)[0] if group_var else TOTAL
            hidden.add((str(variable), group_var, group))
    return hidden


def hide_wave_cells(
    frame: pd.DataFrame,
    table_hidden: set[tuple[str, str, str]],
    domain_hidden: set[tuple[str, str, str]],
    by_wave: bool,
) -> pd.DataFrame:
    """Rows of a wave file that would show or give away a suppressed value carry the symbol.

    - By the wave (`by_wave`), the whole table's waves are the estimate table's groups: a
      row whose wave or reference wave cell the table suppresses is hidden (difference +
      the other, shown share = the hidden share); the table's complementary suppression
      already keeps the shown cells from giving a hidden one away.
    - Otherwise a (variable, group) block is hidden whole when the estimate table hides any
      cell of that variable and group (`Totalt` for the whole table), or when a wave
      domain of the block fails the suppression rules (`domain_hidden`).
    """
    if frame.empty:
        return frame
    variable = frame["variable"].astype(str).to_numpy()
    group_var = frame["group_var"].fillna("").astype(str).to_numpy()
    group = frame["group"].astype(str).to_numpy()
    category = frame["category"].astype(str).to_numpy()
    wave = frame["wave"].astype(str).to_numpy()
    reference = frame["reference_wave"].astype(str).to_numpy()
    table_blocks = {(v, g) for v, g, _ in table_hidden}
    mask = np.zeros(len(frame), dtype=bool)
    for k in range(len(frame)):
        if by_wave and group[k] == TOTAL and group_var[k] == "":
            mask[k] = (variable[k], wave[k], category[k]) in table_hidden or (
                variable[k],
                reference[k],
                category[k],
            ) in table_hidden
        else:
            mask[k] = (variable[k], group[k]) in table_blocks or (
                variable[k],
                group_var[k],
                group[k],
            ) in domain_hidden
    return _blank(frame, mask)


def _blank(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of `mask` with the suppression symbol in every number and no verdict."""
    if not mask.any():
        return frame
    out = frame.copy()
    for column in HIDDEN_COLUMNS:
        out[column] = out[column].astype(object)
        out.loc[mask, column] = SUPPRESSED
    out["significant"] = out["significant"].astype(object)
    out.loc[mask, "significant"] = ""
    return out


# --- significance marks (workbook and report) --------------------------------------------

MINUS = "\u2212"
ADJUST_TEXT = {
    "holm": "p-värdena är justerade för flera jämförelser med Holms metod",
    "bonferroni": "p-värdena är justerade för flera jämförelser med Bonferronis metod",
    "none": "utan justering för flera jämförelser",
}


def group_letters(groups: Sequence[str]) -> dict[str, str]:
    """Column letters A, B, C, ... (then AA, AB, ...) in group order, Totalt excluded."""
    out: dict[str, str] = {}
    for i, group in enumerate(g for g in groups if g != TOTAL):
        letters, n = "", i
        while True:
            letters = chr(ord("A") + n % 26) + letters
            n = n // 26 - 1
            if n < 0:
                break
        out[group] = letters
    return out


def cell_marks(
    contrasts: pd.DataFrame,
    mode: str,
    letters: Mapping[str, str] | None = None,
    hidden: set[tuple[str, str, str]] | frozenset[tuple[str, str, str]] = frozenset(),
) -> dict[tuple[str, str, str], str]:
    """The mark of each (variable, group, category) cell.

    `total`: "+" or "−" where the group differs significantly from Totalt. `letters` (SPSS
    Custom Tables' column proportions test): the letters of the groups whose share is
    significantly lower than this cell's. Cells in `hidden` (suppressed) get no mark and
    lend none.
    """
    marks: dict[tuple[str, str, str], str] = {}
    if mode == "none" or contrasts is None or contrasts.empty:
        return marks
    significant = contrasts[contrasts["significant"].astype(bool)]
    if mode == "total":
        for _, r in significant[significant["comparison"] == "total"].iterrows():
            key = (str(r["variable"]), str(r["group"]), str(r["category"]))
            if key not in hidden:
                marks[key] = "+" if r["difference"] > 0 else MINUS
        return marks
    letters = letters or {}
    found: dict[tuple[str, str, str], set[str]] = {}
    for _, r in significant[significant["comparison"] == "pairwise"].iterrows():
        variable, category = str(r["variable"]), str(r["category"])
        a, b = str(r["group"]), str(r["reference"])
        high, low = (a, b) if r["difference"] > 0 else (b, a)
        cells = {(variable, a, category), (variable, b, category)}
        if cells & set(hidden) or low not in letters:
            continue
        found.setdefault((variable, high, category), set()).add(letters[low])
    for key, values in found.items():
        marks[key] = "".join(sorted(values, key=lambda s: (len(s), s)))
    return marks


def marks_footnote(mode: str, settings: Settings) -> str:
    """The footnote that states the rule behind the marks (Swedish, reader-facing)."""
    if mode == "none":
        return ""
    level = settings.test_level * 100
    level_text = f"{level:g}".replace(".", ",")
    rule = (
        f"test av skillnaden som tar hänsyn till urvalsdesignen, {level_text} procents "
        f"signifikansnivå; {ADJUST_TEXT[settings.adjust]}"
    )
    if mode == "total":
        return (
            f"+ respektive {MINUS} efter andelen: andelen i gruppen är statistiskt säkert "
            f"högre respektive lägre än totalen ({rule})."
        )
    return (
        "Grupperna har bokstäver (A, B, …). En bokstav efter andelen: andelen är statistiskt "
        f"säkert högre än i gruppen med den bokstaven ({rule})."
    )


@dataclass(frozen=True)
class SignificanceMarks:
    """What a presented by-table shows: a mark per cell, the group letters, the footnote."""

    cells: dict[tuple[str, str, str], str]
    letters: dict[str, str]
    footnote: str


def table_marks(
    spec: Mapping[str, Any],
    estimates: pd.DataFrame,
    contrasts: pd.DataFrame | str | Path | None,
    config_contrasts: Mapping[str, Any] | None,
    estimation: Mapping[str, Any],
) -> SignificanceMarks | None:
    """The significance marks of one table (None when the table has none).

    `estimates` is the table's estimate file (its `suppressed` flag decides which cells
    are shown); `contrasts` its contrast file or the path to it."""
    settings = Settings.resolve(spec, config_contrasts, estimation)
    if settings.marks == "none" or contrasts is None or not spec.get("by"):
        return None
    if not isinstance(contrasts, pd.DataFrame):
        contrasts = read_contrasts(contrasts)
    hidden = suppressed_cells(estimates)
    shown = estimates.loc[~estimates["suppressed"], "group"].astype(str)
    groups = [g for g in pd.unique(estimates["group"].astype(str)) if g in set(shown)]
    letters = group_letters(groups) if settings.marks == "letters" else {}
    cells = cell_marks(contrasts, settings.marks, letters, hidden)
    return SignificanceMarks(cells, letters, marks_footnote(settings.marks, settings))


def read_contrasts(path: str | Path) -> pd.DataFrame:
    """A contrast or wave file, typed (labels as written, numbers as floats)."""
    from enkat.csvsafe import restore  # undo the apostrophe before formula-like labels

    frame = restore(
        pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", lineterminator="\n")
    )
    from enkat.analysis_files import require_columns

    require_columns(frame, path, CONTRAST_COLUMNS if "reference" in frame.columns else WAVE_COLUMNS)
    numbers = [c for c in RESULT_COLUMNS if c not in ("category", "significant")]
    frame[numbers] = frame[numbers].apply(pd.to_numeric, errors="coerce")
    frame["significant"] = frame["significant"].str.strip().str.lower() == "true"
    return frame


def wave_footnote(
    spec: Mapping[str, Any],
    config_contrasts: Mapping[str, Any] | None,
    estimation: Mapping[str, Any],
) -> str:
    """The workbook footnote under a table of changes between waves (Swedish)."""
    settings = Settings.resolve(
        {**spec, "significance_marks": "none"}, config_contrasts, estimation
    )
    level_text = f"{settings.test_level * 100:g}".replace(".", ",")
    return (
        "Förändring mellan omgångarna: skillnaden mellan andelarna i procentenheter med "
        "konfidensintervall; test av skillnaden som tar hänsyn till urvalsdesignen, "
        f"{level_text} procents signifikansnivå; {ADJUST_TEXT[settings.adjust]}."
    )


def wave_note(
    waves: pd.DataFrame,
    estimates: pd.DataFrame,
    spec: Mapping[str, Any],
    config_contrasts: Mapping[str, Any] | None,
    estimation: Mapping[str, Any],
) -> str:
    """One report sentence on the change between waves of the whole table: the changes that
    are statistically significant, or that none is. Changes that involve a suppressed
    estimate are left out."""
    from enkat import fmt

    spec = {**spec, "significance_marks": "none"}
    settings = Settings.resolve(spec, config_contrasts, estimation)
    hidden = suppressed_cells(estimates)
    labels = dict(zip(estimates["variable"], estimates["variable_label"], strict=False))
    several = estimates["variable"].nunique() > 1
    level_text = f"{settings.test_level * 100:g}".replace(".", ",")
    rule = (
        f"test som tar hänsyn till urvalsdesignen, {level_text} procents signifikansnivå; "
        f"{ADJUST_TEXT[settings.adjust]}"
    )
    changes = []
    for _, r in waves[(waves["group"] == TOTAL) & waves["significant"]].iterrows():
        variable, category = str(r["variable"]), str(r["category"])
        cells = {(variable, str(r[c]), category) for c in ("wave", "reference_wave")}
        if cells & hidden:
            continue
        verb = "ökade" if r["difference"] > 0 else "minskade"
        about = f" ({labels.get(variable, variable)})" if several else ""
        changes.append(
            f"andelen som svarat {fmt.quoted(category)}{about} {verb} från {r['reference_wave']} "
            f"till {r['wave']} med {fmt.percent_value(abs(r['difference']))} procentenheter "
            f"(KI för förändringen {fmt.percent_value(r['ci_low'])} till "
            f"{fmt.percent_value(r['ci_high'])})"
        )
    if not changes:
        return (
            f"Ingen andel förändrades statistiskt säkert mellan undersökningsomgångarna ({rule})."
        )
    return (
        "Statistiskt säkra förändringar mellan undersökningsomgångarna: "
        + "; ".join(changes)
        + f" ({rule})."
    )


def suppressed_cells(estimates: pd.DataFrame) -> set[tuple[str, str, str]]:
    """The (variable, group, category) cells an estimate file suppresses."""
    hidden = estimates[estimates["suppressed"].astype(bool)]
    return set(
        zip(
            hidden["variable"].astype(str),
            hidden["group"].astype(str),
            hidden["category"].astype(str),
            strict=True,
        )
    )
