"""Readers: encodings, delimiters, row numbers, XLSX and SPSS values as strings."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.readers import decode, read_input, sniff_delimiter
from enkat.text import normalise_code

TEXT = 'id,svar,text\n1,2,Åsele\n2,,"a, b"\n'


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")]
)
def test_encodings_read_the_same(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(prefix + TEXT.encode(encoding))
    data = read_input(path).data
    assert list(data.columns) == ["id", "svar", "text"]
    assert data.loc[2, "text"] == "Åsele" and data.loc[3, "text"] == "a, b"
    assert pd.isna(data.loc[3, "svar"])
    assert data.index.tolist() == [2, 3]


@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_delimiters_are_sniffed(tmp_path: Path, delim: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(TEXT.replace(",", delim).replace('"a' + delim + ' b"', "ab"), encoding="utf-8")
    assert read_input(path).data.shape == (2, 3)


def test_sniff_ignores_quoted_delimiters() -> None:
    assert sniff_delimiter('"a;b;c",x,y') == ","


def test_configured_encoding_wrong_names_the_row() -> None:
    with pytest.raises(EnkatError) as info:
        decode("a,b\n1,ö\n".encode("cp1252"), "f.csv", "utf-8")
    assert info.value.row == 2


def test_blank_rows_keep_spreadsheet_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n,\n3,4\n", encoding="utf-8")
    assert read_input(path).data.index.tolist() == [2, 4]


def test_large_csv_is_read_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    n = 200_000
    pd.DataFrame({"id": range(n), "q": [1, 2] * (n // 2)}).to_csv(path, index=False)
    data = read_input(path).data
    assert len(data) == n and data.index[-1] == n + 1 and data["q"].iloc[-1] == "2"


def test_xlsx_floats_become_codes_and_rows_are_sheet_rows(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "svar"])
    ws.append(["A", 1.0])
    ws.append([None, None])
    ws.append(["B", 2])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    raw = read_input(path)
    assert raw.data["svar"].tolist() == ["1", "2"] and raw.data.index.tolist() == [2, 4]
    assert raw.sheets == ("Sheet",)


def test_sav_codes_and_value_labels(tmp_path: Path) -> None:
    import pyreadstat

    path = tmp_path / "x.sav"
    frame = pd.DataFrame({"id": ["a", "b"], "q": [1.0, None]})
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"q": {1: "Ja", 2: "Nej"}})
    raw = read_input(path)
    assert raw.data["q"].tolist()[0] == "1" and pd.isna(raw.data["q"].iloc[1])
    assert raw.value_labels["q"] == {"1": "Ja", "2": "Nej"}


def test_missing_file() -> None:
    with pytest.raises(EnkatError, match="does not exist"):
        read_input("no/such/file.csv")


@pytest.mark.parametrize(
    ("text", "code"), [("1.0", "1"), ("12.00", "12"), ("1.5", "1.5"), ("007", "007"), ("Ja", "Ja")]
)
def test_normalise_code(text: str, code: str) -> None:
    assert normalise_code(text) == code


def test_a_crash_of_the_spss_reader_is_an_enkat_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ReadStat segfaults on some damaged .sav files (found by tests/test_properties.py);
    the child process that runs it dies, not the step."""
    import os
    import signal

    import enkat.readers

    path = tmp_path / "x.sav"
    path.write_bytes(b"$FL2")
    monkeypatch.setattr(enkat.readers, "_parse_sav", lambda f: os.kill(os.getpid(), signal.SIGSEGV))
    with pytest.raises(EnkatError) as info:
        read_input(path)
    assert "corrupt" in info.value.message and "crashed" in info.value.value
