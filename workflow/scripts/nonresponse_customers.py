"""Thin script: customer responses relative to visits (rule nonresponse_customers)."""

from enkat.cli import run_step
from enkat.nonresponse import write_customer_nonresponse

snakemake = globals()["snakemake"]
run_step(
    write_customer_nonresponse,
    snakemake.input.customers,
    snakemake.input.visits,
    snakemake.params.orders,
    snakemake.output[0],
    snakemake.params.by,
    outputs=list(snakemake.output),
    log=snakemake.log[0],
)
