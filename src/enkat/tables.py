"""The table catalogue: items expanded into variables, and long estimate tables.

A catalogue entry (config/tables.yaml) names an `item` (all its variables: grid rows,
multiple-choice options) or `variables`, an optional `by` variable and an optional
`filter`. `estimate_table` turns it into the long table of docs/architecture.md in one pass
per variable over the rows (enkat.domain_totals: Totalt, groups and the Rao-Scott test all
come from that variable's unit x group x category array); `write_table` is the pipeline step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enkat.analysis_files import ESTIMATE_COLUMNS as TABLE_COLUMNS
from enkat.analysis_files import TEST_COLUMNS
from enkat.design import Design, Proportions, block_proportions, confidence_interval
from enkat.domain_totals import domain_totals, group_slots, units
from enkat.errors import EnkatError
from enkat.raoscott import rao_scott, rao_scott_totals
from enkat.suppression import TOTAL, Rules, classify, publish


@dataclass(frozen=True)
class TableVariable:
    """One variable of a table: its column, display label and base categories."""

    name: str
    label: str
    categories: tuple[str, ...]
    not_in_base: tuple[str, ...] = ()


def expand(
    spec: Mapping[str, Any],
    codebook: Any,
    data: pd.DataFrame | None = None,
    source: str = "config/tables.yaml",
) -> list[TableVariable]:
    """The variables a catalogue entry shows, in codebook order.

    `item` takes every codebook variable of the item; `variables` names columns, each a
    codebook variable or (not in the codebook) a respondent column whose observed values
    are its categories.
    """
    table_id = spec.get("id", "?")
    if spec.get("item"):
        try:
            found = codebook.variables(spec["item"])
        except (KeyError, ValueError, EnkatError) as err:
            raise EnkatError(
                f"table {table_id} names an item the codebook lacks",
                file=source,
                column="item",
                value=spec["item"],
                expected="an item id of the codebook",
                hint="correct the item id or add the item to the codebook",
            ) from err
        return [_from_codebook(v) for v in found]
    names = spec.get("variables") or []
    if not names:
        raise EnkatError(
            f"table {table_id} names neither item nor variables",
            file=source,
            expected="item: <id> or variables: [...]",
        )
    known = {v.name: v for v in codebook.variables()} if codebook is not None else {}
    out = []
    for name in names:
        if name in known:
            out.append(_from_codebook(known[name]))
        elif data is not None and name in data.columns:
            values = pd.Series(data[name].dropna().astype(str).unique()).sort_values()
            out.append(TableVariable(name, name, tuple(values)))
        else:
            raise EnkatError(
                f"table {table_id} names an unknown variable",
                file=source,
                column="variables",
                value=name,
                expected="a codebook variable or a respondent column",
            )
    return out


def _from_codebook(v: Any) -> TableVariable:
    return TableVariable(v.name, v.label, tuple(v.categories), tuple(v.not_in_base))


def category_codes(
    values: pd.Series, categories: Sequence[str], ignore: Sequence[str] = (), source: str = "data"
) -> np.ndarray:
    """Index of each value in `categories`; -1 for null and for `ignore` (shown, not in base).

    Works on the distinct values only, so a million rows cost one factorisation.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = pd.Index(categories)
    lookup = labels.get_indexer(pd.Index(uniques).astype(str))
    unknown = (lookup < 0) & ~pd.Index(uniques).astype(str).isin(list(ignore))
    if unknown.any():
        bad = str(pd.Index(uniques)[np.flatnonzero(unknown)[0]])
        row = int(np.flatnonzero(values.astype(str).to_numpy() == bad)[0]) + 1
        raise EnkatError(
            "a value is not a category of the variable",
            file=source,
            row=row,
            column=str(values.name),
            value=bad,
            expected=", ".join(categories),
            hint="correct the codebook or the data",
        )
    lookup = np.append(lookup, -1)  # code -1 (null) indexes the appended -1
    return lookup[codes]


def variable_codes(data: pd.DataFrame, var: TableVariable) -> np.ndarray:
    """Category index per respondent of one table variable (its column must be there)."""
    if var.name not in data.columns:
        raise EnkatError(
            "a table variable is not in the survey data",
            column=var.name,
            expected="a column of processed/<survey>.parquet",
            hint="check the codebook and the ingest step",
        )
    return category_codes(data[var.name], var.categories, var.not_in_base)


def group_codes(
    values: pd.Series, order: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Group index per row (-1 for null) and the group labels, in `order` then sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        # the categories that occur, found by counting codes (no sort of a million rows)
        codes = values.cat.codes.to_numpy().astype(np.intp)
        counts = np.bincount(codes + 1, minlength=len(values.cat.categories) + 1)[1:]
        used = np.flatnonzero(counts)
        codes = np.append(np.cumsum(counts > 0) - 1, -1)[codes]
        uniques = values.cat.categories[used]
    else:
        codes, uniques = pd.factorize(values, use_na_sentinel=True, sort=True)
    present = [str(u) for u in uniques]
    ordered = [g for g in (order or []) if g in present]
    ordered += [g for g in present if g not in ordered]
    remap = np.append(pd.Index(ordered).get_indexer(present), -1)
    return remap[codes], ordered


def filter_mask(
    data: pd.DataFrame,
    spec_filter: Mapping[str, Sequence[str]] | None,
    source: str = "config/tables.yaml",
) -> np.ndarray:
    """Rows a table's `filter` keeps (every condition must hold)."""
    keep = np.ones(len(data), dtype=bool)
    for column, allowed in (spec_filter or {}).items():
        if column not in data.columns:
            raise EnkatError(
                "a table filter names an unknown column",
                file=source,
                column="filter",
                value=column,
                expected=f"a column of the survey data: {', '.join(data.columns)}",
            )
        inside = data[column].astype("string").isin([str(a) for a in allowed])
        keep &= inside.fillna(False).to_numpy(dtype=bool)
    return keep


def estimate_table(
    data: pd.DataFrame,
    design: Design,
    variables: Sequence[TableVariable],
    by: str | None = None,
    spec_filter: Mapping[str, Sequence[str]] | None = None,
    confidence_level: float = 0.95,
    ci_method: str = "logit",
    group_order: Sequence[str] | None = None,
    replicates: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates (long) and, for a by-table, Rao-Scott tests. `data` rows follow the design.

    `replicates` (enkat.replicates.Replicates) gives replicate-weight SEs, CIs, df and
    Rao-Scott tests (docs/methods.md)."""
    keep = filter_mask(data, spec_filter)
    if by is not None and by not in data.columns:
        raise EnkatError(
            "the by variable is not a column of the survey data",
            column="by",
            value=by,
            expected=", ".join(map(str, data.columns)),
        )
    if by is not None:
        groups, labels = group_codes(data[by], group_order)
    else:
        groups, labels = None, []
    G = len(labels)
    # the (unit, group) part of every variable's combined index, once per table
    slots = None
    if replicates is None:
        slots = group_slots(units(design).of_row, groups, G, True)
        groups = None  # the slots hold the groups; a row-long array less in memory
    blocks, tests = [], []
    filtered_all = bool(keep.all())
    for var in variables:
        codes = variable_codes(data, var)  # a new array: filtered in place
        if not filtered_all:
            codes[~keep] = -1
        K = len(var.categories)
        if replicates is not None:
            from enkat.replicates import replicate_interval, replicate_proportions

            parts = [(replicate_proportions(design, replicates, codes, K), [TOTAL], "")]
            if by is not None:
                est = replicate_proportions(design, replicates, codes, K, groups, G)
                parts.append((est, labels, by))
            intervals = [replicate_interval(e, confidence_level, ci_method) for e, _, _ in parts]
            test = rao_scott(design, codes, groups, replicates) if by is not None else None
        else:
            totals = domain_totals(design, codes, K, None, G, rest=True, slots=slots)
            parts = [(block_proportions(design, totals, total=True), [TOTAL], "")]
            if by is not None:
                parts.append((block_proportions(design, totals, total=False), labels, by))
            intervals = [_interval(design, e, confidence_level, ci_method) for e, _, _ in parts]
            test = rao_scott_totals(design, totals) if by is not None else None
        for (est, names, group_var), (low, high) in zip(parts, intervals, strict=True):
            blocks.append(_rows(est, low, high, names, var, group_var))
        if test is not None:
            tests.append(
                {
                    "variable": var.name,
                    "group_var": by,
                    "statistic": test.statistic,
                    "ndf": test.ndf,
                    "ddf": test.ddf,
                    "p_value": test.p_value,
                }
            )
    estimates = pd.concat(blocks, ignore_index=True)
    return estimates, pd.DataFrame(tests, columns=TEST_COLUMNS[1:])


def _interval(
    design: Design, est: Proportions, level: float, ci_method: str
) -> tuple[np.ndarray, np.ndarray]:
    """The CI of Taylor proportions. svyciprop's Korn-Graubard n is nrow(design): the whole
    sample for a calibrated design (R's subset() keeps its rows), the domain otherwise."""
    ci_n = est.base_n if design.calibration is None else np.full_like(est.base_n, design.n)
    return confidence_interval(
        est.estimate, est.variance, ci_n[:, None], est.df[:, None], level, ci_method
    )


def _rows(
    est: Proportions,
    low: np.ndarray,
    high: np.ndarray,
    labels: Sequence[str],
    var: TableVariable,
    group_var: str,
) -> pd.DataFrame:
    """The rows of one variable for one set of domains (Totalt, or every group)."""
    G, K = est.estimate.shape
    return pd.DataFrame(
        {
            "variable": var.name,
            "variable_label": var.label,
            "group_var": group_var,
            "group": np.repeat(np.asarray(labels, dtype=object), K),
            "category": np.tile(np.asarray(var.categories, dtype=object), G),
            "n": est.n.ravel().astype(np.int64),
            "base_n": np.repeat(est.base_n, K).astype(np.int64),
            "estimate": est.estimate.ravel(),
            "se": est.se.ravel(),
            "ci_low": low.ravel(),
            "ci_high": high.ravel(),
            "deff": est.deff.ravel(),
            "df": np.repeat(est.df, K),
        }
    )


def align(table: Any, respondent_ids: Any, source: str) -> pd.DataFrame:
    """The survey rows (an Arrow table) in design order, as pandas without the ids.

    Every respondent must have exactly one weight. The usual case - the weights were
    written in survey order - is one vectorised comparison, or none where the weights file
    vouches for the order (`respondent_ids` None: see enkat.weights_file).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if respondent_ids is None:
        return table.to_pandas()
    ids = table["respondent_id"].combine_chunks().cast(pa.string())
    weights_ids = pa.array(respondent_ids).cast(pa.string())
    rest = table.drop_columns(["respondent_id"])
    if len(ids) == len(weights_ids) and pc.all(pc.equal(ids, weights_ids)).as_py():
        return rest.to_pandas()
    where = pd.Index(ids.to_pandas()).get_indexer(weights_ids.to_pandas())
    if (where < 0).any() or len(ids) != len(weights_ids):
        missing = weights_ids.to_pandas()[where < 0]
        raise EnkatError(
            "the survey data and its weights hold different respondents",
            file=source,
            column="respondent_id",
            value=missing.iloc[0] if len(missing) else len(ids),
            expected="one weight per respondent",
            hint="rerun the weighting step",
        )
    return rest.take(pa.array(where)).to_pandas()


@dataclass(frozen=True)
class TableData:
    """What a table's job reads once and its table, contrasts and waves all use: the
    survey columns in design order, the design, the table's variables and the respondent
    ids (None where the weights file vouches for the row order)."""

    data: pd.DataFrame
    design: Design
    variables: list[TableVariable]
    ids: Any


def load_table_data(
    spec: Mapping[str, Any],
    survey_path: str | Path,
    weights_path: str | Path,
    codebook_path: str | Path,
    extra: Sequence[str] = (),
) -> TableData:
    """The table's data; `extra` names columns beyond its own (the wave variable)."""
    codebook = load_codebook(codebook_path)
    design, ids = Design.read(weights_path, survey_path)
    names = [v.name for v in codebook.variables(spec["item"])] if spec.get("item") else []
    columns = [] if ids is None else ["respondent_id"]
    columns += [*names, *(spec.get("variables") or []), *(spec.get("filter") or {})]
    columns += [c for c in (spec.get("by"), *extra) if c]
    data = read_survey(survey_path, list(dict.fromkeys(columns)), ids)
    return TableData(data, design, expand(spec, codebook, data), ids)


def write_table(
    spec: Mapping[str, Any],
    survey_path: str | Path,
    weights_path: str | Path,
    codebook_path: str | Path,
    estimation: Mapping[str, Any],
    suppression: Mapping[str, Any],
    group_orders: Mapping[str, Sequence[str]],
    table_out: str | Path,
    test_out: str | Path | None = None,
    replicate_weights: str | Path | None = None,
) -> pd.DataFrame:
    """Pipeline step: `analysis/tables/<id>.csv` (and `analysis/tests/<id>.csv` if by).

    The variance method is config `estimation.variance.<survey>` (enkat.replicates);
    `replicate_weights` is the file of supplied replicate weights, if that is the method."""
    from enkat.memory import return_freed_arrays

    return_freed_arrays()  # a job's peak memory is what it holds (issue 16)
    loaded = load_table_data(spec, survey_path, weights_path, codebook_path)
    return table_files(
        loaded,
        spec,
        survey_path,
        estimation,
        suppression,
        group_orders,
        table_out,
        test_out,
        replicate_weights,
    )


def table_files(
    loaded: TableData,
    spec: Mapping[str, Any],
    survey_path: str | Path,
    estimation: Mapping[str, Any],
    suppression: Mapping[str, Any],
    group_orders: Mapping[str, Sequence[str]],
    table_out: str | Path,
    test_out: str | Path | None = None,
    replicate_weights: str | Path | None = None,
) -> pd.DataFrame:
    """Estimate, suppress and write the table (and its test) from data already read."""
    from enkat.replicates import replicates_for

    by = spec.get("by")
    replicates = replicates_for(
        estimation, spec["survey"], loaded.design, survey_path, loaded.ids, replicate_weights
    )
    estimates, tests = estimate_table(
        loaded.data,
        loaded.design,
        loaded.variables,
        by,
        spec.get("filter"),
        float(estimation["confidence_level"]),
        str(estimation["ci_method"]),
        (group_orders or {}).get(by) if by else None,
        replicates=replicates,
    )
    estimates.insert(0, "survey", spec["survey"])
    estimates.insert(0, "table_id", spec["id"])
    # primary and complementary suppression (needs `df`, which the CSV does not keep)
    decided = classify(estimates, Rules.from_config(dict(suppression)))
    estimates["suppressed"], estimates["flag"] = decided["suppressed"], decided["flag"]
    table = estimates[TABLE_COLUMNS]
    write_csv(publish(table), table_out)  # hidden cells carry '..', not their numbers
    if test_out is not None:
        tests.insert(0, "table_id", spec["id"])
        write_csv(tests[TEST_COLUMNS], test_out)
    return table


def load_codebook(path: str | Path) -> Any:
    """The survey's codebook (enkat.codebook, imported late: only the step needs it).

    Without the JSON-schema check: the survey's ingest, which this step depends on, checked
    the same file, and each of the many table jobs would otherwise repeat it.
    """
    from enkat.codebook import load_codebook as load

    return load(path, schema=False)


def read_columns(path: str | Path, columns: Sequence[str]) -> Any:
    """Some columns of a Parquet file as an Arrow table (answers dictionary-encoded)."""
    import pyarrow.parquet as pq

    check_columns(path, columns)
    return pq.read_table(
        path, columns=list(columns), read_dictionary=[c for c in columns if c != "respondent_id"]
    )


def check_columns(path: str | Path, columns: Sequence[str]) -> None:
    """Every column a table needs is in the survey file (read from its schema only)."""
    import pyarrow.parquet as pq

    have = pq.read_schema(path).names
    missing = [c for c in columns if c not in have]
    if missing:
        raise EnkatError(
            "the survey data lacks a column the table needs",
            file=str(path),
            column=missing[0],
            expected=f"one of {', '.join(have)}",
            hint="check the table's item, variables, by and filter",
        )


def read_survey(path: str | Path, columns: Sequence[str], respondent_ids: Any) -> pd.DataFrame:
    """The survey columns a table needs, in design order, as pandas (answers categorical).

    Where the weights file vouches for the row order (`respondent_ids` None) the columns are
    read one at a time, so the Arrow copy of only one column is held at once: with the
    design, that is what a table job's peak memory is made of (issue 16).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if respondent_ids is not None:
        frame = align(read_columns(path, columns), respondent_ids, str(path))
    else:
        check_columns(path, columns)
        frame = pd.DataFrame(
            {
                c: pq.read_table(path, columns=[c], read_dictionary=[c]).column(0).to_pandas()
                for c in columns
            }
        )
    pa.default_memory_pool().release_unused()
    return frame


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Byte-reproducible CSV: UTF-8, LF, full float precision, empty for missing; text
    cells that a spreadsheet would run as formulas neutralised (enkat.csvsafe); written
    under a temporary name and renamed when complete (enkat.atomic)."""
    from enkat.atomic import atomic_path
    from enkat.csvsafe import neutralise
    from enkat.text import check_distinct

    check_distinct(frame, path)  # no two categories that print the same (issue 14)
    with atomic_path(path) as tmp:
        neutralise(frame).to_csv(tmp, index=False, lineterminator="\n", encoding="utf-8", na_rep="")
