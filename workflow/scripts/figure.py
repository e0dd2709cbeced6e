"""Thin script: one figure and its text description (see enkat.figures)."""

from enkat.cli import run_step
from enkat.figures import make_figure

sm = snakemake  # type: ignore[name-defined]  # noqa: F821

run_step(
    make_figure,
    sm.input.table,
    sm.params.kind,
    sm.params.title,
    sm.params.register,
    sm.params.demo,
    sm.output.svg,
    sm.output.txt,
    sm.output.png,
    outputs=list(sm.output),
    log=sm.log[0],
)
