"""The Excel workbook `output/tables.xlsx`: what report writers copy and statisticians check.

- Numbers are stored as numbers with number formats (percent, thousands), never as text;
  only the suppression symbol '..' replaces a number.
- Every text cell from data, codebook or config goes through `_text`, which forces the
  string type and a quote prefix, so a label beginning with '=', '+', '-' or '@' can never
  be read as a formula.
- The file is byte-reproducible: document dates come from config `project.source_date_epoch`
  (else SOURCE_DATE_EPOCH, else `project.date`), and the zip is rewritten with fixed entry
  dates, a fixed entry order and one compression level (openpyxl stamps the current time).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.properties import CalcProperties
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from enkat import fmt
from enkat.analysis_files import read_estimates, read_numeric_csv, read_tests
from enkat.contrasts import SignificanceMarks, read_contrasts, table_marks, wave_footnote
from enkat.errors import EnkatError
from enkat.register_tables import read_register_table, wide_blocks
from enkat.suppression import (
    TOTAL,
    Rules,
    footnote_nchs,
    footnote_secondary,
    footnote_small_group,
    footnote_suppressed,
    footnote_unreliable,
    rules_text,
    suppression_reason,
    unreliable,
)
from enkat.text import check_distinct

PERCENT = "0.0 %"
COUNT = "#,##0"
KRONOR = '#,##0 "kr"'
DECIMAL1 = "0.0"
DECIMAL2 = "0.00"
DECIMAL3 = "0.000"
P_VALUE = '[<0.001]"<0,001";0.000'
UNIT_FORMATS = {"count": COUNT, "kronor": KRONOR, "proportion": PERCENT}
FORMULA_START = ("=", "+", "-", "@")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
ITALIC = Font(italic=True)
DEMO_FONT = Font(bold=True, color="C00000")
TABLE_STYLE = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
ZIP_DATE_MIN = (1980, 1, 1, 0, 0, 0)

SURVEY_HEADERS = [
    "Rad",
    "Svarsalternativ",
    "Andel",
    "KI nedre",
    "KI övre",
    "Antal svar (n)",
    "Bas (n)",
    "Not",
]
DEMO_TEXT = (
    "Exempeldata: tabellerna bygger på syntetiska uppgifter och beskriver inte "
    "verkliga förhållanden."
)
ROUNDING_NOTE = (
    "Andelarna är avrundade till en decimal och summerar därför inte alltid "
    "till 100 procent. Avrundning sker uppåt vid 5 (0,05 blir 0,1)."
)
MULTIPLE_NOTE = "Flera svar var möjliga; andelarna summerar till mer än 100 procent."
SYMBOL_NOTE = (
    f"{fmt.SUPPRESSED} Uppgiften redovisas inte, eftersom den bygger på för få svar "
    "för att vara tillförlitlig eller för att skydda enskilda."
)
NOTES_TEMPLATE = "notes.j2"  # in config report.templates: the audit's texts (see Notes)
REGISTER_KEYS = ("register", "frame", "visits", "errands")  # sources named in "Underlag"
# Metod sheet: column -> (Swedish header, number format; None = text). Columns not listed
# keep their machine name and a format inferred from their values.
METHOD_COLUMNS: dict[str, tuple[str, str | None]] = {
    "survey": ("Undersökning", None),
    "method": ("Viktningsmetod", None),
    "stratum": ("Viktklass", None),
    "members": ("Ingående celler", None),
    "collapsed": ("Sammanslagen klass", None),
    "N": ("Population (N)", COUNT),
    "n": ("Svarande (n)", COUNT),
    "response_rate": ("Svarsfrekvens", PERCENT),
    "weight": ("Medelvikt", DECIMAL3),
    "weight_min": ("Minsta vikt", DECIMAL3),
    "weight_max": ("Största vikt", DECIMAL3),
    "trimmed": ("Trimmade vikter", COUNT),
    "kish_deff": ("Designeffekt (Kish)", DECIMAL3),
    "effective_n": ("Effektivt n", DECIMAL1),
    "margin": ("Marginal", None),
    "target": ("Populationens total", DECIMAL1),
    "achieved": ("Vägd total", DECIMAL1),
    "relative_difference": ("Relativ avvikelse", PERCENT),
    "variable": ("Variabel", None),
    "group": ("Grupp", None),
    "test": ("Test", None),
    "statistic": ("Teststatistika", DECIMAL2),
    "df": ("Frihetsgrader", COUNT),
    "p_value": ("p-värde", P_VALUE),
    "cramers_v": ("Cramérs V", DECIMAL3),
    "link": ("Svarsbenägenhet skattad", None),
    "indicator": ("Indikator", None),
    "category": ("Kategori", None),
    "value": ("Värde", DECIMAL3),
    "wave": ("Omgång", None),
    "office_type": ("Kontorstyp", None),
    "offices": ("Antal kontor med svar", COUNT),
    "visits": ("Antal besök vid dessa kontor", COUNT),
    "visits_all_offices": ("Antal besök, alla kontor", COUNT),
    "responses_per_visit": ("Svar i förhållande till besök", PERCENT),
}
# For a survey whose population is visits (the customer survey), not persons.
VISIT_COLUMNS = {
    "N": ("Antal besök (N)", COUNT),
    "response_rate": ("Svar i förhållande till besök", PERCENT),
}
METHOD_VALUES: dict[str, dict[str, str]] = {
    "collapsed": {"true": "Ja", "false": "Nej"},
    "test": {"pearson_chisq": "Pearsons χ²-test"},
    "link": {"person": "per person", "office": "per kontor"},
    "indicator": {
        "R": "R-indikator",
        "S": "Standardavvikelse för svarsbenägenheten",
        "mean_propensity": "Genomsnittlig svarsbenägenhet",
        "CV": "Variationskoefficient för svarsbenägenheten",
        "partial_unconditional": "Partiell R-indikator, ovillkorad",
        "partial_conditional": "Partiell R-indikator, villkorad",
    },
}
# Constant within a weights file: named once in the block title instead of on every row.
WEIGHT_TITLE_COLUMNS = ("survey", "method")


# --- cells ------------------------------------------------------------------------------------


def _text(cell: Cell, value: Any) -> Cell:
    """Write text that can never become a formula (string type, quote prefix if needed)."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True
    return cell


def _number(cell: Cell, value: Any, number_format: str) -> Cell:
    """Write a number with its format; missing becomes the '–' symbol."""
    if value is None or pd.isna(value):
        return _text(cell, fmt.MISSING)
    cell.value = float(value) if not float(value).is_integer() else int(value)
    cell.number_format = number_format
    return cell


class Notes:
    """The audit's texts in the workbook, from the notes template (report_templates/notes.j2).

    What depends on the audit (names of surveys and registers, register sources, method
    names, the weighting and design sentences) lives in the template, not here, so a
    follow-up audit edits words without touching Python; the facts come from
    enkat.report.method_facts, the same the report's method appendix states.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        import jinja2

        from enkat.report.render import environment

        self.path = Path(path) if path else default_notes()
        env = environment(self.path.parent)
        env.autoescape = False  # cell text, never HTML
        try:
            self.module = env.get_template(self.path.name).module
        except (OSError, jinja2.TemplateError) as err:
            raise self._error(err) from None

    def _error(self, err: Exception) -> EnkatError:
        return EnkatError(
            "the workbook notes template cannot be read",
            file=str(self.path),
            row=getattr(err, "lineno", None),
            value=str(err),
            hint="see docs/report.md for what notes.j2 holds",
        )

    def data(self, name: str) -> Any:
        """A top-level `set` of the template (a name, or a mapping of texts)."""
        try:
            return getattr(self.module, name)
        except AttributeError:
            raise EnkatError(
                "the workbook notes template lacks a text",
                file=str(self.path),
                value=name,
                expected=f"a top-level {{% set {name} = ... %}}",
            ) from None

    def lines(self, macro: str, *args: Any) -> list[str]:
        """A macro's sentences, one per non-empty line, spaces collapsed."""
        import jinja2

        try:
            text = str(self.data(macro)(*args))
        except jinja2.TemplateError as err:
            raise self._error(err) from None
        return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def default_notes() -> Path:
    """The project's own notes template (for callers that name none)."""
    return Path(__file__).resolve().parents[2] / "report_templates" / NOTES_TEMPLATE


class SheetWriter:
    """Appends rows to a sheet and remembers the width each column needs."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.row = 1
        self.widths: dict[int, int] = {}
        self.notes: list[str] = []
        self.symbol_in_numbers = False  # '..' written where a number would stand

    def line(self, text: str, font: Font | None = None) -> None:
        cell = _text(self.ws.cell(self.row, 1), text)
        if font is not None:
            cell.font = font
        self.notes.append(text)
        self.row += 1

    def blank(self) -> None:
        self.row += 1

    def cells(self, values: Sequence[tuple[Any, str | None]], font: Font | None = None) -> None:
        """One row: (value, number format) pairs; format None means text."""
        for col, (value, number_format) in enumerate(values, start=1):
            cell = self.ws.cell(self.row, col)
            if number_format is None or isinstance(value, str):
                _text(cell, "" if value is None else value)
                self.widths[col] = max(self.widths.get(col, 0), len(str(value or "")))
            else:
                _number(cell, value, number_format)
                self.widths[col] = max(self.widths.get(col, 0), 10)
            if font is not None:
                cell.font = font
        self.row += 1

    def table(self, name: str, first_row: int, n_cols: int) -> None:
        """Make the rows from `first_row` (the header) to the last written an Excel Table."""
        last = self.row - 1
        if last <= first_row:
            return
        self.align_numbers(first_row, last, n_cols)
        ref = f"A{first_row}:{get_column_letter(n_cols)}{last}"
        table = Table(displayName=name, ref=ref)
        table.tableStyleInfo = TABLE_STYLE
        self.ws.add_table(table)

    def align_numbers(self, header: int, last: int, n_cols: int) -> None:
        """Right-align a numeric column's header and its symbols ('..', '–') with its numbers."""
        for col in range(1, n_cols + 1):
            cells = [self.ws.cell(r, col) for r in range(header + 1, last + 1)]
            if not any(c.data_type == "n" and c.value is not None for c in cells):
                continue
            for cell in [self.ws.cell(header, col), *cells]:
                if cell.data_type != "n":
                    cell.alignment = Alignment(horizontal="right")
                    if cell.row != header and cell.value == fmt.SUPPRESSED:
                        self.symbol_in_numbers = True

    def finish(self, freeze_row: int | None, title_rows: int) -> None:
        """Column widths, frozen header, print setup (landscape, fit to width, titles).

        A sheet that shows '..' for a number and has no note on it yet gets one."""
        if self.symbol_in_numbers and not any(
            n.startswith(fmt.SUPPRESSED + " ") for n in self.notes
        ):
            self.line(SYMBOL_NOTE)
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = min(60, max(9, width + 2))
        if freeze_row:
            self.ws.freeze_panes = f"A{freeze_row}"
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = self.ws.PAPERSIZE_A4
        self.ws.page_setup.fitToWidth = 1
        self.ws.page_setup.fitToHeight = 0
        self.ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        if freeze_row:
            self.ws.print_title_rows = f"1:{freeze_row - 1}"
        elif title_rows:
            self.ws.print_title_rows = f"1:{title_rows}"


# --- inputs -----------------------------------------------------------------------------------


def survey_texts(codebook_path: str | Path) -> dict[str, Any]:
    """Title, period, population and item question texts from a codebook YAML."""
    path = Path(codebook_path)
    try:
        book = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise EnkatError(
            "cannot read the codebook",
            file=str(path),
            value=str(err),
            hint="check the codebook path in config sources",
        ) from None
    items = {str(item.get("id")): str(item.get("text", "")) for item in book.get("items", [])}
    return {
        "title": str(book.get("title", "")),
        "period": str(book.get("period", "")),
        "population": str(book.get("population", "")),
        "items": items,
    }


def build_epoch(project: Mapping[str, Any]) -> int:
    """The fixed creation time: config, else SOURCE_DATE_EPOCH, else the report date."""
    if project.get("source_date_epoch") is not None:
        return int(project["source_date_epoch"])
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    date = dt.date.fromisoformat(str(project.get("date", "1980-01-01")))
    return int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())


def _sheet_name(table_id: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "_", table_id)[:31]
    name, k = base, 2
    while name.lower() in used:
        suffix = f"_{k}"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(name.lower())
    return name


# --- sheets -----------------------------------------------------------------------------------


def _header(w: SheetWriter, spec: Mapping[str, Any], subtitle: str, demo: bool) -> int:
    w.line(f"{spec['id']}. {spec['title']}", TITLE)
    if subtitle:
        w.line(subtitle, ITALIC)
    if demo:
        w.line(DEMO_TEXT, DEMO_FONT)
    w.blank()
    return w.row


def _group_title(group: str, group_var: str) -> str:
    if group == TOTAL:
        return TOTAL
    return f"{fmt.group_var_label(group_var)}: {group}"


def write_survey_sheet(
    ws: Worksheet,
    spec: Mapping[str, Any],
    table: pd.DataFrame,
    tests: pd.DataFrame | None,
    texts: Mapping[str, Any],
    rules: Rules,
    estimation: Mapping[str, Any],
    demo: bool,
    response_note: str | None,
    marks: SignificanceMarks | None = None,
    waves: pd.DataFrame | None = None,
    contrast_settings: Mapping[str, Any] | None = None,
) -> int:
    """One survey table: a block per group, then tests and footnotes. Returns suppressed cells.

    `marks` (enkat.contrasts) adds a significance mark to the note column and its rule to
    the footnotes; `waves` adds the change between survey waves after the tests."""
    w = SheetWriter(ws)
    question = texts["items"].get(str(spec.get("item", "")), "")
    _header(w, spec, question, demo)
    table = table.reset_index(drop=True)
    reason = suppression_reason(table, rules).where(table["suppressed"], "")
    shaky = unreliable(table, rules) & ~table["suppressed"]
    freeze = None
    groups = list(pd.unique(table["group"]))
    groups = [TOTAL, *[g for g in groups if g != TOTAL]] if TOTAL in groups else groups
    for k, group in enumerate(groups, start=1):
        block = table[table["group"] == group]
        letter = marks.letters.get(group, "") if marks is not None else ""
        title = _group_title(group, str(block["group_var"].iloc[0]))
        w.line(f"{title} ({letter})" if letter else title, BOLD)
        if group != TOTAL and (reason[block.index] == "secondary").all():
            w.line(
                f"{fmt.SUPPRESSED} Gruppen redovisas inte separat, eftersom en mindre grupp "
                "annars skulle kunna räknas fram ur totalen."
            )
            w.blank()
            continue
        if group != TOTAL and (reason[block.index] == "group").all():
            w.line(
                f"{fmt.SUPPRESSED} Gruppen redovisas inte separat (färre än "
                f"{fmt.number(rules.min_group)} svarande)."
            )
            w.blank()
            continue
        head = w.row
        w.cells([(h, None) for h in SURVEY_HEADERS], BOLD)
        freeze = freeze or w.row
        for i, row in block.iterrows():
            hidden = bool(row["suppressed"])
            note = fmt.SUPPRESSED if hidden else ("*" if shaky[i] else "")
            if marks is not None and not hidden:
                key = (str(row["variable"]), str(row["group"]), str(row["category"]))
                note = " ".join(filter(None, [note, marks.cells.get(key, "")]))
            value = [(fmt.SUPPRESSED, None)] if hidden else [(row["estimate"], PERCENT)]
            ci = (
                [(fmt.SUPPRESSED, None)] * 2
                if hidden
                else [(row["ci_low"], PERCENT), (row["ci_high"], PERCENT)]
            )
            n = (fmt.SUPPRESSED, None) if hidden else (row["n"], COUNT)
            w.cells(
                [
                    (row["variable_label"], None),
                    (row["category"], None),
                    *value,
                    *ci,
                    n,
                    (fmt.SUPPRESSED, None) if pd.isna(row["base_n"]) else (row["base_n"], COUNT),
                    (note, None),
                ]
            )
        w.table(f"{_table_name(spec['id'])}_{k}", head, len(SURVEY_HEADERS))
        w.blank()
    if tests is not None and not tests.empty:
        _write_tests(w, spec, tests, table, estimation)
    if waves is not None and not waves.empty:
        _write_waves(w, spec, waves, table, estimation)
    w.blank()
    survey_title = ", ".join(t for t in (texts.get("title"), texts.get("period")) if t)
    notes = [
        f"Källa: {survey_title}." if survey_title else "",
        "Vägda andelar med konfidensintervall på "
        f"{fmt.number(float(estimation.get('confidence_level', 0.95)) * 100)} %-nivån. "
        "n = ovägt antal svarande som valt svarsalternativet; bas = ovägt antal svarande "
        "på frågan.",
        ROUNDING_NOTE,
    ]
    if set(table["category"]) <= {"Vald", "Ej vald"}:
        notes.append(MULTIPLE_NOTE)
    if response_note:
        notes.append(response_note)
    if (reason == "base").any():
        notes.append(footnote_suppressed(rules))
    if (reason == "nchs").any():
        notes.append(footnote_nchs())
    if (reason == "secondary").any():
        notes.append(footnote_secondary())
    if (reason == "group").any():
        notes.append(footnote_small_group(rules))
    if shaky.any() and footnote_unreliable(rules):
        notes.append(str(footnote_unreliable(rules)))
    if marks is not None and (marks.cells or marks.letters):
        notes.append(marks.footnote)
    if waves is not None and not waves.empty:
        notes.append(wave_footnote(spec, contrast_settings, estimation))
    if demo:
        notes.append("Exempeldata.")
    for note in filter(None, notes):
        w.line(note)
    w.widths[1] = max(w.widths.get(1, 0), 30)
    w.finish(freeze, 3)
    return int(table["suppressed"].sum())


def _table_name(table_id: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", table_id)
    return name if name[:1].isalpha() else f"T_{name}"


def _write_tests(
    w: SheetWriter,
    spec: Mapping[str, Any],
    tests: pd.DataFrame,
    table: pd.DataFrame,
    estimation: Mapping[str, Any],
) -> None:
    level = float(estimation.get("test_level", 0.05))
    labels = dict(zip(table["variable"], table["variable_label"], strict=False))
    w.line("Test av skillnader mellan grupperna (Rao–Scotts F-test)", BOLD)
    head = w.row
    headers = [
        "Rad",
        "F",
        "Frihetsgrader (täljare)",
        "Frihetsgrader (nämnare)",
        "p-värde",
        f"Skillnad på {fmt.number(level * 100)} %-nivån",
    ]
    w.cells([(h, None) for h in headers], BOLD)
    for _, row in tests.iterrows():
        differs = "Ja" if row["p_value"] < level else "Nej"
        w.cells(
            [
                (labels.get(row["variable"], row["variable"]), None),
                (row["statistic"], DECIMAL2),
                (row["ndf"], DECIMAL2),
                (row["ddf"], DECIMAL2),
                (row["p_value"], P_VALUE),
                (differs, None),
            ]
        )
    w.table(f"{_table_name(spec['id'])}_test", head, len(headers))
    w.blank()


def _write_waves(
    w: SheetWriter,
    spec: Mapping[str, Any],
    waves: pd.DataFrame,
    table: pd.DataFrame,
    estimation: Mapping[str, Any],
) -> None:
    """The change of each share between waves (analysis/waves/<id>.csv), whole table only;
    a change that involves a suppressed estimate is not shown."""
    level = float(estimation.get("test_level", 0.05))
    ci = fmt.number(float(estimation.get("confidence_level", 0.95)) * 100)
    hidden = set(
        zip(
            table.loc[table["suppressed"], "variable"].astype(str),
            table.loc[table["suppressed"], "group"].astype(str),
            table.loc[table["suppressed"], "category"].astype(str),
            strict=True,
        )
    )
    labels = dict(zip(table["variable"], table["variable_label"], strict=False))
    w.line("Förändring mellan undersökningsomgångarna (procentenheter)", BOLD)
    head = w.row
    headers = [
        "Rad",
        "Svarsalternativ",
        "Omgång",
        "Jämfört med",
        "Förändring",
        f"{ci} % KI nedre",
        f"{ci} % KI övre",
        "p-värde (justerat)",
        f"Säker skillnad på {fmt.number(level * 100)} %-nivån",
    ]
    w.cells([(h, None) for h in headers], BOLD)
    for _, r in waves[waves["group"] == TOTAL].iterrows():
        variable, category = str(r["variable"]), str(r["category"])
        cells = {(variable, str(r[col]), category) for col in ("wave", "reference_wave")}
        shown = not (cells & hidden)
        number = (lambda v: (v * 100, DECIMAL1)) if shown else (lambda v: (fmt.SUPPRESSED, None))
        w.cells(
            [
                (labels.get(r["variable"], r["variable"]), None),
                (r["category"], None),
                (r["wave"], None),
                (r["reference_wave"], None),
                number(r["difference"]),
                number(r["ci_low"]),
                number(r["ci_high"]),
                (r["p_adjusted"], P_VALUE) if shown else (fmt.SUPPRESSED, None),
                (("Ja" if r["significant"] else "Nej") if shown else fmt.SUPPRESSED, None),
            ]
        )
    w.table(f"{_table_name(spec['id'])}_omgang", head, len(headers))
    w.blank()


def write_register_sheet(
    ws: Worksheet,
    spec: Mapping[str, Any],
    table: pd.DataFrame,
    demo: bool,
    notes: Notes | None = None,
) -> None:
    """One register table: a block per `block`, rows by (group, row), columns by measure."""
    w = SheetWriter(ws)
    _header(w, spec, "", demo)
    freeze = None
    for k, b in enumerate(wide_blocks(table), start=1):
        w.line(b.name, BOLD)
        dims, measures, labels, units, wide = b.dims, b.measures, b.labels, b.units, b.wide
        head = w.row
        w.cells([(h, None) for h in [*dims, *[labels[m] for m in measures]]], BOLD)
        freeze = freeze or w.row
        for key, values in wide.iterrows():
            key_cells = [(part, None) for part in (key if isinstance(key, tuple) else (key,))]
            w.cells(
                [*key_cells, *[(values[m], UNIT_FORMATS.get(units[m], DECIMAL2)) for m in measures]]
            )
        w.table(f"{_table_name(spec['id'])}_{k}", head, len(dims) + len(measures))
        w.blank()
    notes = notes or Notes()
    sources = notes.data("register_sources")
    w.line(str(sources.get(str(spec.get("analysis"))) or notes.data("register_source_default")))
    if demo:
        w.line("Exempeldata.")
    w.finish(freeze, 3)


def write_about_sheet(
    ws: Worksheet,
    project: Mapping[str, Any],
    surveys: Mapping[str, Mapping[str, Any]],
    weighting: Mapping[str, Any],
    rules: Rules,
    estimation: Mapping[str, Any],
    contents: Sequence[tuple[str, str, str]],
    suppressed_cells: int,
    total_cells: int,
    notes: Notes | None = None,
    methods: Mapping[str, Mapping[str, Any]] | None = None,
    sources: Sequence[str] = REGISTER_KEYS,
) -> None:
    """'Om tabellerna': data, period, weighting, columns, symbols, rules, contents.

    The weighting and design lines are the notes template's sentences on `methods`
    (enkat.report.method_facts.survey_method per survey: config in force, weights made);
    without them, only the method named in config is stated."""
    notes = notes or Notes()
    w = SheetWriter(ws)
    w.line(str(project.get("title", "")), TITLE)
    if project.get("subtitle"):
        w.line(str(project["subtitle"]), ITALIC)
    w.line(
        f"{project.get('organisation', '')}, {project.get('date', '')}, "
        f"version {project.get('version', '')}"
    )
    if project.get("demo"):
        w.line(DEMO_TEXT, DEMO_FONT)
    w.blank()
    w.line("Underlag", BOLD)
    for texts in surveys.values():
        head = ", ".join(str(p) for p in (texts.get("title"), texts.get("period")) if p)
        population = f" Population: {texts['population']}." if texts.get("population") else ""
        w.line(f"{head}.{population}")
    names = notes.data("source_names")
    registers = [str(names[k]) for k in sources if k in REGISTER_KEYS and k in names]
    if registers:
        w.line("Registeruppgifter: " + ", ".join(registers) + ".")
    w.blank()
    w.line("Viktning", BOLD)
    survey_names = notes.data("survey_names")
    method_names = notes.data("method_names")
    for key, spec in weighting.items():
        name = surveys.get(key, {}).get("title") or survey_names.get(key) or key
        facts = (methods or {}).get(key)
        if facts is None:
            method = str(spec.get("method", "classes"))
            w.line(f"{name}: {method_names.get(method, method)}. Se bladet Metod.")
            continue
        w.line(f"{name}:", ITALIC)
        for line in notes.lines("weighting_sentences", facts):
            w.line(line)
        for line in notes.lines("design_sentences", facts, survey_names.get(key, name)):
            w.line(line)
    if weighting:
        w.line("Vikter per klass och uppnådda totaler: se bladet Metod.")
    level = fmt.number(float(estimation.get("confidence_level", 0.95)) * 100)
    ci_method = estimation.get("ci_method", "logit")
    w.line(
        f"Konfidensintervall på {level} %-nivån ({ci_method}-metoden); skillnader mellan "
        "grupper testas med Rao–Scotts F-test."
    )
    w.blank()
    w.line("Kolumner", BOLD)
    head = w.row
    w.cells([("Kolumn", None), ("Betydelse", None)], BOLD)
    for name, meaning in [
        ("Andel", "vägd andel av dem som besvarat frågan (bas), i procent"),
        ("KI nedre, KI övre", "konfidensintervallets gränser"),
        ("Antal svar (n)", "ovägt antal svarande som valt svarsalternativet"),
        ("Bas (n)", "ovägt antal svarande på frågan i gruppen"),
        ("Not", f"{fmt.SUPPRESSED} = undertryckt uppgift, * = osäker skattning"),
    ]:
        w.cells([(name, None), (meaning, None)])
    w.table("Kolumner", head, 2)
    w.blank()
    w.line("Symboler", BOLD)
    w.line(f"{fmt.SUPPRESSED}  uppgiften redovisas inte (för få svar)")
    w.line("*  osäker skattning")
    w.line(f"{fmt.MISSING}  uppgift saknas")
    w.blank()
    w.line("Regler för redovisning", BOLD)
    for line in rules_text(rules):
        w.line(line)
    w.line(
        f"Antal undertryckta celler: {fmt.number(suppressed_cells)} av {fmt.number(total_cells)}."
    )
    w.line(ROUNDING_NOTE)
    w.blank()
    w.line("Tabeller", BOLD)
    head = w.row
    w.cells([("Blad", None), ("Tabell", None), ("Kapitel", None)], BOLD)
    for sheet, title, chapter in contents:
        w.cells([(sheet, None), (title, None), (chapter, None)])
        link = ws.cell(w.row - 1, 1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{sheet}'!A1")
    w.table("Innehall", head, 3)
    w.widths[1] = 24
    w.widths[2] = 80
    w.finish(None, 0)


def write_method_sheet(
    ws: Worksheet,
    weights: Mapping[str, str | Path],
    nonresponse: Sequence[str | Path],
    demo: bool,
    survey_titles: Mapping[str, str] | None = None,
    weighting: Mapping[str, Any] | None = None,
    margins: Mapping[str, str | Path] | None = None,
    notes: Notes | None = None,
) -> None:
    """'Metod': response rates and weights per class, the totals the weights achieve per
    margin (analysis/weight_margins_<survey>.csv), design effects, nonresponse analysis.

    Headers and coded values (methods, tests, indicators, variable names) are shown in
    Swedish; the numbers are those of the analysis CSVs, rounded to the decimals shown.
    """
    titles, config, notes = survey_titles or {}, weighting or {}, notes or Notes()
    method_names, nonresponse_titles = notes.data("method_names"), notes.data("nonresponse_titles")
    w = SheetWriter(ws)
    w.line("Metod: svarsfrekvens, vikter och bortfallsanalys", TITLE)
    if demo:
        w.line(DEMO_TEXT, DEMO_FONT)
    w.blank()
    k = 0
    for key, path in weights.items():
        frame = read_numeric_csv(path)
        method = str(frame["method"].iloc[0]) if "method" in frame and len(frame) else ""
        title = f"Vikter och svarsfrekvens: {titles.get(key) or key}"
        if method:
            title += f", {method_names.get(method, method)}"
        rule = config.get(key) or {}
        visits = rule.get("population") == "visits"
        columns = {**METHOD_COLUMNS, **(VISIT_COLUMNS if visits else {})}
        if method in ("rake", "calibrate"):  # one row per category of the first margin
            first = (rule.get("margins") or rule.get("classes") or ["office_type"])[0]
            columns["stratum"] = (_capital(_variables_text(notes, str(first))), None)
        k += 1
        _method_block(
            w, k, title, frame.drop(columns=list(WEIGHT_TITLE_COLUMNS), errors="ignore"), columns
        )
        if margins and key in margins:
            achieved = read_numeric_csv(margins[key]).drop(columns=["survey"], errors="ignore")
            achieved["margin"] = [
                _capital(_variables_text(notes, str(m))) for m in achieved["margin"]
            ]
            k += 1
            _method_block(
                w,
                k,
                f"Uppnådda totaler efter viktningen: {titles.get(key) or key}",
                achieved,
                METHOD_COLUMNS,
            )
    for path in nonresponse:
        stem = Path(path).stem
        k += 1
        title = str(nonresponse_titles.get(stem) or f"Bortfallsanalys: {stem}")
        _method_block(w, k, title, read_numeric_csv(path), METHOD_COLUMNS)
    w.finish(None, 0)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _variables_text(notes: Notes, margin: str) -> str:
    """'wave / office_type' -> 'undersökningsomgång × kontorstyp' (the notes' names)."""
    from enkat.report.method_facts import CELL_SEP

    return " × ".join(" ".join(notes.lines("var", name)) for name in margin.split(CELL_SEP))


def _method_block(
    w: SheetWriter,
    k: int,
    title: str,
    frame: pd.DataFrame,
    columns: Mapping[str, tuple[str, str | None]],
) -> None:
    """One CSV as an Excel Table under a bold title, headers and codes in Swedish."""
    frame = frame.copy()
    for column in frame.columns:
        labels = METHOD_VALUES.get(column)
        if labels is not None and not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(
                lambda v, m=labels: m.get(str(v).lower(), m.get(v, v))
            )
    if "variable" in frame and not pd.api.types.is_numeric_dtype(frame["variable"]):
        frame["variable"] = frame["variable"].map(lambda v: fmt.group_var_label(v) if v else v)
    numbers = {c: _numbers_with_symbols(frame[c]) for c in frame.columns}
    w.line(title, BOLD)
    head = w.row
    headers = [columns.get(c, (c, None))[0] for c in frame.columns]
    w.cells([(h, None) for h in _unique(headers)], BOLD)
    formats = [
        columns[c][1]
        if c in columns and pd.api.types.is_numeric_dtype(numbers[c])
        else _method_format(c, numbers[c])
        for c in frame.columns
    ]
    for c in frame.columns:
        if numbers[c] is not frame[c]:
            frame[c] = numbers[c].astype(object).where(frame[c] != fmt.SUPPRESSED, fmt.SUPPRESSED)
    for values in frame.itertuples(index=False):
        w.cells([(_shown(v, f), f) for v, f in zip(values, formats, strict=True)])
    w.table(f"Metod_{k}", head, len(frame.columns))
    w.blank()


def _numbers_with_symbols(values: pd.Series) -> pd.Series:
    """A text column of numbers and '..' (a suppressed cell) as numbers; others unchanged."""
    if pd.api.types.is_numeric_dtype(values):
        return values
    text = values.astype(str)
    shown = (text != "") & (text != fmt.SUPPRESSED) & values.notna()
    parsed = pd.to_numeric(text.where(shown), errors="coerce")
    if not (text == fmt.SUPPRESSED).any() or parsed.notna().sum() != shown.sum():
        return values
    return parsed


# The decimals a number format shows (of the fraction, for percentages): the Metod sheet
# stores the number it shows, so a reader copying a cell gets what the sheet says.
SHOWN_DECIMALS = {COUNT: 0, PERCENT: 3, DECIMAL1: 1, DECIMAL2: 2, DECIMAL3: 3, P_VALUE: 4}


def _shown(value: Any, number_format: str | None) -> Any:
    digits = SHOWN_DECIMALS.get(number_format or "")
    if digits is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if pd.isna(value):
        return value
    return round(float(value), digits)


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


def _method_format(column: str, values: pd.Series) -> str | None:
    if not pd.api.types.is_numeric_dtype(values):
        return None
    if any(key in column for key in ("rate", "share", "proportion", "percent")):
        return PERCENT
    if pd.api.types.is_integer_dtype(values) or column in {"N", "n"}:
        return COUNT
    return DECIMAL3


# --- the workbook -----------------------------------------------------------------------------


def customer_response_note(
    table: pd.DataFrame, waves: Sequence[str] | None = None, by_type: bool = False
) -> str:
    """'Svar i förhållande till antal besök: 2019 17,8 %, ...' from the KUND_SVAR table.

    Limited to the waves a table covers; a table by office type also gets the rate of each
    office type, since that is the comparison the reader is making.
    """
    rates = table[table["measure"] == "response_rate"]
    if waves:
        rates = rates[rates["group"].isin([str(w) for w in waves])]
    totals = rates[rates["row"] == TOTAL]
    parts = [f"{g} {fmt.percent(v)}" for g, v in zip(totals["group"], totals["value"], strict=True)]
    if not parts:
        return ""
    text = "Svar i förhållande till antal besök: " + ", ".join(parts) + "."
    if by_type:
        types = rates[rates["row"] != TOTAL]
        per_wave = [
            f"{wave}: "
            + ", ".join(
                f"{row} {fmt.percent(v)}" for row, v in zip(part["row"], part["value"], strict=True)
            )
            for wave, part in types.groupby("group", sort=False)
        ]
        text += " Per kontorstyp " + "; ".join(per_wave) + "."
    return text


def build_workbook(
    catalogue: Sequence[Mapping[str, Any]],
    chapters: Sequence[Mapping[str, Any]],
    tables: Mapping[str, str | Path],
    tests: Mapping[str, str | Path],
    codebooks: Mapping[str, str | Path],
    weights: Mapping[str, str | Path],
    nonresponse: Sequence[str | Path],
    project: Mapping[str, Any],
    suppression: Mapping[str, Any],
    estimation: Mapping[str, Any],
    weighting: Mapping[str, Any],
    contrasts: Mapping[str, str | Path] | None = None,
    waves: Mapping[str, str | Path] | None = None,
    contrast_settings: Mapping[str, Any] | None = None,
    margins: Mapping[str, str | Path] | None = None,
    notes: str | Path | None = None,
    frame_variables: Sequence[str] = (),
    sources: Sequence[str] = REGISTER_KEYS,
) -> Workbook:
    """Assemble the workbook in catalogue order.

    `contrasts` and `waves` map table ids to their contrast and wave files; with
    `contrast_settings` (config `contrasts`) they give the significance marks. `margins`
    (analysis/weight_margins_<survey>.csv), `frame_variables` (config
    sources.frame.variables) and `sources` (the configured source keys) give the weighting
    notes their facts; `notes` is the notes template (report_templates/notes.j2)."""
    from enkat.report.method_facts import survey_method

    contrasts, wave_files = contrasts or {}, waves or {}
    margins = margins or {}
    texts_of = Notes(notes)
    methods = {
        key: survey_method(key, weighting.get(key) or {}, path, margins.get(key), frame_variables)
        for key, path in weights.items()
    }
    rules = Rules.from_config(dict(suppression))
    demo = bool(project.get("demo"))
    surveys = {key: survey_texts(path) for key, path in codebooks.items()}
    chapter_titles = {c["id"]: c["title"] for c in chapters}
    register = {
        s["id"]: read_register_table(tables[s["id"]])
        for s in catalogue
        if s.get("kind", "survey") == "register" and s["id"] in tables
    }
    response = next(
        (
            register[s["id"]]
            for s in catalogue
            if s.get("analysis") == "customer_response" and s["id"] in register
        ),
        None,
    )
    wb = Workbook()
    about = wb.active
    about.title = "Om tabellerna"
    method = wb.create_sheet("Metod")
    used = {"om tabellerna", "metod"}
    contents, suppressed_cells, total_cells = [], 0, 0
    for spec in catalogue:
        if spec["id"] not in tables:
            continue
        name = _sheet_name(spec["id"], used)
        ws = wb.create_sheet(name)
        contents.append((name, spec["title"], chapter_titles.get(spec.get("chapter", ""), "")))
        if spec.get("kind", "survey") == "register":
            check_distinct(register[spec["id"]], tables[spec["id"]])
            write_register_sheet(ws, spec, register[spec["id"]], demo, texts_of)
            continue
        table = read_estimates(tables[spec["id"]])
        check_distinct(table, tables[spec["id"]])  # categories that print the same (issue 14)
        test = read_tests(tests[spec["id"]]) if spec["id"] in tests else None
        texts = surveys.get(str(spec.get("survey")), {"items": {}})
        note = None
        if response is not None and spec.get("survey") == "customers":
            waves = (spec.get("filter") or {}).get("wave")
            note = customer_response_note(response, waves, spec.get("by") == "office_type")
        marks = table_marks(spec, table, contrasts.get(spec["id"]), contrast_settings, estimation)
        wave = read_contrasts(wave_files[spec["id"]]) if spec["id"] in wave_files else None
        suppressed_cells += write_survey_sheet(
            ws,
            spec,
            table,
            test,
            texts,
            rules,
            estimation,
            demo,
            note,
            marks,
            wave,
            contrast_settings,
        )
        total_cells += len(table)
    write_about_sheet(
        about,
        project,
        surveys,
        weighting,
        rules,
        estimation,
        contents,
        suppressed_cells,
        total_cells,
        texts_of,
        methods,
        sources,
    )
    write_method_sheet(
        method,
        weights,
        nonresponse,
        demo,
        {key: str(texts.get("title", "")) for key, texts in surveys.items()},
        weighting,
        margins,
        texts_of,
    )
    wb.properties.title = str(project.get("title", ""))
    wb.properties.creator = str(project.get("author") or project.get("organisation", ""))
    wb.properties.language = "sv-SE"
    wb.properties.subject = str(project.get("subtitle", ""))
    wb.calculation = CalcProperties(fullCalcOnLoad=False)
    return wb


def save_reproducible(wb: Workbook, path: str | Path, epoch: int) -> None:
    """Save with fixed document dates and a zip whose bytes depend only on the content."""
    when = dt.datetime.fromtimestamp(epoch, tz=dt.UTC).replace(tzinfo=None)
    wb.properties.created = when
    buffer = io.BytesIO()
    wb.save(buffer)
    wb.properties.modified = when  # openpyxl stamps 'now' while saving: write it again
    core = tostring(wb.properties.to_tree())
    stamp = max(ZIP_DATE_MIN, when.timetuple()[:6])
    with zipfile.ZipFile(buffer) as source:
        names = sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name in names:
                data = core if name == "docProps/core.xml" else source.read(name)
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 0
                info.external_attr = 0
                target.writestr(info, data, compresslevel=6)
    from enkat.atomic import write_bytes_atomic

    write_bytes_atomic(path, out.getvalue())  # the previous workbook stays until this is whole


def write_workbook(
    catalogue: Sequence[Mapping[str, Any]],
    chapters: Sequence[Mapping[str, Any]],
    tables: Mapping[str, str | Path],
    tests: Mapping[str, str | Path],
    codebooks: Mapping[str, str | Path],
    weights: Mapping[str, str | Path],
    nonresponse: Sequence[str | Path],
    project: Mapping[str, Any],
    suppression: Mapping[str, Any],
    estimation: Mapping[str, Any],
    weighting: Mapping[str, Any],
    output: str | Path,
    contrasts: Mapping[str, str | Path] | None = None,
    waves: Mapping[str, str | Path] | None = None,
    contrast_settings: Mapping[str, Any] | None = None,
    margins: Mapping[str, str | Path] | None = None,
    notes: str | Path | None = None,
    frame_variables: Sequence[str] = (),
    sources: Sequence[str] = REGISTER_KEYS,
) -> None:
    """Pipeline step: `output/tables.xlsx`."""
    wb = build_workbook(
        catalogue,
        chapters,
        tables,
        tests,
        codebooks,
        weights,
        nonresponse,
        project,
        suppression,
        estimation,
        weighting,
        contrasts,
        waves,
        contrast_settings,
        margins,
        notes,
        frame_variables,
        sources,
    )
    save_reproducible(wb, output, build_epoch(project))
