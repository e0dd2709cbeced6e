"""The corpus of bad inputs (issue 6): each case gives one EnkatError naming where and what.

Files are generated from the small project of tests/test_ingest.py, each with one defect.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.readers import Limits
from tests.test_ingest import CODEBOOK, HANDLERS, REGISTER, SETTINGS, VISITS, Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def fails(
    project: Project,
    source: str,
    text: str | bytes | None = None,
    suffix: str = "csv",
    book: dict | None = None,
    **kwargs: object,
) -> EnkatError:
    raw = project.write(source, text, suffix) if text is not None else None
    if book is not None:
        project.codebook(book, "handlers")
    with pytest.raises(EnkatError) as info:
        project.run(source, raw=raw, **kwargs)
    return info.value


def replace_row(row: int, new: str, text: str = HANDLERS) -> str:
    lines = text.split("\n")
    lines[row - 1] = new
    return "\n".join(lines)


# --- encodings, delimiters, empty files ---------------------------------------------------------


def test_utf16_is_refused(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.encode("utf-16"))
    assert "UTF-16" in err.message and err.file.endswith("handlers.csv")


def test_mixed_encodings_name_the_row(project: Project) -> None:
    text = HANDLERS.replace("Bra", "Bra å").encode("utf-8") + "H5,K1,3,,2,,,,,,Här\n".encode(
        "cp1252"
    )
    err = fails(project, "handlers", text)
    assert "mixes encodings" in err.message and err.row == 6


def test_windows_1252_rows_then_utf8_rows_are_mixed_too(project: Project) -> None:
    utf8_row = "H5,K1,3,,2,,,,,,Här\n".encode()
    err = fails(project, "handlers", HANDLERS.replace("Bra", "Bra å").encode("cp1252") + utf8_row)
    # the row where the second encoding (UTF-8) appears, not the first Windows-1252 row
    assert "mixes encodings" in err.message and err.row == 6 and err.column == "fritext"


def test_bytes_that_no_encoding_reads(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.encode("cp1252").replace(b"Bra", b"Br\x81"))
    assert err.row == 2 and "neither UTF-8 nor Windows-1252" in err.message


def test_windows_1252_and_semicolons_are_read(project: Project) -> None:
    text = HANDLERS.replace(",", ";").encode("cp1252")
    data = project.run("handlers", raw=project.write("handlers", text))
    assert data["T03_skv"].iloc[1] == "Instämmer delvis"


def test_wrong_delimiter_gives_one_column(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace(",", "|"))
    assert "only one column" in err.message and err.row == 1


def test_header_only(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.split("\n")[0] + "\n")
    assert "no data rows" in err.message and err.row == 2


def test_empty_file(project: Project) -> None:
    err = fails(project, "handlers", "")
    assert err.message == "the file is empty"


def test_ragged_row(project: Project) -> None:
    err = fails(project, "handlers", replace_row(3, "H2,K1,2"))
    assert err.row == 3 and "number of cells" in err.message


# --- columns, ids, codes, labels ------------------------------------------------------------------


def test_renamed_column(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("kontor_id", "kontorid"))
    assert (err.row, err.column) == (1, "kontor_id") and "'kontorid'" in err.hint


def test_missing_column(project: Project) -> None:
    lines = [",".join(line.split(",")[:-1]) for line in HANDLERS.rstrip("\n").split("\n")]
    err = fails(project, "handlers", "\n".join(lines) + "\n")
    assert (err.row, err.column) == (1, "fritext") and "not in the export" in err.message
    assert "re-export with the column" in err.hint


def test_duplicated_respondent(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("H2,K1", "H1,K1"))
    assert (err.row, err.column, err.value) == (3, "respondent_id", "H1")
    assert "row 2" in err.hint


def test_unknown_code(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("H3,K2,1.0,99", "H3,K2,1.0,7"))
    assert (err.row, err.column, err.value) == (4, "q1", "7")
    assert "1=Ja" in err.expected


@pytest.mark.parametrize("label", ["Instämmer Delvis", " Instämmer delvis", "Instämer delvis"])
def test_label_near_miss_suggests_the_label(project: Project, label: str) -> None:
    err = fails(project, "handlers", HANDLERS.replace("Instämmer delvis", f'"{label}"'))
    assert (err.row, err.column, err.value) == (3, "q3_skv", label)
    assert "did you mean 'Instämmer delvis'" in err.hint


def test_office_not_in_register(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("H4,K2", "H4,K7"))
    assert (err.row, err.column, err.value) == (5, "kontor_id", "K7")


def test_respondent_not_in_frame(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("H4,K2", "H9,K2"))
    assert (err.row, err.column, err.value) == (5, "respondent_id", "H9")
    assert "frame" in err.message


def test_respondent_at_another_office_than_in_the_frame(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("H2,K1", "H2,K2"))
    assert (err.row, err.column, err.value) == (3, "kontor_id", "K2")
    assert "differs from their office in the handler frame" in err.message
    assert "the frame has office K1" in err.hint


def test_answer_from_respondent_not_asked(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("H2,K1,Mottagarkontor,,", "H2,K1,2,1,"))
    assert (err.row, err.column, err.value) == (3, "q1", "1")
    assert "not asked" in err.message and "DIST is 'Givarkontor'" in err.expected


def test_too_many_choices(project: Project) -> None:
    err = fails(project, "handlers", HANDLERS.replace("1,1,0,\n", "1,1,1,\n"))
    assert err.row == 4 and "too many" in err.message and err.value == "3"


def test_several_problems_are_counted_in_one_error(project: Project) -> None:
    text = HANDLERS.replace("H3,K2,1.0,99", "H3,K2,1.0,7").replace("H4,K2", "H4,K8")
    err = fails(project, "handlers", text)
    assert err.row == 4 and "1 more problem(s)" in err.extra[0]


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("stort", "jättestort", "kontorstyp"),
        ("Nord", "Norr", "region"),
    ],
)
def test_register_values_outside_the_allowed_set(
    project: Project, field: str, value: str, column: str
) -> None:
    err = fails(project, "register", REGISTER.replace(field, value, 1))
    assert (err.row, err.column, err.value) == (2, column, value)


def test_register_label_in_other_case_suggests(project: Project) -> None:
    err = fails(project, "register", REGISTER.replace("Syd", "syd"))
    assert err.hint == "did you mean 'Syd'?"


@pytest.mark.parametrize(
    ("value", "hint"), [("-5", "negative"), ("många", "digits"), ("1 200", "digits")]
)
def test_bad_visit_counts(project: Project, value: str, hint: str) -> None:
    project.run("register")
    err = fails(project, "visits", VISITS.replace("K2,2019,80", f'K2,2019,"{value}"'))
    assert (err.row, err.column, err.value) == (3, "besok", value) and hint in err.hint


def test_size_limit(project: Project) -> None:
    settings = dataclasses.replace(SETTINGS, limits=Limits(max_input_mb=0.0001))
    err = fails(project, "handlers", settings=settings)
    assert "larger than the configured limit" in err.message


# --- codebooks --------------------------------------------------------------------------------


def broken_book(change: callable) -> dict:  # type: ignore[valid-type]
    book = copy.deepcopy(CODEBOOK)
    change(book)
    return book


@pytest.mark.parametrize(
    ("change", "message", "value"),
    [
        (lambda b: b["items"][1].update(column="q01"), "not in the export", None),
        (
            lambda b: b["items"].append(copy.deepcopy(b["items"][0])),
            "item id appears twice",
            "DIST",
        ),
        (
            lambda b: b["items"][0]["options"].append({"code": 1, "label": "Annat"}),
            "option code appears twice",
            "1",
        ),
        (
            lambda b: b["items"][0]["options"].append({"code": 4, "label": "Givarkontor"}),
            "option label appears twice",
            "Givarkontor",
        ),
        (
            lambda b: b["items"][1].update(filter={"item": "DISTT", "in": ["Givarkontor"]}),
            "filter names an item that does not exist",
            "DISTT",
        ),
        (
            lambda b: b["items"][1].update(filter={"item": "DIST", "in": ["Givare"]}),
            "filter value is not a label",
            "Givare",
        ),
        (lambda b: b["items"][1].update(scale="jn"), "scale that is not defined", "jn"),
        (
            lambda b: [o.pop("column") for o in b["items"][4]["options"]],
            "option needs column",
            None,
        ),
    ],
)
def test_codebook_mistakes(
    project: Project, change: object, message: str, value: str | None
) -> None:
    err = fails(project, "handlers", book=broken_book(change))  # type: ignore[arg-type]
    assert message in err.message
    assert err.file.endswith(".csv" if "export" in message else "handlers.yaml")
    if value is not None:
        assert err.value == value
    if "export" in message:
        assert (err.row, err.column) == (1, "q01") and "'q1'" in err.hint


def test_codebook_schema_error_names_the_key(project: Project) -> None:
    err = fails(project, "handlers", book=broken_book(lambda b: b["items"][0].update(typ="x")))
    assert err.key == "items[0].typ" and "did you mean 'type'" in err.hint


# --- XLSX and SPSS ----------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, str], edit: object = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, text in sheets.items():
        ws = wb.create_sheet(name)
        if not text:
            continue
        for line in pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).pipe(
            lambda d: [list(d.columns), *d.values.tolist()]
        ):
            ws.append([None if v == "" else v for v in line])
    if edit:
        edit(wb)  # type: ignore[operator]
    wb.save(path)
    return path


def xlsx_fails(
    project: Project, sheets: dict[str, str], edit: object = None, **kwargs: object
) -> EnkatError:
    path = workbook(project.root / "raw" / "handlers.xlsx", sheets, edit)
    with pytest.raises(EnkatError) as info:
        project.run("handlers", raw=path, **kwargs)
    return info.value


def test_xlsx_data_on_another_sheet(project: Project) -> None:
    err = xlsx_fails(project, {"Info": "", "Data": HANDLERS})
    assert "sheet 'Info' is empty" in err.message and "(Data)" in err.hint
    err = xlsx_fails(project, {"Info": "Exporterad,april\n1,2\n", "Data": HANDLERS})
    assert err.column == "q_dist" and "another sheet" in err.hint
    data = project.run("handlers", raw=project.root / "raw" / "handlers.xlsx", sheet="Data")
    assert len(data) == 4


def test_xlsx_merged_header(project: Project) -> None:
    def merge(wb: openpyxl.Workbook) -> None:
        ws = wb.active
        ws["B1"] = None
        ws.merge_cells("A1:B1")

    err = xlsx_fails(project, {"Data": HANDLERS}, merge)
    assert "merged" in err.message and err.column == "A1:B1"


def test_xlsx_formula(project: Project) -> None:
    err = xlsx_fails(project, {"Data": HANDLERS}, lambda wb: wb.active.__setitem__("D3", "=1+1"))
    assert (err.row, err.column, err.value) == (3, "D3", "=1+1")


def test_xlsx_date_where_a_code_is_expected(project: Project) -> None:
    err = xlsx_fails(
        project, {"Data": HANDLERS}, lambda wb: wb.active.__setitem__("C4", dt.datetime(2022, 1, 2))
    )
    assert (err.row, err.column) == (4, "q_dist") and "date" in err.message


def test_truncated_xlsx(project: Project) -> None:
    good = workbook(project.root / "raw" / "ok.xlsx", {"Data": HANDLERS}).read_bytes()
    err = fails(project, "handlers", good[: len(good) // 2], suffix="xlsx")
    assert "corrupt or truncated" in err.message


def test_corrupt_sav(project: Project) -> None:
    err = fails(project, "handlers", b"$FL2@(#) not really spss" * 10, suffix="sav")
    assert "SPSS" in err.message


def spss_export(project: Project, labels: dict[int, str]) -> Path:
    """The fixture export as SPSS, q_dist numeric with the given value labels."""
    import pyreadstat

    frame = pd.read_csv(io.StringIO(HANDLERS), dtype=str)
    frame["q_dist"] = ["1", "2", "1", "3"]
    frame["q3_skv"] = ["1", "2", "2", None]
    for column in frame.columns[2:-1]:
        frame[column] = pd.to_numeric(frame[column])
    frame["fritext"] = frame["fritext"].fillna("")
    path = project.root / "raw" / "handlers.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"q_dist": labels})
    return path


def test_truncated_sav(project: Project) -> None:
    good = spss_export(project, {1: "Givarkontor"}).read_bytes()
    err = fails(project, "handlers", good[: len(good) // 2], suffix="sav")
    assert "corrupt, truncated" in err.message and err.file.endswith("handlers.sav")


def test_sav_value_labels_that_contradict_the_codebook(project: Project) -> None:
    path = spss_export(project, {1: "Mottagarkontor", 2: "Givarkontor"})
    with pytest.raises(EnkatError) as info:
        project.run("handlers", raw=path)
    err = info.value
    assert "value labels contradict the codebook" in err.message
    assert (err.column, err.value) == ("q_dist", "1 = 'Mottagarkontor'")
    assert "1 = 'Givarkontor' as in the codebook" in err.expected


def test_sav_value_labels_worded_otherwise_are_accepted(project: Project) -> None:
    path = spss_export(project, {1: "GIVARKONTOR", 2: "Mottagare", 3: "Varken eller"})
    assert project.run("handlers", raw=path)["DIST"].tolist()[:2] == [
        "Givarkontor",
        "Mottagarkontor",
    ]


def _rezip(path: Path, member: str, transform: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == member:
                data = transform(data)  # type: ignore[operator]
            dst.writestr(info, data)
    return out.getvalue()


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
)


@pytest.mark.parametrize("member", ["xl/workbook.xml", "xl/worksheets/sheet1.xml"])
def test_billion_laughs(project: Project, member: str) -> None:
    path = workbook(project.root / "raw" / "ok.xlsx", {"Data": HANDLERS})
    bomb = _rezip(
        path, member, lambda d: LAUGHS + (d.split(b"?>", 1)[1] if d.startswith(b"<?xml") else d)
    )
    err = fails(project, "handlers", bomb, suffix="xlsx")
    assert "entity" in err.message


def test_zip_bomb(project: Project) -> None:
    path = workbook(project.root / "raw" / "ok.xlsx", {"Data": HANDLERS})
    bomb = _rezip(
        path,
        "xl/worksheets/sheet1.xml",
        lambda d: d.replace(b"</worksheet>", b"<!--" + b" " * (30 * 2**20) + b"--></worksheet>"),
    )
    assert len(bomb) < 2**20
    settings = dataclasses.replace(SETTINGS, limits=Limits(max_xlsx_uncompressed_mb=10))
    err = fails(project, "handlers", bomb, suffix="xlsx", settings=settings)
    assert "zip bomb" in err.message
