# Register analyses (catalogue tables with `kind: register`): one job per table.
# Each writes analysis/tables/<table_id>.csv in the long register format of
# src/enkat/register_tables.py (documented in docs/architecture.md).

from enkat.register_specs import ANALYSIS_INPUTS, COST_ANALYSES


rule register_table:
    input:
        unpack(
            lambda wc: {
                key: f"{PROCESSED}/{key}.parquet"
                for key in ANALYSIS_INPUTS[table_spec(wc.table_id)["analysis"]]
            }
        ),
    output:
        f"{ANALYSIS}/tables/{{table_id}}.csv",
    params:
        analysis=lambda wc: table_spec(wc.table_id)["analysis"],
        # customer_response: the register variable of the rows (default office_type)
        by=lambda wc: table_spec(wc.table_id).get("by") or "",
        office_types=config["register"]["office_types"],
        # only the cost analyses depend on (and rerun for) the standard costs
        standard_costs=lambda wc: (
            config["register"].get("standard_costs", {})
            if table_spec(wc.table_id)["analysis"] in COST_ANALYSES
            else {}
        ),
    log:
        f"{ANALYSIS}/logs/register_table/{{table_id}}.log",
    wildcard_constraints:
        table_id="|".join(table_ids("register")) or "NO_REGISTER_TABLES",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/register_table.py"
