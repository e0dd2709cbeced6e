"""What every source's ingest shares: reading, column selection, row checks, writing.

A source's ingest reads its raw file, records every bad cell in `Problems`, then `finish`
either stops with one error (`on_invalid: stop`, the default) or sets the bad rows aside in
`processed/rejected_<source>.csv` (`on_invalid: reject`), and writes the processed Parquet,
the rejected rows and the source's audit trail, each to a temporary name then renamed, so
a failed step leaves nothing behind.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enkat.audit import AuditTrail, write_csv_atomic
from enkat.errors import EnkatError
from enkat.ingest.problems import Problems
from enkat.readers import Limits, RawTable, read_input
from enkat.text import escape, invisible_problems, normalise, normalise_code, prints_same

REGISTER_COLUMNS = ["office_type", "region", "area"]


@dataclass(frozen=True)
class Settings:
    """The config values ingest needs besides the source's own block."""

    office_types: Mapping[str, str]
    regions: Sequence[str]
    limits: Limits = field(default_factory=Limits)
    free_text: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        report = config.get("report") or {}
        return cls(
            {
                normalise(str(k)): normalise(str(v))
                for k, v in config["register"]["office_types"].items()
            },
            [normalise(str(r)) for r in config["register"]["regions"]],
            Limits.from_config(config.get("limits")),
            tuple(report.get("free_text") or ()),
        )


@dataclass(frozen=True)
class Outputs:
    """Where one source's ingest writes."""

    data: str | Path  # processed/<source>.parquet
    rejected: str | Path  # processed/rejected_<source>.csv
    audit: str | Path  # processed/audit/<source>.csv


def read_source(
    spec: Mapping[str, Any], settings: Settings, path: str | Path | None = None
) -> RawTable:
    """The raw file of a source, with the source's sheet, encoding and delimiter settings."""
    return read_input(
        path or spec["path"],
        sheet=spec.get("sheet"),
        encoding=spec.get("encoding"),
        delimiter=spec.get("delimiter"),
        limits=settings.limits,
    )


def select(
    raw: RawTable,
    spec: Mapping[str, Any],
    source: str,
    required: Sequence[str],
    extra: Iterable[str] = (),
) -> pd.DataFrame:
    """The configured columns under their standard names (config `columns`), plus `extra`.

    A missing column names what the export does have and the nearest name.
    """
    mapping = dict(spec.get("columns") or {})
    for name in required:
        if name not in mapping:
            raise EnkatError(
                "a required column is not configured",
                file="config/config.yaml",
                key=f"sources.{source}.columns.{name}",
                expected=f"the export's column name for {name}",
                hint=f"add {name}: <column> under sources.{source}.columns",
            )
    have = list(raw.data.columns)
    wanted = {**{v: k for k, v in mapping.items()}, **{c: c for c in extra}}
    for column in wanted:
        if column not in have:
            raise missing_column(raw, column, f"sources.{source}.columns")
    for column, name in mapping.items():
        if name in raw.dates:
            raise EnkatError(
                "a date where text or a code is expected",
                file=raw.file,
                row=raw.dates[name],
                column=name,
                value=raw.data.at[raw.dates[name], name],
                expected=f"the {column.replace('_', ' ')} as text (sources.{source}.columns)",
                hint="the spreadsheet turned the value into a date: format the column as "
                "text and re-enter the values, or export as CSV",
            )
    out = raw.data[list(wanted)].copy()
    out.columns = list(wanted.values())
    return out


def used_columns(spec: Mapping[str, Any], extra: Iterable[str] = ()) -> list[str]:
    """The raw columns a source reads (its configured columns and `extra`)."""
    return [*(spec.get("columns") or {}).values(), *extra]


def check_text(raw: RawTable, columns: Iterable[str], problems: Problems) -> None:
    """Invisible characters in the ids, codes and categories a source reads (enkat.text)."""
    invisible_problems(raw.data, [c for c in columns if c in raw.data.columns], problems)


def missing_column(raw: RawTable, column: str, where: str) -> EnkatError:
    close = difflib.get_close_matches(column, list(raw.data.columns), n=1)
    hint = (
        f"the file has {close[0]!r}: rename it, or correct {where}"
        + (
            f" (they print the same but differ: {escape(column)} and {escape(close[0])})"
            if close and prints_same(column, close[0])
            else ""
        )
        if close
        else f"re-export with the column, or correct {where}"
    )
    if len(raw.sheets) > 1:
        hint += "; or the data is on another sheet (sources.<source>.sheet)"
    shown = ", ".join(list(raw.data.columns)[:12]) + (" ..." if raw.data.shape[1] > 12 else "")
    return EnkatError(
        "a column is missing from the file",
        file=raw.file,
        row=1,
        column=column,
        expected=f"a column named {column!r} (the file has: {shown})",
        hint=hint,
    )


def blank(values: pd.Series) -> np.ndarray:
    """Empty or whitespace-only cells (stripped once per distinct value: a million-row
    column holds few distinct codes)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    empty = np.array([not str(u).strip() for u in uniques] + [True], dtype=bool)
    return empty[codes]


def trim_text(data: pd.DataFrame, names: Sequence[str]) -> int:
    """Strip leading and trailing spaces in category columns that have no allowed list
    (wave, agency, solution): a hand-edited "Skatteverket " would otherwise be a category
    of its own. Blank cells become null. Returns the number of cells changed (audited)."""
    changed = 0
    for name in names:
        # on the distinct values only: a million-row column holds a few categories
        codes, uniques = pd.factorize(data[name], use_na_sentinel=True)
        texts = [str(u).strip() or None for u in uniques]
        differs = np.array([t != str(u) for t, u in zip(texts, uniques, strict=True)] + [False])
        changed += int(differs[codes].sum())
        data[name] = pd.array(np.array([*texts, None], dtype=object)[codes], dtype="string")
    return changed


def audit_trimmed(audit: AuditTrail, rows: int, cells: int, names: Sequence[str]) -> None:
    if cells:
        audit.add(
            "recode",
            rows,
            rows,
            f"{cells} cell(s) of {', '.join(names)} stripped of leading or trailing spaces",
        )


def require(data: pd.DataFrame, name: str, column: str, problems: Problems, what: str) -> None:
    """Every row has a value in a column."""
    problems.add_mask(
        data,
        blank(data[name]),
        column,
        None,
        f"the {what} is empty",
        f"a {what} in every row",
        "fill in the value or delete the row",
    )


def unique(data: pd.DataFrame, name: str, column: str, problems: Problems, what: str) -> None:
    """No value appears twice (every copy after the first is a problem)."""
    values = data[name]
    dup = (values.duplicated(keep=False) & values.notna()).to_numpy(dtype=bool)
    if not dup.any():
        return
    rows = data.index.to_numpy()[dup]
    first = pd.Series(rows).groupby(values[dup].to_numpy()).transform("min").to_numpy()
    later = rows != first
    hints = np.char.add(f"the same {what} is also on row ", first[later].astype(str))
    problems.add(
        rows[later],
        column,
        values[dup].to_numpy(dtype=object)[later],
        f"a duplicated {what}",
        f"each {what} once",
        hints.astype(object),
    )


def non_negative_integers(
    data: pd.DataFrame, name: str, column: str, problems: Problems, allow_empty: bool = False
) -> pd.Series:
    """Whole numbers >= 0 (nullable Int64); '1.0' counts as 1, '1 234' does not."""
    text = data[name].str.strip()
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    norm = np.array([normalise_code(str(u)) for u in uniques] + [""], dtype=object)[codes]
    empty = pd.Series(norm, index=data.index).isin(["", "nan"]).to_numpy()
    ok = pd.Series(norm, index=data.index).str.fullmatch(r"\d+").to_numpy(dtype=bool)
    bad = ~ok & ~(empty & allow_empty)
    negative = pd.Series(norm).str.fullmatch(r"-\d+").to_numpy(dtype=bool)
    hint = np.where(
        negative,
        "a count cannot be negative; correct the value",
        np.where(
            empty,
            "fill in the count",
            "write the count as digits only (no spaces, decimals or text)",
        ),
    )
    problems.add_mask(
        data,
        bad,
        column,
        data[name],
        "not a non-negative whole number",
        "a whole number 0 or more",
        hint,
    )
    out = pd.Series(pd.NA, index=data.index, dtype="Int64")
    out[ok] = pd.to_numeric(pd.Series(norm[ok], index=data.index[ok])).astype("Int64")
    return out


def in_register(
    data: pd.DataFrame, register: pd.DataFrame, column: str, problems: Problems
) -> pd.DataFrame:
    """Join office type, region and area; an office missing from the register is a problem."""
    reg = register.set_index("office_id")[REGISTER_COLUMNS]
    known = data["office_id"].isin(reg.index).to_numpy(dtype=bool)
    filled = ~blank(data["office_id"])
    if (filled & ~known).any():
        stripped = data["office_id"].str.strip().isin(reg.index).to_numpy(dtype=bool)
        hint = np.where(
            stripped,
            "the id has spaces before or after it: delete them",
            "correct the office id, or add the office to the register",
        )
        problems.add_mask(
            data,
            filled & ~known,
            column,
            data["office_id"],
            "the office is not in the office register",
            "an office id of processed/register.parquet",
            hint,
        )
    joined = reg.reindex(data["office_id"].to_numpy())
    joined.index = data.index
    for name in REGISTER_COLUMNS:
        data[name] = joined[name].astype("string")
    return data


def read_register(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path)


def clean_rows(data: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """The rows without problems (what reject mode keeps)."""
    if not problems:
        return data
    return data.drop(index=data.index.intersection(problems.rows()))


def finish(
    source: str,
    spec: Mapping[str, Any],
    raw: RawTable,
    data: pd.DataFrame,
    problems: Problems,
    audit: AuditTrail,
    outputs: Outputs,
    private_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """Stop or reject on problems, then write data, rejected rows and audit atomically."""
    mode = spec.get("on_invalid", "stop")
    if mode == "stop":
        problems.raise_if_any(source)
    table = problems.frame()
    bad = pd.Index(table["row"].unique())
    rows_in = len(data)
    kept = data.drop(index=data.index.intersection(bad))
    if problems and kept.empty:
        problems.raise_if_any(source)
    if problems:
        audit.add(
            "reject",
            rows_in,
            len(kept),
            f"{len(bad)} row(s) with {len(table)} problem(s) set aside in "
            f"{Path(outputs.rejected).name} (on_invalid: reject)",
        )
    rejected = _rejected(raw, table, private_columns, spec.get("non_personal") or (), source)
    write_parquet(kept.reset_index(drop=True), outputs.data)
    write_csv_atomic(rejected, outputs.rejected)
    write_csv_atomic(audit.frame(), outputs.audit)
    return kept.reset_index(drop=True)


Build = Callable[[RawTable, Mapping[str, Any], pd.DataFrame, Problems], pd.DataFrame]


def ingest_joined(
    source: str,
    build: Build,
    spec: Mapping[str, Any],
    settings: Settings,
    register_path: str | Path,
    outputs: Outputs,
    path: str | Path | None = None,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """The pipeline step of a source checked against the register (frame, visits, errands).

    `build` selects and checks the columns and joins the register; this records the read, the
    join and the trimmed text in the audit trail and hands over to `finish`.
    """
    raw = read_source(spec, settings, path)
    audit = AuditTrail(source, raw.file)
    read_audit_step(raw, audit)
    problems = Problems(raw.file)
    check_text(raw, used_columns(spec, spec.get("variables") or ()), problems)
    data = build(raw, spec, read_register(register_path), problems)
    audit.add("join", len(data), len(data), "office type, region and area from the register")
    if text_columns:
        audit_trimmed(audit, len(data), trim_text(data, text_columns), text_columns)
    return finish(source, spec, raw, data, problems, audit, outputs)


def _rejected(
    raw: RawTable,
    table: pd.DataFrame,
    private_columns: Iterable[str],
    non_personal: Sequence[str] = (),
    source: str = "",
) -> pd.DataFrame:
    """One line per problem: row, column and reason, then only the raw columns the config
    declares non-personal (`sources.<source>.non_personal`; free text never). The bad
    value itself is left out: it may be the personal datum (an e-mail address, a name)."""
    private = set(private_columns)
    for name in non_personal:
        if name not in raw.data.columns:
            raise EnkatError(
                "a column declared non-personal is not in the file",
                file=raw.file,
                key=f"sources.{source}.non_personal",
                value=name,
                expected="one of " + ", ".join(map(str, raw.data.columns[:20])),
                hint="use the column names of the raw file, or remove the entry",
            )
    kept = [c for c in non_personal if c not in private]
    rows = raw.data[kept]
    lines = table[["row", "column", "reason"]].copy()
    if lines.empty:
        return pd.DataFrame(columns=["row", "column", "reason", *rows.columns])
    raw_rows = rows.reindex(lines["row"].to_numpy()).reset_index(drop=True)
    raw_rows.columns = [c if c not in lines.columns else f"raw_{c}" for c in raw_rows.columns]
    return pd.concat([lines.reset_index(drop=True), raw_rows], axis=1)


def write_parquet(data: pd.DataFrame, path: str | Path) -> None:
    """Parquet without the pandas index, to a temporary name then renamed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from enkat.atomic import atomic_path

    table = pa.Table.from_pandas(data, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_audit_step(raw: RawTable, audit: AuditTrail) -> None:
    """The read step: rows read, and fully blank rows skipped."""
    last = int(raw.data.index.max()) if len(raw.data) else 1
    total = last - 1
    skipped = total - len(raw.data)
    detail = f"read {raw.kind.upper()}"
    if skipped > 0:
        detail += f"; {skipped} blank row(s) skipped"
    audit.add("read", max(total, len(raw.data)), len(raw.data), detail)
