"""Thin script: analysis/finding_candidates.csv (see enkat.report.findings)."""

from enkat.cli import run_step
from enkat.report.findings import write_finding_candidates

sm = snakemake  # type: ignore[name-defined]  # noqa: F821

run_step(
    write_finding_candidates,
    sm.params.config,
    sm.params.catalogue,
    list(sm.input.tables),
    list(sm.input.tests),
    sm.output[0],
    outputs=list(sm.output),
    log=sm.log[0],
)
