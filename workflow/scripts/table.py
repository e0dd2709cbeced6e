"""Thin script: one survey table, and the test, group differences and wave changes the
catalogue asks of it (rules table, table_by, table_waves, table_by_waves)."""

from enkat.cli import run_step
from enkat.table_job import write_table_job

snakemake = globals()["snakemake"]
run_step(
    write_table_job,
    snakemake.params.spec,
    snakemake.input.survey,
    snakemake.input.weights,
    snakemake.input.codebook,
    snakemake.params.estimation,
    snakemake.params.suppression,
    snakemake.params.differences,
    snakemake.params.group_orders,
    snakemake.output.table,
    snakemake.output.get("test"),
    snakemake.output.get("contrasts"),
    snakemake.output.get("waves"),
    snakemake.input.get("replicates"),  # estimation.variance.<survey>: supplied
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
