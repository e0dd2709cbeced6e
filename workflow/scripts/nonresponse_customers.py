"""Thin script: customer responses relative to visits (rule nonresponse_customers)."""

from enkat.cli import run_step
from enkat.nonresponse import write_customer_nonresponse

snakemake = globals()["snakemake"]
run_step(
    write_customer_nonresponse,
    snakemake.input.customers,
    snakemake.input.visits,
    snakemake.params.type_order,
    snakemake.output[0],
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
