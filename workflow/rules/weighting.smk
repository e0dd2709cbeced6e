# Nonresponse weights per survey: processed/weights_<survey>.csv (the design) and
# analysis/weights_<survey>.csv (per class summary). Config weighting.<survey> is a param,
# so changing it reruns this job and what depends on it.

POPULATION_FILES = {
    "frame": f"{PROCESSED}/frame.parquet",
    "visits": f"{PROCESSED}/visits.parquet",
    "register": f"{PROCESSED}/register.parquet",
}


def weighting_population(wildcards):
    """The population file a survey is weighted to (config weighting.<survey>.population)."""
    default = "frame" if wildcards.survey == "handlers" else "visits"
    return POPULATION_FILES[config["weighting"][wildcards.survey].get("population", default)]


rule weights:
    input:
        survey=f"{PROCESSED}/{{survey}}.parquet",
        population=weighting_population,
    output:
        weights=f"{PROCESSED}/weights_{{survey}}.csv",
        summary=f"{ANALYSIS}/weights_{{survey}}.csv",
    params:
        settings=lambda wildcards: config["weighting"][wildcards.survey],
    log:
        f"{PROCESSED}/logs/weights/{{survey}}.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    script:
        "../scripts/weights.py"
