"""Cross-references between config, the table catalogue and the codebooks.

The JSON schemas check each file on its own; what they cannot see is whether a name in one
file exists in another (a `by:` variable, a filter value, a collapse class, a finding's
category). Each is checked here when the DAG is built, so a typo stops the run before any
job starts, with the key, the bad value and the values that are allowed, instead of after
a minute of work in the table or report job.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from enkat.errors import EnkatError
from enkat.report_specs import (
    narrative_files,
    narrative_folder,
    narrative_names,
    section_ids,
    text_sections,
)

SURVEYS = ("handlers", "customers")
# Columns every survey file carries besides its configured columns and items (see
# docs/architecture.md): the office id and the register columns joined onto each respondent.
REGISTER_COLUMNS = ("office_id", "office_type", "region", "area")
MAX_SHOWN = 12


@dataclass
class SurveyColumns:
    """The columns a survey's processed file holds, with their values where config knows them.

    `values[c] is None` means the values come from the data (wave, agency, frame variables):
    only the column's existence can be checked before the data are read.
    """

    survey: str
    values: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)  # codebook variables by name

    def names(self) -> list[str]:
        return list(self.values)


def _allowed(values: Sequence[str]) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:MAX_SHOWN])
    return "one of " + shown + (", ..." if len(values) > MAX_SHOWN else "")


def _hint(value: Any, values: Sequence[str], fallback: str) -> str:
    close = difflib.get_close_matches(str(value), [str(v) for v in values], n=1)
    return f"did you mean {close[0]!r}?" if close else fallback


def _unknown(
    what: str, file: str, key: str, value: Any, values: Sequence[str], fallback: str
) -> EnkatError:
    return EnkatError(
        what,
        file=file,
        key=key,
        value=value,
        expected=_allowed(values),
        hint=_hint(value, values, fallback),
    )


def survey_columns(config: Mapping[str, Any], survey: str, codebook: Any) -> SurveyColumns:
    """The columns of `processed/<survey>.parquet` as config and codebook define them."""
    register = config["register"]
    out = SurveyColumns(survey)
    out.values["office_id"] = None
    out.values["office_type"] = tuple(register["office_types"].values())
    out.values["region"] = tuple(register["regions"])
    out.values["area"] = None
    for column in config["sources"][survey].get("columns") or {}:
        if column not in ("respondent_id", "office_id"):
            out.values.setdefault(column, None)
    for variable in codebook.variables():
        out.values[variable.name] = tuple(variable.categories) + tuple(variable.not_in_base)
        out.variables[variable.name] = variable
    return out


def weighting_columns(config: Mapping[str, Any], survey: str) -> dict[str, tuple[str, ...] | None]:
    """The columns a survey's weighting may use: register columns, configured columns and,
    for a survey linked to the frame, the frame variables."""
    register = config["register"]
    out: dict[str, tuple[str, ...] | None] = {
        "office_id": None,
        "office_type": tuple(register["office_types"].values()),
        "region": tuple(register["regions"]),
        "area": None,
    }
    for column in config["sources"][survey].get("columns") or {}:
        if column not in ("respondent_id", "office_id"):
            out.setdefault(column, None)
    frame = config["sources"].get("frame") or {}
    if survey == "handlers":  # handlers are linked to the frame; customers are not
        for column in frame.get("variables") or []:
            out.setdefault(column, None)
    return out


def check_references(
    config: Mapping[str, Any],
    catalogue: Mapping[str, Any],
    codebooks: Mapping[str, Any],
    config_file: str = "config/config.yaml",
) -> None:
    """Raise the first broken cross-reference as an `EnkatError` (key, value, allowed)."""
    tables_file = config["paths"]["tables"]
    columns = {s: survey_columns(config, s, codebooks[s]) for s in codebooks}
    check_catalogue(catalogue, columns, config, tables_file)
    check_weighting(config, config_file)
    check_nonresponse(config, config_file)
    check_report(config, catalogue, columns, codebooks, config_file)
    check_narrative(config, catalogue)


# --- the catalogue ------------------------------------------------------------------------


def check_catalogue(
    catalogue: Mapping[str, Any],
    columns: Mapping[str, SurveyColumns],
    config: Mapping[str, Any],
    file: str,
) -> None:
    """Survey, item, variables, `by` and `filter` of every survey table."""
    for pos, table in enumerate(catalogue["tables"]):
        if table.get("kind", "survey") != "survey":
            check_register_by(table, f"tables[{pos}] ({table['id']})", file)
            continue
        key = f"tables[{pos}] ({table['id']})"
        survey = table.get("survey")
        if survey not in config["sources"]:
            configured = [s for s in SURVEYS if s in config["sources"]]
            raise _unknown(
                "a table names a survey that has no source",
                file,
                f"{key}.survey",
                survey,
                configured,
                "add the survey under sources: in config/config.yaml or remove the table",
            )
        cols = columns[survey]
        check_table_variables(table, cols, file, key)
        by = table.get("by")
        if by is not None and by not in cols.values:
            raise _unknown(
                "a table's by variable is not a column of the survey",
                file,
                f"{key}.by",
                by,
                cols.names(),
                "use a register column, a configured column or a codebook variable",
            )
        for column, allowed in (table.get("filter") or {}).items():
            check_filter(column, allowed, cols, file, f"{key}.filter")


# Register analyses that take `by:` and the register columns they can be broken down by
# (the visits file carries the register columns of each office).
REGISTER_BY = {"customer_response": ("office_type", "region", "area")}


def check_register_by(table: Mapping[str, Any], key: str, file: str) -> None:
    """A register table's `by` is a register column, and only where its analysis takes one."""
    by = table.get("by")
    if by is None:
        return
    analysis = table.get("analysis")
    allowed = REGISTER_BY.get(str(analysis))
    if allowed is None:
        raise EnkatError(
            "only the customer_response register table takes a by variable",
            file=file,
            key=f"{key}.by",
            value=by,
            expected="no by for " + str(analysis),
            hint=f"remove `by` from table {table['id']}",
        )
    if by not in allowed:
        raise _unknown(
            "a register table's by variable is not a register column",
            file,
            f"{key}.by",
            by,
            allowed,
            "use a column of the office register",
        )


def check_table_variables(
    table: Mapping[str, Any], cols: SurveyColumns, file: str, key: str
) -> None:
    """A table's item exists in the codebook; its `variables` are columns of the survey."""
    item = table.get("item")
    if item is not None:
        items = sorted({v.item for v in cols.variables.values()})
        if item not in items:
            raise _unknown(
                "a table names an item the codebook lacks",
                file,
                f"{key}.item",
                item,
                items,
                "correct the item id or add the item to the codebook",
            )
    for name in table.get("variables") or []:
        if name not in cols.values:
            raise _unknown(
                "a table names a variable that is not a column of the survey",
                file,
                f"{key}.variables",
                name,
                cols.names(),
                "use a codebook variable or a configured column",
            )


def check_filter(
    column: str, allowed: Sequence[Any], cols: SurveyColumns, file: str, key: str
) -> None:
    """A filter's column exists; its values are values of that column where config knows them."""
    if column not in cols.values:
        raise _unknown(
            "a table filter names a column the survey does not have",
            file,
            f"{key}.{column}",
            column,
            cols.names(),
            "use a register column, a configured column or a codebook variable",
        )
    known = cols.values[column]
    if known is None:
        return
    for value in allowed:
        if str(value) not in known:
            raise _unknown(
                "a table filter keeps a value the column never has",
                file,
                f"{key}.{column}",
                value,
                known,
                "use a label of the codebook or of config register",
            )


# --- weighting ----------------------------------------------------------------------------


def check_weighting(config: Mapping[str, Any], file: str) -> None:
    """Classes and margins are columns; collapse keys and targets name class values."""
    for survey, settings in (config.get("weighting") or {}).items():
        if survey not in config["sources"]:
            continue  # check_config reports a weighting without a source
        usable = weighting_columns(config, survey)
        base = f"weighting.{survey}"
        for part in ("classes", "margins", "strata"):
            for name in settings.get(part) or []:
                if name in usable:
                    continue
                raise _unknown(
                    "a weighting class or margin is not a column of the survey",
                    file,
                    f"{base}.{part}",
                    name,
                    list(usable),
                    "use a register column, a configured column or a frame variable",
                )
        check_collapse(settings, usable, file, base)
        psu = settings.get("psu")
        if psu is not None and psu not in usable:
            raise _unknown(
                "the PSU column is not a column of the survey",
                file,
                f"{base}.psu",
                psu,
                list(usable),
                "use office_id (offices sampled) or another configured column",
            )


def check_nonresponse(config: Mapping[str, Any], file: str) -> None:
    """The handlers' rates are broken down by register columns or frame variables."""
    usable = [c for c in weighting_columns(config, "handlers") if c != "office_id"]
    for name in nonresponse_by(config, "handlers"):
        if name not in usable:
            raise _unknown(
                "a nonresponse breakdown is not a column of the staff frame",
                file,
                "nonresponse.handlers.by",
                name,
                usable,
                "use a register column or a variable of sources.frame.variables",
            )


def nonresponse_by(config: Mapping[str, Any], survey: str) -> list[str]:
    """The breakdowns of a survey's nonresponse analysis (config `nonresponse.<survey>.by`)."""
    default = ["office_type", "region"] if survey == "handlers" else ["office_type"]
    settings = (config.get("nonresponse") or {}).get(survey) or {}
    return list(settings.get("by") or default)


def check_collapse(
    settings: Mapping[str, Any],
    usable: Mapping[str, tuple[str, ...] | None],
    file: str,
    base: str,
) -> None:
    """Each collapse key and neighbour is a value of a class variable.

    Values are known for office types and regions (config register); a class whose values
    come from the data (wave, a frame variable) is checked when the weights are made.
    """
    collapse = settings.get("collapse") or {}
    if not collapse:
        return
    classes = settings.get("classes") or []
    known = [v for c in classes if (v := usable.get(c)) is not None]
    if not known or len(known) < len(classes):
        return
    values = sorted({str(v) for vs in known for v in vs})
    for source, target in collapse.items():
        for role, value in (("key", source), ("neighbour", target)):
            if str(value) not in values:
                raise _unknown(
                    f"a collapse {role} names no weighting class",
                    file,
                    f"{base}.collapse.{source}",
                    value,
                    values,
                    "use a value of the weighting classes "
                    f"({', '.join(classes)}) as shown in config register",
                )


# --- the report -----------------------------------------------------------------------------


def check_report(
    config: Mapping[str, Any],
    catalogue: Mapping[str, Any],
    columns: Mapping[str, SurveyColumns],
    codebooks: Mapping[str, Any],
    file: str,
) -> None:
    """Findings name a table, one of its variables and a category; free text names text items."""
    report = config.get("report") or {}
    tables = {t["id"]: t for t in catalogue["tables"]}
    for pos, finding in enumerate(report.get("findings") or []):
        if isinstance(finding, Mapping) and "table" in finding:
            check_finding(finding, tables, columns, file, f"report.findings[{pos}]")
    text_items = sorted({i.id for book in codebooks.values() for i in book.text_items()})
    for pos, name in enumerate(report.get("free_text") or []):
        if name not in text_items:
            raise _unknown(
                "report.free_text names no free-text item of the codebooks",
                file,
                f"report.free_text[{pos}]",
                name,
                text_items or ["(the codebooks have no free-text items)"],
                "use the id of an item of type text",
            )


def check_narrative(config: Mapping[str, Any], catalogue: Mapping[str, Any]) -> None:
    """Every text section of `report.sections` has its file in `report.narrative`, and every
    Markdown file there is a section's or a result chapter's: a misspelt file name would
    otherwise be left out of the report without a word, or stop it only in the report job."""
    report = config.get("report") or {}
    folder = narrative_folder(report)  # a report.narrative that names no folder: check_paths
    present = [os.path.basename(f) for f in narrative_files(report)]
    sections = section_ids(report)
    for sid in text_sections(report):
        if f"{sid}.md" not in present:
            raise EnkatError(
                "a report section has no narrative file",
                file=os.path.join(folder, f"{sid}.md"),
                key=f"report.sections[{sections.index(sid)}]",
                value=sid,
                expected=f"a file {sid}.md in {folder} (report.narrative)",
                hint=_hint(
                    f"{sid}.md", present, "write the file, or drop the section from report.sections"
                ),
            )
    chapters = [str(c["id"]) for c in catalogue.get("chapters") or []]
    allowed = narrative_names(report, chapters)
    for name in present:
        if name not in allowed:
            raise _unknown(
                "a narrative file names no report section or result chapter",
                os.path.join(folder, name),
                "report.narrative",
                name,
                allowed,
                "rename it after a section of report.sections or a chapter id of "
                "config/tables.yaml, or move it out of the folder",
            )


def check_finding(
    finding: Mapping[str, Any],
    tables: Mapping[str, Mapping[str, Any]],
    columns: Mapping[str, SurveyColumns],
    file: str,
    key: str,
) -> None:
    """A finding's table, variable and category exist."""
    table_id = finding["table"]
    if table_id not in tables:
        raise _unknown(
            "a finding names a table that is not in the catalogue",
            file,
            f"{key}.table",
            table_id,
            sorted(tables),
            "use a table id of config/tables.yaml",
        )
    table = tables[table_id]
    if table.get("kind", "survey") != "survey" or table.get("survey") not in columns:
        return
    cols = columns[table["survey"]]
    names = table_variable_names(table, cols)
    variable = finding.get("variable")
    if variable is not None and variable not in names:
        raise _unknown(
            f"a finding names a variable that table {table_id} does not show",
            file,
            f"{key}.variable",
            variable,
            names,
            "use one of the table's variables",
        )
    category = finding.get("category")
    if category is None:
        return
    chosen = [variable] if variable is not None else names
    categories = [c for n in chosen for c in (cols.values.get(n) or ())]
    if categories and str(category) not in categories:
        raise _unknown(
            f"a finding names a category that table {table_id} does not have",
            file,
            f"{key}.category",
            category,
            list(dict.fromkeys(categories)),
            "use an answer label of the codebook exactly as written there",
        )


def table_variable_names(table: Mapping[str, Any], cols: SurveyColumns) -> list[str]:
    """The variables a survey table shows, by name."""
    if table.get("item") is not None:
        return [n for n, v in cols.variables.items() if v.item == table["item"]]
    return list(table.get("variables") or [])
