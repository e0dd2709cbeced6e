# The Excel workbook output/tables.xlsx: every catalogue table, its tests, the weights and
# the nonresponse analysis. Every config value it shows is a param, so a change rebuilds it.

# The audit's texts of the workbook notes (docs/report.md), beside the report's templates.
WORKBOOK_NOTES = os.path.join(
    config.get("report", {}).get("templates", "report_templates"), "notes.j2"
)


rule workbook:
    input:
        tables=all_table_csvs(),
        tests=all_test_csvs(),
        contrasts=all_contrast_csvs(),
        waves=all_wave_csvs(),
        codebooks=[codebook_path(s) for s in SURVEYS],
        weights=expand(f"{ANALYSIS}/weights_{{survey}}.csv", survey=SURVEYS),
        margins=expand(f"{ANALYSIS}/weight_margins_{{survey}}.csv", survey=SURVEYS),
        # the audit's texts of the notes (sources, method sentences): an edit reruns this
        notes=WORKBOOK_NOTES,
        nonresponse=(
            [
                f"{ANALYSIS}/nonresponse_rates.csv",
                f"{ANALYSIS}/nonresponse_tests.csv",
                f"{ANALYSIS}/nonresponse_r_indicators.csv",
            ]
            + ([f"{ANALYSIS}/nonresponse_customers.csv"] if "customers" in SURVEYS else [])
        ),
    # update(): Snakemake does not delete the previous workbook when the job starts, so a
    # killed or failed run leaves it in place; the new one is swapped in whole
    # (enkat.atomic). tables.sha256 is written last and is deleted when the job starts, so
    # a run that did not finish always reruns the workbook (as for the report).
    output:
        xlsx=update(f"{OUTPUT}/tables.xlsx"),
        checksums=f"{OUTPUT}/tables.sha256",
    params:
        catalogue=catalogue["tables"],
        chapters=catalogue["chapters"],
        surveys=SURVEYS,
        table_ids=table_ids("survey") + table_ids("register"),
        test_ids=by_table_ids(),
        contrast_ids=by_table_ids(),
        wave_ids=wave_table_ids(),
        contrasts=config.get("contrasts", {}),
        project=config["project"],
        suppression=config["suppression"],
        estimation=config["estimation"],
        weighting={s: config["weighting"][s] for s in SURVEYS if s in config["weighting"]},
        frame_variables=config["sources"].get("frame", {}).get("variables", []),
        sources=SOURCES,
        digests=lambda wildcards: file_digests(
            [*[codebook_path(s) for s in SURVEYS], WORKBOOK_NOTES]
        ),
    log:
        f"{ANALYSIS}/logs/workbook/workbook.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../scripts/workbook.py"
