"""Thin script: output/report.html and output/report.pdf (see enkat.report)."""

from enkat.atomic import write_checksums
from enkat.cli import run_step
from enkat.report import ReportInputs, build_report

sm = snakemake  # type: ignore[name-defined]  # noqa: F821

inputs = ReportInputs(
    tables=list(sm.input.tables),
    tests=list(sm.input.tests),
    figures=list(sm.input.figures),
    weights=list(sm.input.weights),
    nonresponse={
        "rates": sm.input.rates,
        "tests": sm.input.nr_tests,
        "r_indicators": sm.input.r_indicators,
        **({"customers": sm.input.customers[0]} if sm.input.customers else {}),
    },
    audit_trail=sm.input.audit_trail,
    codebooks=dict(zip(sm.params.surveys, sm.input.codebooks, strict=True)),
    contrasts=list(sm.input.contrasts),
    waves=list(sm.input.waves),
    margins=list(sm.input.margins),
)
run_step(
    build_report,
    inputs,
    sm.params.config,
    sm.params.catalogue,
    sm.params.templates,
    sm.params.figures,
    sm.output.html,
    sm.output.pdf,
    outputs=[sm.output.checksums],  # the previous report stays (update); Snakemake restores it
    log=sm.log[0],
)
run_step(
    write_checksums,
    [sm.output.pdf, sm.output.html],
    sm.output.checksums,
    outputs=[sm.output.checksums],
    log=sm.log[0],
)
