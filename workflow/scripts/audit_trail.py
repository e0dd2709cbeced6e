"""Thin script: one audit trail from the per-source files (rule audit_trail)."""

from enkat.audit import combine_audit
from enkat.cli import run_step

snakemake = globals()["snakemake"]
run_step(
    combine_audit,
    list(snakemake.input),
    snakemake.output[0],
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
