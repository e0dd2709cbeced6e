"""Thin script: weights of one survey (rule weights)."""

from enkat.cli import run_step
from enkat.weighting import write_weights

snakemake = globals()["snakemake"]
run_step(
    write_weights,
    snakemake.wildcards.survey,
    snakemake.input.survey,
    snakemake.input.population,
    snakemake.params.settings,
    snakemake.output.weights,
    snakemake.output.summary,
    snakemake.output.parquet,
    snakemake.output.margins,
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
