# Ingest: one job per source writes processed/<source>.parquet, the rows it set aside
# (processed/rejected_<source>.csv, header only unless on_invalid: reject) and its part of
# the audit trail. A failed job leaves none of its outputs (Snakemake removes them, and the
# step writes each file under a temporary name first), so nothing downstream can run on a
# stale processed file; analysis/ and output/ of the last successful run stay as they were
# because their jobs do not run. (update() would restore the old Parquet, but the restored
# copy then looks up to date and a later run would silently use it: see docs/errors.md.)
# The inputs' SHA-256 is a param so that a raw file replaced by one with an older mtime
# (a copy with preserved timestamps) still reruns its ingest.


rule ingest:
    input:
        unpack(source_inputs),
    output:
        data=f"{PROCESSED}/{{source}}.parquet",
        rejected=f"{PROCESSED}/rejected_{{source}}.csv",
        audit=f"{PROCESSED}/audit/{{source}}.csv",
    params:
        spec=lambda wildcards: config["sources"][wildcards.source],
        settings=ingest_settings,
        digest=source_digest,
    log:
        f"{PROCESSED}/logs/ingest/{{source}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../scripts/ingest.py"


rule audit_trail:
    input:
        expand(f"{PROCESSED}/audit/{{source}}.csv", source=SOURCES),
    output:
        f"{PROCESSED}/audit_trail.csv",
    log:
        f"{PROCESSED}/logs/audit_trail/audit_trail.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/audit_trail.py"
