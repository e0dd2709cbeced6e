# enkat: rebuild the audit report from the raw survey exports.
#   snakemake --cores all           build everything
#   snakemake -n                    show what would run
# Settings live in config/; see README.md.

from snakemake.utils import min_version

min_version("9.0")

# enkat's safe loader reads the config first: it refuses a key given twice (Snakemake's
# loader lets the last one win) and an alias bomb, before Snakemake parses the file.
import sys

from enkat.config import load_yaml
from enkat.errors import EnkatError

# (Files given with --configfile were already read by Snakemake; duplicate keys in them are
# still refused here.)
try:
    for _file in ["config/config.yaml", *workflow.overwrite_configfiles]:
        if not isinstance(load_yaml(_file), dict):  # empty, or a list: no keys at all
            raise EnkatError(
                "the config file holds no settings (it is empty or not a mapping of keys)",
                file=str(_file),
                expected="keys such as project:, paths:, sources: at the top level",
                hint="restore the file (the shipped one, or your last good copy)",
            )
except EnkatError as _err:
    sys.stderr.write(f"{_err}\n")
    sys.exit(1)


configfile: "config/config.yaml"


# Config text in Unicode NFC, as enkat reads every input (docs/inputs.md, "Text").
from enkat.text import normalise_tree

config.update(normalise_tree(config))


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
