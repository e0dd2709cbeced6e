"""Thin script: one register table (see enkat.register_tables)."""

from enkat.cli import run_step
from enkat.register_tables import write_register_table

sm = snakemake  # type: ignore[name-defined]  # noqa: F821

run_step(
    write_register_table,
    sm.wildcards.table_id,
    sm.params.analysis,
    dict(sm.input.items()),
    sm.output[0],
    sm.params.office_types,
    sm.params.standard_costs,
    sm.params.get("by") or None,
    outputs=list(sm.output),
    log=sm.log[0],
)
