# enkat: rebuild the audit report from the raw survey exports.
#   snakemake --cores all           build everything
#   snakemake -n                    show what would run
# Settings live in config/; see README.md.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/weighting.smk"
include: "workflow/rules/estimates.smk"
include: "workflow/rules/nonresponse.smk"
include: "workflow/rules/register.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/workbook.smk"
include: "workflow/rules/report.smk"


# Run in the main Snakemake process, never submitted to a cluster: the target rule and
# bookkeeping that only concatenates small files.
localrules:
    all,
    audit_trail,


rule all:
    input:
        all_outputs(),
    default_target: True
