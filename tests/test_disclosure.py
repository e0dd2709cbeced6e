"""No suppressed count can be derived from what the demo build publishes (issue 18, point 2).

An attacker reads the published files - the estimate CSVs, the workbook and the HTML
report - exactly as a reader gets them, without enkat's readers, and for every table and
variable solves for each hidden count and base: the smallest and largest value it can take
in any table of non-negative counts that agrees with everything shown, given that the
answers of a group add up to its base and the groups add up to `Totalt`. A hidden cell is
derived when that range is narrower than one. The only exception is a zero under a shown
`Totalt` of zero, which the total itself says.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy.optimize import linprog

HIDDEN = ".."
ESTIMATE_HEADER = (
    "Rad",
    "Svarsalternativ",
    "Andel",
    "KI nedre",
    "KI övre",
    "Antal svar (n)",
    "Bas (n)",
)
# a block title: 'Totalt' or '<by variable>: <group>', perhaps with a significance letter
GROUP_TITLE = re.compile(
    r"\A(?:(Totalt)|(?:Kontorstyp|Region|Kontorsområde|Undersökningsomgång|Insamlingssätt"
    r"|Språk|Samverkansmyndighet): (.+?))(?: \([A-Z]\))?\Z"
)
TOTAL = "Totalt"
# (table, variable) -> group -> category -> count or None; the base under category None
Published = dict[tuple[str, str], dict[str, dict[str | None, int | None]]]


def number(text: object) -> int | None:
    """A published count ('..' = hidden); Swedish thousands separators allowed."""
    if text is None:
        return None
    value = str(text).replace("\u00a0", "").replace(" ", "").strip()
    if value == HIDDEN:
        return None
    return int(float(value))


def derived_cells(published: Published) -> list[str]:
    """Every hidden count or base whose value the shown cells and the margins fix."""
    found = []
    for (table_id, variable), groups in published.items():
        found += [f"{table_id} {variable} {cell}" for cell in _derived(groups)]
    return found


def _derived(groups: dict[str, dict[str | None, int | None]]) -> list[str]:
    names = [TOTAL, *[g for g in groups if g != TOTAL]]
    columns = list(groups[TOTAL])  # the categories, then None (the base)
    unknown = [(g, c) for g in names for c in columns if groups[g][c] is None]
    where = {cell: k for k, cell in enumerate(unknown)}
    relations = [
        [((g, c), 1.0) for c in columns if c is not None] + [((g, None), -1.0)] for g in names
    ]  # the answers of a group add up to its base
    if len(names) > 1:  # the groups add up to Totalt
        relations += [[((g, c), 1.0) for g in names[1:]] + [((TOTAL, c), -1.0)] for c in columns]
    rows_eq, rhs = [], []
    for terms in relations:
        a, b = np.zeros(len(unknown)), 0.0
        for (g, c), sign in terms:
            if groups[g][c] is None:
                a[where[(g, c)]] += sign
            else:
                b -= sign * float(groups[g][c])  # type: ignore[arg-type]
        if a.any():
            rows_eq.append(a)
            rhs.append(b)
    a_eq, b_eq = (np.vstack(rows_eq), np.array(rhs)) if rows_eq else (None, None)
    found = []
    for cell in unknown:
        if cell[0] != TOTAL and groups[TOTAL][cell[1]] == 0:
            continue  # zero because the total is zero
        c = np.zeros(len(unknown))
        c[where[cell]] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < 1 - 1e-9:
            what = "base" if cell[1] is None else cell[1]
            found.append(f"{cell[0]} / {what} = {round(low.fun)}")
    return found


# --- readers of the published files, without enkat ----------------------------------------------


def from_csv(folder: Path) -> Published:
    published: Published = defaultdict(lambda: defaultdict(dict))
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if not rows or "suppressed" not in rows[0]:
            continue  # a register table
        for row in rows:
            key = (row["table_id"], row["variable"])
            published[key][row["group"]][row["category"]] = number(row["n"])
            published[key][row["group"]][None] = number(row["base_n"])
    return published


def reorder(published: Published) -> Published:
    """The base last in every group, as from_csv builds it."""
    for groups in published.values():
        for g, cells in groups.items():
            base = cells.pop(None, None)
            groups[g] = {**cells, None: base}
    return published


def from_workbook(path: Path, structure: Published, csv_folder: Path) -> Published:
    """Counts and bases as the survey sheets show them ('Antal svar (n)', 'Bas (n)').

    Rows are named by their label; the CSVs only tell which variable a label is. A group
    shown as a single line 'Gruppen redovisas inte separat' hides all its cells and bases.
    """
    variable_of: dict[tuple[str, str], str] = {}
    for file in csv_folder.glob("*.csv"):
        with file.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if "variable_label" in row:
                    variable_of[(row["table_id"], row["variable_label"])] = row["variable"]
    wb = load_workbook(path, read_only=True)
    published: Published = defaultdict(lambda: defaultdict(dict))
    for table_id in sorted({t for t, _ in structure}):
        variables = [v for t, v in structure if t == table_id]
        group, in_block = None, False
        for row in wb[table_id].iter_rows(values_only=True):
            first = row[0] if row else None
            if first is None:
                in_block = False
                continue
            text = str(first)
            if tuple(row[:7]) == ESTIMATE_HEADER:
                in_block = True
            elif in_block:
                variable = variable_of[(table_id, text)]
                published[(table_id, variable)][group][str(row[1])] = number(row[5])
                published[(table_id, variable)][group][None] = number(row[6])
            elif text.startswith(f"{HIDDEN} Gruppen redovisas inte separat"):
                for variable in variables:
                    for category in structure[(table_id, variable)][TOTAL]:
                        published[(table_id, variable)][group][category] = None
            elif (title := GROUP_TITLE.match(text)) is not None:
                group = TOTAL if title[1] == TOTAL else title[2]
    return reorder(published)


class _Tables(HTMLParser):
    """Every table row of the report: its caption, header cells and data cells."""

    def __init__(self) -> None:
        super().__init__()
        self.caption, self.rows = "", []
        self.row: list[tuple[str, str]] | None = None
        self.cell: list[str] | None = None
        self.in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "caption":
            self.in_caption, self.caption = True, ""
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = [tag, ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.in_caption = False
        elif tag in ("th", "td") and self.cell is not None and self.row is not None:
            self.row.append((self.cell[0], self.cell[1].strip()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            heads = [v for k, v in self.row if k == "th"]
            data = [v for k, v in self.row if k == "td"]
            if heads and data:
                self.rows.append((self.caption, heads, data))
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.in_caption:
            self.caption += data
        elif self.cell is not None:
            self.cell[1] += data


def share(text: str) -> float | None:
    value = text.replace("\u00a0", "").replace("*", "").replace(",", ".").strip()
    value = value.split()[0] if value else value
    return None if value == HIDDEN else float(value)


def from_html(path: Path) -> Published:
    """The report's by-tables (one row per group: shares in %, the base last) as counts.

    Within a group the weights of the handler census are constant (classes are office
    types), so share x base is the count: the attacker takes round(share x base / 100).
    """
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    published: Published = defaultdict(lambda: defaultdict(dict))
    for caption, heads, data in parser.rows:
        if len(data) < 3 or not caption.startswith("Tabell"):
            continue
        try:
            shares, base = [share(v) for v in data[:-1]], number(data[-1])
        except ValueError:
            continue  # not a table of shares
        group, label = heads[-1], " / ".join(heads[:-1])
        if not any(g == TOTAL for g in published[(caption, label)]) and group != TOTAL:
            continue  # not a by-table
        for k, value in enumerate(shares):
            count = None if value is None or base is None else round(value * base / 100)
            published[(caption, label)][group][str(k)] = count
        published[(caption, label)][group][None] = base
    return {k: v for k, v in published.items() if len(v) > 1}


# --- the attacker finds the leak of the old outputs ---------------------------------------------


def test_the_attacker_derives_the_cell_of_the_issue() -> None:
    """Before complementary suppression: only Mellanstort kontor hidden, its base shown."""
    counts = {
        TOTAL: [15, 24, 22, 61],
        "Stort kontor": [8, 13, 8, 29],
        "Mellanstort kontor": [None, None, None, 8],
        "Litet kontor": [5, 7, 12, 24],
    }
    categories = ["Det är tydligt", "Det är delvis tydligt", "Det är otydligt", None]
    published: Published = {
        ("T03_kontorstyp", "T03_mv"): {
            g: dict(zip(categories, values, strict=True)) for g, values in counts.items()
        }
    }
    found = derived_cells(published)
    assert "T03_kontorstyp T03_mv Mellanstort kontor / Det är tydligt = 2" in found
    assert len(found) == 3
    # hiding the base as well does not help: it is Totalt minus the other groups
    published[("T03_kontorstyp", "T03_mv")]["Mellanstort kontor"][None] = None
    assert len(derived_cells(published)) == 4


# --- the demo build -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def csv_tables(built_demo: Path) -> Published:
    return from_csv(built_demo / "analysis" / "tables")


def test_the_demo_suppresses_something(csv_tables: Published) -> None:
    hidden = [
        (key, g)
        for key, groups in csv_tables.items()
        for g, cells in groups.items()
        if any(v is None for v in cells.values())
    ]
    assert len(hidden) >= 2  # T03_kontorstyp: Migrationsverket, Mellanstort and its partner


def test_no_hidden_count_follows_from_the_csvs(csv_tables: Published) -> None:
    assert derived_cells(csv_tables) == []


def test_hidden_cells_in_the_csvs_carry_the_symbol(built_demo: Path) -> None:
    for path in sorted((built_demo / "analysis" / "tables").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            if row.get("suppressed") == "True":
                values = [row[c] for c in ("n", "estimate", "se", "ci_low", "ci_high", "deff")]
                assert values == [HIDDEN] * 6, f"{path.name}: {row}"
                assert row["flag"] in ("base", "group", "nchs", "secondary")


def test_no_hidden_count_follows_from_the_workbook(built_demo: Path, csv_tables: Published) -> None:
    book = from_workbook(
        built_demo / "output" / "tables.xlsx", csv_tables, built_demo / "analysis" / "tables"
    )
    assert set(book) == set(csv_tables)
    for key, groups in csv_tables.items():
        for g, cells in groups.items():
            assert book[key][g] == cells, f"{key} {g}: the workbook shows other counts"
    assert derived_cells(book) == []


def test_no_hidden_count_follows_from_the_html_report(built_demo: Path) -> None:
    """The by-tables of the report (the PDF is rendered from the same HTML)."""
    report = from_html(built_demo / "output" / "report.html")
    assert report, "the report's by-tables were not found"
    hidden = [v for groups in report.values() for c in groups.values() for v in c.values()]
    assert None in hidden  # T03_kontorstyp's Migrationsverket rows
    # Totalt's share x base is the attacker's estimate of its counts (exact with equal weights)
    assert derived_cells(report) == []
