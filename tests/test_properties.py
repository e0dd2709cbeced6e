"""Property tests (issue 6 point 4): accepted exports round-trip; bytes never crash."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enkat.codebook import load_codebook, map_answers
from enkat.errors import EnkatError
from enkat.ingest.problems import Problems
from enkat.readers import read_input
from tests.test_ingest import Project

_TMP = Path(tempfile.mkdtemp(prefix="enkat-props-"))
BOOK = load_codebook(Project(_TMP).root / "handlers.yaml")
SINGLE = [v for v in BOOK.variables() if v.type != "multiple" and v.filter is None]


@st.composite
def exports(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[str, list[str | None]]]:
    """An export of unfiltered single/grid items, each cell a code, a label or empty."""
    n = draw(st.integers(1, 8))
    raw: dict[str, list[str | None]] = {}
    labels: dict[str, list[str | None]] = {}
    for var in SINGLE:
        item = BOOK.item(var.item)
        picks = draw(st.lists(st.sampled_from([None, *item.options]), min_size=n, max_size=n))
        as_label = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        raw[var.column] = [
            None if o is None else (o.label if lab else o.code)
            for o, lab in zip(picks, as_label, strict=True)
        ]
        labels[var.name] = [None if o is None else o.label for o in picks]
    frame = pd.DataFrame(raw, index=pd.RangeIndex(2, n + 2), dtype="string")
    for column in BOOK.columns():
        if column not in frame:
            frame[column] = pd.Series([None] * n, index=frame.index, dtype="string")
    return frame, labels


@given(exports())
@settings(max_examples=60, deadline=None)
def test_accepted_exports_round_trip_to_the_same_labels(case) -> None:  # type: ignore[no-untyped-def]
    frame, labels = case
    problems = Problems("x.csv")
    out = map_answers(BOOK, frame, problems)
    assert not problems
    for name, expected in labels.items():
        got = [None if pd.isna(v) else v for v in out[name].tolist()]
        assert got == expected


@given(st.binary(max_size=400), st.sampled_from(["csv", "xlsx", "sav"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_bytes_parse_or_raise_enkat_error(data: bytes, suffix: str) -> None:
    path = _TMP / f"input.{suffix}"
    path.write_bytes(data)
    try:
        raw = read_input(path)
    except EnkatError:
        return
    assert all(str(t) == "string" for t in raw.data.dtypes)


@given(st.text(max_size=200), st.sampled_from([",", ";", "\t"]))
@settings(max_examples=150, deadline=None)
def test_any_text_parses_or_raises_enkat_error(text: str, delim: str) -> None:
    path = _TMP / "text.csv"
    path.write_text("a" + delim + "b\n" + text, encoding="utf-8")
    with contextlib.suppress(EnkatError):
        read_input(path)


@given(
    exports(), st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), st.sampled_from([",", ";", "\t"])
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exports_written_as_csv_round_trip_through_the_reader(
    case,
    encoding: str,  # type: ignore[no-untyped-def]
    delim: str,
) -> None:
    """The same export in any accepted encoding and delimiter reads back to the same labels."""
    frame, labels = case
    frame = frame.copy()
    frame.insert(0, "respondent_id", [f"R{i}" for i in range(len(frame))])
    path = _TMP / f"export-{encoding}.csv"
    frame.to_csv(path, sep=delim, index=False, encoding=encoding, lineterminator="\r\n")
    raw = read_input(path)
    assert list(raw.data.index) == list(frame.index)
    problems = Problems(str(path))
    out = map_answers(BOOK, raw.data, problems)
    assert not problems
    for name, expected in labels.items():
        assert [None if pd.isna(v) else v for v in out[name].tolist()] == expected


def _valid_files() -> dict[str, bytes]:
    """A small valid XLSX and SAV, for the mutation test below."""
    import openpyxl
    import pyreadstat

    frame = pd.DataFrame({"id": ["a", "b", "c"], "q": [1.0, 2.0, None]})
    xlsx, sav = _TMP / "valid.xlsx", _TMP / "valid.sav"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "q"])
    for row in frame.itertuples(index=False):
        wb.active.append([row.id, None if pd.isna(row.q) else row.q])
    wb.save(xlsx)
    pyreadstat.write_sav(frame, str(sav), variable_value_labels={"q": {1: "Ja", 2: "Nej"}})
    return {"xlsx": xlsx.read_bytes(), "sav": sav.read_bytes()}


VALID = _valid_files()


@given(
    st.sampled_from(sorted(VALID)),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_damaged_xlsx_and_sav_parse_or_raise_enkat_error(
    suffix: str, flips: list[tuple[int, int]], cut: int | None
) -> None:
    """Real files with bytes overwritten or cut short (corrupt or truncated exports)."""
    data = bytearray(VALID[suffix])
    for pos, byte in flips:
        data[pos % len(data)] = byte
    if cut is not None:
        data = data[: cut % len(data)]
    path = _TMP / f"damaged.{suffix}"
    path.write_bytes(bytes(data))
    try:
        raw = read_input(path)
    except EnkatError:
        return
    assert all(str(t) == "string" for t in raw.data.dtypes)
