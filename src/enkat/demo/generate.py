"""Write the whole synthetic demo audit: one seed, byte-identical files every time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from enkat.demo.customers import customer_survey, errand_week, visits_per_wave
from enkat.demo.handlers import handler_survey
from enkat.demo.offices import choose_respondents, handler_frame, offices_per_type, register
from enkat.demo.published import breakdowns, published_tables
from enkat.demo.readme import readme
from enkat.demo.sizes import type_sizes

SEED = 20220421
FILES = (
    "kontorsregister.csv",
    "handlaggarram.csv",
    "handlaggarenkat.csv",
    "kundundersokning.csv",
    "besok_per_omgang.csv",
    "arenderegistrering.csv",
)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8, comma-separated, "\\n" line endings, no index: the same bytes every time."""
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def generate(out_dir: Path, seed: int = SEED) -> dict[str, float]:
    """Write raw/demo into `out_dir`; returns the worst T05/T12 breakdown deviations."""
    rng = np.random.default_rng(seed)
    published = published_tables()
    reg = register(rng)
    sizes = type_sizes(offices_per_type(reg), breakdowns(published))
    frame = handler_frame(rng, reg, sizes.frame)
    responded = choose_respondents(rng, frame, reg, sizes.respondents)
    handlers, deviations = handler_survey(rng, published, frame, responded, reg)
    visits = visits_per_wave(rng, reg)
    customers = customer_survey(rng, reg, visits)
    errands = errand_week(rng, published, reg)

    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {
        "kontorsregister.csv": reg,
        "handlaggarram.csv": frame,
        "handlaggarenkat.csv": handlers,
        "kundundersokning.csv": customers,
        "besok_per_omgang.csv": visits,
        "arenderegistrering.csv": errands,
    }
    for name, table in outputs.items():
        write_csv(table, out_dir / name)
    (out_dir / "README.md").write_bytes(readme(sizes, deviations).encode("utf-8"))
    return deviations
