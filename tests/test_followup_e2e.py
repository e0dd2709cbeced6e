"""A second, non-demo audit builds end to end, and none of its text is the demo's (issue 17.5).

The follow-up (tests/followup/build.py) changes every name a reader sees and several method
choices (raking on office type and region with trimming that bites, customer strata by
region, staff at flexi offices) and has its own narrative chapters (`report.narrative`). Its
report and workbook must describe that audit: a phrase that only the demo's data or config
could produce shows a text that was written for the demo instead of derived from the data
and config in force.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from enkat import fmt
from tests.conftest import run_snakemake
from tests.followup.build import (
    CUSTOMER_RATES_BY,
    DEMO_CUSTOMER_WEIGHTS,
    DEMO_PHRASES,
    NARRATIVE,
    ORGANISATION,
    RAW,
    REGIONS,
    TYPES,
    build_project,
)

pytestmark = pytest.mark.e2e
OUTPUTS = ("report.pdf", "report.html", "tables.xlsx")


@pytest.fixture(scope="module")
def followup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = build_project(tmp_path_factory.mktemp("followup"))
    run_snakemake(workdir)
    return workdir


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def workbook_text(path: Path) -> str:
    book = load_workbook(path, read_only=True)
    cells = (
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    )
    return "\n".join([*book.sheetnames, *cells])


def output_text(root: Path, output: str) -> str:
    path = root / "output" / output
    if output.endswith(".pdf"):
        return pdf_text(path)
    if output.endswith(".xlsx"):
        return workbook_text(path)
    return path.read_text(encoding="utf-8")  # the HTML as written: alt texts and notes too


def flat(text: str) -> str:
    """Line breaks, hyphenation and (non-breaking) spaces of the text layer made one space,
    so a phrase matches however the PDF broke it."""
    return " ".join(text.replace("\u00ad", "").replace("-\n", "").split()).casefold()


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_demo_phrase_in_the_followup(followup: Path, output: str) -> None:
    text = flat(output_text(followup, output))
    found = [p for p in DEMO_PHRASES if p.casefold() in text]
    assert not found, f"{output} still says what the demo says: {found}"


def test_the_demo_numbers_cannot_arise_from_the_followup(followup: Path) -> None:
    """The demo's customer-weight figures in the phrase list are demo facts only if the
    follow-up's own weights give other values (else the phrase could be a true statement)."""
    weights = pd.read_csv(followup / "analysis/weights_customers.csv")
    total = weights[weights["stratum"] == "Totalt"].iloc[0]
    assert fmt.number(float(total["kish_deff"]), 2) != DEMO_CUSTOMER_WEIGHTS["kish_deff"]
    shown_n = fmt.number(float(total["effective_n"]), 0).replace("\u00a0", " ")
    assert shown_n != DEMO_CUSTOMER_WEIGHTS["effective_n"]


def test_the_followup_speaks_of_its_own_offices(followup: Path) -> None:
    text = flat(pdf_text(followup / "output/report.pdf"))
    for _, label in TYPES.values():
        assert label.casefold() in text, label
    for region in REGIONS.values():
        assert region.casefold() in text, region
    # its own narrative chapters (report.narrative) and organisation
    assert f"{ORGANISATION}s bedömning".casefold() in text
    assert "har följt upp hur de statliga servicekontoren arbetar" in text


def test_trimming_bit_in_the_followup(followup: Path) -> None:
    """The configured bounds trimmed weights, so the texts about trimming were put to use."""
    weights = pd.read_csv(followup / "analysis/weights_handlers.csv")
    assert int(weights.loc[weights["stratum"] == "Totalt", "trimmed"].iloc[0]) > 0


def test_customer_rates_by_a_register_variable(followup: Path) -> None:
    """KUND_SVAR by region (issue 17.4): the answers per wave and region are the raw answers
    counted by the region of their office in the follow-up's own register."""
    table = pd.read_csv(followup / "analysis/tables/KUND_SVAR.csv", dtype={"group": str})
    answers = table[table["measure"] == "answers"]
    assert set(answers["row"]) == {*REGIONS.values(), "Totalt"}
    raw = followup / RAW
    register = pd.read_csv(raw / "enhetsregister.csv", dtype=str)
    customers = pd.read_csv(raw / "kundenkat.csv", dtype=str)
    joined = customers.merge(register[["enhet_id", CUSTOMER_RATES_BY]], on="enhet_id")
    expected = joined.groupby(["omgang", CUSTOMER_RATES_BY]).size()
    shown = answers[answers["row"] != "Totalt"].set_index(["group", "row"])["value"]
    assert dict(shown.astype(int)) == {k: int(v) for k, v in expected.items()}


def test_a_narrative_edit_reruns_the_report_only(followup: Path, tmp_path: Path) -> None:
    """The chapter files of report.narrative are inputs of the report job."""
    chapter = followup / NARRATIVE / "arenden.md"
    kept = tmp_path / "arenden.md"
    shutil.copyfile(chapter, kept)
    try:
        chapter.write_text(kept.read_text(encoding="utf-8") + "\nEn mening till.\n", "utf-8")
        plan = run_snakemake(followup, "-n", "--quiet", "rules").stdout
    finally:
        shutil.copyfile(kept, chapter)
    counts = (line.split() for line in plan.splitlines())  # the job stats: "rule  count"
    jobs = {c[0] for c in counts if len(c) == 2 and c[1].isdigit() and c[0] != "total"}
    assert "report" in jobs
    assert not jobs & {"table", "table_by", "table_by_waves", "weights", "workbook", "figure"}, plan
