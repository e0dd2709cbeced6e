"""Thin script: ingest one source (rule ingest)."""

from enkat.cli import run_step
from enkat.ingest import ingest_step

snakemake = globals()["snakemake"]
run_step(
    ingest_step,
    snakemake.wildcards.source,
    snakemake.params.spec,
    snakemake.params.settings,
    dict(snakemake.input.items()),
    snakemake.output.data,
    snakemake.output.rejected,
    snakemake.output.audit,
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
