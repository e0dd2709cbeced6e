"""Thin script: the change between survey waves of one table (rule waves)."""

from enkat.cli import run_step
from enkat.contrasts import write_waves

snakemake = globals()["snakemake"]
run_step(
    write_waves,
    snakemake.params.spec,
    snakemake.input.survey,
    snakemake.input.weights,
    snakemake.input.codebook,
    snakemake.params.estimation,
    snakemake.params.contrasts,
    snakemake.params.waves,
    snakemake.params.group_orders,
    snakemake.output[0],
    snakemake.input.table,
    snakemake.params.suppression,
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
