# The findings report: output/report.html and output/report.pdf from the same templates.
# Every analysis file it shows, every template and the config in force are inputs or
# params, so a change to any of them rebuilds the report and nothing else.


rule report:
    input:
        tables=all_table_csvs(),
        tests=all_test_csvs(),
        figures=all_figures(),
        weights=expand(f"{ANALYSIS}/weights_{{survey}}.csv", survey=SURVEYS),
        rates=f"{ANALYSIS}/nonresponse_rates.csv",
        nr_tests=f"{ANALYSIS}/nonresponse_tests.csv",
        r_indicators=f"{ANALYSIS}/nonresponse_r_indicators.csv",
        customers=(
            [f"{ANALYSIS}/nonresponse_customers.csv"] if "customers" in SURVEYS else []
        ),
        audit_trail=f"{PROCESSED}/audit_trail.csv",
        codebooks=[codebook_path(s) for s in SURVEYS],
        templates=report_templates(),
    output:
        html=f"{OUTPUT}/report.html",
        pdf=f"{OUTPUT}/report.pdf",
    params:
        config=config,
        catalogue=catalogue,
        surveys=SURVEYS,
        templates=lambda wildcards, input: template_folder(input.templates),
        figures=lambda wildcards, input: figure_folder(input.figures),
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
