"""No suppressed count can be derived from what the demo build publishes (issue 18, point 2).

An attacker reads the published files - the estimate CSVs, the workbook and the HTML
report - exactly as a reader gets them, without enkat's readers, and for every table and
variable solves for each hidden count and base: the smallest and largest value it can take
in any table of non-negative counts that agrees with everything shown, given that the
answers of a group add up to its base and the groups add up to `Totalt`. A hidden cell is
derived when that range is narrower than one. The only exception is a zero under a shown
`Totalt` of zero, which the total itself says.

The attacker also reads the difference files (analysis/contrasts, analysis/waves): a share
they show, or a difference with one side shown, gives a hidden cell away. And the attacker
solves across tables: the catalogue (config/tables.yaml) says which rows of two tables are
the same respondents (a plain table and the `Totalt` of its by-table, a by-table's group and
a table filtered to that group), so what one table shows is known in the other.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
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


# --- across tables: rows that are the same respondents ----------------------------------------

Domain = tuple[str, str, frozenset[tuple[str, frozenset[str]]]]  # survey, variable, conditions


def domain_of(spec: dict, variable: str, group: str) -> Domain | None:
    """The respondents of one row of a table: its filter, and `by` = the group (None when
    the group contradicts the filter: such a row is empty)."""
    conditions = {str(k): frozenset(map(str, v)) for k, v in (spec.get("filter") or {}).items()}
    if group != TOTAL:
        by = str(spec["by"])
        allowed = conditions.get(by, frozenset([group]))
        if group not in allowed:
            return None
        conditions[by] = frozenset([group])
    return (str(spec["survey"]), variable, frozenset(conditions.items()))


def joint_derived(published: Published, catalogue: dict[str, dict]) -> list[str]:
    """Hidden counts and bases fixed by everything the tables show together.

    Each row is keyed by its respondents (`domain_of`): the same row in two tables is one
    set of unknowns, and a cell that one table hides and another shows is known.
    """
    values: dict[tuple[Domain, str | None], int | None] = {}
    names: dict[tuple[Domain, str | None], str] = {}
    rows: dict[Domain, list[str | None]] = {}
    margins: list[tuple[Domain, list[Domain], list[str | None]]] = []
    found: list[str] = []
    for (table_id, variable), groups in published.items():
        spec = catalogue[table_id]
        domains = {g: domain_of(spec, variable, g) for g in groups}
        for g, cells in groups.items():
            d = domains[g]
            if d is None:
                continue
            rows.setdefault(d, list(cells))
            for c, v in cells.items():
                key, name = (d, c), f"{table_id} {variable} {g} / {'base' if c is None else c}"
                if key in values and (values[key] is None) != (v is None):
                    found.append(f"{name}: shown in one table, hidden in another")
                if values.get(key) is None:
                    values[key] = v
                    names.setdefault(key, name)
        parts = [domains[g] for g in groups if g != TOTAL and domains[g] is not None]
        if parts and domains.get(TOTAL) is not None:
            margins.append((domains[TOTAL], parts, list(groups[TOTAL])))
    relations: list[list[tuple[tuple[Domain, str | None], float]]] = []
    for d, columns in rows.items():  # the answers of a row add up to its base
        relations.append([((d, c), 1.0) for c in columns if c is not None] + [((d, None), -1.0)])
    for total, parts, columns in margins:  # the groups add up to Totalt
        relations += [[((p, c), 1.0) for p in parts] + [((total, c), -1.0)] for c in columns]
    found += _solve(values, names, relations, zero_totals=margins)
    return sorted(set(found))


def _solve(
    values: dict, names: dict, relations: list, zero_totals: list | None = None
) -> list[str]:
    """Every unknown (None) fixed by the relations (sum of terms = 0) and non-negativity."""
    unknown = [key for key, v in values.items() if v is None]
    where = {key: k for k, key in enumerate(unknown)}
    rows_eq, rhs = [], []
    for terms in relations:
        a, b = np.zeros(len(unknown)), 0.0
        for key, sign in terms:
            if values.get(key) is None:
                a[where[key]] += sign
            else:
                b -= sign * float(values[key])
        if a.any():
            rows_eq.append(a)
            rhs.append(b)
    a_eq, b_eq = (np.vstack(rows_eq), np.array(rhs)) if rows_eq else (None, None)
    zero_parts = {
        (p, c)
        for total, parts, columns in zero_totals or []
        for c in columns
        if values.get((total, c)) == 0
        for p in parts
    }
    found = []
    for key in unknown:
        if key in zero_parts:
            continue  # zero because the total is zero
        c = np.zeros(len(unknown))
        c[where[key]] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status == 0 and high.status == 0 and -high.fun - low.fun < 1 - 1e-9:
            found.append(f"{names[key]} = {round(low.fun)}")
    return found


def shares_revealed(
    csv_folder: Path, difference_folders: list[Path], catalogue: dict[str, dict]
) -> list[str]:
    """Hidden cells of the estimate CSVs whose share a difference file gives away.

    A contrast row shows the shares of its group and its reference (or neither); a wave row
    of a table by the wave those of its two waves. A row of waves within a group (or of the
    whole table, when the table is not by the wave) shows shares of wave domains the table
    does not have: it gives away something of a hidden cell of that group and variable
    whenever it shows numbers at all, so it must not.
    """
    hidden: set[tuple[str, str, str, str]] = set()
    for path in sorted(csv_folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("suppressed") == "True":
                    hidden.add((row["table_id"], row["variable"], row["group"], row["category"]))
    blocks = {(t, v, g) for t, v, g, _ in hidden}
    found = []
    for folder in difference_folders:
        for path in sorted(folder.glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    table, variable, cat = row["table_id"], row["variable"], row["category"]
                    a, b, diff = row["estimate"], row["reference_estimate"], row["difference"]
                    if "reference" in row:
                        sides = (row["group"], row["reference"])
                    elif row["group_var"] == "" and catalogue[table].get("by") == "wave":
                        sides = (row["wave"], row["reference_wave"])
                    else:
                        shown = HIDDEN not in (a, b, diff)
                        if shown and (table, variable, row["group"]) in blocks:
                            found.append(f"{path.name}: {table} {variable} {row['group']} waves")
                        continue
                    known = {sides[0]: a != HIDDEN, sides[1]: b != HIDDEN}
                    if diff != HIDDEN and any(known.values()):
                        known = dict.fromkeys(known, True)
                    for side, is_known in known.items():
                        if is_known and (table, variable, side, cat) in hidden:
                            found.append(f"{path.name}: {table} {variable} {side} / {cat}")
    return found


def catalogue_of(root: Path) -> dict[str, dict]:
    tables = yaml.safe_load((root / "config" / "tables.yaml").read_text(encoding="utf-8"))
    return {t["id"]: t for t in tables["tables"] if t.get("survey")}


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


def test_the_attacker_solves_across_tables() -> None:
    """A plain table shows what its by-table's Totalt hides; a group is a filtered Totalt."""
    catalogue = {
        "A": {"id": "A", "survey": "s", "item": "V"},
        "B": {"id": "B", "survey": "s", "item": "V", "by": "office_type"},
        "C": {"id": "C", "survey": "s", "item": "V", "filter": {"office_type": ["Litet"]}},
    }
    cats = ["Ja", "Nej", None]
    published: Published = {
        ("A", "V"): {TOTAL: dict(zip(cats, [10, 20, 30], strict=True))},
        ("B", "V"): {
            TOTAL: dict(zip(cats, [None, None, 30], strict=True)),
            "Stort": dict(zip(cats, [None, None, 20], strict=True)),
            "Litet": dict(zip(cats, [None, None, 10], strict=True)),
        },
    }
    assert derived_cells(published) == []  # each table alone is safe
    found = joint_derived(published, catalogue)
    assert "B V Totalt / Ja: shown in one table, hidden in another" in found
    assert not any("Stort" in f for f in found)  # Stort and Litet can still trade
    published[("C", "V")] = {TOTAL: dict(zip(cats, [4, 6, 10], strict=True))}
    found = joint_derived(published, catalogue)
    assert (
        "B V Stort / Ja = 6" in found
        and "C V Totalt / Nej: shown in one table, hidden in another" in found
    )


# --- the difference files ------------------------------------------------------------------------


def test_no_hidden_share_follows_from_the_difference_files(built_demo: Path) -> None:
    analysis = built_demo / "analysis"
    folders = [analysis / "contrasts", analysis / "waves"]
    assert all(any(f.glob("*.csv")) for f in folders)
    found = shares_revealed(analysis / "tables", folders, catalogue_of(built_demo))
    assert found == []


def test_no_hidden_count_follows_across_tables(built_demo: Path, csv_tables: Published) -> None:
    """Tables that share a row (T03 and T03_kontorstyp's Totalt; KUND_HJALP's 2021 and
    KUND_HJALP_TYP, which is filtered to 2021) solved together, CSVs and workbook alike."""
    catalogue = catalogue_of(built_demo)
    assert joint_derived(csv_tables, catalogue) == []
    book = from_workbook(
        built_demo / "output" / "tables.xlsx", csv_tables, built_demo / "analysis" / "tables"
    )
    assert joint_derived(book, catalogue) == []


# --- tables that share a row decide it the same way (enkat.shared, enkat.suppression) ----------


def test_the_demo_catalogue_names_its_shared_rows() -> None:
    from enkat.shared import shared_rows

    tables = catalogue_of(Path(__file__).resolve().parents[1]).values()
    tables = list(tables)
    assert shared_rows(tables, "KUND_HJALP") == {"groups": ["2021"], "total_is_group": False}
    assert shared_rows(tables, "KUND_HJALP_TYP") == {"groups": [], "total_is_group": True}
    assert shared_rows(tables, "T03_kontorstyp") == {"groups": [], "total_is_group": False}


def _long(table_id: str, rows: dict[str, list[int]], group_var: str) -> pd.DataFrame:
    out = []
    for group, counts in rows.items():
        base = sum(counts)
        for k, n in enumerate(counts):
            p = n / base if base else float("nan")
            out.append(
                {
                    "table_id": table_id,
                    "variable": "V",
                    "group_var": "" if group == TOTAL else group_var,
                    "group": group,
                    "category": f"c{k}",
                    "n": n,
                    "base_n": base,
                    "estimate": p,
                    "se": (p * (1 - p) / base) ** 0.5 if base else float("nan"),
                    "ci_low": 0.0,
                    "ci_high": 1.0,
                    "deff": 1.0,
                    "df": 50.0,
                }
            )
    return pd.DataFrame(out)


def _published(table: pd.DataFrame, hidden: pd.Series) -> Published:
    published: Published = defaultdict(lambda: defaultdict(dict))
    for (_, row), h in zip(table.iterrows(), hidden, strict=True):
        published[(row["table_id"], "V")][row["group"]][row["category"]] = (
            None if h else int(row["n"])
        )
    for key, groups in published.items():
        for g, cells in groups.items():
            whole = all(v is None for v in cells.values())
            base = int(
                table.loc[(table["table_id"] == key[0]) & (table["group"] == g)].iloc[0]["base_n"]
            )
            cells[None] = None if whole else base
    return published


def _decide(
    table_id: str, rows: dict[str, list[int]], shared: set[str], odd: set[tuple[str, int]]
) -> tuple[pd.DataFrame, pd.Series]:
    """One table's flags: the primary rules, `odd` cells failing a per-cell rule (as the
    NCHS standard's), then complementary suppression. Table F is filtered to Litet."""
    from enkat.suppression import HIDDEN_FLAGS, NCHS, Rules, primary_flags, protect

    table = _long(table_id, rows, "office_type")
    rules = Rules(min_base=3, min_group=10, total_is_group=table_id == "F")
    flags = primary_flags(table, rules)
    role = {TOTAL: "Litet"} if table_id == "F" else {}
    for label, row in table.iterrows():
        cell = (role.get(row["group"], row["group"]), int(row["category"][1:]))
        if cell in odd and flags[label] == "":
            flags[label] = NCHS
    return table, protect(table, flags, frozenset(shared)).isin(HIDDEN_FLAGS)


def test_tables_that_share_a_row_hide_the_same_cells_of_it() -> None:
    """A by-table (by office type), its plain twin and a table filtered to Litet kontor, on
    random counts with random cells failing a per-cell rule (as the NCHS preset's do): the
    shared rows hide the same cells in every table, and an attacker who solves the three
    together derives nothing."""
    catalogue = {
        "P": {"id": "P", "survey": "s", "item": "V"},
        "B": {"id": "B", "survey": "s", "item": "V", "by": "office_type"},
        "F": {"id": "F", "survey": "s", "item": "V", "filter": {"office_type": ["Litet"]}},
    }
    rng = np.random.default_rng(18)
    for _ in range(60):
        K = int(rng.integers(2, 5))
        groups = {g: [int(x) for x in rng.integers(0, 12, K)] for g in ("Stort", "Mellan", "Litet")}
        total = [sum(v[k] for v in groups.values()) for k in range(K)]
        odd = {(g, k) for g in (TOTAL, *groups) for k in range(K) if rng.random() < 0.12}
        b, b_hidden = _decide("B", {TOTAL: total, **groups}, {"Litet"}, odd)
        p, p_hidden = _decide("P", {TOTAL: total}, set(), odd)
        f, f_hidden = _decide("F", {TOTAL: groups["Litet"]}, set(), odd)
        case = (total, groups, sorted(odd))
        assert list(b_hidden[b["group"] == TOTAL]) == list(p_hidden), case
        assert list(b_hidden[b["group"] == "Litet"]) == list(f_hidden), case
        published = {
            **_published(b, b_hidden),
            **_published(p, p_hidden),
            **_published(f, f_hidden),
        }
        assert joint_derived(published, catalogue) == [], case


# --- wave differences against suppression (enkat.contrasts) -----------------------------------


def _wave_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """The R fixture's customer survey as a processed survey + weights file, one item."""
    from types import SimpleNamespace

    from enkat import tables as module

    fixtures = Path(__file__).parent / "fixtures" / "r"
    data = pd.read_csv(
        fixtures / "input_customers.csv", dtype=str, keep_default_na=False, na_values=[""]
    )
    weights = data[["respondent_id", "weight", "stratum", "population_size", "psu"]]
    weights.to_csv(tmp_path / "weights.csv", index=False)
    data.drop(columns=["weight", "psu", "population_size"]).to_parquet(tmp_path / "s.parquet")
    variable = SimpleNamespace(
        name="HJALP", label="Hjälp", categories=("Ja", "Delvis", "Nej"), not_in_base=()
    )
    book = SimpleNamespace(variables=lambda item=None: [variable])
    monkeypatch.setattr(module, "load_codebook", lambda path: book)
    return tmp_path / "s.parquet", tmp_path / "weights.csv", "cb.yaml"


ESTIMATION = {"confidence_level": 0.95, "test_level": 0.05, "ci_method": "logit"}


def test_a_wave_domain_failing_the_rules_hides_its_group_in_the_wave_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By office type with waves: Litet kontor has 19 answers in 2021. With min_group 20
    that wave domain is too small, though the table's Litet kontor (89) is shown; every
    row of Litet kontor carries the symbol (its shares add up to one and make up the
    group's shown share), the other groups and the whole table's waves stay."""
    from enkat.contrasts import read_contrasts, write_waves

    paths = _wave_project(tmp_path, monkeypatch)
    spec = {"id": "K", "survey": "customers", "item": "HJALP", "by": "office_type"}
    settings = {"compare": "consecutive"}
    rules = {"min_base": 5, "min_group": 20}
    write_waves(spec, *paths, ESTIMATION, None, settings, {}, tmp_path / "w.csv", None, rules)
    rows = list(csv.DictReader((tmp_path / "w.csv").open(encoding="utf-8", newline="")))
    litet = [r for r in rows if r["group"] == "Litet kontor"]
    assert litet and all(r["estimate"] == HIDDEN and r["difference"] == HIDDEN for r in litet)
    assert all(r["significant"] == "" for r in litet)
    shown = [r for r in rows if r["group"] != "Litet kontor"]
    assert shown and all(HIDDEN not in r.values() for r in shown)
    assert {r["group"] for r in shown} == {TOTAL, "Stort kontor", "Mellanstort kontor"}
    read_contrasts(tmp_path / "w.csv")  # the workbook and report still read it
    # with the default min_group (10) nothing is hidden
    write_waves(spec, *paths, ESTIMATION, None, settings, {}, tmp_path / "v.csv", None, {})
    text = (tmp_path / "v.csv").read_text(encoding="utf-8")
    assert HIDDEN not in text


def test_a_wave_difference_touching_a_hidden_cell_of_the_table_is_hidden() -> None:
    """By the wave, the waves are the table's groups: a row whose wave or reference wave
    cell the table hides carries the symbol (difference + the other wave = hidden share);
    by another variable, a group with any hidden cell is hidden whole."""
    from enkat.contrasts import HIDDEN_COLUMNS, hide_wave_cells

    numbers = {c: [0.1, 0.2, 0.3, 0.4] for c in HIDDEN_COLUMNS}
    frame = pd.DataFrame(
        {
            "variable": "V",
            "group_var": "",
            "group": TOTAL,
            "wave": ["2021", "2023", "2021", "2023"],
            "reference_wave": ["2019", "2021", "2019", "2021"],
            "category": ["Ja", "Ja", "Nej", "Nej"],
            **numbers,
            "significant": True,
        }
    )
    out = hide_wave_cells(frame, {("V", "2021", "Ja")}, set(), by_wave=True)
    assert list(out["difference"]) == [HIDDEN, HIDDEN, 0.3, 0.4]
    assert list(out["significant"]) == ["", "", True, True]
    by_group = frame.assign(group_var="office_type", group=["A", "A", "B", "B"])
    out = hide_wave_cells(by_group, {("V", "A", "Nej")}, set(), by_wave=False)
    assert list(out["estimate"]) == [HIDDEN, HIDDEN, 0.3, 0.4]  # all of A, none of B
    out = hide_wave_cells(by_group, set(), {("V", "office_type", "B")}, by_wave=False)
    assert list(out["estimate"]) == [0.1, 0.2, HIDDEN, HIDDEN]
    assert hide_wave_cells(frame, set(), set(), by_wave=True) is frame


def test_a_base_is_hidden_only_with_its_whole_row() -> None:
    """The CSV shows a group's base unless all its cells are hidden, so complementary
    suppression may not count on a hidden base alone: here the only rectangle for
    Mellan's hidden cell ran through two bases (zeros elsewhere), and the published
    Mellan cell was 11 − 7 − 0 = 4 before."""
    from enkat.suppression import HIDDEN_FLAGS, NCHS, Rules, primary_flags, protect

    rows = {TOTAL: [10, 12, 14], "Litet": [2, 5, 6], "Mellan": [4, 7, 0], "Stort": [4, 0, 8]}
    table = _long("B", rows, "office_type")
    flags = primary_flags(table, Rules(min_base=3, min_group=10))
    for label, row in table.iterrows():
        if row["category"] == "c0" and row["group"] in (TOTAL, "Litet", "Mellan"):
            flags[label] = NCHS
    hidden = protect(table, flags, frozenset({"Litet"})).isin(HIDDEN_FLAGS)
    assert derived_cells(_published(table, hidden)) == []
    for group in ("Mellan", "Stort"):
        assert hidden[table["group"] == group].all()  # whole rows, so their bases are '..'
