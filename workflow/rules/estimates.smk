# Survey tables: one job per catalogue table (kind: survey). The table's catalogue entry
# and the estimation and suppression settings are params, so editing one table reruns
# only that table. By-tables also write analysis/tests/<table_id>.csv (Rao-Scott F).


def id_pattern(ids):
    """A wildcard constraint matching exactly these ids (none: matches nothing)."""
    return "|".join(ids) if ids else "(?!x)x"


def group_orders():
    """Display order of group values: office types and regions as in config register."""
    return {
        "office_type": list(config["register"]["office_types"].values()),
        "region": list(config["register"]["regions"]),
    }


def table_inputs(wildcards):
    """The survey data, its weights and its codebook."""
    survey = table_survey(wildcards)
    return {
        "survey": f"{PROCESSED}/{survey}.parquet",
        "weights": f"{PROCESSED}/weights_{survey}.csv",
        "codebook": codebook_path(survey),
    }


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
        suppression=config["suppression"],
        group_orders=group_orders(),
    log:
        f"{ANALYSIS}/logs/table/{{table_id}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
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
        suppression=config["suppression"],
        group_orders=group_orders(),
    log:
        f"{ANALYSIS}/logs/table_by/{{table_id}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    script:
        "../scripts/table.py"
