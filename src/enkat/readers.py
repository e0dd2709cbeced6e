"""Reading raw inputs (CSV, XLSX, SPSS .sav) into string-typed tables.

Every reader returns a `RawTable`: a DataFrame of pandas `string` columns (empty cell = null)
whose index is the row number a user sees in a spreadsheet (header = row 1), so that every
later check can point at the cell. Numbers written by a tool as floats ("1.0") come back as
the code "1". Anything unreadable raises `EnkatError`, never a library exception.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enkat import text as text_rules
from enkat.errors import EnkatError

MB = 1024 * 1024
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SAV_SUFFIXES = {".sav", ".zsav"}


@dataclass
class RawTable:
    """A raw input as strings, with where each row came from."""

    data: pd.DataFrame
    file: str
    kind: str  # "csv" | "xlsx" | "sav"
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)  # sav: col/code/label
    dates: dict[str, int] = field(default_factory=dict)  # column -> first row holding a date
    sheets: tuple[str, ...] = ()  # xlsx: every sheet name


@dataclass(frozen=True)
class Limits:
    """Size limits from config `limits`: megabytes, columns, data rows, line length.

    Checked before the data is parsed, so that a hostile or broken export (100 000 columns,
    one endless line) stops with a message instead of exhausting memory.
    """

    max_input_mb: float = 512
    max_xlsx_uncompressed_mb: float = 1024
    max_columns: int = 2000
    max_rows: int = 10_000_000
    max_line_length: int = 1_000_000

    @classmethod
    def from_config(cls, limits: Mapping[str, Any] | None) -> Limits:
        limits = limits or {}
        return cls(
            float(limits.get("max_input_mb", 512)),
            float(limits.get("max_xlsx_uncompressed_mb", 1024)),
            int(limits.get("max_columns", 2000)),
            int(limits.get("max_rows", 10_000_000)),
            int(limits.get("max_line_length", 1_000_000)),
        )


def limit_error(
    what: str, file: str, value: str, limit: str, key: str, row: int | None = None
) -> EnkatError:
    """The error for an input past one of the configured limits."""
    return EnkatError(
        f"the input file has more {what} than the configured limit",
        file=file,
        row=row,
        value=value,
        expected=f"at most {limit} (limits.{key})",
        hint=f"check the export; raise limits.{key} in config/config.yaml if the file is genuine",
    )


def check_text_limits(raw: bytes, file: str, limits: Limits) -> None:
    """Line length and number of lines of a text export, in 64 MB chunks (no copy)."""
    view = np.frombuffer(raw, dtype=np.uint8)
    chunk = 64 * MB
    start = 0  # offset where the current line began
    lines = 0
    for offset in range(0, len(view), chunk):
        ends = np.flatnonzero(view[offset : offset + chunk] == 10) + offset
        if len(ends):
            lengths = np.diff(ends, prepend=start)
            if start != 0 or offset != 0:
                lengths[0] = ends[0] - start
            longest = int(np.argmax(lengths))
            if lengths[longest] > limits.max_line_length:
                raise limit_error(
                    "characters in a line",
                    file,
                    f"{int(lengths[longest])} bytes in one line",
                    f"{limits.max_line_length} characters",
                    "max_line_length",
                    row=lines + longest + 1,
                )
            lines += len(ends)
            start = int(ends[-1]) + 1
    if len(view) - start > limits.max_line_length:
        raise limit_error(
            "characters in a line",
            file,
            f"{len(view) - start} bytes in one line",
            f"{limits.max_line_length} characters",
            "max_line_length",
            row=lines + 1,
        )
    data_rows = lines - 1 + (1 if len(view) > start else 0)
    if data_rows > limits.max_rows:
        raise limit_error(
            "rows", file, f"{data_rows} data rows", f"{limits.max_rows} rows", "max_rows"
        )


def check_width(width: int, file: str, limits: Limits) -> None:
    """The number of columns, before any column is allocated."""
    if width > limits.max_columns:
        raise limit_error(
            "columns",
            file,
            f"{width} columns",
            f"{limits.max_columns} columns",
            "max_columns",
            row=1,
        )


def read_input(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
) -> RawTable:
    """Read a CSV, XLSX or SPSS file by its suffix, after the size check."""
    path = Path(path)
    limits = limits or Limits()
    if not path.is_file():
        raise EnkatError(
            "the input file does not exist",
            file=str(path),
            hint="check the path under sources in config/config.yaml",
        )
    size = path.stat().st_size
    if size > limits.max_input_mb * MB:
        raise EnkatError(
            "the input file is larger than the configured limit",
            file=str(path),
            value=f"{size / MB:.1f} MB",
            expected=f"at most {limits.max_input_mb:g} MB",
            hint="raise limits.max_input_mb in config/config.yaml if the file is genuine",
        )
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(path, sheet=sheet, limits=limits)
    if suffix in SAV_SUFFIXES:
        return read_sav(path, limits=limits)
    return read_csv(path, encoding=encoding, delimiter=delimiter, limits=limits)


# --- CSV -------------------------------------------------------------------------------------


def _row_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def decode(raw: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Text and encoding name: UTF-8 (with or without BOM) first, then Windows-1252.

    A file in which two encodings appear (rows pasted together from two tools) is refused,
    since no single decoding reads it right: the error names the first row and column
    where the second encoding appears, and shows that cell read both ways. So is UTF-8
    text that was garbled before it was saved ("â€“" for "–"): no mojibake gets through.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise EnkatError(
            "the file is UTF-16, not one of the accepted encodings",
            file=file,
            expected="UTF-8, UTF-8 with BOM or Windows-1252",
            hint="save the export as CSV UTF-8",
        )
    if encoding:
        try:
            text = raw.decode(encoding)
        except LookupError:
            raise EnkatError(
                "unknown encoding in config",
                file=file,
                value=encoding,
                expected="utf-8, utf-8-sig or cp1252",
                hint="correct sources.<source>.encoding",
            ) from None
        except UnicodeDecodeError as err:
            raise EnkatError(
                f"the file is not valid {encoding}",
                file=file,
                row=_row_of_offset(raw, err.start + _bom_shift(raw, encoding)),
                value=raw[err.start : err.start + 4],
                expected=f"text in {encoding} (sources.<source>.encoding)",
                hint="remove the encoding setting to let enkat detect it, or re-save the file",
            ) from None
        _check_mojibake(raw, text, encoding, file)
        return text, encoding
    if b"\x00" in raw:
        raise EnkatError(
            "the file holds NUL bytes: it is not a text (CSV) file",
            file=file,
            row=_row_of_offset(raw, raw.index(b"\x00")),
            expected="a CSV file in UTF-8, UTF-8 with BOM or Windows-1252",
            hint="export the data as CSV, or give the file an .xlsx/.sav suffix",
        )
    if raw.isascii():
        return raw.decode("ascii"), "utf-8"
    bom = raw.startswith(b"\xef\xbb\xbf")
    used = "utf-8-sig" if bom else "utf-8"
    try:
        text = raw.decode(used)
    except UnicodeDecodeError as err:
        offset = err.start + (3 if bom else 0)  # utf-8-sig counts from after the BOM
        if bom or _UTF8_SEQ.search(raw, 0, offset):
            # UTF-8 first: the second encoding starts at the first byte that is not UTF-8.
            _mixed(raw, offset, "utf-8", file)
    else:
        _check_mojibake(raw, text, used, file)
        return text, used
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as err:
        raise EnkatError(
            "the file has bytes that are neither UTF-8 nor Windows-1252",
            file=file,
            row=_row_of_offset(raw, err.start),
            value=raw[err.start : err.start + 4],
            expected="text in UTF-8, UTF-8 with BOM or Windows-1252",
            hint="open the file in a text editor and save it as CSV UTF-8",
        ) from None
    # Windows-1252 first: UTF-8 rows after it read as mojibake ("Ã¤" for "ä").
    _check_mojibake(raw, text, "cp1252", file)
    return text, "cp1252"


_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_READINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}


def _bom_shift(raw: bytes, encoding: str) -> int:
    sig = encoding.replace("_", "-").lower() == "utf-8-sig"
    return 3 if sig and raw.startswith(b"\xef\xbb\xbf") else 0


def _check_mojibake(raw: bytes, text: str, used: str, file: str) -> None:
    """UTF-8 bytes read as Windows-1252 in the decoded text: a second encoding (cp1252
    files) or text garbled before it was saved (UTF-8 files)."""
    if text.isascii():
        return
    found = text_rules.find_mojibake(text)
    if found is None:
        return
    pos = found[0]
    if _READINGS.get(used.replace("_", "-").lower()) == "Windows-1252":
        _mixed(raw, pos, "cp1252", file)  # one byte per character: pos is the byte offset
    row, column, cell = locate(text, pos)
    raise EnkatError(
        "a value is garbled: UTF-8 text that was read as Windows-1252 before it was saved",
        file=file,
        row=row,
        column=column,
        value=cell,
        expected="text as it was written, e.g. 'å', 'ä', 'ö', '–' (not 'Ã¥', 'Ã¤', 'â€“')",
        hint="correct the cell in the source system, or re-export; the value reads "
        f"{text_rules.repair(cell)!r} when repaired",
    )


def locate(text: str, pos: int, delim: str | None = None) -> tuple[int, str | None, str]:
    """The spreadsheet row (header = 1), column name and cell text at character `pos`."""
    header_line = text.split("\n", 1)[0].rstrip("\r").lstrip("\ufeff")
    delim = delim or sniff_delimiter(header_line)
    line = text.count("\n", 0, pos) + 1
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    physical = text[line_start : len(text) if line_end < 0 else line_end].rstrip("\r")
    try:
        header = next(csv.reader([header_line], delimiter=delim))
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        row = 0
        start_line = 1
        for row, record in enumerate(reader, start=1):  # noqa: B007 - row is used below
            if reader.line_num >= line:
                break
            start_line = reader.line_num + 1
        if start_line != line:  # inside a cell that spans lines
            return row, None, physical
        cells = next(csv.reader([physical], delimiter=delim))
        index = len(next(csv.reader([text[line_start:pos] + "x"], delimiter=delim))) - 1
        column = header[index].strip() if index < len(header) else f"column {index + 1}"
        return row, column, cells[index] if index < len(cells) else physical
    except (csv.Error, StopIteration):
        return line, None, physical


def _mixed(raw: bytes, offset: int, first: str, file: str) -> None:
    """Two encodings in one file: where the second starts, that cell read both ways."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    line_end = raw.find(b"\n", offset)
    line = raw[line_start : len(raw) if line_end < 0 else line_end]
    utf8 = line.decode("utf-8", errors="replace")
    cp = line.decode("cp1252", errors="replace")
    # the file up to that line in the first encoding, the line itself as Windows-1252 (one
    # character per byte; delimiters and quotes are ASCII, so the cells split the same)
    prefix = raw[:line_start].decode(first, errors="replace")
    text = prefix + cp
    row, column, _ = locate(text, len(prefix) + offset - line_start)
    readings = _cells(utf8, cp, column, text)
    second = "UTF-8" if first == "cp1252" else "Windows-1252"
    message = (
        "the file mixes encodings: UTF-8 text and bytes that are not UTF-8"
        if first == "utf-8"
        else "the file mixes encodings: Windows-1252 text and UTF-8 bytes"
    )
    raise EnkatError(
        message,
        file=file,
        row=row,
        column=column,
        value=readings[1] if first == "utf-8" else readings[0],
        expected=f"one encoding throughout; this cell is the first in {second}",
        hint="the rows were probably pasted from two exports; re-export, or re-save the "
        "whole file as CSV UTF-8",
        extra=[
            f"read as UTF-8:        {readings[0]!r}",
            f"read as Windows-1252: {readings[1]!r}",
        ],
    ) from None


def _cells(utf8: str, cp: str, column: str | None, text: str) -> tuple[str, str]:
    """The cell of `column` in both readings of one line (the whole lines if unknown)."""
    if column is None:
        return utf8.rstrip("\r"), cp.rstrip("\r")
    header_line = text.split("\n", 1)[0].rstrip("\r")
    delim = sniff_delimiter(header_line)
    try:
        header = [h.strip() for h in next(csv.reader([header_line], delimiter=delim))]
        index = header.index(column)
        a = next(csv.reader([utf8.rstrip("\r")], delimiter=delim))
        b = next(csv.reader([cp.rstrip("\r")], delimiter=delim))
        return a[index], b[index]
    except (csv.Error, StopIteration, ValueError, IndexError):
        return utf8.rstrip("\r"), cp.rstrip("\r")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter used most in the header line (outside quotes); comma if none."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    limits: Limits | None = None,
) -> RawTable:
    """Read a delimited text export; encoding and delimiter sniffed unless configured."""
    file = str(path)
    raw = Path(path).read_bytes()
    limits = limits or Limits()
    check_text_limits(raw, file, limits)
    text, used = decode(raw, file, encoding)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise EnkatError(
            "the file is empty",
            file=file,
            expected="a header row and data rows",
            hint="check that the export finished and the path is right",
        )
    header_line = text.split("\n", 1)[0].rstrip("\r")
    delim = delimiter or sniff_delimiter(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=delim))
    except csv.Error as err:
        raise EnkatError(
            "the header row cannot be parsed",
            file=file,
            row=1,
            value=str(err),
            expected="column names separated by comma, semicolon or tab",
            hint="check quotes and line ends in the first row",
        ) from None
    check_width(len(header), file, limits)
    header = [text_rules.normalise(h).strip() for h in header]
    _check_title(text, header, delimiter, file)
    _check_header(header, file, delim)
    # pyarrow reads UTF-8 bytes: pass the file's own bytes when they are UTF-8 already.
    body = raw if used == "utf-8" else text.encode("utf-8")
    del raw
    data = _parse_csv(body, text, header, delim, file, normalise=not text.isascii())
    if data.empty:
        raise EnkatError(
            "the file has a header but no data rows",
            file=file,
            row=2,
            expected="one row per respondent, office or errand below the header",
            hint="check that the export included the answers",
        )
    return RawTable(data, file, "csv")


def _check_title(text: str, header: list[str], delimiter: str | None, file: str) -> None:
    """A title line above the header ("Handläggarenkät april 2022") is named as such, not
    reported as a one-column file, an empty header cell or a ragged row."""
    lines = [line.rstrip("\r") for line in text.split("\n", 4)[1:4]]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return
    delim = delimiter or sniff_delimiter(lines[0])
    try:
        rows = [next(csv.reader([line], delimiter=delim)) for line in lines]
    except (csv.Error, StopIteration):
        return
    width = len(rows[0])
    filled = [h for h in header if h]
    padded = len(filled) <= 1 and sum(1 for c in rows[0] if c.strip()) >= 2
    narrow = len(header) < width and len(rows) > 1 and len(rows[1]) == width
    title = width >= 2 and (padded or narrow)
    if title:
        raise EnkatError(
            "the first row looks like a title, not the header",
            file=file,
            row=1,
            value=text.split("\n", 1)[0].rstrip("\r"),
            expected=f"column names on row 1 (row 2 has {width} cells)",
            hint="delete the rows above the header, so that the column names are on row 1",
        )


def _check_header(header: list[str], file: str, delim: str) -> None:
    if len(header) < 2:
        raise EnkatError(
            "the file has only one column: the delimiter is not comma, semicolon or tab",
            file=file,
            row=1,
            value=header[0] if header else "",
            expected="columns separated by comma, semicolon or tab",
            hint="re-export with one of those delimiters, or set sources.<source>.delimiter",
        )
    _check_names(header, file)


def _check_names(header: list[str], file: str) -> None:
    for pos, name in enumerate(header):
        if not name:
            raise EnkatError(
                "a header cell is empty",
                file=file,
                row=1,
                column=f"column {pos + 1}",
                expected="a column name in every cell",
                hint="name the column or delete it",
            )
    seen: set[str] = set()
    folded: dict[str, str] = {}
    for name in header:
        if name in seen:
            raise EnkatError(
                "a column name appears twice in the header",
                file=file,
                row=1,
                column=name,
                expected="unique column names",
                hint="rename or delete one of the columns",
            )
        seen.add(name)
        other = folded.setdefault(name.casefold(), name)
        if other != name:  # "Q1" and "q1": config names one, and which is meant is a guess
            raise EnkatError(
                "two column names differ only in upper and lower case",
                file=file,
                row=1,
                column=name,
                value=f"{other!r} and {name!r}",
                expected="column names that differ in more than case",
                hint="rename or delete one of the two columns",
            )


def _parse_csv(
    body: bytes, text: str, header: list[str], delim: str, file: str, normalise: bool = True
) -> pd.DataFrame:
    """Parse with pyarrow (fast on a million rows); find the bad row with csv on failure.
    With `normalise` the cells follow the text rules (enkat.text), applied to the Arrow
    columns: an ASCII column is skipped in C, the others are normalised on distinct values."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        _raise_ragged(text, len(header), delim, file)
        raise EnkatError(
            "the CSV file cannot be parsed",
            file=file,
            hint="open it in a spreadsheet program and save it as CSV again",
        ) from None
    if normalise:
        table = text_rules.normalise_table(table)
    data = table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
    data = data.astype("string")
    data.index = _row_numbers(text, delim, len(data))
    return data.dropna(how="all")


def _row_numbers(text: str, delim: str, n: int) -> pd.Index:
    """Spreadsheet row numbers of the parsed records: pyarrow skips empty lines, which a
    spreadsheet shows as rows, so after an empty line the numbers come from csv."""
    if not re.search(r"\n\r?\n", text.rstrip("\r\n")):
        return pd.RangeIndex(2, n + 2, name="row")
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    numbers = [number for number, record in enumerate(reader, start=1) if record][1:]
    if len(numbers) != n:  # a cell holding an empty line: the records are the rows
        return pd.RangeIndex(2, n + 2, name="row")
    return pd.Index(numbers, name="row")


def _raise_ragged(text: str, width: int, delim: str, file: str) -> None:
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        for number, record in enumerate(reader, start=1):
            if record and len(record) != width:
                raise EnkatError(
                    "a row has a different number of cells than the header",
                    file=file,
                    row=number,
                    value=delim.join(record),
                    expected=f"{width} cells separated by {DELIMITERS.get(delim, delim)}",
                    hint="look for an unquoted delimiter or a missing cell in that row",
                )
    except csv.Error as err:
        raise EnkatError(
            "the CSV file cannot be parsed",
            file=file,
            row=reader.line_num,
            value=str(err),
            hint="look for an unclosed quote",
        ) from None


# --- XLSX ------------------------------------------------------------------------------------


# What zipfile and zlib raise on a damaged archive (bad headers, CRC, deflate data, encryption).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)


def check_zip(path: Path, limit_mb: float) -> None:
    """Refuse a corrupt XLSX, or one that would unpack to more than the limit (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
        _check_prologs(path)
    except _ZIP_ERRORS:
        raise EnkatError(
            "the XLSX file is corrupt or truncated (not a readable zip archive)",
            file=str(path),
            expected="a workbook saved by Excel or LibreOffice",
            hint="re-save or re-export the workbook",
        ) from None
    if total > limit_mb * MB:
        raise EnkatError(
            "the XLSX file would unpack to more than the configured limit (a zip bomb?)",
            file=str(path),
            value=f"{total / MB:.0f} MB uncompressed",
            expected=f"at most {limit_mb:g} MB (limits.max_xlsx_uncompressed_mb)",
            hint="if the workbook is genuine, export it as CSV or raise the limit",
        )


def _check_prologs(path: Path) -> None:
    """Refuse DTDs and entity declarations in any XML part before a parser sees them."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            with zf.open(info) as fh:
                head = fh.read(4096)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise _hostile_xml(str(path), info.filename)


def read_xlsx(
    path: str | Path, *, sheet: str | None = None, limits: Limits | None = None
) -> RawTable:
    """Read one sheet (the first unless `sheet`) of a workbook, with defused XML."""
    import openpyxl
    from defusedxml import DefusedXmlException

    path = Path(path)
    file = str(path)
    limits = limits or Limits()
    if not openpyxl.DEFUSEDXML:
        raise EnkatError(
            "openpyxl is not using defusedxml, refusing to read XLSX",
            file=file,
            hint="install defusedxml and unset OPENPYXL_DEFUSEDXML",
        )
    check_zip(path, limits.max_xlsx_uncompressed_mb)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except DefusedXmlException:
        raise _hostile_xml(file) from None
    except Exception as err:  # openpyxl raises many types on broken archives
        raise EnkatError(
            "the XLSX file cannot be opened",
            file=file,
            value=str(err)[:200],
            hint="re-save the workbook in Excel or LibreOffice",
        ) from None
    try:
        return _read_sheet(wb, path, sheet, limits)
    except DefusedXmlException:
        raise _hostile_xml(file) from None
    except EnkatError:
        raise
    except Exception as err:
        raise EnkatError(
            "the XLSX sheet cannot be read",
            file=file,
            value=str(err)[:200],
            hint="re-save the workbook in Excel or LibreOffice",
        ) from None
    finally:
        wb.close()


def _hostile_xml(file: str, part: str | None = None) -> EnkatError:
    return EnkatError(
        "the XLSX file holds XML entity or DTD declarations (refused as unsafe)",
        file=file,
        column=part,
        expected="a workbook saved by Excel or LibreOffice",
        hint="such content can exhaust memory ('billion laughs'); re-export it",
    )


def _read_sheet(wb: Any, path: Path, sheet: str | None, limits: Limits | None = None) -> RawTable:
    from openpyxl.utils import get_column_letter

    limits = limits or Limits()
    file = str(path)
    names = tuple(wb.sheetnames)
    if sheet is not None and sheet not in names:
        raise EnkatError(
            "the workbook has no sheet of the configured name",
            file=file,
            value=sheet,
            expected="one of " + ", ".join(names),
            hint="correct sources.<source>.sheet",
        )
    ws = wb[sheet] if sheet is not None else wb[names[0]]
    rows: list[list[Any]] = []
    numbers: list[int] = []
    dates: dict[int, int] = {}
    width_declared = _declared_width(ws)
    if width_declared is not None:
        check_width(width_declared, file, limits)
    for number, cells in enumerate(ws.iter_rows(), start=1):
        check_width(len(cells), file, limits)
        if number - 1 > limits.max_rows:
            raise limit_error(
                "rows", file, f"more than {limits.max_rows}", f"{limits.max_rows} rows", "max_rows"
            )
        values = []
        for pos, cell in enumerate(cells):
            value = cell.value
            if getattr(cell, "data_type", None) == "f":
                raise EnkatError(
                    "a cell holds a formula",
                    file=file,
                    row=number,
                    column=f"{get_column_letter(pos + 1)}{number}",
                    value=value,
                    expected="plain values",
                    hint="copy the sheet and paste values only",
                )
            if hasattr(value, "isoformat"):
                dates.setdefault(pos, number)
                value = value.isoformat()
            values.append(value)
        if any(v is not None and str(v).strip() != "" for v in values):
            rows.append(values)
            numbers.append(number)
    where = f"sheet {ws.title!r}"
    if not rows:
        others = [n for n in names if n != ws.title]
        raise EnkatError(
            f"the {where} is empty",
            file=file,
            expected="a header row and data rows",
            hint=(
                f"the data may be on another sheet ({', '.join(others)}): set "
                "sources.<source>.sheet"
            )
            if others
            else "check the export",
        )
    if numbers[0] != 1:
        raise EnkatError(
            f"the header is not on row 1 of the {where}",
            file=file,
            row=numbers[0],
            expected="column names on row 1",
            hint="delete the rows above the header",
        )
    width = max(len(r) for r in rows)
    header_cells = rows[0] + [None] * (width - len(rows[0]))
    while (
        header_cells
        and header_cells[-1] is None
        and all(len(r) < len(header_cells) or r[len(header_cells) - 1] is None for r in rows)
    ):
        header_cells.pop()
    width = len(header_cells)
    hidden = _hidden_rows(path, ws) & set(numbers)
    if hidden:
        first = min(hidden)
        raise EnkatError(
            f"the {where} has hidden rows that hold data",
            file=file,
            row=first,
            value=f"{len(hidden)} hidden row(s), the first row {first}",
            expected="every data row visible (a hidden row may be data someone meant to drop)",
            hint="unhide the rows in Excel or LibreOffice, then delete the ones that are not data",
        )
    merged = _merged_header(path, ws)
    if merged:
        raise EnkatError(
            "the header has merged cells",
            file=file,
            row=1,
            column=merged,
            expected="one column name per cell on row 1",
            hint="unmerge the header cells and give every column its own name",
        )
    header = [
        text_rules.normalise("" if h is None else _cell_text(h)).strip() for h in header_cells
    ]
    _check_names(header, file)
    if len(rows) == 1:
        others = [n for n in names if n != ws.title]
        raise EnkatError(
            f"the {where} has a header but no data rows",
            file=file,
            row=2,
            expected="one row per respondent, office or errand below the header",
            hint=(
                f"the data may be on another sheet ({', '.join(others)}): set "
                "sources.<source>.sheet"
            )
            if others
            else "check the export",
        )
    body = [r[:width] + [None] * (width - len(r)) for r in rows[1:]]
    data = pd.DataFrame(body, columns=header, dtype=object)
    data = data.apply(_to_text)
    data.index = pd.Index(numbers[1:], name="row")
    data = text_rules.normalise_frame(data)
    _check_cells(data, file)
    date_cols = {header[pos]: row for pos, row in dates.items() if pos < width and row > 1}
    return RawTable(data, file, "xlsx", dates=date_cols, sheets=names)


def _declared_width(ws: Any) -> int | None:
    """The sheet's column count from its dimension record (cheap; None if not given)."""
    try:
        width = ws.max_column
    except Exception:  # a missing or odd <dimension> tag: the rows are checked one by one
        return None
    return int(width) if isinstance(width, int) else None


def _hidden_rows(path: Path, ws: Any) -> set[int]:
    """Row numbers marked hidden in the sheet XML (read-only sheets do not expose them)."""
    from defusedxml.ElementTree import iterparse

    sheet_path = getattr(ws, "_worksheet_path", None)
    if not sheet_path:
        return set()
    hidden: set[int] = set()
    with zipfile.ZipFile(path) as zf, zf.open(sheet_path.lstrip("/")) as fh:
        for _, elem in iterparse(fh):
            if elem.tag.endswith("}row"):
                if elem.get("hidden") in ("1", "true") and (elem.get("r") or "").isdigit():
                    hidden.add(int(elem.get("r") or 0))
                elem.clear()
    return hidden


def _merged_header(path: Path, ws: Any) -> str | None:
    """The first merged range touching row 1 (read-only sheets do not expose merges)."""
    from defusedxml.ElementTree import iterparse

    sheet_path = getattr(ws, "_worksheet_path", None)
    if not sheet_path:
        return None
    with zipfile.ZipFile(path) as zf, zf.open(sheet_path.lstrip("/")) as fh:
        for _, elem in iterparse(fh):
            if elem.tag.endswith("}mergeCell"):
                ref = elem.get("ref", "")
                if re.match(r"^[A-Z]+1:", ref):
                    return ref
            elif elem.tag.endswith("}row"):
                elem.clear()
    return None


def _cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_text(column: pd.Series) -> pd.Series:
    """Object cells to strings, integral floats as integers, on the distinct values only."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = np.array([_cell_text(u) for u in uniques] + [None], dtype=object)
    out = pd.Series(texts[codes], index=column.index, name=column.name, dtype="string")
    return out.mask(out.str.strip() == "")


# --- SPSS ------------------------------------------------------------------------------------


def read_sav(path: str | Path, limits: Limits | None = None) -> RawTable:
    """Read an SPSS file: codes as strings, value labels kept for mapping and messages.

    ReadStat (C) is run in a child process: a damaged or hostile .sav can crash it with a
    segmentation fault, which in this process would kill the step without a message. A
    crashed child becomes the usual error about a corrupt file.
    """
    import multiprocessing

    file = str(path)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_sav_child, args=(file, send, limits or Limits()), daemon=True)
    child.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:  # the child died before it could answer
        result = None
    finally:
        receive.close()
        child.join()
    if result is None:
        raise EnkatError(
            "the SPSS file is corrupt, truncated or not an SPSS .sav file",
            file=file,
            value=f"the SPSS reader crashed (exit code {child.exitcode})",
            hint="re-export the data from the survey tool as .sav",
        )
    if "error" in result:
        raise EnkatError(**result["error"])
    data = pd.DataFrame(result["data"], dtype="string")
    data.index = pd.RangeIndex(2, len(data) + 2, name="row")
    data = text_rules.normalise_frame(data)
    _check_cells(data, file)
    labels = {
        text_rules.normalise(col): {
            text_rules.normalise(code): text_rules.normalise(label)
            for code, label in mapping.items()
        }
        for col, mapping in result["labels"].items()
    }
    dates = {text_rules.normalise(col): row for col, row in result["dates"].items()}
    return RawTable(data, file, "sav", value_labels=labels, dates=dates)


def _check_cells(data: pd.DataFrame, file: str) -> None:
    """XLSX and SPSS cells are text already: refuse one garbled by a wrong decoding."""
    for column in data.columns:
        for value in pd.unique(data[column].dropna()):
            value = str(value)
            if value.isascii() or text_rules.find_mojibake(value) is None:
                continue
            row = int(data.index[(data[column] == value).fillna(False).to_numpy(dtype=bool)][0])
            raise EnkatError(
                "a value is garbled: UTF-8 text that was read as Windows-1252 before it was saved",
                file=file,
                row=row,
                column=str(column),
                value=value,
                expected="text as it was written, e.g. 'å', 'ä', 'ö', '–' (not 'Ã¥', 'Ã¤', 'â€“')",
                hint="correct the cell in the source system, or re-export; the value reads "
                f"{text_rules.repair(value)!r} when repaired",
            )


def _sav_child(file: str, send: Any, limits: Limits | None = None) -> None:
    """In the child process: read the file and send plain data (or the error's fields)."""
    import dataclasses
    import faulthandler

    faulthandler.disable()  # a crash here is reported by the parent, not as a stack dump
    try:
        _check_sav_limits(file, limits or Limits())
        data, labels, dates = _parse_sav(file)
        result: dict[str, Any] = {
            "data": {name: data[name].to_numpy(dtype=object) for name in data.columns},
            "labels": labels,
            "dates": dates,
        }
    except EnkatError as err:
        result = {"error": {f.name: getattr(err, f.name) for f in dataclasses.fields(err)}}
    except Exception as err:  # pyreadstat raises its own and OS errors on broken files
        result = {
            "error": {
                "message": "the SPSS file is corrupt, truncated or not an SPSS .sav file",
                "file": file,
                "value": str(err)[:200],
                "hint": "re-export the data from the survey tool as .sav",
            }
        }
    send.send(result)
    send.close()


def _check_sav_limits(file: str, limits: Limits) -> None:
    """Variables and cases of an SPSS file from its header, before any data is read."""
    import pyreadstat

    try:
        _, head = pyreadstat.read_sav(file, metadataonly=True)
    except Exception:  # a damaged file: _parse_sav reports it as such
        return
    check_width(int(head.number_columns or 0), file, limits)
    if head.number_rows is not None and head.number_rows > limits.max_rows:
        raise limit_error(
            "rows", file, f"{head.number_rows} cases", f"{limits.max_rows} rows", "max_rows"
        )


def _parse_sav(file: str) -> tuple[pd.DataFrame, dict[str, dict[str, str]], dict[str, int]]:
    import pyreadstat

    frame, meta = pyreadstat.read_sav(file, apply_value_formats=False)
    if frame.shape[1] < 1:
        raise EnkatError("the SPSS file has no variables", file=file)
    if frame.empty:
        raise EnkatError(
            "the SPSS file has variables but no cases",
            file=file,
            row=2,
            expected="one case per respondent",
        )
    dates = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col) or (
            col.dtype == object and col.map(lambda v: hasattr(v, "isoformat")).any()
        ):
            dates[str(name)] = 2 + int(np.flatnonzero(col.notna().to_numpy())[0])
    data = frame.apply(_to_text)
    labels = {
        str(col): {_cell_text(code): str(label) for code, label in mapping.items()}
        for col, mapping in (meta.variable_value_labels or {}).items()
    }
    return data, labels, dates
