"""What the method texts may say about weighting and design, derived from config and data.

One derivation for the report's method appendix and the workbook's notes, so the two can
never disagree and neither repeats what the demo audit happened to do: the method, the
classes or margins, the design strata and clusters follow `weighting.<survey>`; collapsing
is stated only where the method collapses and names the classes actually merged
(`analysis/weights_<survey>.csv`); the margins' weighted totals are those the final weights
achieve (`analysis/weight_margins_<survey>.csv`, after trimming), not what the method
intends; office types without staff and answers outside the base come from the frame and
the codebooks. Words are the templates' (report_templates/); here only facts and numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from enkat import fmt
from enkat.analysis_files import read_numeric_csv
from enkat.codebook import Codebook

TOTAL = "Totalt"
CELL_SEP = " / "  # enkat.weighting.CELL_SEP (not imported: the report job stays light)
MERGE_SEP = " + "
CALIBRATED = ("poststratify", "rake", "calibrate")
COLLAPSING = ("classes", "poststratify")  # the methods that merge small classes
EXACT = 5e-4  # a relative deviation below this rounds to 0,0 percent


def _percent_text(proportion: float) -> str:
    """A small proportion in percent with as many decimals as its first digit needs
    (1e-8 -> '0,000001')."""
    value = proportion * 100
    decimals = max(0, -math.floor(math.log10(value))) if value > 0 else 0
    return fmt.number(value, decimals)


def weighting_variables(rule: Mapping[str, Any]) -> list[str]:
    """The classes or margins the weights are made from, as the weighting step reads them."""
    method = str(rule.get("method", "classes"))
    if method == "none":
        return []
    if method in ("rake", "calibrate"):
        return list(rule.get("margins") or rule.get("classes") or ["office_type"])
    return list(rule.get("classes") or ["office_type"])


def design_strata(rule: Mapping[str, Any]) -> tuple[list[str], bool]:
    """The design strata and whether they are the default (the classes, or the first margin
    for rake/calibrate; enkat.weighting.make_weights)."""
    if rule.get("strata"):
        return list(rule["strata"]), False
    method = str(rule.get("method", "classes"))
    variables = weighting_variables(rule)
    if method in ("rake", "calibrate"):
        return variables[:1], True
    return variables, True


def merged_classes(summary: Any) -> list[dict[str, Any]]:
    """The classes the collapsing merged: each with the original cells it holds."""
    classes = summary[summary["stratum"].astype(str) != TOTAL]
    out = []
    for _, row in classes.iterrows():
        if str(row.get("collapsed", "")).lower() != "true":
            continue
        members = [m for m in str(row["members"]).split(MERGE_SEP) if m]
        out.append({"class": str(row["stratum"]), "members": members})
    return out


def achieved(margins: Any) -> list[dict[str, Any]]:
    """Per margin (or class set): the category whose weighted total is furthest from its
    population total, relative, with both totals; `exact` when that rounds to 0,0 %."""
    out = []
    for name, part in margins.groupby("margin", sort=False):
        deviation = part["relative_difference"].astype(float).abs()
        worst = part.loc[deviation.idxmax()] if deviation.notna().any() else part.iloc[0]
        largest = float(deviation.max()) if deviation.notna().any() else 0.0
        out.append(
            {
                "variables": str(name).split(CELL_SEP),
                "categories": len(part),
                "category": str(worst["category"]),
                "target": float(worst["target"]),
                "achieved": float(worst["achieved"]),
                "relative_difference": float(worst["relative_difference"]),
                "largest": largest,
                "exact": largest < EXACT,
            }
        )
    return out


def survey_method(
    survey: str,
    rule: Mapping[str, Any],
    summary_path: str | Path,
    margins_path: str | Path | None = None,
    frame_variables: Sequence[str] = (),
) -> dict[str, Any]:
    """The facts of one survey's weighting and design: config in force, weights made."""
    summary = read_numeric_csv(summary_path)
    total = summary[summary["stratum"].astype(str) == TOTAL]
    method = str(rule.get("method", "classes"))
    variables = weighting_variables(rule)
    strata, default_strata = design_strata(rule)
    collapse = {str(k): str(v) for k, v in (rule.get("collapse") or {}).items()}
    merged = merged_classes(summary) if method in COLLAPSING else []
    trim = rule.get("trim") or None
    trimmed = int(total["trimmed"].iloc[0]) if len(total) and "trimmed" in total else 0
    options = dict(rule.get("calibration") or {})
    bounds = options.get("bounds") or None
    margins = read_numeric_csv(margins_path) if margins_path else None
    used = [*variables, *strata]
    return {
        "survey": survey,
        "method": method,
        "variables": variables,  # the classes (none, classes, poststratify) or margins
        "classes": variables if method in COLLAPSING else [],
        "margins": variables if method in ("rake", "calibrate") else [],
        "frame_variables": [v for v in dict.fromkeys(used) if v in set(frame_variables)],
        "strata": strata,
        "default_strata": default_strata,
        "psu": str(rule.get("psu") or ""),
        "census": not rule.get("psu"),
        "population": str(rule.get("population", "frame")),
        "calibrated": method in CALIBRATED,
        "collapse": {
            # a rule exists only where the method collapses and config names a neighbour
            "applies": method in COLLAPSING and bool(collapse) and bool(variables),
            "min_respondents": int(rule.get("min_respondents", 10)),
            "merged": merged,
        },
        "calfun": str(options.get("calfun", "linear")) if method == "calibrate" else "",
        "bounds": (
            {"lower": float(bounds["lower"]), "upper": float(bounds["upper"])}
            if method == "calibrate" and bounds
            else None
        ),
        "tolerance": float(rule.get("tolerance", 1e-8)),
        "tolerance_percent": _percent_text(float(rule.get("tolerance", 1e-8))),
        "max_iterations": int(rule.get("max_iterations", 100)),
        "trim": (
            {"lower": float(trim["lower"]), "upper": float(trim["upper"]), "trimmed": trimmed}
            if trim
            else None
        ),
        "achieved": achieved(margins) if margins is not None and len(margins) else [],
    }


def staffless_types(
    rates: Sequence[Mapping[str, Any]], office_types: Mapping[str, Any] | None
) -> list[str]:
    """Office types of config `register.office_types` with no one in the handler frame
    (analysis/nonresponse_rates.csv by office type); empty when the rates are not broken
    down by office type."""
    counted = {
        str(r["group"]): float(r["N"]) for r in rates if str(r.get("variable")) == "office_type"
    }
    if not counted:
        return []
    return [str(label) for label in (office_types or {}).values() if not counted.get(str(label))]


def outside_base(book: Codebook) -> list[str]:
    """Answer labels shown in the codebook but left out of the base, each once, in order."""
    labels: dict[str, None] = {}
    for item in book.items:
        for option in item.options:
            if option.code in set(item.not_in_base):
                labels[option.label] = None
    return list(labels)


def customer_waves(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The whole-wave rows of analysis/nonresponse_customers.csv (group or office_type
    `Totalt`, whichever the file's columns are)."""
    key = "group" if rows and "group" in rows[0] else "office_type"
    return [dict(r) for r in rows if str(r.get(key)) == TOTAL]


def method_facts(
    config: Mapping[str, Any],
    weights: Mapping[str, str | Path],
    margins: Mapping[str, str | Path],
    rates: Sequence[Mapping[str, Any]],
    books: Mapping[str, Codebook],
    customers: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Every method fact the templates state (docs/report.md, `method`)."""
    weighting = config.get("weighting") or {}
    frame_vars = list(((config.get("sources") or {}).get("frame") or {}).get("variables") or [])
    report = config.get("report") or {}
    return {
        "surveys": {
            s: survey_method(s, weighting.get(s) or {}, p, margins.get(s), frame_vars)
            for s, p in weights.items()
        },
        "staffless_types": staffless_types(
            rates, (config.get("register") or {}).get("office_types")
        ),
        "rate_variables": list(dict.fromkeys(str(r["variable"]) for r in rates if r["variable"])),
        "outside_base": {s: outside_base(b) for s, b in books.items()},
        "customer_waves": customer_waves(customers),
        "free_text": list(report.get("free_text") or []),
        "caveats": {str(k): str(v) for k, v in (report.get("unreliable_surveys") or {}).items()},
    }
