"""Thin script: handler nonresponse analysis (rule nonresponse_handlers)."""

from enkat.cli import run_step
from enkat.nonresponse import write_handler_nonresponse

snakemake = globals()["snakemake"]
run_step(
    write_handler_nonresponse,
    snakemake.input.frame,
    snakemake.input.handlers,
    snakemake.params.frame_variables,
    snakemake.params.orders,
    snakemake.output.rates,
    snakemake.output.tests,
    snakemake.output.indicators,
    snakemake.params.by,
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
