"""Register analyses: visits and cost per visit, the errand week, customer response rates.

Every register table is written as one long CSV, `analysis/tables/<table_id>.csv`, with the
columns in `REGISTER_COLUMNS`, so that the workbook, figures and report read all of them the
same way:

- `block`: a sub-table ("Per kontorstyp", "Per kontor", ...); blocks are shown in file order;
- `group_var`, `group`: an outer row dimension inside the block (Swedish label and value),
  empty strings when the block has none;
- `row_var`, `row`: the row dimension (Swedish label and value);
- `measure`, `measure_label`: a machine name and its Swedish column header;
- `unit`: `count`, `kronor` or `proportion` (0-1) - decides the number format downstream;
- `value`: the number, unrounded.

Cost per visit uses the standard running cost per office type from config
(`register.standard_costs`, keyed by raw office-type code) as the source report does:
for a type, standard cost divided by mean visits (T10); for one office, standard cost
divided by its visits (T11). Offices without visits have no cost per visit and are left out
of T11 (counted in its `offices` measure).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from enkat.analysis_files import require_columns
from enkat.errors import EnkatError
from enkat.fmt import group_var_label
from enkat.register_specs import INPUT_COLUMNS

REGISTER_COLUMNS = [
    "table_id",
    "block",
    "group_var",
    "group",
    "row_var",
    "row",
    "measure",
    "measure_label",
    "unit",
    "value",
]
UNITS = ("count", "kronor", "proportion")
TOTAL = "Totalt"
ALL_OFFICES = "Samtliga kontor"

# measure -> (Swedish column header, unit)
MEASURES: dict[str, tuple[str, str]] = {
    "offices": ("Antal kontor", "count"),
    "visits_total": ("Antal besök (summa)", "count"),
    "visits_mean": ("Antal besök (medel)", "count"),
    "visits_min": ("Antal besök minimum", "count"),
    "visits_max": ("Antal besök maximum", "count"),
    "visits": ("Antal besök", "count"),
    "standard_cost": ("Schablonkostnad (kr)", "kronor"),
    "cost_per_visit": ("Kostnad/besök (kr)", "kronor"),
    "cost_per_visit_min": ("Kostnad/besök min (kr)", "kronor"),
    "cost_per_visit_max": ("Kostnad/besök max (kr)", "kronor"),
    "errands": ("Antal ärenden", "count"),
    "share": ("Andel", "proportion"),
    "answers": ("Antal svar", "count"),
    "response_rate": ("Svar i förhållande till besök", "proportion"),
}


def _long(
    wide: pd.DataFrame,
    table_id: str,
    block: str,
    row_var: str,
    measures: list[str],
    group_var: str = "",
) -> pd.DataFrame:
    """Melt a wide frame (columns `group`, `row` and the measures) into REGISTER_COLUMNS."""
    frame = wide.copy()
    if "group" not in frame:
        frame["group"] = ""
    long = frame.melt(
        id_vars=["group", "row"], value_vars=measures, var_name="measure", value_name="value"
    )
    # Keep the block's row order, measures grouped per row as a reader scans them.
    long["_row"] = np.tile(np.arange(len(frame)), len(measures))
    long["_measure"] = np.repeat(np.arange(len(measures)), len(frame))
    long = long.sort_values(["_row", "_measure"], kind="stable").dropna(subset=["value"])
    long["table_id"] = table_id
    long["block"] = block
    long["group_var"] = group_var
    long["row_var"] = row_var
    long["measure_label"] = long["measure"].map(lambda m: MEASURES[m][0])
    long["unit"] = long["measure"].map(lambda m: MEASURES[m][1])
    long["value"] = long["value"].astype(float)
    return long[REGISTER_COLUMNS].reset_index(drop=True)


def _require(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise EnkatError(
            "a processed file lacks columns a register table needs",
            file=f"processed/{source}.parquet",
            column=missing[0],
            expected="columns " + ", ".join(columns),
            hint="rebuild the processed file (snakemake processed/" + source + ".parquet)",
        )


def _check_office_types(frame: pd.DataFrame, labels: list[str], source: str) -> None:
    unknown = sorted(set(frame["office_type"].dropna().astype(str)) - set(labels))
    if unknown:
        raise EnkatError(
            "an office type is not among the configured office types",
            file=f"processed/{source}.parquet",
            column="office_type",
            value=unknown[0],
            expected="one of " + ", ".join(labels),
            hint="add the type to config register.office_types",
        )


def _standard_costs(
    office_types: Mapping[str, str], standard_costs: Mapping[str, float], present: list[str]
) -> pd.Series:
    """Standard cost per office-type label; every type present must have one."""
    by_label = {
        office_types[code]: float(cost)
        for code, cost in standard_costs.items()
        if code in office_types
    }
    missing = [label for label in present if label not in by_label]
    if missing:
        code = next(c for c, label in office_types.items() if label == missing[0])
        raise EnkatError(
            "an office type has no standard running cost",
            file="config/config.yaml",
            column="register.standard_costs",
            value=code,
            expected="a cost in kronor for every office type in the register",
            hint=f"add `{code}: <kronor>` under register.standard_costs",
        )
    return pd.Series(by_label, dtype=float)


def _typed_register(register: pd.DataFrame, office_types: Mapping[str, str]) -> pd.DataFrame:
    _require(register, ["office_id", "office_name", "office_type", "visits"], "register")
    labels = list(office_types.values())
    _check_office_types(register, labels, "register")
    frame = register[["office_id", "office_name", "office_type", "visits"]].copy()
    frame["office_type"] = pd.Categorical(frame["office_type"].astype(str), categories=labels)
    frame["visits"] = pd.to_numeric(frame["visits"], errors="coerce").astype(float)
    return frame


def cost_per_visit(
    register: pd.DataFrame,
    table_id: str,
    office_types: Mapping[str, str],
    standard_costs: Mapping[str, float],
) -> pd.DataFrame:
    """T10: offices, visits and standard cost per visit by office type, plus all offices."""
    frame = _typed_register(register, office_types)
    by_type = frame.groupby("office_type", observed=True)["visits"].agg(
        offices="count", visits_total="sum", visits_mean="mean"
    )
    costs = _standard_costs(office_types, standard_costs, list(by_type.index.astype(str)))
    by_type["standard_cost"] = costs.reindex(by_type.index.astype(str)).to_numpy()
    by_type["cost_per_visit"] = by_type["standard_cost"] / by_type["visits_mean"]
    total_cost = (by_type["standard_cost"] * by_type["offices"]).sum()
    total = pd.DataFrame(
        {
            "offices": [by_type["offices"].sum()],
            "visits_total": [by_type["visits_total"].sum()],
            "visits_mean": [frame["visits"].mean()],
            "standard_cost": [np.nan],
            "cost_per_visit": [total_cost / by_type["visits_total"].sum()],
        },
        index=[ALL_OFFICES],
    )
    wide = pd.concat([by_type.set_axis(by_type.index.astype(str)), total])
    wide = wide.rename_axis("row").reset_index()
    wide["cost_per_visit"] = wide["cost_per_visit"].replace([np.inf, -np.inf], np.nan)
    measures = ["offices", "visits_total", "visits_mean", "standard_cost", "cost_per_visit"]
    return _long(wide, table_id, "Per kontorstyp", "Kontorstyp", measures)


def cost_per_visit_range(
    register: pd.DataFrame,
    table_id: str,
    office_types: Mapping[str, str],
    standard_costs: Mapping[str, float],
) -> pd.DataFrame:
    """T11: min and max visits and the span of cost per visit by type, and every office."""
    frame = _typed_register(register, office_types)
    frame = frame[frame["visits"] > 0]
    costs = _standard_costs(
        office_types, standard_costs, list(frame["office_type"].dropna().unique().astype(str))
    )
    frame["cost_per_visit"] = frame["office_type"].astype(str).map(costs) / frame["visits"]
    by_type = frame.groupby("office_type", observed=True).agg(
        offices=("visits", "count"),
        visits_max=("visits", "max"),
        visits_min=("visits", "min"),
        cost_per_visit_min=("cost_per_visit", "min"),
        cost_per_visit_max=("cost_per_visit", "max"),
    )
    wide = by_type.set_axis(by_type.index.astype(str)).rename_axis("row").reset_index()
    summary = _long(
        wide,
        table_id,
        "Per kontorstyp",
        "Kontorstyp",
        ["offices", "visits_max", "visits_min", "cost_per_visit_min", "cost_per_visit_max"],
    )
    offices = frame.sort_values(["office_type", "cost_per_visit", "office_name"], kind="stable")
    offices = pd.DataFrame(
        {
            "group": offices["office_type"].astype(str).to_numpy(),
            "row": offices["office_name"].astype(str).to_numpy(),
            "visits": offices["visits"].to_numpy(),
            "cost_per_visit": offices["cost_per_visit"].to_numpy(),
        }
    )
    detail = _long(
        offices, table_id, "Per kontor", "Kontor", ["visits", "cost_per_visit"], "Kontorstyp"
    )
    return pd.concat([summary, detail], ignore_index=True)


def _display_order(values: pd.Series) -> list[str]:
    """Categories in their declared order if categorical, else in order of first appearance."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().astype(str))
        return [str(c) for c in values.cat.categories if str(c) in present]
    return list(pd.unique(values.dropna().astype(str)))


def errand_solutions(errands: pd.DataFrame, table_id: str) -> pd.DataFrame:
    """T13: errands and the share solved each way, per agency, with each agency's total."""
    _require(errands, ["errand_id", "agency", "solution"], "errands")
    agencies = sorted(_display_order(errands["agency"]))
    solutions = _display_order(errands["solution"])
    counts = pd.crosstab(errands["agency"].astype(str), errands["solution"].astype(str))
    counts = counts.reindex(index=agencies, columns=solutions, fill_value=0)
    counts[TOTAL] = counts.sum(axis=1)
    shares = counts.div(counts[TOTAL], axis=0)
    wide = pd.DataFrame(
        {
            "group": np.repeat(agencies, len(solutions) + 1),
            "row": np.tile([*solutions, TOTAL], len(agencies)),
            "errands": counts.to_numpy().ravel(),
            "share": shares.to_numpy().ravel(),
        }
    )
    return _long(
        wide,
        table_id,
        "Per samverkansmyndighet",
        "Lösning",
        ["errands", "share"],
        "Samverkansmyndighet",
    )


def customer_response(
    customers: pd.DataFrame,
    visits: pd.DataFrame,
    table_id: str,
    office_types: Mapping[str, str],
    by: str = "office_type",
) -> pd.DataFrame:
    """KUND_SVAR: answers, visits and answers per visit by wave and a register variable
    (the catalogue entry's `by`: office type unless it names another visits column, such as
    region or area; office types in config order, other values sorted).

    The visits file holds, per wave, offices' visits during the survey period; answers
    from an office not in it for that wave cannot be related to visits and are an input
    error. An office counts as surveyed in a wave when answers came from it: the visits
    file may hold every office (as the demo's does), and visits at offices that were not
    surveyed must not dilute the rate (the rule of `nonresponse_customers.csv`).
    """
    _require(customers, ["respondent_id", "office_id", "wave", "office_type"], "customers")
    _require(visits, ["office_id", "wave", "visits", "office_type", by], "visits")
    labels = list(office_types.values())
    _check_office_types(visits, labels, "visits")
    if by != "office_type":
        labels = sorted(str(v) for v in pd.unique(visits[by].dropna().astype(str)))
    answers = customers[["office_id", "wave"]]
    surveyed = visits[list(dict.fromkeys(["office_id", "wave", by]))].astype(str)
    surveyed["visits"] = pd.to_numeric(visits["visits"], errors="coerce").to_numpy(dtype=float)
    # Answers counted per office and wave first: a million rows become a few hundred pairs.
    counts = answers.groupby(["office_id", "wave"], observed=True, dropna=False).size()
    pairs = counts.index.to_frame(index=False).astype(str)
    pairs["answers"] = counts.to_numpy()
    joined = pairs.merge(surveyed, on=["office_id", "wave"], how="left", indicator=True)
    orphan = joined["_merge"] == "left_only"
    if orphan.any():
        unmatched = pd.MultiIndex.from_frame(joined.loc[orphan, ["office_id", "wave"]])
        rows = pd.MultiIndex.from_frame(answers.astype(str)).isin(unmatched)
        first = int(np.flatnonzero(rows)[0])
        office, wave = answers.astype(str).iloc[first]
        raise EnkatError(
            "customer answers come from an office that has no visits for that wave",
            file="processed/visits.parquet",
            row=first + 2,
            column="office_id",
            value=f"{office} ({wave})",
            expected="every surveyed office and wave in the visits file",
            hint="add the office's visits for the wave to the visits source",
        )
    waves = sorted(joined["wave"].unique())
    key = ["wave", by]
    per_type = joined.groupby(key).agg(
        offices=("office_id", "nunique"), answers=("answers", "sum"), visits=("visits", "sum")
    )
    per_wave = per_type.groupby(level="wave").sum()
    per_wave["offices"] = joined.groupby("wave")["office_id"].nunique()
    per_wave.index = pd.MultiIndex.from_arrays([per_wave.index, [TOTAL] * len(per_wave)], names=key)
    wide = pd.concat([per_type, per_wave])
    order = pd.MultiIndex.from_product([waves, [*labels, TOTAL]], names=key)
    wide = wide.reindex(order).dropna(how="all")
    wide["response_rate"] = wide["answers"] / wide["visits"].where(wide["visits"] > 0)
    wide = wide.reset_index().rename(columns={"wave": "group", by: "row"})
    label = group_var_label(by)
    return _long(
        wide,
        table_id,
        f"Per omgång och {label.lower()}",
        label,
        ["offices", "answers", "visits", "response_rate"],
        "Omgång",
    )


def build_register_table(
    table_id: str,
    analysis: str,
    sources: Mapping[str, pd.DataFrame],
    office_types: Mapping[str, str],
    standard_costs: Mapping[str, float] | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Run one catalogue register analysis on the processed frames it needs (`by`: the
    entry's register variable, for customer_response)."""
    costs = standard_costs or {}
    analyses: dict[str, Callable[[], pd.DataFrame]] = {
        "cost_per_visit": lambda: cost_per_visit(
            sources["register"], table_id, office_types, costs
        ),
        "cost_per_visit_range": lambda: cost_per_visit_range(
            sources["register"], table_id, office_types, costs
        ),
        "errand_solutions": lambda: errand_solutions(sources["errands"], table_id),
        "customer_response": lambda: customer_response(
            sources["customers"], sources["visits"], table_id, office_types, by or "office_type"
        ),
    }
    if by and analysis != "customer_response":
        raise EnkatError(
            "only the customer_response register table takes a by variable",
            file="config/tables.yaml",
            column="by",
            value=by,
            expected="no by for " + analysis,
            hint=f"remove `by` from table {table_id}",
        )
    if analysis not in analyses:
        raise EnkatError(
            "unknown register analysis",
            file="config/tables.yaml",
            column="analysis",
            value=analysis,
            expected="one of " + ", ".join(analyses),
            hint=f"fix the `analysis` of table {table_id}",
        )
    return analyses[analysis]()


def write_register_table(
    table_id: str,
    analysis: str,
    inputs: Mapping[str, str | Path],
    output: str | Path,
    office_types: Mapping[str, str],
    standard_costs: Mapping[str, float] | None = None,
    by: str | None = None,
) -> None:
    """Read the processed files, build the table and write its long CSV."""
    sources = {key: _read(key, path) for key, path in inputs.items()}
    table = build_register_table(table_id, analysis, sources, office_types, standard_costs, by)
    from enkat.atomic import atomic_path
    from enkat.csvsafe import neutralise
    from enkat.text import check_distinct

    check_distinct(table, output)  # no two categories that print the same (issue 14)
    with atomic_path(output) as tmp:  # complete or not at all; formula-like text neutralised
        neutralise(table).to_csv(tmp, index=False, lineterminator="\n")


def _read(key: str, path: str | Path) -> pd.DataFrame:
    """A processed file, only the columns of `INPUT_COLUMNS` where listed (those present:
    the analysis names a missing one), text columns dictionary-encoded (categorical)."""
    import pyarrow.parquet as pq

    wanted = INPUT_COLUMNS.get(key)
    if wanted is None:
        return pd.read_parquet(path)
    have = set(pq.read_schema(path).names)
    columns = [c for c in wanted if c in have]
    return pq.read_table(path, columns=columns, read_dictionary=columns).to_pandas()


def read_register_table(path: str | Path) -> pd.DataFrame:
    """Read a register table CSV with its string columns kept as strings."""
    text_columns = {c: str for c in REGISTER_COLUMNS if c != "value"}
    from enkat.csvsafe import restore

    table = restore(
        pd.read_csv(path, dtype=text_columns, keep_default_na=False, lineterminator="\n")
    )
    require_columns(table, path, REGISTER_COLUMNS)
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    return table


@dataclass(frozen=True)
class WideBlock:
    """One block of a register table laid out wide: a row per (group, row), a column per measure."""

    name: str
    dims: list[str]
    measures: list[str]
    labels: dict[str, str]
    units: dict[str, str]
    wide: pd.DataFrame


def wide_blocks(table: pd.DataFrame) -> list[WideBlock]:
    """The blocks of a register table in file order, each pivoted for display."""
    blocks = []
    for name in pd.unique(table["block"]):
        block = table[table["block"] == name]
        measures = [str(m) for m in pd.unique(block["measure"])]
        grouped = bool((block["group"] != "").any())
        keys = ["group", "row"] if grouped else ["row"]
        wide = block.pivot_table(
            index=keys, columns="measure", values="value", aggfunc="first", sort=False
        ).reindex(columns=measures)
        dims = ([str(block["group_var"].iloc[0])] if grouped else []) + [
            str(block["row_var"].iloc[0])
        ]
        blocks.append(
            WideBlock(
                name=str(name),
                dims=dims,
                measures=measures,
                labels=dict(zip(block["measure"], block["measure_label"], strict=False)),
                units=dict(zip(block["measure"], block["unit"], strict=False)),
                wide=wide,
            )
        )
    return blocks
