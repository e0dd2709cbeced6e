"""Thin script: output/tables.xlsx (see enkat.workbook)."""

from enkat.atomic import write_checksums
from enkat.cli import run_step
from enkat.workbook import write_workbook

sm = snakemake  # type: ignore[name-defined]  # noqa: F821

run_step(
    write_workbook,
    sm.params.catalogue,
    sm.params.chapters,
    dict(zip(sm.params.table_ids, sm.input.tables, strict=True)),
    dict(zip(sm.params.test_ids, sm.input.tests, strict=True)),
    dict(zip(sm.params.surveys, sm.input.codebooks, strict=True)),
    dict(zip(sm.params.surveys, sm.input.weights, strict=True)),
    list(sm.input.nonresponse),
    sm.params.project,
    sm.params.suppression,
    sm.params.estimation,
    sm.params.weighting,
    sm.output.xlsx,
    contrasts=dict(zip(sm.params.contrast_ids, sm.input.contrasts, strict=True)),
    waves=dict(zip(sm.params.wave_ids, sm.input.waves, strict=True)),
    contrast_settings=sm.params.contrasts,
    margins=dict(zip(sm.params.surveys, sm.input.margins, strict=True)),
    notes=sm.input.notes,
    frame_variables=sm.params.frame_variables,
    sources=sm.params.sources,
    outputs=[sm.output.checksums],  # the previous workbook stays (update, enkat.atomic)
    log=sm.log[0],
)
run_step(
    write_checksums,
    [sm.output.xlsx],
    sm.output.checksums,
    outputs=[sm.output.checksums],
    log=sm.log[0],
)
