# Nonresponse analysis: the handler census against its frame (rates, tests, R-indicators)
# and the customer survey against visits.


rule nonresponse_handlers:
    input:
        frame=f"{PROCESSED}/frame.parquet",
        handlers=f"{PROCESSED}/handlers.parquet",
    output:
        rates=f"{ANALYSIS}/nonresponse_rates.csv",
        tests=f"{ANALYSIS}/nonresponse_tests.csv",
        indicators=f"{ANALYSIS}/nonresponse_r_indicators.csv",
    params:
        frame_variables=config["sources"]["frame"].get("variables", []),
        orders=group_orders(),
        by=nonresponse_by(config, "handlers"),
    log:
        f"{ANALYSIS}/logs/nonresponse_handlers/nonresponse_handlers.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/nonresponse_handlers.py"


rule nonresponse_customers:
    input:
        customers=f"{PROCESSED}/customers.parquet",
        visits=f"{PROCESSED}/visits.parquet",
    output:
        f"{ANALYSIS}/nonresponse_customers.csv",
    params:
        orders=group_orders(),
        by=nonresponse_by(config, "customers"),
    log:
        f"{ANALYSIS}/logs/nonresponse_customers/nonresponse_customers.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/nonresponse_customers.py"
