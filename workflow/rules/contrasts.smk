# Differences between groups and between waves (enkat.contrasts): one job per by-table
# (analysis/contrasts/<table_id>.csv) and one per table with `waves`
# (analysis/waves/<table_id>.csv). The contrast and wave settings are params, so changing
# them reruns only these jobs (and what presents them). Both read the table's published
# estimate file: a difference that touches a suppressed cell carries the symbol too.


rule contrasts:
    input:
        unpack(table_inputs),
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
    output:
        f"{ANALYSIS}/contrasts/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(by_table_ids()),
    params:
        spec=lambda wildcards: table_spec(wildcards.table_id),
        estimation=config["estimation"],
        contrasts=config.get("contrasts", {}),
        group_orders=group_orders(),
    log:
        f"{ANALYSIS}/logs/contrasts/{{table_id}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/contrasts.py"


rule waves:
    input:
        unpack(table_inputs),
        table=f"{ANALYSIS}/tables/{{table_id}}.csv",
    output:
        f"{ANALYSIS}/waves/{{table_id}}.csv",
    wildcard_constraints:
        table_id=id_pattern(wave_table_ids()),
    params:
        spec=lambda wildcards: table_spec(wildcards.table_id),
        estimation=config["estimation"],
        contrasts=config.get("contrasts", {}),
        waves=config.get("waves", {}),
        suppression=config["suppression"],
        group_orders=group_orders(),
    log:
        f"{ANALYSIS}/logs/waves/{{table_id}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/waves.py"
