# Survey tables: one job per catalogue table (kind: survey). The table's catalogue entry
# and the estimation, suppression and difference settings are params, so editing one table
# reruns only that table. A by-table's job also writes analysis/tests/<table_id>.csv
# (Rao-Scott F) and analysis/contrasts/<table_id>.csv (differences between groups); a table
# with `waves` also writes analysis/waves/<table_id>.csv (change between survey waves). The
# differences read the table's published estimates: one that touches a suppressed cell
# carries the symbol too (enkat.table_job).
# Suppression params: config `suppression` + the rows other tables show (table_suppression).


rule table:
    input:
        unpack(table_inputs),
    output:
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(table_job_ids(by=False, waves=False)),
    params:
        spec=lambda wildcards: table_spec(wildcards.table_id),
        estimation=config["estimation"],
        suppression=lambda wildcards: table_suppression(wildcards.table_id),
        differences=lambda wildcards: table_differences(wildcards.table_id),
        group_orders=group_orders(),
        digests=lambda wildcards: file_digests([codebook_path(table_survey(wildcards))]),
    log:
        f"{ANALYSIS}/logs/table/{{table_id}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,  # 0.3 GB measured at 1 M responses (benchmarks/README.md)
        runtime=10,
    script:
        "../scripts/table.py"


# before plain tables (priority): the report waits for the by-tables' differences, and with
# 2 cores a by-table scheduled last kept it waiting
use rule table as table_by with:
    output:
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
        test=f"{ANALYSIS}/tests/{{table_id}}.csv",
        contrasts=f"{ANALYSIS}/contrasts/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(table_job_ids(by=True, waves=False)),
    log:
        f"{ANALYSIS}/logs/table_by/{{table_id}}.log",
    priority: 1


use rule table as table_waves with:
    output:
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
        waves=f"{ANALYSIS}/waves/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(table_job_ids(by=False, waves=True)),
    log:
        f"{ANALYSIS}/logs/table_waves/{{table_id}}.log",
    priority: 1


use rule table as table_by_waves with:
    output:
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
        test=f"{ANALYSIS}/tests/{{table_id}}.csv",
        contrasts=f"{ANALYSIS}/contrasts/{{table_id}}.csv",
        waves=f"{ANALYSIS}/waves/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(table_job_ids(by=True, waves=True)),
    log:
        f"{ANALYSIS}/logs/table_by_waves/{{table_id}}.log",
    priority: 1
