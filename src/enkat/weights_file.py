"""A survey's design file on disk: `processed/weights_<survey>.csv` (the contract) and its
Parquet mirror `processed/weights_<survey>.parquet`, which the table steps read.

The mirror is converted from the CSV itself, so both hold the same values bit for bit, with
strata and PSUs dictionary-encoded. Its schema metadata records two facts the weighting step
finds once, so that each of the many table steps need not read a million respondent ids:
whether every respondent is its own PSU (a census), and - only when the rows are exactly
those of `processed/<survey>.parquet`, in that order - that file's SHA-256.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from enkat.audit import sha256_file
from enkat.errors import EnkatError

WEIGHT_COLUMNS = ("respondent_id", "weight", "stratum", "population_size", "psu")
WEIGHT_TYPES = {
    "respondent_id": pa.string(),
    "stratum": pa.string(),
    "psu": pa.string(),
    "weight": pa.float64(),
    "population_size": pa.float64(),
}
CENSUS = b"enkat.census"
SURVEY_SHA256 = b"enkat.survey_sha256"


def calibration_columns(path: str | Path) -> list[str]:
    """The calibration columns of a weights file (`calibration`, then `cal_<margin>` in file
    order; enkat.calibration), empty for a design whose weights are fixed."""
    if Path(path).suffix == ".parquet":
        names = pq.read_schema(path).names
    else:
        import csv

        with open(path, encoding="utf-8", newline="") as handle:
            names = next(csv.reader(handle), [])
    extra = [n for n in names if n.startswith("cal_")]
    return ["calibration", *extra] if extra and "calibration" in names else []


def read_weights_table(path: str | Path, columns: Sequence[str] = WEIGHT_COLUMNS) -> pa.Table:
    """Columns of a weights file (Parquet or CSV) as Arrow, typed as `WEIGHT_TYPES`
    (calibration columns as text)."""
    types = {**WEIGHT_TYPES, **{c: pa.string() for c in columns if c not in WEIGHT_TYPES}}
    try:
        if Path(path).suffix == ".parquet":
            coded = [c for c in ("stratum", "psu") if c in columns]
            coded += [c for c in columns if c.startswith("cal_") or c == "calibration"]
            return pq.read_table(path, columns=list(columns), read_dictionary=coded)
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(column_types=types, include_columns=list(columns)),
        )
    except (pa.ArrowInvalid, KeyError) as err:
        raise EnkatError(
            "the weights file cannot be read",
            file=str(path),
            value=str(err),
            expected=", ".join(WEIGHT_COLUMNS),
            hint="rerun the weighting step",
        ) from err


def is_census(table: pa.Table) -> bool:
    """Every respondent is its own PSU (`psu == respondent_id` on every row)."""
    return bool(pc.all(pc.equal(table["psu"], table["respondent_id"])).as_py())


def in_survey_order(ids: pa.ChunkedArray, survey_path: str | Path) -> bool:
    """The ids are the survey file's respondent ids, in its row order."""
    survey = pq.read_table(survey_path, columns=["respondent_id"])["respondent_id"]
    return len(survey) == len(ids) and bool(pc.all(pc.equal(survey.cast(pa.string()), ids)).as_py())


def _restore_text(table: pa.Table) -> pa.Table:
    """Undo enkat.csvsafe's apostrophe in the text columns (ids read back as written)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type):
            column = table[field.name]
            encoded = pc.match_substring_regex(column, r"^'['=+\-@\t\r]")
            restored = pc.if_else(encoded, pc.utf8_slice_codeunits(column, 1), column)
            table = table.set_column(i, field.name, restored)
    return table


def write_parquet_mirror(
    csv_path: str | Path, parquet_path: str | Path, survey_path: str | Path | None = None
) -> None:
    """The Parquet mirror of a weights CSV (see the module docstring)."""
    table = _restore_text(
        read_weights_table(csv_path, [*WEIGHT_COLUMNS, *calibration_columns(csv_path)])
    )
    facts = {CENSUS: b"true" if is_census(table) else b"false"}
    if survey_path is not None and in_survey_order(table["respondent_id"], survey_path):
        facts[SURVEY_SHA256] = sha256_file(survey_path).encode()
    for name in ("stratum", "psu", *[c for c in table.column_names if c.startswith("cal_")]):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table[name].dictionary_encode())
    from enkat.atomic import atomic_path

    with atomic_path(parquet_path) as tmp:
        pq.write_table(table.replace_schema_metadata(facts), tmp)


def recorded_facts(
    path: str | Path, survey_path: str | Path | None = None
) -> tuple[bool | None, bool]:
    """What a Parquet mirror records: census (None if unknown, and for a CSV) and whether
    its rows are those of `survey_path` as that file is now (its SHA-256 still matches)."""
    if Path(path).suffix != ".parquet":
        return None, False
    try:
        meta = pq.read_schema(path).metadata or {}
    except (pa.ArrowInvalid, OSError) as err:
        raise EnkatError(
            "the weights file cannot be read",
            file=str(path),
            value=str(err),
            hint="rerun the weighting step",
        ) from err
    census = {b"true": True, b"false": False}.get(meta.get(CENSUS, b""))
    recorded = meta.get(SURVEY_SHA256)
    in_order = (
        recorded is not None
        and survey_path is not None
        and Path(survey_path).is_file()
        and recorded.decode() == sha256_file(survey_path)
    )
    return census, in_order
