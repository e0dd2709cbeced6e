# The findings report: output/report.html and output/report.pdf from the same templates.
# Every analysis file it shows, every template and the config in force are inputs or
# params, so a change to any of them rebuilds the report and nothing else.


rule report:
    input:
        tables=all_table_csvs(),
        tests=all_test_csvs(),
        contrasts=all_contrast_csvs(),
        waves=all_wave_csvs(),
        figures=all_figures(),
        weights=expand(f"{ANALYSIS}/weights_{{survey}}.csv", survey=SURVEYS),
        margins=expand(f"{ANALYSIS}/weight_margins_{{survey}}.csv", survey=SURVEYS),
        rates=f"{ANALYSIS}/nonresponse_rates.csv",
        nr_tests=f"{ANALYSIS}/nonresponse_tests.csv",
        r_indicators=f"{ANALYSIS}/nonresponse_r_indicators.csv",
        customers=(
            [f"{ANALYSIS}/nonresponse_customers.csv"] if "customers" in SURVEYS else []
        ),
        audit_trail=f"{PROCESSED}/audit_trail.csv",
        codebooks=[codebook_path(s) for s in SURVEYS],
        templates=report_templates(),
        narrative=report_narrative(),
    # update(): Snakemake does not delete the previous report when the job starts (a killed
    # or failed run leaves it in place; a failed one is restored); the new files are swapped
    # in whole (enkat.atomic). report.sha256 is written last and is deleted when the job
    # starts, so a run that did not finish always reruns the report.
    output:
        html=update(f"{OUTPUT}/report.html"),
        pdf=update(f"{OUTPUT}/report.pdf"),
        checksums=f"{OUTPUT}/report.sha256",
    params:
        config=config,
        catalogue=catalogue,
        surveys=SURVEYS,
        templates=lambda wildcards, input: template_folder(input.templates),
        figures=lambda wildcards, input: figure_folder(input.figures),
        # content, not mtime: a template or codebook edited but left with an old mtime.
        # (Not a function of `input`: Snakemake leaves such params out of its change check.)
        digests=lambda wildcards: file_digests(
            [*report_templates(), *report_narrative(), *[codebook_path(s) for s in SURVEYS]]
        ),
    log:
        f"{ANALYSIS}/logs/report/report.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    script:
        "../scripts/report.py"


# Finding candidates for the summary (issue 12): ranked from the tables and tests, so the
# auditors choose among them instead of hunting (enkat.report.findings).
rule finding_candidates:
    input:
        tables=all_table_csvs(),
        tests=all_test_csvs(),
    output:
        f"{ANALYSIS}/finding_candidates.csv",
    params:
        config=config,
        catalogue=catalogue,
    log:
        f"{ANALYSIS}/logs/report/finding_candidates.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/finding_candidates.py"


# The configuration in force, beside the PDF (the lineage appendix gives its SHA-256).
rule report_config:
    output:
        f"{OUTPUT}/{config.get('report', {}).get('config_copy', 'konfiguration.yaml')}",
    params:
        config=config,
    log:
        f"{ANALYSIS}/logs/report/report_config.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/report_config.py"
