"""Thin script: one survey table and, for a by-table, its test (rules table, table_by)."""

from enkat.cli import run_step
from enkat.tables import write_table

snakemake = globals()["snakemake"]
run_step(
    write_table,
    snakemake.params.spec,
    snakemake.input.survey,
    snakemake.input.weights,
    snakemake.input.codebook,
    snakemake.params.estimation,
    snakemake.params.suppression,
    snakemake.params.group_orders,
    snakemake.output.table,
    snakemake.output.get("test"),
    snakemake.input.get("replicates"),  # estimation.variance.<survey>: supplied
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
