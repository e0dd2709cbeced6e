# Nonresponse weights per survey: processed/weights_<survey>.csv (the design; mirrored as
# .parquet, which the table jobs read) and analysis/weights_<survey>.csv (per class summary).
# Config weighting.<survey> is a param, so changing it reruns this job and what depends on it.
# poststratify / rake / calibrate add the calibration model to the design file (columns
# calibration, cal_<margin>; docs/architecture.md) so that the table jobs' variances use it.
# Frame variables named as margins or strata come from the frame (population: frame).


rule weights:
    input:
        survey=f"{PROCESSED}/{{survey}}.parquet",
        population=weighting_population,
    output:
        weights=f"{PROCESSED}/weights_{{survey}}.csv",
        summary=f"{ANALYSIS}/weights_{{survey}}.csv",
        parquet=f"{PROCESSED}/weights_{{survey}}.parquet",
        margins=f"{ANALYSIS}/weight_margins_{{survey}}.csv",
    params:
        settings=lambda wildcards: config["weighting"][wildcards.survey],
    log:
        f"{PROCESSED}/logs/weights/{{survey}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,  # 0.8 GB measured at 1 M responses (benchmarks/README.md)
        runtime=10,
    script:
        "../scripts/weights.py"
