# Helpers named for what they return. Top-level code here is cheap: it reads two small
# YAML files and validates them; nothing is written.

import os
import sys

from snakemake.utils import validate

from enkat.audit import sha256_file
from enkat.codebook import load_codebook
from enkat.config import check_config, check_paths, load_tables
from enkat.crossref import check_references, nonresponse_by
from enkat.errors import EnkatError
from enkat.report_specs import narrative_files

# enkat's own checks first: one readable message naming the key, the value and what is
# allowed (no traceback); snakemake's validate then only fills in schema defaults.
# check_paths stops the run when a configured input file is missing, before any job: a
# missing raw file must not leave the old processed data looking up to date.
try:
    check_config(config)
    check_paths(config)
    catalogue = load_tables(config["paths"]["tables"])
    check_references(
        config,
        catalogue,
        {
            s: load_codebook(config["sources"][s]["codebook"])
            for s in ("handlers", "customers")
            if s in config["sources"]
        },
    )
except EnkatError as _err:
    sys.stderr.write(f"{_err}\n")
    sys.exit(1)
validate(config, schema="../../config/schemas/config.schema.yaml")
validate(catalogue, schema="../../config/schemas/tables.schema.yaml")

PROCESSED = config["paths"]["processed"]
ANALYSIS = config["paths"]["analysis"]
OUTPUT = config["paths"]["output"]
SURVEYS = [s for s in ("handlers", "customers") if s in config["sources"]]
SOURCES = list(config["sources"])

wildcard_constraints:
    source="|".join(SOURCES),
    survey="|".join(SURVEYS),
    table_id="[A-Za-z0-9_]+",
    figure_id="[A-Za-z0-9_]+",


def source_path(wildcards):
    """The raw input file of a source."""
    return config["sources"][wildcards.source]["path"]


def source_inputs(wildcards):
    """The raw file of a source plus what it is checked against (codebook, register, frame)."""
    spec = config["sources"][wildcards.source]
    inputs = {"raw": spec["path"]}
    if "codebook" in spec:
        inputs["codebook"] = spec["codebook"]
    if wildcards.source != "register":
        inputs["register"] = f"{PROCESSED}/register.parquet"
    if wildcards.source == "handlers":
        inputs["frame"] = f"{PROCESSED}/frame.parquet"
    return inputs


def source_digest(wildcards):
    """SHA-256 of a source's raw file and codebook. As a param it reruns the ingest when
    their content differs from the last successful run, even where a failed run left the
    restored previous output newer than the changed input."""
    spec = config["sources"][wildcards.source]
    files = [spec["path"]] + ([spec["codebook"]] if "codebook" in spec else [])
    return {f: sha256_file(f) if os.path.isfile(f) else "missing" for f in files}


def file_digests(paths):
    """SHA-256 of each existing file. As a param it reruns a job when the content of a
    template, codebook or other configured file changes, whatever its mtime says."""
    return {str(f): sha256_file(f) if os.path.isfile(f) else "missing" for f in paths}


def ingest_settings(wildcards):
    """The config values a source's ingest uses besides its own block (params: a change
    reruns only the sources that use it)."""
    settings = {
        "register": {k: config["register"][k] for k in ("office_types", "regions")},
        "limits": config.get("limits", {}),
    }
    if wildcards.source in SURVEYS:
        settings["report"] = {"free_text": config.get("report", {}).get("free_text", [])}
    return settings


def codebook_path(survey):
    """The codebook YAML of a survey."""
    return config["sources"][survey]["codebook"]


def table_spec(table_id):
    """The catalogue entry of one table."""
    for spec in catalogue["tables"]:
        if spec["id"] == table_id:
            return spec
    raise ValueError(f"table {table_id!r} is not in {config['paths']['tables']}")


def table_ids(kind="survey"):
    """Ids of the catalogue's tables of one kind (survey tables only for configured surveys)."""
    return [
        t["id"]
        for t in catalogue["tables"]
        if t.get("kind", "survey") == kind and (kind == "register" or t["survey"] in SURVEYS)
    ]


def by_table_ids():
    """Ids of survey tables broken out by a group variable (they also get a test)."""
    return [t for t in table_ids("survey") if table_spec(t).get("by")]


def wave_table_ids():
    """Ids of survey tables with `waves` (they also get analysis/waves/<id>.csv)."""
    return [t for t in table_ids("survey") if table_spec(t).get("waves")]


def table_job_ids(by, waves):
    """Ids of the survey tables whose job writes a test and group differences (`by`) and
    the change between waves (`waves`): one rule for each combination, as a rule's outputs
    are fixed."""
    return [
        t
        for t in table_ids("survey")
        if bool(table_spec(t).get("by")) == by and bool(table_spec(t).get("waves")) == waves
    ]


def table_differences(table_id):
    """Config `contrasts` and `waves`, each only for the tables it applies to, so changing
    them reruns those tables and no others."""
    spec = table_spec(table_id)
    differences = spec.get("by") or spec.get("waves")
    return {
        "contrasts": config.get("contrasts", {}) if differences else None,
        "waves": config.get("waves", {}) if spec.get("waves") else None,
    }


def all_contrast_csvs():
    """Every group-difference CSV (one per by-table)."""
    return expand(f"{ANALYSIS}/contrasts/{{t}}.csv", t=by_table_ids())


def all_wave_csvs():
    """Every wave-change CSV (one per table with `waves`)."""
    return expand(f"{ANALYSIS}/waves/{{t}}.csv", t=wave_table_ids())


def figure_ids():
    """Ids of tables whose figure the report shows: only those are drawn (a figure job costs
    more than a table job, and the workbook has no figures). The choice is
    enkat.report.context.show_choice's: report.show, else the figure, but the table for
    by-tables (tests/test_rules.py keeps the two in step)."""
    show = config.get("report", {}).get("show") or {}
    return [
        t["id"]
        for t in catalogue["tables"]
        if t.get("figure", "none") != "none"
        and show.get(t["id"], "table" if t.get("by") else "figure") != "table"
    ]


def table_survey(wildcards):
    """The survey a table is estimated from."""
    return table_spec(wildcards.table_id)["survey"]


def id_pattern(ids):
    """A wildcard constraint matching exactly these ids (none: matches nothing)."""
    return "|".join(ids) if ids else "(?!x)x"


def group_orders():
    """Display order of group values: office types and regions as in config register."""
    return {
        "office_type": list(config["register"]["office_types"].values()),
        "region": list(config["register"]["regions"]),
    }


def table_suppression(table_id):
    """Config `suppression`, and which of the table's rows other tables show (only where
    some do, so other tables' params stay as they were). Rows another table also shows
    (enkat.shared) are decided alone, the same way in every table that shows them, so
    subtracting across tables recovers no hidden cell."""
    from enkat.shared import shared_rows

    shared = shared_rows(catalogue["tables"], table_id)
    if not shared["groups"] and not shared["total_is_group"]:
        return config["suppression"]
    return {**config["suppression"], "shared_rows": shared}


def table_inputs(wildcards):
    """The survey data, its weights (the Parquet mirror of the CSV), its codebook and any
    replicate weights delivered with the data (estimation.variance.<survey>: supplied)."""
    survey = table_survey(wildcards)
    inputs = {
        "survey": f"{PROCESSED}/{survey}.parquet",
        "weights": f"{PROCESSED}/weights_{survey}.parquet",
        "codebook": codebook_path(survey),
    }
    variance = (config["estimation"].get("variance") or {}).get(survey)
    if isinstance(variance, dict) and variance.get("method") == "supplied":
        inputs["replicates"] = variance["file"]  # replicate weights delivered with the data
    return inputs


POPULATION_FILES = {
    "frame": f"{PROCESSED}/frame.parquet",
    "visits": f"{PROCESSED}/visits.parquet",
    "register": f"{PROCESSED}/register.parquet",
}


def weighting_population(wildcards):
    """The population file a survey is weighted to (config weighting.<survey>.population)."""
    default = "frame" if wildcards.survey == "handlers" else "visits"
    return POPULATION_FILES[config["weighting"][wildcards.survey].get("population", default)]


def all_table_csvs():
    """Every analysis table CSV."""
    return expand(f"{ANALYSIS}/tables/{{t}}.csv", t=table_ids("survey") + table_ids("register"))


def all_test_csvs():
    """Every test CSV of a by-table."""
    return expand(f"{ANALYSIS}/tests/{{t}}.csv", t=by_table_ids())


def all_figures():
    """Every figure (SVG for the HTML, PNG for the PDF) and its text description."""
    return expand(f"{ANALYSIS}/figures/{{f}}.{{ext}}", f=figure_ids(), ext=["svg", "png", "txt"])


def all_outputs():
    """The deliverables: workbook, report (PDF and HTML) and everything behind them."""
    return [
        f"{OUTPUT}/tables.xlsx",
        f"{OUTPUT}/tables.sha256",
        f"{OUTPUT}/report.pdf",
        f"{OUTPUT}/report.html",
        f"{OUTPUT}/report.sha256",
        f"{OUTPUT}/{config.get('report', {}).get('config_copy', 'konfiguration.yaml')}",
        f"{ANALYSIS}/finding_candidates.csv",
    ]


def report_templates():
    """The report's templates, CSS and fonts: editing any of them rebuilds the report."""
    root = config.get("report", {}).get("templates", "report_templates")
    return sorted(
        os.path.join(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
        if not name.startswith(".")
    )


def report_narrative():
    """The auditors' Markdown files (report.narrative) outside the templates folder: editing
    one rebuilds the report (those inside it are template inputs already)."""
    templates = set(report_templates())
    return [f for f in narrative_files(config.get("report")) if f not in templates]


def template_folder(templates):
    """The folder of the report's entry template, among the template inputs."""
    entry = next(t for t in templates if os.path.basename(t) == "report.html.j2")
    return os.path.dirname(entry)


def figure_folder(figures):
    """The folder the figures were written to (nothing is read from it without figures)."""
    return os.path.dirname(figures[0]) if figures else os.path.join(ANALYSIS, "figures")
