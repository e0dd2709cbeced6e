"""Text that looks the same is the same (issue 14): NFC at read time, invisible characters
named, mixed encodings refused where the second one starts, no two published categories
that print the same. Also the misleading messages of issue 18 point 8."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from enkat.codebook import Codebook, load_codebook, map_answers
from enkat.config import load_yaml
from enkat.errors import EnkatError
from enkat.ingest.problems import Problems
from enkat.readers import decode, read_input
from enkat.text import (
    check_distinct,
    describe_invisible,
    did_you_mean,
    escape,
    find_mojibake,
    normalise,
    prints_same,
)
from tests.test_bad_inputs import fails
from tests.test_ingest import CUSTOMERS, HANDLERS, REGISTER, VISITS, Project

ROOT = Path(__file__).resolve().parents[1]
NFD = unicodedata.normalize("NFD", "Försäkringskassan")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


# --- the rule ----------------------------------------------------------------------------------


def test_normalise_rule() -> None:
    assert NFD != "Försäkringskassan" and normalise(NFD) == "Försäkringskassan"
    assert normalise("Instämmer\u00a0helt") == "Instämmer helt"  # no-break space
    assert normalise("Instämmer\u202fhelt") == "Instämmer helt"  # narrow no-break space
    assert normalise("Skatte\u00adverket") == "Skatteverket"  # soft hyphen
    assert normalise("\ufeffK1") == "K1"  # a BOM inside the file
    assert normalise("Skatteverket\u200b") == "Skatteverket\u200b"  # kept, then rejected
    assert normalise("a\tb") == "a\tb"


def test_escape_and_describe() -> None:
    assert escape("Skatteverket\u200b") == "'Skatteverket\\u200b'"
    assert escape(NFD) == "'Fo\\u0308rsa\\u0308kringskassan'"
    assert describe_invisible("Skatteverket\u200b") == "U+200B zero-width space at position 13"


def test_near_miss_that_prints_the_same_is_escaped() -> None:
    cyrillic = "J\u0430"  # Cyrillic a
    assert prints_same(cyrillic, "Ja") and prints_same("Ja\u200d", "Ja")
    assert not prints_same("Ja", "ja")
    hint = did_you_mean(cyrillic, "Ja")
    assert "'J\\u0430'" in hint and "'Ja'" in hint
    assert did_you_mean("Jaa", "Ja") == "did you mean 'Ja'?"


# --- readers: every format in NFC --------------------------------------------------------------


def test_csv_xlsx_cells_and_headers_are_nfc(tmp_path: Path) -> None:
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(f"id,myndighet{unicodedata.normalize('NFD', 'ö')}\n1,{NFD}\n", "utf-8")
    data = read_input(csv_path).data
    assert list(data.columns) == ["id", "myndighetö"] and data.iloc[0, 1] == "Försäkringskassan"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "myndighet"])
    wb.active.append(["1", NFD + "\u00a0AB"])
    wb.save(tmp_path / "x.xlsx")
    assert read_input(tmp_path / "x.xlsx").data.iloc[0, 1] == "Försäkringskassan AB"


def test_codebook_and_config_text_are_nfc(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"agency: {NFD}\nlist: [{NFD}]\n", encoding="utf-8")
    assert load_yaml(path) == {"agency": "Försäkringskassan", "list": ["Försäkringskassan"]}


# --- mixed encodings: the first row and column of the second encoding -------------------------


def test_windows_1252_file_with_one_utf8_row() -> None:
    raw = "id,agency\n1,Skatteverket\n2,Åsele\n".encode("cp1252") + "3,Försäkringskassan\n".encode()
    with pytest.raises(EnkatError) as info:
        decode(raw, "f.csv")
    err = info.value
    assert "Windows-1252 text and UTF-8 bytes" in err.message
    assert (err.row, err.column) == (4, "agency")
    shown = "\n".join(err.extra)
    assert "'Försäkringskassan'" in shown and "'FÃ¶rsÃ¤kringskassan'" in shown


def test_utf8_file_with_one_windows_1252_row() -> None:
    raw = "id;agency\n1;Åsele\n2;x\n".encode() + "3;Försäkringskassan\n".encode("cp1252")
    with pytest.raises(EnkatError) as info:
        decode(raw, "f.csv")
    err = info.value
    assert "UTF-8 text and bytes that are not UTF-8" in err.message
    assert (err.row, err.column, err.value) == (4, "agency", "Försäkringskassan")
    assert "'F\ufffdrs\ufffdkringskassan'" in "\n".join(err.extra)


def test_utf8_bom_does_not_shift_the_row() -> None:
    raw = b"\xef\xbb\xbf" + b"id,a\n1,x\n2," + "å\n".encode("cp1252")
    with pytest.raises(EnkatError) as info:
        decode(raw, "f.csv")
    assert (info.value.row, info.value.column) == (3, "a")


def test_en_dash_from_utf8_in_windows_1252_is_no_mojibake() -> None:
    raw = "id,a\n1,å\n".encode("cp1252") + "2,Kista – Stort\n".encode()
    with pytest.raises(EnkatError) as info:
        decode(raw, "f.csv")
    assert info.value.row == 3 and "â€“" in "\n".join(info.value.extra)
    with pytest.raises(EnkatError):  # also when the encoding is configured
        decode(raw, "f.csv", "cp1252")


def test_utf8_text_garbled_before_it_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,a\n1,Åsele\n2,Kista â€“ Stort\n", encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        read_input(path)
    err = info.value
    assert "garbled" in err.message and (err.row, err.column) == (3, "a")
    assert "Kista – Stort" in err.hint
    wb = openpyxl.Workbook()
    wb.active.append(["id", "a"])
    wb.active.append(["1", "FÃ¶rsÃ¤kringskassan"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(EnkatError, match="garbled"):
        read_input(tmp_path / "x.xlsx")


@pytest.mark.parametrize(
    "text", ["Åsele, Göteborg, Malmö – Väst", "ÅÄÖ åäö é ü ß – — € “”", "“HÖ” och ”Å”, Ä’s"]
)
def test_swedish_text_is_not_mojibake(text: str) -> None:
    assert find_mojibake(text) is None
    assert decode(text.encode("cp1252"), "f.csv")[0] == text
    assert decode(text.encode(), "f.csv")[0] == text


# --- ingest: NFD answers map, invisible characters are named -----------------------------------


def test_nfd_answers_and_agencies_map_to_one_category(project: Project) -> None:
    nfd = unicodedata.normalize("NFD", HANDLERS)
    assert nfd != HANDLERS
    data = project.run("handlers", raw=project.write("handlers", nfd))
    assert data.loc[1, "T03_skv"] == "Instämmer delvis"
    both = CUSTOMERS + f"S3,K1,2021,QR,svenska,{NFD},1\n"
    data = project.run("customers", raw=project.write("customers", both))
    assert sorted(data["agency"].unique()) == ["Försäkringskassan", "Skatteverket"]


def test_zero_width_space_in_an_agency_is_named(project: Project) -> None:
    bad = CUSTOMERS.replace("Skatteverket", "Skatteverket\u200b")
    err = fails(project, "customers", bad)
    assert err.message == "a value holds an invisible character"
    assert (err.row, err.column) == (2, "myndighet")
    assert "Skatteverket\\u200b" in str(err) and "zero-width space" in err.hint


def test_zero_width_joiner_in_an_answer_is_named(project: Project) -> None:
    bad = HANDLERS.replace("Instämmer delvis", "Instämmer\u200d delvis")
    err = fails(project, "handlers", bad)
    assert err.message == "a value holds an invisible character" and err.column == "q3_skv"
    assert "U+200D zero-width joiner" in err.hint


def test_near_miss_label_with_look_alike_letter_shows_code_points(project: Project) -> None:
    bad = HANDLERS.replace("Mottagarkontor", "Mottagarkont\u043er")  # Cyrillic o
    err = fails(project, "handlers", bad)
    assert "not a code or label" in err.message
    assert "Mottagarkont\\u043er" in err.hint and "'Mottagarkontor'" in err.hint


# --- the property: NFC and NFD variants of every codebook label map to the same category -------

BOOKS = sorted((ROOT / "config/codebooks").glob("*.yaml"))
LABELS = [
    (path, item.id, option.label)
    for path in BOOKS
    for item in load_codebook(path).items
    if item.type in ("single", "grid")
    for option in item.options
]


@given(
    label=st.sampled_from(LABELS),
    forms=st.lists(st.sampled_from(["NFC", "NFD"]), min_size=1, max_size=5),
    nbsp=st.booleans(),
)
@settings(max_examples=80, deadline=None)
def test_every_codebook_label_maps_in_any_normal_form(
    tmp_path_factory: pytest.TempPathFactory,
    label: tuple[Path, str, str],
    forms: list[str],
    nbsp: bool,
) -> None:
    path, item_id, text = label
    item = load_codebook(path, schema=False).item(item_id)
    alone = Codebook(
        "x",
        "x",
        (replace(item, filter=None, rows=tuple(replace(r, filter=None) for r in item.rows)),),
    )
    # word by word in NFC or NFD (text pasted together from two tools), a no-break space
    words = text.split(" ")
    value = (" " if not nbsp else "\u00a0").join(
        unicodedata.normalize(forms[i % len(forms)], w) for i, w in enumerate(words)
    )
    csv_path = tmp_path_factory.mktemp("label") / "x.csv"
    columns = alone.columns()
    quoted = '"' + value.replace('"', '""') + '"'
    csv_path.write_text(
        ",".join(["id", *columns]) + "\n" + ",".join(["1", *[quoted] * len(columns)]) + "\n",
        encoding="utf-8",
    )
    problems = Problems(str(csv_path))
    out = map_answers(alone, read_input(csv_path).data, problems)
    assert not problems
    assert set(out.iloc[0]) == {text}


# --- published tables ------------------------------------------------------------------------


@pytest.mark.parametrize("other", [NFD, "Försäkringskassan\u200b", "Försäkrings\u00adkassan"])
def test_published_table_with_two_spellings_stops(tmp_path: Path, other: str) -> None:
    from enkat.tables import write_csv

    frame = pd.DataFrame({"group": ["Försäkringskassan", other], "n": [1, 2]})
    out = tmp_path / "T.csv"
    with pytest.raises(EnkatError) as info:
        write_csv(frame, out)
    assert "print the same" in info.value.message and info.value.column == "group"
    assert not out.exists()
    check_distinct(pd.DataFrame({"group": ["Ja", "Nej"]}), out)  # distinct text passes


# --- misleading messages (issue 18 point 8) -----------------------------------------------------


def test_title_line_above_the_header(project: Project) -> None:
    err = fails(project, "handlers", "Handläggarenkät, april 2022\n" + HANDLERS)
    assert err.message == "the first row looks like a title, not the header" and err.row == 1


def test_register_id_with_trailing_space_blames_the_register(project: Project) -> None:
    err = fails(project, "register", REGISTER.replace("K1,Alfa", "K1 ,Alfa"))
    assert err.message == "the office id has spaces before or after it"
    assert err.file.endswith("register.csv") and err.row == 2


def test_xlsx_date_in_the_wave_column_blames_the_raw_file(project: Project) -> None:
    wb = openpyxl.Workbook()
    lines = [line.split(",") for line in VISITS.strip().split("\n")]
    wb.active.append(lines[0])
    for office, _, visits in lines[1:]:
        wb.active.append([office, dt.datetime(2019, 5, 1), int(visits)])
    path = project.root / "raw" / "visits.xlsx"
    wb.save(path)
    project.run("register")
    with pytest.raises(EnkatError) as info:
        project.run("visits", raw=path)
    err = info.value
    assert err.message == "a date where text or a code is expected"
    assert err.file.endswith("visits.xlsx") and (err.row, err.column) == (2, "omgang")


def test_tab_indented_config_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("project:\n  title: x\n\tdemo: true\n", encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        load_yaml(path)
    assert info.value.row == 3 and "tab" in info.value.hint
    yaml.safe_load("a: 1")  # the loader itself is unchanged


def test_invisible_character_in_a_codebook_label_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text('scales:\n  jn:\n    - {code: 1, label: "Ja\u200b"}\n', encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        load_yaml(path)
    assert info.value.key == "scales.jn[0].label" and "U+200B" in info.value.hint


def test_empty_line_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n\n3,4\n", encoding="utf-8")
    assert read_input(path).data.index.tolist() == [2, 4]


def test_frame_id_with_a_space_says_so(project: Project) -> None:
    from tests.test_ingest import FRAME

    project.run("register")
    err = fails(project, "frame", FRAME.replace("H1,K1", "H1,K1 "))
    assert err.message == "the office is not in the office register" and "spaces" in err.hint


def test_cyrillic_utf8_row_in_a_windows_1252_file() -> None:
    raw = "id,sprak\n1,svenska på\n".encode("cp1252") + "2,Привет\n".encode()
    with pytest.raises(EnkatError) as info:
        decode(raw, "f.csv")
    assert (info.value.row, info.value.column, info.value.value) == (3, "sprak", "Привет")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.sampled_from(
                ["Stämmer", "Sta\u0308mmer", "a\u00a0b", "so\u00adft", "x\ufeffy", "R01"]
            ),
            st.text(max_size=6),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_arrow_columns_are_normalised_as_the_frame_would_be(values: list[str | None]) -> None:
    """readers normalises the Arrow table before pandas sees it (issue 16: a 500 000-row
    read); the cells must come out exactly as `normalise_frame` makes them."""
    import pyarrow as pa

    from enkat.text import normalise_frame, normalise_table

    table = pa.table({"a": pa.array(values, pa.string()), "b": pa.array(["id"] * len(values))})

    def frame(t: pa.Table) -> pd.DataFrame:
        return t.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get).astype("string")

    pd.testing.assert_frame_equal(frame(normalise_table(table)), normalise_frame(frame(table)))
