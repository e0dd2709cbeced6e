"""Everything a report template may use, read from the analysis files.

Python decides which numbers and how they are formatted; the templates decide every word.
The variables built here are the templates' interface and are documented in docs/report.md.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from enkat import analysis_files, fmt
from enkat.analysis_files import read_numeric_csv
from enkat.codebook import Codebook, Item, load_codebook
from enkat.errors import EnkatError
from enkat.register_tables import read_register_table
from enkat.report import display, lineage
from enkat.report import narrative as narr
from enkat.report.findings import build_finding
from enkat.report.method_facts import method_facts
from enkat.report_specs import DEFAULT_SECTIONS, TEMPLATE_SECTIONS, narrative_folder
from enkat.suppression import (
    TOTAL,
    Rules,
    footnote_nchs,
    footnote_secondary,
    footnote_unreliable,
)

FIRST_RESULT_CHAPTER = 2  # without config report.sections: chapter 1 is the introduction

# Each estimate and test CSV is read once per report build (it was read up to four times:
# chapter table, marks, base note, narrative). Keyed by path, size and mtime; build_context
# empties it first; callers get a copy, so nothing they change reaches another caller.
_READ: dict[tuple[str, str, int, int], pd.DataFrame] = {}


def _read_once(kind: str, path: str | Path) -> pd.DataFrame:
    stat = Path(path).stat()
    key = (kind, str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _READ:
        reader = analysis_files.read_estimates if kind == "estimates" else analysis_files.read_tests
        _READ[key] = reader(path)
    return _READ[key].copy()


def read_estimates(path: str | Path) -> pd.DataFrame:
    """enkat.analysis_files.read_estimates, read once per build."""
    return _read_once("estimates", path)


def read_tests(path: str | Path) -> pd.DataFrame:
    """enkat.analysis_files.read_tests, read once per build."""
    return _read_once("tests", path)


SHOW = ("table", "figure", "both")


@dataclass(frozen=True)
class ReportInputs:
    """The files a report is built from (the report rule's inputs)."""

    tables: Sequence[str | Path]
    tests: Sequence[str | Path]
    figures: Sequence[str | Path]
    weights: Sequence[str | Path]
    nonresponse: Mapping[str, str | Path]
    audit_trail: str | Path
    codebooks: Mapping[str, str | Path]
    contrasts: Sequence[str | Path] = ()  # analysis/contrasts/<id>.csv (significance marks)
    waves: Sequence[str | Path] = ()  # analysis/waves/<id>.csv (change between waves)
    margins: Sequence[str | Path] = ()  # analysis/weight_margins_<survey>.csv (totals achieved)


def _by_stem(paths: Sequence[str | Path]) -> dict[str, Path]:
    return {Path(p).stem: Path(p) for p in paths}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


# --- surveys and questionnaire ------------------------------------------------------------


def survey_info(book: Codebook) -> dict[str, str]:
    return {"title": book.title, "period": book.period or "", "population": book.population or ""}


def question(item: Item) -> dict[str, Any]:
    """One question of the questionnaire appendix."""
    outside = set(item.not_in_base)
    return {
        "id": item.id,
        "type": item.type,
        "text": item.text,
        "rows": [r.label for r in item.rows],
        "options": [
            {"label": o.label, "code": o.code or "", "outside_base": o.code in outside}
            for o in item.options
        ],
        "filter": (
            {"item": item.filter.item, "values": list(item.filter.values)} if item.filter else None
        ),
        "max_choices": item.max_choices,
    }


# --- tables and figures -------------------------------------------------------------------


FIGURE_SCHEME = "enkat-figure:"


def figure(table_id: str, figures: Mapping[str, Path]) -> dict[str, str] | None:
    """A figure's URL for the PDF, data URL (the self-contained HTML) and alt text.

    The PDF gets the PNG rasterised at print resolution when there is one (WeasyPrint
    draws an SVG figure ten times slower, issue 16); the HTML always the scalable SVG.
    The PDF's URL names the file only (`enkat-figure:T01.png`, served from the figures
    folder by enkat.report.render): WeasyPrint names an image in the PDF after its URL,
    and a path would make two builds in different folders differ.
    """
    svg, txt = figures.get(f"{table_id}.svg"), figures.get(f"{table_id}.txt")
    if svg is None or txt is None:
        return None
    data = base64.b64encode(svg.read_bytes()).decode("ascii")
    printed = figures.get(f"{table_id}.png", svg)
    return {
        "file": FIGURE_SCHEME + printed.name,
        "data": "data:image/svg+xml;base64," + data,
        "alt": txt.read_text(encoding="utf-8").strip(),
    }


def _tests(path: Path | None, estimates: pd.DataFrame, level: float) -> list[dict[str, Any]]:
    if path is None:
        return []
    labels = dict(zip(estimates["variable"], estimates["variable_label"], strict=False))
    tests = read_tests(path)
    return [
        {
            "variable_label": labels.get(r["variable"], r["variable"]),
            "group_label": fmt.group_var_label(r["group_var"]),
            "f": fmt.number(r["statistic"], 2),
            "ndf": fmt.number(r["ndf"], 2),
            "ddf": fmt.number(r["ddf"], 1),
            "p": fmt.p_value(r["p_value"]),
            "p_value": float(r["p_value"]),
            "significant": bool(r["p_value"] < level),
        }
        for _, r in tests.iterrows()
    ]


def survey_table(
    spec: Mapping[str, Any],
    path: Path,
    tests: Mapping[str, Path],
    rules: Rules,
    level: float,
) -> dict[str, Any]:
    estimates = read_estimates(path)
    return {
        "kind": "survey",
        "display": display.survey_table(estimates, rules, cell_ci=bool(spec.get("cell_ci"))),
        "full": [display.full_survey_table(estimates, rules)],
        "tests": _tests(tests.get(spec["id"]), estimates, level),
        "base_n": _total_base(estimates),
    }


def _total_base(estimates: pd.DataFrame) -> int | None:
    """The table's largest Totalt base; None when every Totalt base is hidden ('..')."""
    base = estimates.loc[estimates["group"] == TOTAL, "base_n"].max()
    return None if pd.isna(base) else int(base)


def _significance(
    entry: dict[str, Any], spec: Mapping[str, Any], path: Path, settings: Mapping[str, Any]
) -> None:
    """Significance marks and the wave-change sentence (enkat.contrasts) in the chapter
    table, where config asks for them and their analysis files were built."""
    contrasts = (settings.get("contrasts") or {}).get(str(spec["id"]))
    waves = (settings.get("waves") or {}).get(str(spec["id"]))
    if contrasts is None and waves is None:
        return
    from enkat.contrasts import read_contrasts, table_marks, wave_note

    estimates = read_estimates(path)
    config, estimation = settings["contrast_config"], settings["estimation"]
    marks = table_marks(spec, estimates, contrasts, config, estimation)
    notes = [wave_note(read_contrasts(waves), estimates, spec, config, estimation)] if waves else []
    entry["display"] = display.survey_table(
        estimates, settings["rules"], marks, notes, cell_ci=bool(spec.get("cell_ci"))
    )


def register_table(spec: Mapping[str, Any], path: Path, max_rows: int) -> dict[str, Any]:
    table = read_register_table(path)
    shown = display.register_blocks(table, max_rows)
    full = display.register_blocks(table)
    return {
        "kind": "register",
        "analysis": spec.get("analysis", ""),
        "blocks": shown,
        "full": full,
        "hidden_blocks": [b.caption for b in full if b.caption not in {s.caption for s in shown}],
        "tests": [],
    }


def asked(item: Item | None, items: Mapping[str, Item]) -> list[dict[str, Any]]:
    """Who was asked: the question's filter and each grid row's own filter, as data."""
    if item is None:
        return []
    out = []
    filters = [("", item.filter)] + [(r.label, r.filter) for r in item.rows]
    for row, flt in filters:
        if flt is None:
            continue
        source = items.get(flt.item)
        out.append(
            {
                "row": row,
                "question": source.text if source else flt.item,
                "values": list(flt.values),
            }
        )
    return out


def show_choice(spec: Mapping[str, Any], has_figure: bool, show: Mapping[str, str]) -> str:
    """Table, figure or both in the chapter; by default never both (the workbook has all)."""
    table_id = str(spec["id"])
    choice = str(show.get(table_id, ""))
    if choice and choice not in SHOW:
        raise EnkatError(
            "a report.show entry names an unknown choice",
            file="config/config.yaml",
            key=f"report.show.{table_id}",
            value=choice,
            expected="one of " + ", ".join(SHOW),
        )
    if not has_figure:
        return "table"
    if choice:
        return choice
    return "table" if spec.get("by") else "figure"


def table_entry(
    spec: Mapping[str, Any],
    files: Mapping[str, Path],
    tests: Mapping[str, Path],
    figures: Mapping[str, Path],
    questions: Mapping[str, Mapping[str, Item]],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """One catalogue table with its display layout, tests, figure and question."""
    table_id = str(spec["id"])
    if table_id not in files:
        raise EnkatError(
            "the report needs a table that was not built",
            file=f"analysis/tables/{table_id}.csv",
            expected="one analysis CSV per catalogue table",
            hint="run snakemake to build every table",
        )
    if spec.get("kind", "survey") == "register":
        entry = register_table(spec, files[table_id], int(settings["chapter_max_rows"]))
    else:
        entry = survey_table(spec, files[table_id], tests, settings["rules"], settings["level"])
        _significance(entry, spec, files[table_id], settings)
    survey = str(spec.get("survey", ""))
    items = questions.get(survey, {})
    item = items.get(str(spec.get("item", "")))
    fig = figure(table_id, figures)
    show = show_choice(spec, fig is not None, settings.get("show") or {})
    entry.update(
        id=table_id,
        title=str(spec["title"]),
        survey=survey,
        question=item.text if item else "",
        asked=asked(item, items),
        by=fmt.group_var_label(str(spec["by"])) if spec.get("by") else "",
        filter=dict(spec.get("filter") or {}),
        figure=fig,
        show_table=show in ("table", "both"),
        show_figure=show in ("figure", "both") and fig is not None,
        caveat=settings.get("caveats", {}).get(survey, ""),
    )
    if entry["kind"] == "survey":
        entry["base_note"] = display.base_note(read_estimates(files[table_id]))
    return entry


# --- method --------------------------------------------------------------------------------


def weighting_summary(path: Path, rule: Mapping[str, Any]) -> dict[str, Any]:
    """The weighting rule in force and the weights it gave, per class and overall."""
    weights = read_numeric_csv(path)
    classes = weights[weights["stratum"] != TOTAL]
    total = weights[weights["stratum"] == TOTAL].iloc[0]
    collapsed = classes[classes["collapsed"].astype(str).str.lower() == "true"]
    return {
        "survey": str(total["survey"]),
        "method": str(rule.get("method", total["method"])),
        "classes": list(rule.get("classes") or []),
        "margins": list(rule.get("margins") or []),
        "strata": list(rule.get("strata") or []),  # design strata, when not the classes
        "calibration": dict(rule.get("calibration") or {}),
        "population": str(rule.get("population", "")),
        "min_respondents": rule.get("min_respondents"),
        "trim": rule.get("trim"),
        "rows": _records(classes),
        "collapsed": [
            {"stratum": str(r["stratum"]), "members": str(r["members"])}
            for _, r in collapsed.iterrows()
        ],
        "total": dict(total),
    }


def nonresponse(files: Mapping[str, str | Path]) -> dict[str, Any]:
    """The nonresponse analysis files, as rows."""
    out: dict[str, Any] = {}
    for key, path in files.items():
        out[key] = _records(read_numeric_csv(path))
    r_rows = [r for r in out.get("r_indicators", []) if r.get("indicator") == "R"]
    out["r_indicator"] = r_rows[0]["value"] if r_rows else None
    return out


# --- the whole context ---------------------------------------------------------------------


def chapters(
    catalogue: Mapping[str, Any],
    files: Mapping[str, Path],
    tests: Mapping[str, Path],
    figures: Mapping[str, Path],
    questions: Mapping[str, Mapping[str, Item]],
    settings: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The result chapters in catalogue order, each with its tables."""
    out = []
    for number, chapter in enumerate(catalogue["chapters"], start=FIRST_RESULT_CHAPTER):
        specs = [t for t in catalogue["tables"] if t.get("chapter") == chapter["id"]]
        entries = [table_entry(s, files, tests, figures, questions, settings) for s in specs]
        out.append(
            {
                "id": chapter["id"],
                "title": chapter["title"],
                "number": number,
                "tables": entries,
                "narrative": None,
            }
        )
    return out


def narrative_sources(
    catalogue: Mapping[str, Any],
    files: Mapping[str, Path],
    tests: Mapping[str, Path],
    rules: Rules,
    level: float,
    caveats: Mapping[str, str],
) -> narr.Sources:
    """Every analysis file a narrative may cite, read once."""
    specs = {str(t["id"]): t for t in catalogue["tables"]}
    built = {i: t for i, t in specs.items() if i in files}
    survey = {i: read_estimates(files[i]) for i, t in built.items() if t.get("kind") != "register"}
    register = {
        i: read_register_table(files[i]) for i, t in built.items() if t.get("kind") == "register"
    }
    return narr.Sources(
        specs=specs,
        estimates=survey,
        tests={i: read_tests(p) for i, p in tests.items() if i in specs},
        register=register,
        rules=rules,
        level=level,
        caveats=dict(caveats),
    )


def _section_entry(entry: Any) -> tuple[str, str]:
    if isinstance(entry, Mapping):
        return str(entry["id"]), str(entry.get("title") or "")
    return str(entry), ""


def sections(
    report: Mapping[str, Any],
    chapter_list: list[dict[str, Any]],
    sources: narr.Sources,
) -> list[dict[str, Any]]:
    """The report's sections in config order (report.sections), numbered as a reader sees them.

    Body chapters are numbered 1, 2, ...; the result chapters of the catalogue take their
    place at `resultat`; sections whose id starts with `bilaga_` are appendices (Bilaga 1, ...).
    Text sections are the auditors' Markdown files in `report.narrative`.
    """
    folder = Path(narrative_folder(report))
    out: list[dict[str, Any]] = []
    body = appendix = 0
    for entry in report.get("sections") or DEFAULT_SECTIONS:
        sid, title = _section_entry(entry)
        if sid == "resultat":
            for chapter in chapter_list:
                body += 1
                chapter["number"] = body
                path = folder / f"{chapter['id']}.md"
                tables = {t["id"]: t["title"] for t in chapter["tables"]}
                chapter["narrative"] = (
                    narr.render_narrative(path, sources, str(body), tables)
                    if path.is_file()
                    else None
                )
                if chapter["narrative"] is not None and chapter["narrative"].title:
                    raise EnkatError(
                        "a result chapter's narrative has a title line (#)",
                        file=str(path),
                        value=chapter["narrative"].title,
                        expected="no # line (chapter titles are in config/tables.yaml)",
                    )
                out.append(
                    {
                        "kind": "chapter",
                        "id": chapter["id"],
                        "chapter": chapter,
                        "number": str(body),
                        "title": chapter["title"],
                        "anchor": f"kap-{chapter['id']}",
                    }
                )
            continue
        appendix_section = sid.startswith("bilaga_")
        if appendix_section:
            appendix += 1
            number = f"Bilaga {appendix}"
        elif sid == "sammanfattning":
            number = ""
        else:
            body += 1
            number = str(body)
        anchor = sid.replace("_", "-")
        if sid in TEMPLATE_SECTIONS:
            template = (
                "sections/metod.html.j2" if sid == "bilaga_metod" else f"sections/{sid}.html.j2"
            )
            out.append(
                {
                    "kind": "template",
                    "id": sid,
                    "template": template,
                    "number": number,
                    "title": title or TEMPLATE_SECTIONS[sid],
                    "anchor": anchor,
                }
            )
            continue
        prefix = number if number and not appendix_section else ""
        text = narr.render_narrative(folder / f"{sid}.md", sources, prefix)
        out.append(
            {
                "kind": "summary" if sid == "sammanfattning" else "text",
                "id": sid,
                "number": number,
                "title": title or text.title or sid.capitalize(),
                "anchor": anchor,
                "narrative": text,
            }
        )
    return out


def findings(
    report: Mapping[str, Any],
    catalogue: Mapping[str, Any],
    files: Mapping[str, Path],
    tests: Mapping[str, Path],
    rules: Rules,
    level: float,
    caveats: Mapping[str, str] | None = None,
) -> list[Any]:
    caveats = caveats or {}
    specs = {str(t["id"]): t for t in catalogue["tables"]}
    out = []
    for k, spec in enumerate(report.get("findings") or []):
        key = f"report.findings[{k}]"
        table_id = str(spec["table"])
        if table_id not in files or specs.get(table_id, {}).get("kind") == "register":
            raise EnkatError(
                "a report finding names a table that is not a survey table of the catalogue",
                file="config/config.yaml",
                key=key + ".table",
                value=table_id,
                expected="a survey table id of config/tables.yaml",
            )
        test_path = tests.get(table_id)
        survey = str(specs[table_id].get("survey", ""))
        if survey in caveats and not spec.get("caveat"):
            raise EnkatError(
                "a report finding draws on a survey the config marks as unreliable",
                file="config/config.yaml",
                key=key,
                value=table_id,
                expected="a table of a reliable survey, or `caveat: true` on the finding "
                "(the sentence then carries report.unreliable_surveys." + survey + ")",
            )
        out.append(
            build_finding(
                spec,
                specs[table_id],
                read_estimates(files[table_id]),
                read_tests(test_path) if test_path else None,
                rules,
                level,
                key,
                caveat=caveats.get(survey, "") if spec.get("caveat") else "",
            )
        )
    return out


def build_context(
    inputs: ReportInputs,
    config: Mapping[str, Any],
    catalogue: Mapping[str, Any],
) -> dict[str, Any]:
    """The template context of the report (see docs/report.md)."""
    _READ.clear()
    rules = Rules.from_config(config["suppression"])
    estimation = config["estimation"]
    level = float(estimation.get("test_level", 0.05))
    report = config.get("report") or {}
    books = {s: load_codebook(p) for s, p in inputs.codebooks.items()}
    questions = {s: {i.id: i for i in b.items} for s, b in books.items()}
    files, tests = _by_stem(inputs.tables), _by_stem(inputs.tests)
    figures = {Path(p).name: Path(p) for p in inputs.figures}
    caveats = {str(k): str(v) for k, v in (report.get("unreliable_surveys") or {}).items()}
    settings = {
        "rules": rules,
        "level": level,
        "chapter_max_rows": report.get("chapter_max_rows", 30),
        "show": dict(report.get("show") or {}),
        "caveats": caveats,
        "contrasts": _by_stem(inputs.contrasts),
        "waves": _by_stem(inputs.waves),
        "contrast_config": config.get("contrasts") or {},
        "estimation": estimation,
    }
    chapter_list = chapters(catalogue, files, tests, figures, questions, settings)
    sources = narrative_sources(catalogue, files, tests, rules, level, caveats)
    section_list = sections(report, chapter_list, sources)
    trail = lineage.read_audit_trail(inputs.audit_trail)
    weights = {Path(p).stem.removeprefix("weights_"): Path(p) for p in inputs.weights}
    margins = {Path(p).stem.removeprefix("weight_margins_"): Path(p) for p in inputs.margins}
    nonresponse_rows = nonresponse(inputs.nonresponse)
    return {
        "project": dict(config["project"]),
        "surveys": {s: survey_info(b) for s, b in books.items()},
        "findings": findings(report, catalogue, files, tests, rules, level, caveats),
        "chapters": chapter_list,
        "sections": section_list,
        "assessment_title": str(report.get("assessment_title", "Bedömning")),
        "weighting": {
            s: weighting_summary(p, config["weighting"].get(s, {})) for s, p in weights.items()
        },
        "nonresponse": nonresponse_rows,
        "method": method_facts(
            config,
            weights,
            margins,
            nonresponse_rows.get("rates", []),
            books,
            nonresponse_rows.get("customers", []),
        ),
        "estimation": dict(estimation),
        "suppression": {
            "min_base": rules.min_base,
            "min_group": rules.min_group,
            "min_effective_n": rules.min_effective_n,
            "max_ci_width": rules.max_ci_width,
            "preset": rules.preset,
            "nchs_note": footnote_nchs(),
            "secondary_note": footnote_secondary(),
            "unreliable_note": footnote_unreliable(rules),
        },
        "questionnaire": {s: [question(i) for i in b.items] for s, b in books.items()},
        "lineage": {
            "inputs": lineage.input_files(trail),
            "trail": lineage.trail_rows(trail),
            "rejected": lineage.rejected_rows(trail),
            "config": lineage.config_text(config),
            "config_file": str(report.get("config_copy", "konfiguration.yaml")),
            "config_sha256": lineage.config_digest(config),
            "versions": lineage.software_versions(),
        },
    }
