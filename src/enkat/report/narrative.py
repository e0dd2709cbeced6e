"""The auditors' narrative: Markdown files with live references to the analysis files.

Auditors write each chapter in `report_templates/chapters/<id>.md` (config
`report.narrative`). The files are plain text with a small Markdown subset (headings,
paragraphs, lists, bold, italic) and references in double brackets that are replaced by
numbers from the analysis CSVs at build time, so the text follows the data:

    [[T12 | Det är ofta för mycket att göra]]            -> 31 procent (KI 29–33)
    [[T03/Migrationsverket | Det är otydligt | andel]]  -> 36 procent
    [[T12@Stort kontor | Det är ofta för mycket att göra | andel]]
    [[T12 | Det är ofta för mycket att göra | högst]]   -> 46 procent (Stort kontor)
    [[T12 | test]]                                      -> skillnaden ... är statistiskt säkerställd
    [[om T12 skillnad]] ... [[annars]] ... [[slut]]      text chosen by the test's verdict
    [[T11 | Kostnad/besök (kr) | kvot]]                 -> 38 (highest / lowest, register)
    [[tabell T12]]                                      places table T12 here

A reference that names something the analysis files do not hold stops the build with an
`EnkatError` naming the file, the line and the allowed values. A suppressed estimate prints
the suppression symbol and an uncertain one the uncertainty mark: never the number.
Whether a sentence may call a gap between groups a difference is decided by the Rao-Scott
test here, not by the wording an auditor chose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from enkat import fmt
from enkat.codebook import CHOSEN
from enkat.errors import EnkatError
from enkat.suppression import TOTAL, UNRELIABLE_MARK, Rules, unreliable

TOKEN = re.compile(r"\[\[(.*?)\]\]", re.S)
IF = re.compile(r"^om\s+(?P<target>\S.*?)\s+skillnad$", re.I)
TABLE = re.compile(r"^tabell\s+(?P<id>\S+)$", re.I)
SURVEY_MEASURES = (
    "andel och ki",
    "andel",
    "ki",
    "bas",
    "antal",
    "högst",
    "lägst",
    "högst grupp",
    "lägst grupp",
    "spännvidd",
)
REGISTER_MEASURES = ("värde", "högst", "lägst", "högst rad", "lägst rad", "kvot")
TEST_WORDS = ("test", "p")
UNCERTAIN_TEXT = UNRELIABLE_MARK + " (osäker skattning)"
ASSESSMENT = "bedömning"


@dataclass(frozen=True)
class Sources:
    """What references may point at: the catalogue's analysis files, read once."""

    specs: Mapping[str, Mapping[str, Any]]
    estimates: Mapping[str, pd.DataFrame]
    tests: Mapping[str, pd.DataFrame]
    register: Mapping[str, pd.DataFrame]
    rules: Rules
    level: float
    caveats: Mapping[str, str] = field(default_factory=dict)  # survey -> caveat sentence


@dataclass
class Part:
    """A piece of a chapter: rendered HTML, or the place of a catalogue table."""

    html: Markup | None = None
    table: str | None = None


@dataclass
class Narrative:
    """A narrative file rendered: title, body and the auditors' assessment."""

    title: str
    body: list[Part]
    assessment: list[Part]
    placed: list[str]
    surveys: set[str]


class _Where:
    """File and line of a token, for error messages."""

    def __init__(self, path: str, line: int) -> None:
        self.path, self.line = path, line

    def error(self, message: str, value: str, expected: str, hint: str | None = None) -> EnkatError:
        return EnkatError(
            message, file=self.path, row=self.line, value=value, expected=expected, hint=hint
        )


def _allowed(values: Any) -> str:
    return ", ".join(repr(str(v)) for v in pd.unique(pd.Series(list(values), dtype=object)))


def _pct(value: float) -> str:
    return fmt.percent_value(value, 0)


# --- survey references ----------------------------------------------------------------------


def _survey_rows(
    table: pd.DataFrame, target: str, group: str | None, category: str, where: _Where
) -> pd.DataFrame:
    """The rows of one variable (and category) a reference names, all groups."""
    variables = table.drop_duplicates("variable")
    if "/" in target:
        wanted = target.split("/", 1)[1].strip()
        chosen = variables[
            (variables["variable"] == wanted) | (variables["variable_label"] == wanted)
        ]
        if chosen.empty:
            raise where.error(
                "a reference names a row the table does not have",
                wanted,
                "one of " + _allowed([*variables["variable_label"], *variables["variable"]]),
            )
        variable = str(chosen["variable"].iloc[0])
    elif len(variables) > 1:
        raise where.error(
            "a reference to a table with several rows must name the row (TABELL/RAD)",
            target,
            "one of " + _allowed(f"{target}/{v}" for v in variables["variable_label"]),
        )
    else:
        variable = str(variables["variable"].iloc[0])
    rows = table[table["variable"] == variable]
    categories = list(pd.unique(rows["category"]))
    if category not in categories:
        if set(categories) <= {CHOSEN, "Ej vald"} and category == "":
            category = CHOSEN
        else:
            raise where.error(
                "a reference names an answer category the table does not have",
                category,
                "one of " + _allowed(categories),
            )
    rows = rows[rows["category"] == category]
    if group is not None and group not in set(rows["group"]):
        raise where.error(
            "a reference names a group the table does not have",
            group,
            "one of " + _allowed(rows["group"]),
        )
    return rows


def _share_text(row: pd.Series, shaky: bool, measure: str) -> str:
    if bool(row["suppressed"]):
        return fmt.SUPPRESSED
    if shaky:
        return UNCERTAIN_TEXT
    pct, ci = _pct(row["estimate"]), fmt.interval(row["ci_low"], row["ci_high"], 0)
    if measure == "andel":
        return f"{pct}{fmt.NBSP}procent"
    if measure == "ki":
        return f"{ci}{fmt.NBSP}procent"
    return f"{pct}{fmt.NBSP}procent (KI {ci})"


def survey_reference(
    sources: Sources, table_id: str, target: str, parts: list[str], where: _Where
) -> str:
    """The text of a reference to a survey estimate."""
    table = sources.estimates[table_id]
    group = None
    if "@" in target:
        target, group = (s.strip() for s in target.split("@", 1))
    category = parts[0] if parts else ""
    measure = (parts[1] if len(parts) > 1 else "andel och ki").lower()
    if measure not in SURVEY_MEASURES:
        raise where.error(
            "a reference asks for a measure that does not exist",
            measure,
            "one of " + _allowed(SURVEY_MEASURES),
        )
    rows = _survey_rows(table, target, group, category, where)
    shaky = unreliable(rows, sources.rules)
    if measure in ("bas", "antal"):
        row = rows[rows["group"] == (group or TOTAL)].iloc[0]
        value = row["base_n" if measure == "bas" else "n"]
        if (bool(row["suppressed"]) and measure == "antal") or pd.isna(value):
            return fmt.SUPPRESSED  # a base is '..' where its whole group is hidden
        return fmt.number(int(value))
    if measure in ("andel och ki", "andel", "ki"):
        chosen = rows[rows["group"] == (group or TOTAL)]
        return _share_text(chosen.iloc[0], bool(shaky[chosen.index[0]]), measure)
    groups = rows[rows["group"] != TOTAL]
    if groups.empty:
        raise where.error(
            "a reference asks for a group extreme of a table without groups",
            measure,
            "a table with `by` in config/tables.yaml",
        )
    shown = groups[~groups["suppressed"] & ~shaky[groups.index]]
    if shown.empty:
        return fmt.SUPPRESSED
    high = shown.loc[shown["estimate"].idxmax()]
    low = shown.loc[shown["estimate"].idxmin()]
    if measure == "spännvidd":
        gap = fmt.number(float(high["estimate"] - low["estimate"]) * 100, 0)
        return f"{gap}{fmt.NBSP}procentenheter"
    row = high if measure.startswith("högst") else low
    if measure.endswith("grupp"):
        return str(row["group"])
    return f"{_pct(row['estimate'])}{fmt.NBSP}procent ({row['group']})"


# --- tests ----------------------------------------------------------------------------------


def _test_row(sources: Sources, target: str, where: _Where) -> pd.Series:
    table_id, _, row = (s.strip() for s in target.partition("/"))
    if table_id not in sources.tests:
        raise where.error(
            "a reference asks for a test of a table without a group test",
            table_id,
            "one of " + _allowed(sorted(sources.tests)),
        )
    tests = sources.tests[table_id]
    if row:
        labels = sources.estimates[table_id].drop_duplicates("variable")
        ids = set(labels.loc[labels["variable_label"] == row, "variable"]) | {row}
        tests = tests[tests["variable"].isin(ids)]
        if tests.empty:
            raise where.error(
                "a reference asks for the test of a row the table does not have",
                row,
                "one of " + _allowed(labels["variable_label"]),
            )
    elif len(tests) > 1:
        labels = sources.estimates[table_id].drop_duplicates("variable")
        raise where.error(
            "the table has one test per row: name the row (TABELL/RAD)",
            target,
            "one of " + _allowed(f"{table_id}/{v}" for v in labels["variable_label"]),
        )
    return tests.iloc[0]


def significant(sources: Sources, target: str, where: _Where) -> bool:
    return bool(float(_test_row(sources, target, where)["p_value"]) < sources.level)


def _p_clause(p: float) -> str:
    text = fmt.p_value(p)
    if text.startswith("<"):
        return f"p{fmt.NBSP}<{fmt.NBSP}{text[1:]}"
    return f"p{fmt.NBSP}={fmt.NBSP}{text}"


def test_reference(sources: Sources, target: str, word: str, where: _Where) -> str:
    """'skillnaden mellan grupperna (kontorstyp) är statistiskt säkerställd (p < 0,001)'."""
    t = _test_row(sources, target, where)
    p = float(t["p_value"])
    if word == "p":
        return _p_clause(p)
    by = fmt.group_var_label(str(t["group_var"])).lower()
    if p < sources.level:
        return (
            f"skillnaden mellan grupperna ({by}) är statistiskt säkerställd "
            f"(Rao–Scott-test, {_p_clause(p)})"
        )
    return (
        f"data visar ingen statistiskt säkerställd skillnad mellan grupperna ({by}; "
        f"Rao–Scott-test, {_p_clause(p)})"
    )


# --- register references --------------------------------------------------------------------


def register_reference(
    sources: Sources, table_id: str, target: str, parts: list[str], where: _Where
) -> str:
    """A value (or the highest, lowest, ratio) of a register table."""
    table = sources.register[table_id]
    group = None
    if "@" in target:
        target, group = (s.strip() for s in target.split("@", 1))
    row = target.split("/", 1)[1].strip() if "/" in target else None
    if not parts:
        raise where.error(
            "a reference to a register table must name a measure",
            target,
            "one of " + _allowed(table["measure_label"]),
        )
    name = parts[0].lower()
    rows = table[
        (table["measure"].str.lower() == name) | (table["measure_label"].str.lower() == name)
    ]
    if rows.empty:
        raise where.error(
            "a reference names a measure the register table does not have",
            parts[0],
            "one of " + _allowed(table["measure_label"]),
        )
    for column, wanted in (("group", group), ("row", row)):
        if wanted is not None:
            if wanted not in set(rows[column]):
                raise where.error(
                    f"a reference names a {'group' if column == 'group' else 'row'} "
                    "the register table does not have",
                    wanted,
                    "one of " + _allowed(rows[column]),
                )
            rows = rows[rows[column] == wanted]
    measure = (parts[1] if len(parts) > 1 else "värde").lower()
    if measure not in REGISTER_MEASURES:
        raise where.error(
            "a reference asks for a measure that does not exist",
            measure,
            "one of " + _allowed(REGISTER_MEASURES),
        )
    unit = str(rows["unit"].iloc[0])
    if measure == "värde":
        if len(rows) > 1:
            raise where.error(
                "a reference matches several rows: name the row (TABELL/RAD) or ask for "
                "högst, lägst or kvot",
                target,
                "one of " + _allowed(f"{table_id}/{r}" for r in rows["row"]),
            )
        return _register_value(float(rows["value"].iloc[0]), unit)
    positive = rows[rows["value"] > 0]
    high = rows.loc[rows["value"].idxmax()]
    low = (positive if len(positive) else rows).sort_values("value").iloc[0]
    if measure == "kvot":
        return fmt.number(float(high["value"]) / float(low["value"]), 0)
    chosen = high if measure.startswith("högst") else low
    if measure.endswith("rad"):
        return str(chosen["row"])
    return f"{_register_value(float(chosen['value']), unit)} ({chosen['row']})"


def _register_value(value: float, unit: str) -> str:
    if unit == "kronor":
        return fmt.kronor(value)
    if unit == "proportion":
        return f"{_pct(value)}{fmt.NBSP}procent"
    return fmt.number(value, 0 if unit == "count" else 2)


# --- one reference --------------------------------------------------------------------------


def reference(sources: Sources, body: str, where: _Where) -> tuple[str, str]:
    """The text a `[[...]]` reference stands for, and the survey it draws on."""
    parts = [p.strip() for p in body.split("|")]
    target = parts[0]
    table_id = re.split(r"[/@]", target, maxsplit=1)[0].strip()
    if table_id not in sources.specs:
        raise where.error(
            "a reference names a table that is not in the catalogue",
            table_id,
            "one of " + _allowed(sources.specs),
            hint="table ids are in config/tables.yaml",
        )
    survey = str(sources.specs[table_id].get("survey", ""))
    if len(parts) == 2 and parts[1].lower() in TEST_WORDS and table_id in sources.estimates:
        return test_reference(sources, target, parts[1].lower(), where), survey
    if table_id in sources.register:
        return register_reference(sources, table_id, target, parts[1:], where), ""
    if table_id not in sources.estimates:
        raise where.error(
            "a reference names a table that was not built",
            table_id,
            "one of " + _allowed([*sources.estimates, *sources.register]),
        )
    return survey_reference(sources, table_id, target, parts[1:], where), survey


# --- Markdown -------------------------------------------------------------------------------


def _inline(text: str) -> str:
    """Bold and italic on already escaped text."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text, flags=re.S)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text, flags=re.S)


@dataclass
class _Block:
    kind: str  # h1, h2, h3, p, ul, table
    lines: list[str]
    line: int


COMMENT = re.compile(r"<!--.*?-->", re.S)


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    # Comments are for the authors, over one line or several; they keep their line breaks so
    # that an error names the line the auditor sees.
    text = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            current = None
            continue
        heading = re.match(r"^(#{1,3})\s+(.*)$", stripped)
        if heading:
            blocks.append(_Block(f"h{len(heading.group(1))}", [heading.group(2)], number))
            current = None
        elif TABLE.match(stripped.strip("[]").strip()) and stripped.startswith("[["):
            blocks.append(_Block("table", [stripped[2:-2].strip()], number))
            current = None
        elif stripped.startswith(("- ", "* ")):
            if current is None or current.kind != "ul":
                current = _Block("ul", [], number)
                blocks.append(current)
            current.lines.append("\x01" + stripped[2:])
        else:
            if current is None or current.kind not in ("p", "ul"):
                current = _Block("p", [], number)
                blocks.append(current)
            current.lines.append(stripped)
    return blocks


def _render_text(
    sources: Sources, text: str, where_file: str, first_line: int, used: set[str]
) -> str:
    """Text with references and conditionals resolved, escaped, bold/italic applied."""
    out: list[str] = []
    values: list[str] = []
    stack: list[list[bool]] = []  # per open conditional: [verdict, in_else]
    position = 0

    def live() -> bool:
        return all(v != e for v, e in stack)

    def emit(piece: str) -> None:
        if live():
            out.append(piece)

    for match in TOKEN.finditer(text):
        emit(str(escape(text[position : match.start()])))
        position = match.end()
        where = _Where(where_file, first_line + text.count("\n", 0, match.start()))
        body = " ".join(match.group(1).split())
        condition = IF.match(body)
        if condition:
            stack.append([significant(sources, condition.group("target"), where), False])
        elif body.lower() == "annars":
            if not stack or stack[-1][1]:
                raise where.error(
                    "[[annars]] without [[om ... skillnad]]",
                    body,
                    "[[om TABELL skillnad]] ... [[annars]] ... [[slut]]",
                )
            stack[-1][1] = True
        elif body.lower() == "slut":
            if not stack:
                raise where.error(
                    "[[slut]] without [[om ... skillnad]]",
                    body,
                    "[[om TABELL skillnad]] ... [[slut]]",
                )
            stack.pop()
        else:
            value, survey = reference(sources, body, where)
            if live():
                if survey:
                    used.add(survey)
                values.append(value)
                out.append(f"\x00{len(values) - 1}\x00")
    emit(str(escape(text[position:])))
    if stack:
        raise _Where(where_file, first_line).error(
            "a conditional [[om ... skillnad]] is not closed", "", "[[slut]] before the block ends"
        )
    html = _inline("".join(out))
    return re.sub("\x00(\\d+)\x00", lambda m: str(escape(values[int(m.group(1))])), html)


def _caveat(sources: Sources, used: set[str]) -> str:
    notes = [sources.caveats[s] for s in sorted(used) if s in sources.caveats]
    return "".join(f' <span class="caveat">{escape(n)}</span>' for n in notes)


def render_narrative(
    path: str | Path,
    sources: Sources,
    number: str = "",
    tables: Mapping[str, str] | None = None,
    heading: Callable[[str], str] | None = None,
) -> Narrative:
    """Render one narrative file. `number` prefixes its h2 headings ('2' gives 2.1, 2.2 ...);
    `tables` are the ids that may be placed here (None: no table may be placed)."""
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise EnkatError(
            "a report section has no narrative file",
            file=shown,
            expected="a Markdown file written by the auditors (see docs/report.md)",
            hint="create the file, or remove the section from config report.sections",
        )
    text = path.read_text(encoding="utf-8")
    title = ""
    body: list[Part] = []
    assessment: list[Part] = []
    placed: list[str] = []
    surveys: set[str] = set()
    target = body
    h2 = 0
    for block in _blocks(text):
        used: set[str] = set()
        if block.kind == "h1":
            if title:
                raise _Where(shown, block.line).error(
                    "a narrative file has more than one title (#)", block.lines[0], "one # line"
                )
            title = block.lines[0]
            continue
        if block.kind == "table":
            where = _Where(shown, block.line)
            table_id = TABLE.match(block.lines[0]).group("id")  # type: ignore[union-attr]
            if tables is None or table_id not in tables:
                raise where.error(
                    "a narrative places a table that does not belong to this chapter",
                    table_id,
                    "one of " + _allowed(tables or []) if tables else "no table in this section",
                )
            placed.append(table_id)
            target.append(Part(table=table_id))
            continue
        if block.kind == "h2" and block.lines[0].strip().lower() == ASSESSMENT:
            target = assessment
            continue
        content = "\n".join(block.lines)
        html = _render_text(sources, content, shown, block.line, used)
        surveys |= used
        if block.kind in ("h2", "h3"):
            if block.kind == "h2":
                h2 += 1
            label = f"{number}.{h2} " if number and block.kind == "h2" else ""
            tag = block.kind if heading is None else heading(block.kind)
            target.append(Part(html=Markup(f"<{tag}>{escape(label)}{html}</{tag}>")))
        elif block.kind == "ul":
            items = [i for i in html.split("\x01") if i.strip()]
            lis = "".join(f"<li>{i.strip()}</li>" for i in items)
            target.append(Part(html=Markup(f"<ul>{lis}</ul>{_caveat(sources, used)}")))
        else:
            target.append(Part(html=Markup(f"<p>{html}{_caveat(sources, used)}</p>")))
    return Narrative(title, body, assessment, placed, surveys)
