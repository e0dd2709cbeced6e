"""The report's sections and the auditors' narrative files they read; pandas-free, for the DAG.

The report job renders the sections (enkat.report.context), but the DAG must know the same
things before any job runs: which narrative files are inputs of the report (an edited chapter
reruns it) and which are missing or misnamed (a stop at validation, not after the tables).
Both read them from here, so they cannot disagree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_TEMPLATES = "report_templates"
DEFAULT_SECTIONS = (
    "sammanfattning",
    "inledning",
    "resultat",
    "slutsatser",
    "bilaga_metod",
    "bilaga_enkat",
    "bilaga_harledning",
)
TEMPLATE_SECTIONS = {  # built-in sections drawn by a template, with their default titles
    "bilaga_metod": "Metod och genomförande",
    "bilaga_enkat": "Frågorna i undersökningarna",
    "bilaga_harledning": "Dataunderlag och spårbarhet",
    "bilaga_tabeller": "Fullständiga tabeller",
}
RESULT_CHAPTERS = "resultat"  # the catalogue's result chapters take this section's place
NARRATIVE_SUFFIX = ".md"


def narrative_folder(report: Mapping[str, Any] | None) -> str:
    """The folder of the auditors' Markdown files: `report.narrative`, by default the
    templates' `chapters/` (so an audit keeps its own texts beside its own config)."""
    report = report or {}
    folder = report.get("narrative")
    if folder:
        return str(folder)
    return os.path.join(str(report.get("templates") or DEFAULT_TEMPLATES), "chapters")


def section_ids(report: Mapping[str, Any] | None) -> list[str]:
    """The ids of `report.sections` (or the default sections), in order."""
    entries = (report or {}).get("sections") or DEFAULT_SECTIONS
    return [str(e["id"]) if isinstance(e, Mapping) else str(e) for e in entries]


def text_sections(report: Mapping[str, Any] | None) -> list[str]:
    """The sections drawn from a narrative file of their own (each must exist)."""
    return [s for s in section_ids(report) if s != RESULT_CHAPTERS and s not in TEMPLATE_SECTIONS]


def narrative_names(report: Mapping[str, Any] | None, chapters: Iterable[str]) -> list[str]:
    """Every file name the narrative folder may hold: one per text section and one per
    result chapter (optional) when the report shows the result chapters."""
    names = text_sections(report)
    if RESULT_CHAPTERS in section_ids(report):
        names += [str(c) for c in chapters]
    return [n + NARRATIVE_SUFFIX for n in dict.fromkeys(names)]


def narrative_files(report: Mapping[str, Any] | None) -> list[str]:
    """The Markdown files in the narrative folder, sorted (the report job's inputs)."""
    folder = narrative_folder(report)
    if not os.path.isdir(folder):
        return []
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.endswith(NARRATIVE_SUFFIX) and not name.startswith(".")
    )
