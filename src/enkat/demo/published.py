"""The published tables the demo reproduces (a copy of the report's tables, shipped with the
generator so that the demo can be rebuilt without the reference folder)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PUBLISHED_CSV = Path(__file__).with_name("published_tables.csv")


def published_tables(path: Path = PUBLISHED_CSV) -> pd.DataFrame:
    """All published cells; `question_sv` filled down within each table."""
    frame = pd.read_csv(
        path,
        dtype={"count": "Int64", "percent": "Float64"},
        keep_default_na=False,
        na_values={"count": [""], "percent": [""]},
    )
    frame["question_sv"] = frame["question_sv"].replace("", pd.NA).groupby(frame["table"]).ffill()
    return frame


def cells(frame: pd.DataFrame, table: str, row: str | None = None) -> pd.DataFrame:
    """The cells of one table (and one row), in published order."""
    part = frame[frame["table"] == table]
    return part if row is None else part[part["row"] == row]


TYPE_ORDER = ("stort", "mellanstort", "litet")
TYPE_LABEL = {"stort": "Stort kontor", "mellanstort": "Mellanstort kontor", "litet": "Litet kontor"}


@dataclass(frozen=True)
class Breakdown:
    """A published share by office type of one answer category (codes = 1-based option
    positions summed into the category), and the category's published total count."""

    table: str
    category: str
    codes: tuple[int, ...]
    total: int
    percents: tuple[float, ...]  # in TYPE_ORDER


def breakdowns(frame: pd.DataFrame) -> list[Breakdown]:
    """The office-type breakdowns in the report's text: T05 "Nej" and T12 "ofta för mycket"
    and "ofta eller periodvis för lite"."""
    out = []
    specs = (
        ("T05", "Nej, olika handläggare ger hjälp på olika nivå", (3,)),
        ("T12", "Det är ofta för mycket att göra", (1,)),
        ("T12", "Ofta eller periodvis för lite att göra", (4, 5)),
    )
    for table, category, codes in specs:
        part = cells(frame, table)
        totals = part.loc[part["row"] == "Total", "count"].astype(int).tolist()
        by_type = part[part["column"] == category].set_index("row")["percent"]
        out.append(
            Breakdown(
                table,
                category,
                codes,
                sum(totals[c - 1] for c in codes),
                tuple(float(by_type[TYPE_LABEL[t]]) for t in TYPE_ORDER),
            )
        )
    return out
