"""The workbook: values equal the analysis CSVs, formats, safety, suppression, reproducibility."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from enkat.register_tables import build_register_table
from enkat.workbook import P_VALUE, PERCENT, customer_response_note, write_workbook
from tests.publication_fixtures import T05_CATS, by_table, grid_table, group_tests, write

CODEBOOK = """\
survey: handlers
title: Enkät till servicehandläggare
period: april 2022
population: Alla servicehandläggare
items:
  - id: T03
    type: grid
    text: "Är det tydligt för dig var gränsen går?"
  - id: T05
    type: single
    text: "=HYPERLINK(\\"http://x\\") Finns det en samsyn?"
"""
PROJECT = {
    "title": "Servicekontoren",
    "organisation": "RK",
    "date": "2022-11-15",
    "version": "1.0",
    "demo": True,
    "source_date_epoch": 1668470400,
}
RULES = {
    "min_base": 5,
    "min_group": 10,
    "reliability": {"min_effective_n": 30, "max_ci_width": 0.3},
}
ESTIMATION = {"confidence_level": 0.95, "ci_method": "logit", "test_level": 0.05}
CATALOGUE = [
    {"id": "T03", "survey": "handlers", "item": "T03", "title": "Tydlighet", "chapter": "a"},
    {
        "id": "T05",
        "survey": "handlers",
        "item": "T05",
        "by": "office_type",
        "title": "Samsyn",
        "chapter": "a",
    },
    {
        "id": "T11",
        "kind": "register",
        "analysis": "cost_per_visit_range",
        "title": "Kostnad",
        "chapter": "k",
    },
]


def weights_file() -> pd.DataFrame:
    """analysis/weights_handlers.csv as docs/architecture.md has it."""
    return pd.DataFrame(
        {
            "survey": ["handlers"] * 3,
            "method": ["classes"] * 3,
            "stratum": ["Stort kontor", "Litet kontor", "Totalt"],
            "members": ["Stort kontor", "Litet kontor + Flexikontor", ""],
            "collapsed": ["False", "True", "True"],
            "N": [300, 100, 400],
            "n": [200, 80, 280],
            "response_rate": [2 / 3, 0.8, 0.7],
            "weight": [1.5, 1.25, 1.43],
            "weight_min": [1.5, 1.25, 1.25],
            "weight_max": [1.5, 1.25, 1.5],
            "trimmed": [0, 0, 0],
            "kish_deff": [1.0, 1.0, 1.006],
            "effective_n": [200.0, 80.0, 278.3],
        }
    )


def nonresponse_tests() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variable": ["office_type"],
            "test": ["pearson_chisq"],
            "statistic": [12.2],
            "df": [2],
            "p_value": [0.0002],
            "cramers_v": [0.127],
        }
    )


def build(
    folder: Path,
    out: str = "tables.xlsx",
    rules: dict[str, Any] | None = None,
    notes: Path | None = None,
    **project: Any,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    write(grid_table(), folder / "T03.csv")
    write(by_table(), folder / "T05.csv")
    write(group_tests(), folder / "tests_T05.csv")
    register = pd.DataFrame(
        {
            "office_id": ["1", "2", "3"],
            "office_name": ["A", "+B", "C"],
            "office_type": ["Stort kontor", "Litet kontor", "Litet kontor"],
            "visits": [1000, 200, 50],
        }
    )
    t11 = build_register_table(
        "T11",
        "cost_per_visit_range",
        {"register": register},
        {"stort": "Stort kontor", "litet": "Litet kontor"},
        {"stort": 1e6, "litet": 2e5},
    )
    write(t11, folder / "T11.csv")
    write(weights_file(), folder / "w.csv")
    write(nonresponse_tests(), folder / "nonresponse_tests.csv")
    path = folder / out
    write_workbook(
        CATALOGUE,
        [{"id": "a", "title": "Arbetssätt"}],
        {t: folder / f"{t}.csv" for t in ("T03", "T05", "T11")},
        {"T05": folder / "tests_T05.csv"},
        {"handlers": folder / "cb.yaml"},
        {"handlers": folder / "w.csv"},
        [folder / "nonresponse_tests.csv"],
        {**PROJECT, **project},
        rules or RULES,
        ESTIMATION,
        {"handlers": {"method": "classes", "classes": ["office_type"], "min_respondents": 10}},
        path,
        notes=notes,
        sources=["register", "frame", "handlers"],
    )
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("wb"))


def data_rows(ws: Any) -> list[tuple[Any, ...]]:
    """Rows under each 'Rad | Svarsalternativ' header, until the block ends."""
    rows, inside = [], False
    for row in ws.iter_rows(values_only=True):
        if row[:2] == ("Rad", "Svarsalternativ"):
            inside = True
            continue
        if inside and row[1] is None:
            inside = False
        if inside:
            rows.append(row)
    return rows


def test_sheets_in_order(book: Path) -> None:
    wb = load_workbook(book)
    assert wb.sheetnames == ["Om tabellerna", "Metod", "T03", "T05", "T11"]


def test_values_equal_the_csv_cell_by_cell(book: Path) -> None:
    wb = load_workbook(book)
    for table_id, table in (("T03", grid_table()), ("T05", by_table())):
        shown = table[~((table["group"] != "Totalt") & (table["base_n"] < 10))]
        rows = data_rows(wb[table_id])
        assert len(rows) == len(shown)
        for row, (_, expected) in zip(rows, shown.iterrows(), strict=True):
            assert row[0] == expected["variable_label"]
            assert row[1] == expected["category"]
            assert row[6] == expected["base_n"]
            if expected["suppressed"]:
                assert row[2:6] == ("..", "..", "..", "..")
            else:
                assert row[2] == pytest.approx(expected["estimate"], abs=1e-12)
                assert row[3] == pytest.approx(expected["ci_low"], abs=1e-12)
                assert row[4] == pytest.approx(expected["ci_high"], abs=1e-12)
                assert row[5] == expected["n"]


def test_numbers_are_numbers_with_percent_format(book: Path) -> None:
    ws = load_workbook(book)["T03"]
    header = next(r for r in ws.iter_rows() if r[0].value == "Rad")
    first = ws[header[0].row + 1]
    assert first[2].data_type == "n" and first[2].number_format == PERCENT
    assert first[5].data_type == "n"


def test_formula_like_labels_stay_text(book: Path) -> None:
    wb = load_workbook(book)
    cells = [
        c
        for ws in wb
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith(("=", "+"))
    ]
    assert {c.value for c in cells} >= {
        "=Delvis, formel?",
        "+B",
        '=HYPERLINK("http://x") Finns det en samsyn?',
    }
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(book) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_suppression_and_small_groups(book: Path) -> None:
    wb = load_workbook(book)
    texts = [c for row in wb["T05"].iter_rows(values_only=True) for c in row if c]
    assert any("Gruppen redovisas inte separat" in str(t) for t in texts)
    about = [c for row in wb["Om tabellerna"].iter_rows(values_only=True) for c in row if c]
    suppressed = int(grid_table()["suppressed"].sum() + by_table()["suppressed"].sum())
    total = len(grid_table()) + len(by_table())
    assert f"Antal undertryckta celler: {suppressed} av {total}." in about
    assert any(str(t).startswith("Exempeldata") for t in about)
    notes = [c for row in wb["T03"].iter_rows(values_only=True) for c in row if c]
    assert any(str(t).startswith(".. Uppgiften redovisas inte") for t in notes)


def test_tests_block_and_frozen_print_setup(book: Path) -> None:
    ws = load_workbook(book)["T05"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Samsyn" and r[5] == "Ja")
    assert row[1] == pytest.approx(2.345) and row[4] == pytest.approx(0.0321)
    assert ws.freeze_panes == "A7"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1
    assert "T05_1" in ws.tables


def test_register_sheet_values(book: Path) -> None:
    rows = list(load_workbook(book)["T11"].iter_rows(values_only=True))
    assert ("Litet kontor", "C", 50, 4000) in [r[:4] for r in rows]


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build(tmp_path / "a")
    second = build(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    props = load_workbook(first).properties
    assert props.created.year == 2022 and props.modified == props.created
    assert props.language == "sv-SE" and props.title == "Servicekontoren"


def test_no_demo_note_outside_demo(tmp_path: Path) -> None:
    wb = load_workbook(build(tmp_path, demo=False))
    texts = [c for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not any("Exempeldata" in str(t) for t in texts)


def test_method_sheet_is_in_swedish(book: Path) -> None:
    ws = load_workbook(book)["Metod"]
    cells = {c for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)}
    assert (
        "Vikter och svarsfrekvens: Enkät till servicehandläggare, "
        "cellviktning (svarsbortfall inom viktklasser)" in cells
    )
    machine = {"weight_min", "collapsed", "kish_deff", "pearson_chisq", "office_type", "True"}
    assert not machine & cells
    assert {
        "Sammanslagen klass",
        "Minsta vikt",
        "Ja",
        "Nej",
        "Pearsons χ²-test",
        "Kontorstyp",
    } <= cells
    p_cell = next(c for row in ws.iter_rows() for c in row if c.value == pytest.approx(0.0002))
    assert p_cell.number_format == P_VALUE


def test_p_values_below_a_thousandth_are_shown_as_such(book: Path) -> None:
    ws = load_workbook(book)["T05"]
    p_cell = next(c for row in ws.iter_rows() for c in row if c.value == pytest.approx(0.0321))
    assert p_cell.data_type == "n" and p_cell.number_format == P_VALUE


def test_unreliable_estimates_are_marked(tmp_path: Path) -> None:
    """Effective n of the Stort kontor block is 250 / 1.2 < 300: every row gets '*'."""
    rules = {**RULES, "reliability": {"min_effective_n": 300, "max_ci_width": None}}
    ws = load_workbook(build(tmp_path, rules=rules))["T05"]
    rows = list(ws.iter_rows(values_only=True))
    start = rows.index(next(r for r in rows if r[0] == "Kontorstyp: Stort kontor"))
    block = rows[start + 2 : start + 2 + len(T05_CATS)]
    assert [r[7] for r in block] == ["*"] * len(T05_CATS)
    assert all(r[7] is None for r in rows[6 : 6 + len(T05_CATS)])  # Totalt: 539 / 1.2
    notes = [r[0] for r in rows if r[0]]
    assert any(
        str(n).startswith("* Osäker skattning: det effektiva antalet svar är under 300")
        for n in notes
    )


def test_customer_response_note_follows_the_table() -> None:
    table = pd.DataFrame(
        {
            "measure": ["response_rate"] * 4,
            "group": ["2019", "2021", "2021", "2021"],
            "row": ["Totalt", "Stort kontor", "Litet kontor", "Totalt"],
            "value": [0.178, 0.0297, 0.0303, 0.03],
        }
    )
    assert customer_response_note(table) == (
        "Svar i förhållande till antal besök: 2019 17,8\u00a0%, 2021 3,0\u00a0%."
    )
    assert customer_response_note(table, ["2021"], by_type=True) == (
        "Svar i förhållande till antal besök: 2021 3,0\u00a0%. Per kontorstyp "
        "2021: Stort kontor 3,0\u00a0%, Litet kontor 3,0\u00a0%."
    )


def test_headers_of_number_columns_align_with_their_numbers(book: Path) -> None:
    wb = load_workbook(book)
    checked = 0
    for ws in wb.worksheets:
        for table in ws.tables.values():
            area = ws[table.ref]
            first_col, last_col = area[0][0].column, area[0][-1].column
            header, last = area[0][0].row, area[-1][0].row
            for col in range(first_col, last_col + 1):
                cells = [ws.cell(r, col) for r in range(header + 1, last + 1)]
                numeric = any(c.data_type == "n" and c.value is not None for c in cells)
                head = ws.cell(header, col).alignment.horizontal
                assert (head == "right") == numeric, (ws.title, table.name, col)
                if numeric:
                    checked += 1
                    texts = [c for c in cells if c.data_type == "s" and c.value]
                    assert all(c.alignment.horizontal == "right" for c in texts), ws.title
    assert checked > 10


def test_method_sheet_stores_the_rounded_numbers_it_shows(book: Path) -> None:
    ws = load_workbook(book)["Metod"]
    numbers = [c for row in ws.iter_rows() for c in row if c.data_type == "n" and c.value]
    rate = next(c for c in numbers if c.value == pytest.approx(2 / 3, abs=1e-3))
    assert rate.value == 0.667 and rate.number_format == PERCENT
    decimals = {"0.000": 3, "0.00": 2, "0.0": 1, "#,##0": 0}
    for cell in numbers:
        if cell.number_format in decimals:
            assert cell.value == round(cell.value, decimals[cell.number_format]), cell.coordinate


def test_suppressed_numbers_in_the_method_sheet_are_numbers_and_explained(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from enkat import fmt
    from enkat.workbook import write_method_sheet

    write(weights_file(), tmp_path / "w.csv")
    rates = pd.DataFrame(
        {
            "variable": ["office_type", "office_type"],
            "group": ["Stort kontor", "Litet kontor"],
            "N": [442, 3],
            "n": [294, fmt.SUPPRESSED],
            "response_rate": [0.665158371040724, fmt.SUPPRESSED],
        }
    )
    write(rates, tmp_path / "nonresponse_rates.csv")
    wb = Workbook()
    nonresponse = [tmp_path / "nonresponse_rates.csv"]
    write_method_sheet(wb.active, {"handlers": tmp_path / "w.csv"}, nonresponse, False)
    ws = wb.active
    rows = {r[1].value: r for r in ws.iter_rows() if r[1].value in {"Stort kontor", "Litet kontor"}}
    assert rows["Stort kontor"][4].value == 0.665 and rows["Stort kontor"][4].data_type == "n"
    assert rows["Litet kontor"][4].value == fmt.SUPPRESSED
    assert rows["Litet kontor"][4].alignment.horizontal == "right"
    notes = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any(n.startswith(fmt.SUPPRESSED + " ") for n in notes)


def test_notes_follow_the_template_and_the_weights_made(tmp_path: Path) -> None:
    """Audit-dependent words come from report_templates/notes.j2 (issue 17.1): an audit
    that renames its register edits the template, and the weighting lines state what the
    config and the weights file say, not the demo's collapsing rule."""
    root = Path(__file__).resolve().parents[1]
    shipped = (root / "report_templates" / "notes.j2").read_text(encoding="utf-8")
    assert "kontorsregistret" in shipped
    notes = tmp_path / "notes.j2"
    notes.write_text(shipped.replace("kontorsregistret", "enhetsregistret"), encoding="utf-8")
    wb = load_workbook(build(tmp_path / "wb", notes=notes))
    about = [c for c in wb["Om tabellerna"]["A"] if isinstance(c.value, str)]
    lines = [c.value for c in about]
    # only the configured sources; the visits and errands of the demo are not named
    assert "Registeruppgifter: enhetsregistret, handläggarramen." in lines
    assert any(line.startswith("Cellviktning efter kontorstyp") for line in lines)
    # config names no collapse neighbours: no collapsing rule is claimed
    assert not any("slås ihop" in line or "slogs ihop" in line for line in lines)
    assert "Vikterna trimmas inte." in lines
    t11 = [c.value for c in wb["T11"]["A"] if isinstance(c.value, str)]
    assert any(v.startswith("Källa: enhetsregistret (antal besök)") for v in t11)
