"""Thin script: the group differences of one by-table (rule contrasts)."""

from enkat.cli import run_step
from enkat.contrasts import write_contrasts

snakemake = globals()["snakemake"]
run_step(
    write_contrasts,
    snakemake.params.spec,
    snakemake.input.survey,
    snakemake.input.weights,
    snakemake.input.codebook,
    snakemake.params.estimation,
    snakemake.params.contrasts,
    snakemake.params.group_orders,
    snakemake.output[0],
    snakemake.input.table,
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
