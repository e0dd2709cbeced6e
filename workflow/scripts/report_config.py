"""Thin script: the configuration in force, beside the report (see enkat.report.lineage)."""

from enkat.cli import run_step
from enkat.report.lineage import write_config_copy

sm = snakemake  # type: ignore[name-defined]  # noqa: F821

run_step(write_config_copy, sm.params.config, sm.output[0], outputs=list(sm.output), log=sm.log[0])
