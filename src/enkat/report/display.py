"""Report tables: the long analysis CSVs laid out as a reader sees them.

Numbers become text here, through `enkat.fmt` only, so the PDF shows exactly what the
workbook shows and a test can recompute every cell from the CSV. Layout follows the source
report: a grid (one row per agency) or a by-table (one row per group) is a matrix of
percentages with the base in the last column; a single item lists its answers with
interval and count; a multiple-choice item lists the share that chose each option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from enkat import fmt
from enkat.codebook import CHOSEN, NOT_CHOSEN
from enkat.register_tables import wide_blocks
from enkat.suppression import TOTAL, UNRELIABLE_MARK, Rules, suppression_reason, unreliable

ROW_HEADER = "Avser"  # the stub of a grid: an agency, an action, a training provider


@dataclass
class Row:
    """One table row: its header cells (th scope=row) and its data cells."""

    headers: list[str]
    cells: list[str]
    total: bool = False


@dataclass
class DisplayTable:
    """A table ready for the template: headers, rows and which footnotes apply."""

    row_headers: list[str]
    columns: list[str]
    rows: list[Row]
    layout: str
    caption: str = ""
    suppressed_base: bool = False
    suppressed_group: bool = False
    suppressed_secondary: bool = False
    suppressed_nchs: bool = False
    uncertain: bool = False
    multiple: bool = False
    notes: list[str] = field(default_factory=list)


def _ordered(values: pd.Series) -> list[str]:
    return [str(v) for v in pd.unique(values)]


def _groups(table: pd.DataFrame) -> list[str]:
    groups = _ordered(table["group"])
    return [TOTAL, *[g for g in groups if g != TOTAL]] if TOTAL in groups else groups


def _mark(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Add the display state of every estimate: reason for suppression, uncertainty."""
    marked = table.reset_index(drop=True).copy()
    marked["reason"] = suppression_reason(marked, rules).where(marked["suppressed"], "")
    marked["uncertain"] = unreliable(marked, rules) & ~marked["suppressed"]
    return marked


def cell_percent(row: Mapping[str, Any]) -> str:
    """A percentage cell: '..' when suppressed, '*' after an uncertain estimate."""
    if row["suppressed"]:
        return fmt.SUPPRESSED
    text = fmt.percent_value(row["estimate"]) + (UNRELIABLE_MARK if row["uncertain"] else "")
    significance = row.get("significance", "")  # enkat.contrasts marks, after a no-break space
    return f"{text}\u00a0{significance}" if significance else text


def cell_interval(row: Mapping[str, Any]) -> str:
    return fmt.SUPPRESSED if row["suppressed"] else fmt.interval(row["ci_low"], row["ci_high"])


def cell_count(row: Mapping[str, Any]) -> str:
    return fmt.SUPPRESSED if row["suppressed"] else fmt.number(row["n"])


def _flags(display: DisplayTable, marked: pd.DataFrame) -> DisplayTable:
    display.suppressed_base = bool((marked["reason"] == "base").any())
    display.suppressed_group = bool((marked["reason"] == "group").any())
    display.suppressed_secondary = bool((marked["reason"] == "secondary").any())
    display.suppressed_nchs = bool((marked["reason"] == "nchs").any())
    display.uncertain = bool(marked["uncertain"].any())
    return display


def _base(block: pd.DataFrame) -> str:
    return base_text(block["base_n"].iloc[0]) if len(block) else fmt.MISSING


def base_text(value: Any) -> str:
    """A base: '..' where the CSV hides it (a wholly suppressed group), else the count."""
    return fmt.SUPPRESSED if pd.isna(value) else fmt.number(int(value))


def _single(marked: pd.DataFrame) -> DisplayTable:
    rows = [
        Row([str(r["category"])], [cell_percent(r), cell_interval(r), cell_count(r)])
        for _, r in marked.iterrows()
    ]
    rows.append(Row(["Antal svarande (bas)"], ["", "", _base(marked)], total=True))
    return DisplayTable(
        row_headers=["Svarsalternativ"],
        columns=["Andel, %", "95 % KI, %", "Antal"],
        rows=rows,
        layout="single",
    )


def _multiple(marked: pd.DataFrame, by: bool) -> DisplayTable:
    chosen = marked[marked["category"] == CHOSEN]
    rows = []
    for _, r in chosen.iterrows():
        headers = [str(r["variable_label"])] + ([str(r["group"])] if by else [])
        rows.append(Row(headers, [cell_percent(r), cell_interval(r), cell_count(r)]))
    base_rows = chosen.drop_duplicates("group")
    for _, r in base_rows.iterrows():
        headers = ["Antal svarande (bas)"] + ([str(r["group"])] if by else [])
        rows.append(Row(headers, ["", "", base_text(r["base_n"])], total=True))
    return DisplayTable(
        row_headers=["Alternativ", *(["Grupp"] if by else [])],
        columns=["Andel som valt, %", "95 % KI, %", "Antal"],
        rows=rows,
        layout="multiple",
        multiple=True,
    )


CELL_CI_NOTE = "Inom parentes: konfidensintervallet för andelen, i procent."


def _matrix(marked: pd.DataFrame, by_label: str | None, cell_ci: bool = False) -> DisplayTable:
    variables = _ordered(marked["variable"])
    categories = _ordered(marked["category"])
    labels = dict(zip(marked["variable"], marked["variable_label"], strict=False))
    several = len(variables) > 1
    rows = []
    for variable in variables:
        for group in _groups(marked[marked["variable"] == variable]):
            block = marked[(marked["variable"] == variable) & (marked["group"] == group)]
            by_category = {str(r["category"]): r for _, r in block.iterrows()}
            cells = [
                _cell(by_category[c], cell_ci) if c in by_category else fmt.MISSING
                for c in categories
            ]
            headers = ([labels[variable]] if several else []) + ([group] if by_label else [])
            rows.append(Row(headers, [*cells, _base(block)], total=group == TOTAL and by_label))
    row_headers = ([ROW_HEADER] if several else []) + ([by_label] if by_label else [])
    table = DisplayTable(
        row_headers=row_headers or [ROW_HEADER],
        columns=[*categories, "Bas (n)"],
        rows=rows,
        layout="matrix",
    )
    if cell_ci:
        table.notes.append(CELL_CI_NOTE)
    return table


def _cell(row: Mapping[str, Any], cell_ci: bool) -> str:
    """A cross-tab share, with its interval in the cell where the catalogue asks (cell_ci)."""
    text = cell_percent(row)
    return f"{text} ({cell_interval(row)})" if cell_ci and not row["suppressed"] else text


def survey_table(
    estimates: pd.DataFrame,
    rules: Rules,
    marks: Any = None,
    notes: list[str] | None = None,
    cell_ci: bool = False,
) -> DisplayTable:
    """The chapter layout of a survey table.

    `marks` (enkat.contrasts.SignificanceMarks) adds the significance mark after a share, the
    group letter after a group and the rule to the notes; `notes` are further note lines."""
    marked = _mark(estimates, rules)
    if marks is not None:
        keys = zip(
            marked["variable"].astype(str),
            marked["group"].astype(str),
            marked["category"].astype(str),
            strict=True,
        )
        marked["significance"] = [marks.cells.get(k, "") for k in keys]
    display = _survey_layout(marked, cell_ci)
    if marks is not None and marks.letters:
        for row in display.rows:
            if row.headers and row.headers[-1] in marks.letters:
                row.headers[-1] = f"{row.headers[-1]} ({marks.letters[row.headers[-1]]})"
    if marks is not None and (marks.cells or marks.letters):
        display.notes.append(marks.footnote)
    display.notes.extend(notes or [])
    return display


def _survey_layout(marked: pd.DataFrame, cell_ci: bool = False) -> DisplayTable:
    group_var = next((g for g in marked["group_var"] if g), "")
    by_label = fmt.group_var_label(group_var) if group_var else None
    if set(marked["category"]) <= {CHOSEN, NOT_CHOSEN}:
        display = _multiple(marked, by=by_label is not None)
    elif marked["variable"].nunique() == 1 and by_label is None:
        display = _single(marked)
    else:
        display = _matrix(marked, by_label, cell_ci)
    return _flags(display, marked)


def full_survey_table(estimates: pd.DataFrame, rules: Rules) -> DisplayTable:
    """Every estimate of a table, long: the appendix and the auditor's check."""
    marked = _mark(estimates, rules)
    rows = [
        Row(
            [str(r["variable_label"]), str(r["group"]), str(r["category"])],
            [
                cell_percent(r),
                cell_interval(r),
                fmt.SUPPRESSED if r["suppressed"] else fmt.percent_value(r["se"], 2),
                cell_count(r),
                base_text(r["base_n"]),
            ],
        )
        for _, r in marked.iterrows()
    ]
    display = DisplayTable(
        row_headers=[ROW_HEADER, "Grupp", "Svarsalternativ"],
        columns=["Andel, %", "95 % KI, %", "Medelfel, %-enheter", "Antal", "Bas (n)"],
        rows=rows,
        layout="long",
    )
    return _flags(display, marked)


def base_note(estimates: pd.DataFrame) -> str:
    """The number of respondents behind a table, for a figure shown without its table."""
    total = (
        estimates[estimates["group"] == TOTAL] if TOTAL in set(estimates["group"]) else estimates
    )
    bases = sorted({int(b) for b in total["base_n"].dropna()})
    if not bases:
        return ""
    if len(bases) == 1:
        return fmt.number(bases[0])
    return fmt.number(bases[0]) + "–" + fmt.number(bases[-1])


def register_value(value: float, unit: str) -> str:
    """A register cell by its unit."""
    if unit == "kronor":
        return fmt.kronor(value)
    if unit == "proportion":
        return fmt.percent_value(value)
    if unit == "count":
        return fmt.number(value)
    return fmt.number(value, 2)


def register_blocks(table: pd.DataFrame, max_rows: int | None = None) -> list[DisplayTable]:
    """One display table per block of a register table; blocks longer than `max_rows` skipped."""
    blocks = []
    for b in wide_blocks(table):
        measures, units, wide = b.measures, b.units, b.wide
        if max_rows is not None and len(wide) > max_rows:
            continue
        rows = []
        for key, values in wide.iterrows():
            headers = [str(k) for k in (key if isinstance(key, tuple) else (key,))]
            cells = [register_value(values[m], units[m]) for m in measures]
            rows.append(Row(headers, cells, total=headers[-1] in (TOTAL, "Samtliga kontor")))
        unit_suffix = {"proportion": ", %"}
        columns = [b.labels[m] + unit_suffix.get(units[m], "") for m in measures]
        blocks.append(
            DisplayTable(
                row_headers=b.dims, columns=columns, rows=rows, layout="register", caption=b.name
            )
        )
    return blocks
