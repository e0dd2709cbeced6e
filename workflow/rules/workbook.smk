# The Excel workbook output/tables.xlsx: every catalogue table, its tests, the weights and
# the nonresponse analysis. Every config value it shows is a param, so a change rebuilds it.


rule workbook:
    input:
        tables=all_table_csvs(),
        tests=all_test_csvs(),
        contrasts=all_contrast_csvs(),
        waves=all_wave_csvs(),
        codebooks=[codebook_path(s) for s in SURVEYS],
        weights=expand(f"{ANALYSIS}/weights_{{survey}}.csv", survey=SURVEYS),
        nonresponse=(
            [
                f"{ANALYSIS}/nonresponse_rates.csv",
                f"{ANALYSIS}/nonresponse_tests.csv",
                f"{ANALYSIS}/nonresponse_r_indicators.csv",
            ]
            + ([f"{ANALYSIS}/nonresponse_customers.csv"] if "customers" in SURVEYS else [])
        ),
    output:
        f"{OUTPUT}/tables.xlsx",
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
        digests=lambda wildcards: file_digests([codebook_path(s) for s in SURVEYS]),
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
