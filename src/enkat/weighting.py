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

from enkat.calibration import calibrate
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


MARGIN_COLUMNS = ["survey", "margin", "category", "target", "achieved", "relative_difference"]


@dataclass(frozen=True)
class Weights:
    """The design file rows, the per-class summary and the achieved margins of one survey."""

    weights: pd.DataFrame
    summary: pd.DataFrame
    margins: pd.DataFrame | None = None


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
    """Weights, strata, PSUs and fpc of one survey from its weighting settings.

    The design (`strata`, `psu`: as sampled) and the weighting (`classes` or `margins`) are
    separate: by default the strata are the weighting classes (the first margin for `rake`
    and `calibrate`), as before. Variables the respondents lack are joined from the frame
    (respondent_id = person_id). Calibrated methods record their model in the weights file
    (`calibration`, `cal_<margin>`) for the variance (enkat.calibration).
    """
    method = settings.get("method", "classes")
    classes = list(settings.get("classes") or ["office_type"])
    if method == "none":
        classes = []
    resp = join_frame(
        respondents.reset_index(drop=True),
        population,
        [*classes, *(settings.get("margins") or []), *(settings.get("strata") or [])],
        source,
    )
    n_rows = len(resp)
    if n_rows == 0:
        raise EnkatError("the survey has no respondents", file=source)
    calibration: dict[str, pd.Series] = {}
    if method in ("rake", "calibrate"):
        w, cells, cell_sizes, calibration = _calibrated(
            resp, population, settings, population_size, source
        )
        mapping = pd.Series({s: s for s in cells.unique()})
    else:
        cells, cell_sizes, mapping, w = _classes(
            resp, population, settings, classes, population_size, source, survey
        )
        if method == "poststratify":
            calibration = {"cell": cells}
    strata_vars = list(settings.get("strata") or [])
    if strata_vars:
        strata = cell_labels(resp, strata_vars, f"processed/{survey}.parquet")
        N_strata = population_totals(population, strata_vars, population_size, source)
        _check_known(strata, N_strata, strata_vars, source)
        sizes = strata.map(N_strata).astype(float)
    else:
        strata, sizes = cells, cell_sizes
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
    if calibration:
        kind = "rake" if method == "rake" else "poststratify"
        if method == "calibrate":
            kind = str((settings.get("calibration") or {}).get("calfun", "linear"))
        weights["calibration"] = kind
        for name, values in calibration.items():
            weights[f"cal_{name}"] = values.astype(str).to_numpy()
    by_cell = weights.assign(
        stratum=cells.astype(str).to_numpy(), population_size=np.asarray(cell_sizes, dtype=float)
    )
    summary = summarise(by_cell, trimmed, mapping, survey, method)
    if method in ("rake", "calibrate"):
        names = list(settings.get("margins") or settings.get("classes") or ["office_type"])
        targets = {n: population_totals(population, [n], population_size, source) for n in names}
        groups = {n: cell_labels(resp, [n], source) for n in names}
    else:
        names = [CELL_SEP.join(classes) if classes else ALL]
        targets = {names[0]: cell_sizes.groupby(cells.to_numpy()).first()}
        groups = {names[0]: cells}
    margins = achieved_margins(weights["weight"].to_numpy(), groups, targets, survey)
    return Weights(weights, summary, margins)


def achieved_margins(
    weights: np.ndarray,
    groups: Mapping[str, pd.Series],
    targets: Mapping[str, pd.Series],
    survey: str,
) -> pd.DataFrame:
    """Weighted total against the population total, per category of each margin or class.

    The method text states what the weights achieve, not what the method intends: after
    trimming, the totals no longer hold exactly, and the report says by how much.
    """
    rows = []
    for name, labels in groups.items():
        achieved = pd.Series(weights, index=labels.to_numpy()).groupby(level=0).sum()
        target = targets[name]
        for category in target.index:
            goal, got = float(target[category]), float(achieved.get(category, 0.0))
            rows.append(
                {
                    "survey": survey,
                    "margin": name,
                    "category": str(category),
                    "target": goal,
                    "achieved": got,
                    "relative_difference": got / goal - 1 if goal else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=MARGIN_COLUMNS)


def join_frame(
    resp: pd.DataFrame, population: pd.DataFrame, needed: Sequence[str], source: str
) -> pd.DataFrame:
    """The respondents with the frame variables they lack (e.g. an age band) joined on
    respondent_id = person_id; rows keep their order."""
    missing = [c for c in dict.fromkeys(needed) if c not in resp.columns]
    if not missing:
        return resp
    if "person_id" not in population.columns or any(c not in population for c in missing):
        raise EnkatError(
            "a weighting variable is neither a respondent column nor a frame variable",
            file=source,
            column=missing[0],
            expected=f"one of {', '.join(map(str, resp.columns))} or a frame variable",
            hint="correct weighting.<survey> classes, margins or strata in config/config.yaml "
            "(frame variables: sources.frame.variables, joined on respondent_id = person_id)",
        )
    frame = population[["person_id", *missing]].astype({"person_id": str})
    if frame["person_id"].duplicated().any():
        raise EnkatError(
            "the frame holds a person twice",
            file=source,
            column="person_id",
            value=str(frame.loc[frame["person_id"].duplicated(), "person_id"].iloc[0]),
            expected="one row per person",
        )
    joined = resp.merge(
        frame, left_on=resp["respondent_id"].astype(str), right_on="person_id", how="left"
    )
    lost = joined["person_id"].isna().to_numpy()
    if lost.any():
        row = int(np.flatnonzero(lost)[0])
        raise EnkatError(
            "a respondent is not in the frame, so its frame variables are unknown",
            file=source,
            row=row + 1,
            column="respondent_id",
            value=str(resp["respondent_id"].iloc[row]),
            expected="respondent ids that are the frame's person ids",
            hint="weight on respondent variables only, or check the frame",
        )
    joined.index = resp.index
    return pd.concat([resp, joined[missing]], axis=1)


def _check_known(
    cells: pd.Series, N_cells: pd.Series, variables: Sequence[str], source: str
) -> None:
    unknown = ~cells.isin(N_cells.index)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0]) + 1
        raise EnkatError(
            "a respondent's class is not in the population",
            file=source,
            row=row,
            column=", ".join(variables),
            value=cells[unknown].iloc[0],
            expected="a class of the frame or visits",
            hint="check the register, frame and visits files",
        )


def _classes(
    resp: pd.DataFrame,
    population: pd.DataFrame,
    settings: Mapping[str, Any],
    classes: Sequence[str],
    population_size: str | None,
    source: str,
    survey: str,
) -> tuple[pd.Series, pd.Series, pd.Series, np.ndarray]:
    """Class (cell) weights N_h / n_h with collapsing: each row's class, its N, the
    cell-to-class mapping and the weights."""
    if classes:
        resp_cells = cell_labels(resp, classes, f"processed/{survey}.parquet")
        N_cells = population_totals(population, classes, population_size, source)
    else:
        resp_cells = pd.Series(ALL, index=resp.index)
        total = len(population) if population_size is None else population[population_size].sum()
        N_cells = pd.Series({ALL: float(total)})
    _check_known(resp_cells, N_cells, classes, source)
    # A class with respondents but a population of 0 (no visits, no frame units) would give
    # them weight 0, or merge them into a neighbour without a word: refuse it instead.
    empty_population = resp_cells.isin(N_cells.index[N_cells.to_numpy() <= 0])
    if empty_population.any():
        first = int(np.flatnonzero(empty_population.to_numpy())[0])
        raise EnkatError(
            "a weighting class has respondents but a population of 0",
            file=source,
            column=", ".join(classes) or "(all)",
            value=resp_cells.iloc[first],
            expected="a population (frame units or visits) above 0 for every class with answers",
            hint=f"check the population file; respondent {resp['respondent_id'].iloc[first]}"
            f" of processed/{survey}.parquet is in that class",
        )
    mapping = collapse_cells(
        resp_cells.value_counts(),
        N_cells,
        classes,
        settings.get("collapse") or {},
        int(settings.get("min_respondents", 10)),
    )
    cells = resp_cells.map(mapping)
    N_s = N_cells.groupby(mapping.reindex(N_cells.index)).sum()
    n_s = cells.value_counts()
    sizes = cells.map(N_s).astype(float)
    w = (sizes / cells.map(n_s)).to_numpy(dtype=float)
    return cells, sizes, mapping, w


def _calibrated(
    resp: pd.DataFrame,
    population: pd.DataFrame,
    settings: Mapping[str, Any],
    population_size: str | None,
    source: str,
) -> tuple[np.ndarray, pd.Series, pd.Series, dict[str, pd.Series]]:
    """Raked (`rake`, IPF as R `rake()`) or calibrated (`calibrate`, R `calibrate()`)
    weights from equal starting weights; the first margin's categories and totals (the
    default strata) and each margin's category per respondent."""
    method = settings.get("method")
    names = list(settings.get("margins") or settings.get("classes") or ["office_type"])
    margins, totals, labels, categories = [], [], [], {}
    for name in names:
        pop = population_totals(population, [name], population_size, source)
        resp_labels = cell_labels(resp, [name], source)
        codes = pd.Index(pop.index).get_indexer(resp_labels)
        if (codes < 0).any():
            _check_known(resp_labels, pop, [name], source)
        counts = np.bincount(codes, minlength=pop.size)
        if (counts == 0).any():
            raise EnkatError(
                "a raking or calibration margin has a category without respondents",
                column=f"margin {name}",
                value=str(pop.index[counts == 0][0]),
                expected="respondents in every category of every margin",
                hint="merge the category in the data or weight on other margins",
            )
        margins.append(codes)
        totals.append(pop.to_numpy(dtype=float))
        labels.append([str(x) for x in pop.index])
        categories[name] = resp_labels
    start = np.full(len(resp), totals[0].sum() / len(resp))
    if method == "rake":
        w = rake(
            start,
            margins,
            totals,
            names,
            float(settings.get("tolerance", 1e-8)),
            int(settings.get("max_iterations", 100)),
        )
    else:
        options = settings.get("calibration") or {}
        bounds = options.get("bounds") or {}
        w = calibrate(
            start,
            margins,
            totals,
            names,
            str(options.get("calfun", "linear")),
            (float(bounds.get("lower", -np.inf)), float(bounds.get("upper", np.inf))),
            float(settings.get("tolerance", 1e-8)),
            int(settings.get("max_iterations", 100)),
            labels,
        )
    first = categories[names[0]]
    sizes = first.map(pd.Series(totals[0], index=labels[0])).astype(float)
    return w, first, sizes, categories


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
    margins_out: str | Path | None = None,
) -> Weights:
    """Pipeline step: read the survey and its population, write both weight files, and
    (`parquet_out`) the design file again as Parquet for the table steps to read fast."""
    from enkat.tables import write_csv
    from enkat.weights_file import write_parquet_mirror

    population_kind = settings.get("population", "frame")
    size = "visits" if population_kind in ("visits", "register") else None
    import pyarrow.parquet as pq

    classes = list(settings.get("classes") or ["office_type"]) + list(settings.get("margins") or [])
    strata = list(settings.get("strata") or [])
    psu = [settings["psu"]] if settings.get("psu") else []
    have = set(pq.read_schema(survey_path).names)
    variables = list(dict.fromkeys([*classes, *strata]))
    from_frame = [c for c in variables if c not in have]  # joined on person_id (join_frame)
    resp = _read(survey_path, ["respondent_id", *[c for c in variables if c in have], *psu])
    key = ["person_id"] if from_frame else []
    pop = _read(population_path, [*key, *variables, *([size] if size else [])])
    result = make_weights(resp, pop, settings, survey, size, str(population_path))
    write_csv(result.weights, weights_out)
    write_csv(result.summary, summary_out)
    if margins_out is not None and result.margins is not None:
        write_csv(result.margins, margins_out)
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
            hint="check weighting.<survey>.classes, margins, strata and psu",
        )
    return pq.read_table(path, columns=wanted).to_pandas()
