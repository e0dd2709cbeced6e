"""A second, non-demo audit: a follow-up configured only through config/, codebooks, tables
and its own narrative chapters.

It is made from the demo's raw files by fixed rules, so it needs no data of its own in git,
but every name a reader sees differs from the demo's: office codes and ids, office-type and
region labels, export column names, an answer label outside the base, the title, the
organisation. Some handlers work at flexi offices (the demo's have none), the handler survey
is raked on office type and region with trimming, and the customer survey is post-stratified
on wave and region. A text of the report or workbook that still says what the demo says was
written for the demo, not derived from the data and config in force.

Pure pandas on the demo's small files, no randomness: the same files every run, in well under
a second, so the end-to-end test can build it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RAW = "raw/uppfoljning"
NARRATIVE = "uppfoljning/kapitel"  # report.narrative of the follow-up (copied from kapitel/)
TYPES = {  # demo code -> (follow-up code, follow-up label)
    "stort": ("stor", "Större kontor"),
    "mellanstort": ("mellan", "Mellankontor"),
    "litet": ("liten", "Mindre kontor"),
    "flexikontor": ("flex", "Flexkontor"),
}
REGIONS = {
    "Nord": "Norra regionen",
    "Mitt": "Mellersta regionen",
    "Stockholm och Gotland": "Huvudstadsregionen",
    "Öst": "Östra regionen",
    "Väst": "Västra regionen",
    "Syd": "Södra regionen",
}
TRAINING_NONE = ("Har inte fått någon utbildning", "Ingen utbildning erbjuden")
FLEXI_STAFF = 22  # handlers moved to flexi offices (the demo's flexi offices have none)
OFFICE = "enhet_id"
ORGANISATION = "Granskningsenheten"
TITLE = "Uppföljning av de statliga servicekontoren"
TABLE_TITLES = {  # the follow-up's own wording of tables whose demo title it does not share
    "T12": "Hur rimlig arbetsbelastningen är, per kontorstyp",
    "KUND_SVAR": "Antal svar och svar i förhållande till besök, per omgång och region",
}
# Bounds on weight / mean weight. The raked weights span about 0.84-1.18 of their mean, so
# these bounds bite (0.6-1.6 would trim nothing): after trimming the margins no longer hold
# exactly, and the texts must say what was achieved, not that the totals hold.
TRIM = {"lower": 0.9, "upper": 1.1}
CUSTOMER_RATES_BY = "region"  # KUND_SVAR broken down by a register variable (issue 17.4)
PROJECT_PARTS = (
    "Snakefile",
    "profiles",
    "workflow",
    "report_templates",
    "environment.yml",
    "config/schemas",
)

# What the demo's texts say that a follow-up audit must not inherit: labels of the demo's
# data and config (office types, regions, the training label, the title, the organisation),
# sentences of the demo's method that the follow-up's config contradicts, the demo marks
# (the follow-up has demo: false) and demo numbers the follow-up's data cannot give
# (DEMO_NUMBERS, checked against the follow-up's own analysis files by the test).
DEMO_LABELS = (
    "Stort kontor",
    "Mellanstort kontor",
    "Litet kontor",
    "Flexikontor",
    "Stockholm och Gotland",  # the other demo regions (Nord, Syd, ...) are words of any text
    "Har inte fått någon utbildning",
    "Servicekontoren – service på lika villkor?",
    "Revisionskontor",  # the demo's organisation, also in "Revisionskontorets bedömning"
    "per omgång och kontorstyp",  # the demo's KUND_SVAR title (rates by office type)
)
DEMO_METHOD = (
    "ingen egen personal",  # the follow-up has staff at flexi offices
    "omgång och kontorstyp",  # customer strata are wave x region
    "Viktklasser: kontorstyp",  # handlers are raked on office type and region
    "slås ihop",  # raking collapses nothing, customer classes have no collapse rule
    "totalerna består",  # after trimming the margins do not hold exactly
    "cellviktning",  # the demo's handler weighting method
)
DEMO_MARKS = ("Exempeldata", "syntetisk")
# The demo's customer weights (post-strata wave x office type, collapsed): Kish design effect
# 1,46 and effective n 5 098. The follow-up's wave x region strata give others (the test checks
# its own weights file). The handlers' figures are no such proof: trimming the follow-up's
# raked weights happens to bring their effective n back to the demo's 536.
DEMO_CUSTOMER_WEIGHTS = {"kish_deff": "1,46", "effective_n": "5 098"}
DEMO_NUMBERS = (
    f"av vikterna) är {DEMO_CUSTOMER_WEIGHTS['kish_deff']}",
    f"effektivt antal svarande på {DEMO_CUSTOMER_WEIGHTS['effective_n']}",
)
DEMO_PHRASES = DEMO_LABELS + DEMO_METHOD + DEMO_MARKS + DEMO_NUMBERS


def office_id(demo_id: str) -> str:
    return "E" + demo_id[1:]


def _csv(frame: pd.DataFrame, path: Path) -> None:
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "raw" / "demo" / name, dtype=str, keep_default_na=False)


def write_raw(dest: Path) -> None:
    """The follow-up's raw files, derived from the demo's by the rules above."""
    out = dest / RAW
    out.mkdir(parents=True, exist_ok=True)
    register = _read("kontorsregister.csv")
    register["kontorstyp"] = register["kontorstyp"].map(lambda c: TYPES[c][0])
    register["region"] = register["region"].map(REGIONS)
    register["kontor_id"] = register["kontor_id"].map(office_id)
    flexi = register.loc[register["kontorstyp"] == "flex", "kontor_id"].tolist()
    small = set(register.loc[register["kontorstyp"] == "liten", "kontor_id"])
    _csv(register.rename(columns={"kontor_id": OFFICE}), out / "enhetsregister.csv")

    frame = _read("handlaggarram.csv")
    frame["kontor_id"] = frame["kontor_id"].map(office_id)
    movers = frame.index[frame["kontor_id"].isin(small)][:FLEXI_STAFF]
    moved = {frame.at[i, "handlaggare_id"]: flexi[k % len(flexi)] for k, i in enumerate(movers)}
    frame.loc[movers, "kontor_id"] = [moved[frame.at[i, "handlaggare_id"]] for i in movers]
    _csv(frame.rename(columns={"kontor_id": OFFICE}), out / "personalram.csv")

    handlers = _read("handlaggarenkat.csv")
    handlers["kontor_id"] = handlers["kontor_id"].map(office_id)
    handlers["kontor_id"] = handlers["respondent_id"].map(moved).fillna(handlers["kontor_id"])
    _csv(handlers.rename(columns={"kontor_id": OFFICE}), out / "personalenkat.csv")

    for name, target in (
        ("kundundersokning.csv", "kundenkat.csv"),
        ("besok_per_omgang.csv", "besok.csv"),
        ("arenderegistrering.csv", "arenden.csv"),
    ):
        table = _read(name)
        table["kontor_id"] = table["kontor_id"].map(office_id)
        _csv(table.rename(columns={"kontor_id": OFFICE}), out / target)


DEMO_TYPE_LABELS = {  # demo code -> the demo's label (config/config.yaml register.office_types)
    "stort": "Stort kontor",
    "mellanstort": "Mellanstort kontor",
    "litet": "Litet kontor",
    "flexikontor": "Flexikontor",
}
DEMO_TO_FOLLOWUP = {
    **{label: TYPES[code][1] for code, label in DEMO_TYPE_LABELS.items()},
    **REGIONS,
    TRAINING_NONE[0]: TRAINING_NONE[1],
}


def _relabel(value: Any) -> Any:
    """Office-type, region and training labels of the demo, as the follow-up's."""
    if isinstance(value, dict):
        return {_relabel(k): _relabel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_relabel(v) for v in value]
    if isinstance(value, str):
        return DEMO_TO_FOLLOWUP.get(value, value)
    return value


def _dump(doc: Any, path: Path) -> None:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _load(name: str) -> Any:
    return yaml.safe_load((ROOT / "config" / name).read_text(encoding="utf-8"))


def followup_config() -> dict[str, Any]:
    """config/config.yaml of the follow-up: the demo's keys, with its own names and rules."""
    config = _load("config.yaml")
    config["project"].update(
        {
            "title": TITLE,
            "subtitle": "Personalenkät, kundenkät och ärendevecka",
            "organisation": ORGANISATION,
            "author": ORGANISATION,
            "date": "2023-06-15",
            "demo": False,
        }
    )
    register = config["register"]
    register["office_types"] = {code: label for code, label in TYPES.values()}
    register["regions"] = list(REGIONS.values())
    register["standard_costs"] = {
        TYPES[k][0]: v for k, v in (register.get("standard_costs") or {}).items()
    }
    files = {
        "register": "enhetsregister.csv",
        "frame": "personalram.csv",
        "handlers": "personalenkat.csv",
        "customers": "kundenkat.csv",
        "visits": "besok.csv",
        "errands": "arenden.csv",
    }
    for source, name in files.items():
        spec = config["sources"][source]
        spec["path"] = f"{RAW}/{name}"
        spec["columns"]["office_id"] = OFFICE
        spec["non_personal"] = [
            OFFICE if c == "kontor_id" else c for c in spec.get("non_personal") or []
        ]
    config["weighting"]["handlers"] = {
        "method": "rake",
        "margins": ["office_type", "region"],
        "population": "frame",
        "trim": TRIM,
    }
    customers = config["weighting"]["customers"]
    customers["classes"] = ["wave", "region"]
    customers["collapse"] = {}
    report = _relabel(config.get("report") or {})
    report["narrative"] = NARRATIVE
    report["assessment_title"] = "Granskningsenhetens bedömning"
    config["report"] = report
    return config


def followup_tables() -> dict[str, Any]:
    """The catalogue with the follow-up's labels, its own titles and rates by region."""
    catalogue = _relabel(_load("tables.yaml"))
    for table in catalogue["tables"]:
        table["title"] = TABLE_TITLES.get(table["id"], table["title"])
        if table.get("analysis") == "customer_response":
            table["by"] = CUSTOMER_RATES_BY
    return catalogue


def write_config(dest: Path) -> None:
    """config/ and the narrative chapters of the follow-up."""
    conf = dest / "config"
    (conf / "codebooks").mkdir(parents=True, exist_ok=True)
    _dump(followup_config(), conf / "config.yaml")
    _dump(followup_tables(), conf / "tables.yaml")
    handlers = _relabel(_load("codebooks/handlers.yaml"))
    handlers["period"] = "Mars 2023"
    _dump(handlers, conf / "codebooks" / "handlers.yaml")
    _dump(_relabel(_load("codebooks/customers.yaml")), conf / "codebooks" / "customers.yaml")
    narrative = dest / NARRATIVE
    narrative.mkdir(parents=True, exist_ok=True)
    for path in sorted((HERE / "kapitel").glob("*.md")):
        shutil.copyfile(path, narrative / path.name)


def build_project(dest: Path) -> Path:
    """A runnable checkout of the follow-up audit in `dest`."""
    for part in PROJECT_PARTS:
        src = ROOT / part
        target = dest / part
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    write_raw(dest)
    write_config(dest)
    return dest
