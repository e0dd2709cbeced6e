"""Nonresponse weights: classes, post-stratification, raking, collapsing and trimming.

Config `weighting.<survey>` chooses the method; the population is the handler frame (one
row per person) or the visits (one row per office and wave, counted by `visits`). The
result is the design file `processed/weights_<survey>.csv` (mirrored as `.parquet` for the
table steps) and the per-class summary `analysis/weights_<survey>.csv` (see
docs/architecture.md and docs/methods.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enkat.errors import EnkatError

CELL_SEP = " / "
MERGE_SEP = " + "
TOTAL = "Totalt"
ALL = "Alla"
WEIGHT_COLUMNS = ["respondent_id", "weight", "stratum", "population_size", "psu"]
SUMMARY_COLUMNS = [
    "survey",
    "method",
    "stratum",
    "members",
    "collapsed",
    "N",
    "n",
    "response_rate",
    "weight",
    "weight_min",
    "weight_max",
    "trimmed",
    "kish_deff",
    "effective_n",
]


@dataclass(frozen=True)
class Weights:
    """The design file rows and the per-class summary of one survey."""

    weights: pd.DataFrame
    summary: pd.DataFrame


def cell_labels(table: pd.DataFrame, classes: Sequence[str], source: str) -> pd.Series:
    """One label per row for its class cell, e.g. `2021 / Litet kontor`."""
    for column in classes:
        if column not in table.columns:
            raise EnkatError(
                "a weighting class is not a column",
                file=source,
                column=column,
                expected=f"one of {', '.join(map(str, table.columns))}",
                hint="correct weighting.<survey>.classes in config/config.yaml",
            )
        missing = table[column].isna()
        if missing.any():
            row = int(np.flatnonzero(missing.to_numpy())[0]) + 1
            raise EnkatError(
                "a weighting class value is missing",
                file=source,
                row=row,
                column=column,
                expected="a value for every unit",
            )
    parts = [table[c].astype(str) for c in classes]
    label = parts[0]
    for part in parts[1:]:
        label = label + CELL_SEP + part
    return label


def population_totals(
    population: pd.DataFrame, classes: Sequence[str], size: str | None, source: str
) -> pd.Series:
    """Population total per class cell: units of the frame, or the sum of `size` (visits)."""
    labels = cell_labels(population, classes, source)
    values = np.ones(len(population)) if size is None else population[size].astype(float)
    return pd.Series(np.asarray(values), index=labels.to_numpy()).groupby(level=0).sum()


def collapse_cells(
    n: pd.Series,
    N: pd.Series,
    classes: Sequence[str],
    collapse: Mapping[str, str],
    min_respondents: int,
    source: str = "config/config.yaml",
) -> pd.Series:
    """Map each cell to its (possibly merged) class label.

    A class below `min_respondents` is merged into the cell its `collapse` neighbour names
    (the same cell with one class value replaced), smallest class first, until every class
    is large enough or has no neighbour left. The number of cells is set by config, not data.
    """
    cells = sorted(set(N.index) | set(n.index))
    counts = n.reindex(cells, fill_value=0)
    group = {c: c for c in cells}  # cell -> label of its class
    stuck: set[str] = set()
    while True:
        sizes = counts.groupby(pd.Series(group)).sum()
        small = sizes[(sizes < min_respondents) & ~sizes.index.isin(list(stuck))]
        if small.empty:
            break
        label = min(small.index, key=lambda lab: (small[lab], lab))
        target = _neighbour(label, group, classes, collapse)
        if target is None:
            stuck.add(label)
            continue
        merged = target + MERGE_SEP + label
        for cell, lab in group.items():
            if lab in (label, target):
                group[cell] = merged
    empty = counts.groupby(pd.Series(group)).sum()
    empty = empty[(empty == 0) & (N.reindex(empty.index, fill_value=0) > 0)]
    if not empty.empty:
        raise EnkatError(
            "a weighting class has no respondents and no neighbour to merge with",
            file=source,
            column="weighting.collapse",
            value=str(empty.index[0]),
            expected="a collapse neighbour for every class that can be empty",
            hint="add the class to weighting.<survey>.collapse",
        )
    return pd.Series(group)


def _neighbour(
    label: str, group: Mapping[str, str], classes: Sequence[str], collapse: Mapping[str, str]
) -> str | None:
    """The class a small class merges into: its first cell's neighbour in another class."""
    for cell in sorted(c for c, lab in group.items() if lab == label):
        values = cell.split(CELL_SEP) if len(classes) > 1 else [cell]
        for i, value in enumerate(values):
            if value in collapse:
                other = [*values[:i], collapse[value], *values[i + 1 :]]
                key = CELL_SEP.join(other)
                if key in group and group[key] != label:
                    return group[key]
    return None


def rake(
    frame_weights: np.ndarray,
    margins: Sequence[np.ndarray],
    totals: Sequence[np.ndarray],
    names: Sequence[str],
    tolerance: float = 1e-8,
    max_iterations: int = 100,
) -> np.ndarray:
    """Iterative proportional fitting of weights to several margins (R `rake()`).

    `margins[m]` holds a category index per respondent, `totals[m]` the population total
    of each category. Converged when every margin's totals hold to `tolerance` (relative).
    """
    w = np.asarray(frame_weights, dtype=float).copy()
    worst = (0.0, names[0] if names else "")
    for _ in range(max_iterations):
        for codes, target in zip(margins, totals, strict=True):
            current = np.bincount(codes, weights=w, minlength=target.size)
            w *= (target / current)[codes]
        worst = max(
            (float(np.max(np.abs(np.bincount(c, weights=w, minlength=t.size) / t - 1))), name)
            for c, t, name in zip(margins, totals, names, strict=True)
        )
        if worst[0] < tolerance:
            return w
    raise EnkatError(
        "raking did not converge",
        column=f"margin {worst[1]}",
        value=worst[0],
        expected=f"relative error below {tolerance} within {max_iterations} iterations",
        hint="merge small categories of that margin, or raise weighting.max_iterations",
    )


def trim(
    weights: np.ndarray, lower: float, upper: float, max_iterations: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Bound weights to [lower, upper] x mean weight, redistributing so the total holds.

    Trimmed weights are fixed at the bound; the rest are scaled to keep the sum; repeated
    until no weight leaves the bounds. Returns the weights and a trimmed-or-not mask.
    """
    w = np.asarray(weights, dtype=float).copy()
    total = w.sum()
    lo, hi = lower * w.mean(), upper * w.mean()
    fixed = np.zeros(w.size, dtype=bool)
    for _ in range(max_iterations):
        out = ~fixed & ((w < lo * (1 - 1e-12)) | (w > hi * (1 + 1e-12)))
        if not out.any():
            return w, fixed
        fixed |= out
        w = np.where(fixed, np.clip(w, lo, hi), w)
        free = ~fixed
        if not free.any():
            break
        w[free] *= (total - w[fixed].sum()) / w[free].sum()
    raise EnkatError(
        "trimming did not settle",
        column="weighting.trim",
        value={"lower": lower, "upper": upper},
        expected="bounds the weights can meet while keeping their total",
        hint="widen the trim bounds or raise trim.max_iterations",
    )


def make_weights(
    respondents: pd.DataFrame,
    population: pd.DataFrame,
    settings: Mapping[str, Any],
    survey: str,
    population_size: str | None = None,
    source: str = "population",
) -> Weights:
    """Weights, strata, PSUs and fpc of one survey from its weighting settings."""
    method = settings.get("method", "classes")
    classes = list(settings.get("classes") or ["office_type"])
    if method == "none":
        classes = []
    resp = respondents.reset_index(drop=True)
    n_rows = len(resp)
    if n_rows == 0:
        raise EnkatError("the survey has no respondents", file=source)
    if classes:
        resp_cells = cell_labels(resp, classes, f"processed/{survey}.parquet")
        N_cells = population_totals(population, classes, population_size, source)
    else:
        resp_cells = pd.Series(ALL, index=resp.index)
        total = len(population) if population_size is None else population[population_size].sum()
        N_cells = pd.Series({ALL: float(total)})
    unknown = ~resp_cells.isin(N_cells.index)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0]) + 1
        raise EnkatError(
            "a respondent's class is not in the population",
            file=source,
            row=row,
            column=", ".join(classes),
            value=resp_cells[unknown].iloc[0],
            expected="a class of the frame or visits",
            hint="check the register, frame and visits files",
        )
    n_cells = resp_cells.value_counts()
    if method == "rake":
        w, strata, sizes = _raked(resp, population, settings, population_size, source)
        mapping = pd.Series({s: s for s in strata.unique()})
    else:
        mapping = collapse_cells(
            n_cells,
            N_cells,
            classes,
            settings.get("collapse") or {},
            int(settings.get("min_respondents", 10)),
        )
        strata = resp_cells.map(mapping)
        N_s = N_cells.groupby(mapping.reindex(N_cells.index)).sum()
        n_s = strata.value_counts()
        sizes = strata.map(N_s).astype(float)
        w = (sizes / strata.map(n_s)).to_numpy(dtype=float)
    trimmed = np.zeros(n_rows, dtype=bool)
    bounds = settings.get("trim")
    if bounds:
        w, trimmed = trim(
            w, float(bounds["lower"]), float(bounds["upper"]), int(bounds.get("max_iterations", 50))
        )
    psu_col = settings.get("psu")
    psu = resp[psu_col].astype(str) if psu_col else resp["respondent_id"].astype(str)
    weights = pd.DataFrame(
        {
            "respondent_id": resp["respondent_id"].astype(str),
            "weight": w,
            "stratum": strata.astype(str).to_numpy(),
            "population_size": np.asarray(sizes, dtype=float),
            "psu": psu.to_numpy(),
        }
    )
    summary = summarise(weights, trimmed, mapping, survey, method)
    return Weights(weights, summary)


def _raked(
    resp: pd.DataFrame,
    population: pd.DataFrame,
    settings: Mapping[str, Any],
    population_size: str | None,
    source: str,
) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Raked weights; the strata are the first margin's categories."""
    names = list(settings.get("margins") or settings.get("classes") or ["office_type"])
    margins, totals = [], []
    for name in names:
        pop = population_totals(population, [name], population_size, source)
        codes = pd.Index(pop.index).get_indexer(cell_labels(resp, [name], source))
        counts = np.bincount(codes[codes >= 0], minlength=pop.size)
        if (counts == 0).any():
            raise EnkatError(
                "a raking margin has a category without respondents",
                column=f"margin {name}",
                value=str(pop.index[counts == 0][0]),
                expected="respondents in every category of every margin",
                hint="merge the category in the data or rake on other margins",
            )
        margins.append(codes)
        totals.append(pop.to_numpy(dtype=float))
    start = np.full(len(resp), totals[0].sum() / len(resp))
    w = rake(
        start,
        margins,
        totals,
        names,
        float(settings.get("tolerance", 1e-8)),
        int(settings.get("max_iterations", 100)),
    )
    strata = cell_labels(resp, [names[0]], source)
    sizes = strata.map(
        pd.Series(
            totals[0],
            index=population_totals(population, [names[0]], population_size, source).index,
        )
    )
    return w, strata, sizes


def kish(weights: np.ndarray) -> tuple[float, float]:
    """Kish design effect 1 + CV² (CV with the population variance) and effective n."""
    w = np.asarray(weights, dtype=float)
    deff = float(w.size * (w**2).sum() / w.sum() ** 2)
    return deff, float(w.size / deff)


def summarise(
    weights: pd.DataFrame, trimmed: np.ndarray, mapping: pd.Series, survey: str, method: str
) -> pd.DataFrame:
    """Per class and overall: N, n, response rate, weights, Kish deff and effective n."""
    frame = weights.assign(trimmed=trimmed)
    members = mapping.groupby(mapping.to_numpy()).apply(
        lambda s: MERGE_SEP.join(sorted(s.index, key=str))
    )
    by = frame.groupby("stratum", sort=True)
    out = pd.DataFrame(
        {
            "N": by["population_size"].first(),
            "n": by.size(),
            "weight": by["weight"].mean(),
            "weight_min": by["weight"].min(),
            "weight_max": by["weight"].max(),
            "trimmed": by["trimmed"].sum().astype(int),
        }
    )
    k = by["weight"].agg(lambda w: kish(w.to_numpy())[0])
    out["kish_deff"] = k
    out["effective_n"] = out["n"] / k
    out["members"] = members.reindex(out.index).fillna(pd.Series(out.index, index=out.index))
    out["collapsed"] = out["members"].str.contains(MERGE_SEP, regex=False)
    out = out.reset_index(names="stratum")
    deff, neff = kish(weights["weight"].to_numpy())
    total = pd.DataFrame(
        [
            {
                "stratum": TOTAL,
                "members": "",
                "collapsed": bool(out["collapsed"].any()),
                "N": float(out["N"].sum()),
                "n": len(weights),
                "weight": weights["weight"].mean(),
                "weight_min": weights["weight"].min(),
                "weight_max": weights["weight"].max(),
                "trimmed": int(trimmed.sum()),
                "kish_deff": deff,
                "effective_n": neff,
            }
        ]
    )
    out = pd.concat([out, total], ignore_index=True)
    out["response_rate"] = out["n"] / out["N"]
    out["survey"] = survey
    out["method"] = method
    return out[SUMMARY_COLUMNS]


def write_weights(
    survey: str,
    survey_path: str | Path,
    population_path: str | Path,
    settings: Mapping[str, Any],
    weights_out: str | Path,
    summary_out: str | Path,
    parquet_out: str | Path | None = None,
) -> Weights:
    """Pipeline step: read the survey and its population, write both weight files, and
    (`parquet_out`) the design file again as Parquet for the table steps to read fast."""
    from enkat.tables import write_csv
    from enkat.weights_file import write_parquet_mirror

    population_kind = settings.get("population", "frame")
    size = "visits" if population_kind in ("visits", "register") else None
    classes = list(settings.get("classes") or ["office_type"]) + list(settings.get("margins") or [])
    psu = [settings["psu"]] if settings.get("psu") else []
    resp = _read(survey_path, ["respondent_id", *classes, *psu])
    pop = _read(population_path, [*classes, *([size] if size else [])])
    result = make_weights(resp, pop, settings, survey, size, str(population_path))
    write_csv(result.weights, weights_out)
    write_csv(result.summary, summary_out)
    if parquet_out is not None:
        write_parquet_mirror(weights_out, parquet_out, survey_path)
    return result


def _read(path: str | Path, columns: Sequence[str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    have = pq.read_schema(path).names
    wanted = list(dict.fromkeys(columns))
    missing = [c for c in wanted if c not in have]
    if missing:
        raise EnkatError(
            "a column the weighting needs is missing",
            file=str(path),
            column=missing[0],
            expected=f"one of {', '.join(have)}",
            hint="check weighting.<survey>.classes, margins and psu",
        )
    return pq.read_table(path, columns=wanted).to_pandas()
