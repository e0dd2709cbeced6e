# Survey tables: one job per catalogue table (kind: survey). The table's catalogue entry
# and the estimation and suppression settings are params, so editing one table reruns
# only that table. By-tables also write analysis/tests/<table_id>.csv (Rao-Scott F).
# Suppression params: config `suppression` + the rows other tables show (table_suppression).


rule table:
    input:
        unpack(table_inputs),
    output:
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern([t for t in table_ids("survey") if t not in by_table_ids()]),
    params:
        spec=lambda wildcards: table_spec(wildcards.table_id),
        estimation=config["estimation"],
        suppression=lambda wildcards: table_suppression(wildcards.table_id),
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


rule table_by:
    input:
        unpack(table_inputs),
    output:
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
        test=f"{ANALYSIS}/tests/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(by_table_ids()),
    params:
        spec=lambda wildcards: table_spec(wildcards.table_id),
        estimation=config["estimation"],
        suppression=lambda wildcards: table_suppression(wildcards.table_id),
        group_orders=group_orders(),
        digests=lambda wildcards: file_digests([codebook_path(table_survey(wildcards))]),
    log:
        f"{ANALYSIS}/logs/table_by/{{table_id}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    # before plain tables: a by-table's contrasts job waits for it, and the report for both
    # (with 2 cores a by-table scheduled last kept the report waiting two jobs)
    priority: 1
    resources:
        mem_mb=1000,  # 0.3 GB measured at 1 M responses (benchmarks/README.md)
        runtime=10,
    script:
        "../scripts/table.py"
