"""Survey exports (handlers, customers): one row per respondent, answers as labels.

The codebook maps codes or exact labels to labels; nonresponse codes and filtered-out
("not asked") cells become null; free-text items are dropped unless config
`report.free_text` names them. Respondents are checked against the register (their
office) and, for the handler census, against the frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from enkat.audit import AuditTrail
from enkat.codebook import (
    Codebook,
    check_columns,
    check_value_labels,
    load_codebook,
    map_answers,
)
from enkat.errors import EnkatError
from enkat.ingest.common import (
    REGISTER_COLUMNS,
    Outputs,
    Settings,
    audit_trimmed,
    blank,
    check_text,
    clean_rows,
    finish,
    in_register,
    read_audit_step,
    read_register,
    read_source,
    require,
    select,
    trim_text,
    unique,
    used_columns,
)
from enkat.ingest.problems import Problems
from enkat.readers import RawTable

ID_COLUMNS = ["respondent_id", "office_id"]
CATEGORIES = ["wave", "mode", "language", "agency"]  # customers: stripped of stray spaces


def check_no_dates(book: Codebook, raw: RawTable) -> None:
    """A spreadsheet turned a code into a date (1/2 -> 1 Feb): refuse before mapping."""
    for column in book.columns():
        if column in raw.dates:
            raise EnkatError(
                "a date where an answer code is expected",
                file=raw.file,
                row=raw.dates[column],
                column=column,
                value=raw.data.at[raw.dates[column], column],
                expected="an answer code or label",
                hint="format the column as text in the spreadsheet and re-enter "
                "the codes, or export as CSV",
            )


def link_frame(
    data: pd.DataFrame, frame: pd.DataFrame, columns: Mapping[str, str], problems: Problems
) -> bool:
    """Respondent ids that are frame person ids must all be; anonymous ids link by office.

    A linked respondent's office must be their office in the frame: weighting counts the
    frame by office type, so a respondent counted under another office would be weighted
    against the wrong class.
    """
    in_frame = data["respondent_id"].isin(frame["person_id"]).to_numpy(dtype=bool)
    if not in_frame.any():
        return False
    problems.add_mask(
        data,
        ~in_frame & ~blank(data["respondent_id"]),
        columns["respondent_id"],
        data["respondent_id"],
        "the respondent is not in the handler frame",
        "a person id of processed/frame.parquet",
        "correct the respondent id, or add the handler to the frame",
    )
    framed = data["respondent_id"].map(frame.set_index("person_id")["office_id"])
    known = data["office_type"].notna().to_numpy(dtype=bool)  # unknown offices: in_register
    differs = (
        in_frame
        & known
        & (framed.astype("string") != data["office_id"]).fillna(False).to_numpy(dtype=bool)
    )
    problems.add_mask(
        data,
        differs,
        columns["office_id"],
        data["office_id"],
        "the respondent's office differs from their office in the handler frame",
        "the office of the handler's main workplace, as in the frame",
        (
            "the frame has office " + framed.astype("string") + " for this handler: correct the "
            "office in the export or in the frame"
        ).to_numpy(dtype=object),
    )
    return True


def build_survey(
    survey: str,
    raw: RawTable,
    spec: Mapping[str, Any],
    book: Codebook,
    register: pd.DataFrame,
    frame: pd.DataFrame | None,
    settings: Settings,
    problems: Problems,
) -> tuple[pd.DataFrame, bool]:
    """Respondent rows: ids, register columns, other configured columns, then the items."""
    cols = dict(spec.get("columns") or {})
    check_columns(book, raw.data.columns, raw.file, raw.sheets)
    check_value_labels(book, raw.value_labels, raw.file)
    check_no_dates(book, raw)
    data = select(raw, spec, survey, ID_COLUMNS)
    others = [c for c in cols if c not in ID_COLUMNS]
    require(data, "respondent_id", cols["respondent_id"], problems, "respondent id")
    require(data, "office_id", cols["office_id"], problems, "office id")
    if "wave" in others:
        require(data, "wave", cols["wave"], problems, "wave")
    unique(data, "respondent_id", cols["respondent_id"], problems, "respondent id")
    data = in_register(data, register, cols["office_id"], problems)
    linked = False
    if frame is not None:
        linked = link_frame(data, frame, cols, problems)
    answers = map_answers(book, raw.data, problems, raw.value_labels, settings.free_text)
    out = pd.concat([data[[*ID_COLUMNS, *REGISTER_COLUMNS, *others]], answers], axis=1)
    return out, linked


def _audit_answers(
    book: Codebook, raw: RawTable, data: pd.DataFrame, audit: AuditTrail, settings: Settings
) -> None:
    n = len(data)
    audit.add("recode", n, n, "answer codes to codebook labels")
    rows = raw.data.loc[data.index]
    nonresponse = 0
    for var in book.variables():
        if var.type == "multiple":
            continue
        filled = ~blank(rows[var.column])
        nonresponse += int((filled & data[var.name].isna().to_numpy()).sum())
    if nonresponse:
        audit.add(
            "recode",
            n,
            n,
            f"{nonresponse} answer(s) with a nonresponse code set to null (item nonresponse)",
        )
    for item in book.items:
        if item.type == "multiple":
            first = f"{item.id}_{item.options[0].id}"
            skipped = int(data[first].isna().sum())
            if skipped:
                audit.add(
                    "recode",
                    n,
                    n,
                    f"{item.id}: {skipped} respondent(s) chose no option "
                    "(set to null: question skipped)",
                )
        if item.type == "text" and item.id not in settings.free_text:
            answered = int((~blank(rows[str(item.column)])).sum())
            audit.add(
                "drop_column",
                n,
                n,
                f"free-text item {item.id} left out of processed "
                f"data ({answered} answer(s); config report.free_text)",
            )


def answers_without_visits(
    data: pd.DataFrame, spec: Mapping[str, Any], visits_path: str | Path, problems: Problems
) -> None:
    """Customers who answered at an office whose visits in that wave are 0: the visits file
    or the answers are wrong, and weighting by visits would give them no weight."""
    if "wave" not in data.columns or "office_id" not in data.columns:
        return
    visits = pd.read_parquet(visits_path, columns=["office_id", "wave", "visits"])
    zero = visits[visits["visits"].astype("Float64").fillna(1) == 0]
    if zero.empty:
        return
    keys = set(
        zip(zero["office_id"].astype(str), zero["wave"].astype(str).str.strip(), strict=True)
    )
    office = data["office_id"].astype("string").fillna("")
    wave = data["wave"].astype("string").fillna("").str.strip()
    mask = np.fromiter(
        ((o, w) in keys for o, w in zip(office, wave, strict=True)), dtype=bool, count=len(data)
    )
    cols = spec.get("columns") or {}
    problems.add_mask(
        data,
        mask,
        str(cols.get("office_id", "office_id")),
        (office + " / " + wave).to_numpy(dtype=object),
        "answers from an office whose visits in that wave are 0 (in the visits file)",
        "an office and wave with visits above 0",
        "correct the visits file, or the office or wave of the answer",
    )


def ingest_survey(
    survey: str,
    spec: Mapping[str, Any],
    settings: Settings,
    codebook_path: str | Path,
    register_path: str | Path,
    outputs: Outputs,
    frame_path: str | Path | None = None,
    path: str | Path | None = None,
    visits_path: str | Path | None = None,
) -> pd.DataFrame:
    """Pipeline step: processed/<survey>.parquet from a survey export and its codebook."""
    book = load_codebook(codebook_path)
    raw = read_source(spec, settings, path)
    audit = AuditTrail(survey, raw.file)
    read_audit_step(raw, audit)
    items = len(book.items)
    audit.add(
        "read",
        items,
        items,
        f"codebook: {items} items, {len(book.variables())} variables",
        file=codebook_path,
    )
    problems = Problems(raw.file)
    text_columns = {str(i.column) for i in book.text_items()}
    coded = [c for c in book.columns() if c not in text_columns]
    check_text(raw, used_columns(spec, coded), problems)
    frame = pd.read_parquet(frame_path, columns=["person_id", "office_id"]) if frame_path else None
    data, linked = build_survey(
        survey, raw, spec, book, read_register(register_path), frame, settings, problems
    )
    categories = [c for c in CATEGORIES if c in data.columns]
    trimmed = trim_text(data, categories)
    if visits_path is not None:
        answers_without_visits(data, spec, visits_path, problems)
    good = clean_rows(data, problems)
    audit.add("join", len(good), len(good), "office type, region and area from the register")
    audit_trimmed(audit, len(good), trimmed, categories)
    if frame is not None:
        audit.add(
            "link",
            len(good),
            len(good),
            "respondent ids are frame person ids"
            if linked
            else "respondent ids are not frame person ids: nonresponse linked by office",
        )
    _audit_answers(book, raw, good, audit, settings)
    private = [str(i.column) for i in book.text_items() if i.id not in settings.free_text]
    return finish(survey, spec, raw, data, problems, audit, outputs, private_columns=private)
