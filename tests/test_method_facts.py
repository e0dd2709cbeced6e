"""Method facts and sentences follow the config in force and the weights made (issue 17.1).

The weights are made by enkat.weighting from the R fixture frame, written as the weights
rule writes them; the sentences are those of report_templates/notes.j2, the same the
report's method appendix and the workbook print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from enkat import fmt
from enkat.codebook import load_codebook
from enkat.report.method_facts import method_facts, outside_base, staffless_types, survey_method
from enkat.tables import write_csv
from enkat.weighting import make_weights
from enkat.workbook import Notes

FIXTURES = Path(__file__).parent / "fixtures" / "r"
ROOT = Path(__file__).resolve().parents[1]
COLLAPSE = {
    "Flexikontor": "Litet kontor",
    "Litet kontor": "Mellanstort kontor",
    "Mellanstort kontor": "Stort kontor",
    "Stort kontor": "Mellanstort kontor",
}
OFFICE_TYPES = {
    "stort": "Stort kontor",
    "mellanstort": "Mellanstort kontor",
    "litet": "Litet kontor",
    "flexikontor": "Flexikontor",
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "frame_weighting.csv", dtype=str)


@pytest.fixture(scope="module")
def notes() -> Notes:
    return Notes(ROOT / "report_templates" / "notes.j2")


def facts(frame: pd.DataFrame, settings: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The weights made from `settings`, written as the weights rule does, and their facts."""
    resp = frame[frame["responded"] == "TRUE"].reset_index(drop=True)
    resp = resp.rename(columns={"person_id": "respondent_id"})
    result = make_weights(resp, frame, settings, "handlers")
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(result.summary, folder / "weights_handlers.csv")
    assert result.margins is not None
    write_csv(result.margins, folder / "weight_margins_handlers.csv")
    return survey_method(
        "handlers",
        settings,
        folder / "weights_handlers.csv",
        folder / "weight_margins_handlers.csv",
    )


def text(notes: Notes, f: dict[str, Any]) -> str:
    return " ".join(notes.lines("weighting_sentences", f))


def test_poststratify_names_its_classes_and_the_classes_merged(
    frame: pd.DataFrame, notes: Notes, tmp_path: Path
) -> None:
    settings = {
        "method": "poststratify",
        "classes": ["office_type"],
        "min_respondents": 10,
        "collapse": COLLAPSE,
    }
    f = facts(frame, settings, tmp_path)
    assert f["classes"] == ["office_type"] and f["margins"] == []
    # Flexikontor has 5 respondents: merged with its neighbour Litet kontor, as configured
    assert f["collapse"]["applies"]
    assert [sorted(m["members"]) for m in f["collapse"]["merged"]] == [
        ["Flexikontor", "Litet kontor"]
    ]
    said = text(notes, f)
    assert "Poststratifiering efter kontorstyp" in said
    assert "färre än 10 svarande slås ihop" in said
    assert "Flexikontor och Litet kontor slogs ihop till en klass." in said
    assert "Vikterna trimmas inte." in said
    assert "stämmer med populationens för varje grupp efter kontorstyp" in said
    assert "Viktklasser" not in said and "marginal" not in said


def test_a_collapse_rule_that_merged_nothing_says_so(
    frame: pd.DataFrame, notes: Notes, tmp_path: Path
) -> None:
    settings = {"method": "classes", "classes": ["office_type"], "min_respondents": 3}
    assert not facts(frame, settings, tmp_path)["collapse"]["applies"]  # no neighbours named
    f = facts(frame, {**settings, "collapse": COLLAPSE}, tmp_path)
    assert f["collapse"]["applies"] and f["collapse"]["merged"] == []
    said = text(notes, f)
    assert "Cellviktning efter kontorstyp" in said
    assert "Ingen klass behövde slås ihop." in said


def test_raking_states_margins_and_convergence_never_classes_or_collapsing(
    frame: pd.DataFrame, notes: Notes, tmp_path: Path
) -> None:
    settings = {
        "method": "rake",
        "margins": ["office_type", "region"],
        "min_respondents": 10,
        "collapse": COLLAPSE,  # ignored by raking: the text must not claim it
    }
    f = facts(frame, settings, tmp_path)
    assert f["margins"] == ["office_type", "region"] and f["classes"] == []
    assert not f["collapse"]["applies"]
    said = text(notes, f)
    assert "Kalibrering mot marginalerna kontorstyp och region (raking)" in said
    assert "relativ avvikelse under 0,000001 procent (högst 100 varv)" in said
    assert "slås ihop" not in said and "slogs ihop" not in said
    assert "Viktklass" not in said
    assert [a["exact"] for a in f["achieved"]] == [True, True]


def test_calibrate_states_its_distance_and_bounds(
    frame: pd.DataFrame, notes: Notes, tmp_path: Path
) -> None:
    linear = {"method": "calibrate", "margins": ["office_type", "region"]}
    said = text(notes, facts(frame, linear, tmp_path))
    assert "Kalibrering mot kända totaler för kontorstyp och region, linjär (GREG)." in said
    bounded = {
        **linear,
        "calibration": {"calfun": "raking", "bounds": {"lower": 0.3, "upper": 3.0}},
    }
    said = text(notes, facts(frame, bounded, tmp_path / "b"))
    assert "multiplikativ (raking), med vikter mellan 0,30 och 3,00 gånger startvikten" in said


def test_trimming_states_the_totals_achieved_not_that_they_hold(
    frame: pd.DataFrame, notes: Notes, tmp_path: Path
) -> None:
    settings = {
        "method": "rake",
        "margins": ["office_type", "region"],
        "trim": {"lower": 0.8, "upper": 1.2},
    }
    f = facts(frame, settings, tmp_path)
    margins = pd.read_csv(tmp_path / "weight_margins_handlers.csv")
    assert f["trim"] == {"lower": 0.8, "upper": 1.2, "trimmed": f["trim"]["trimmed"]}
    assert f["trim"]["trimmed"] > 0
    said = text(notes, f)
    assert "totalerna består" not in said  # only the sum of the weights is kept
    assert "så att vikternas summa består" in said
    for name, part in margins.groupby("margin"):
        largest = part["relative_difference"].abs().max()
        achieved = next(a for a in f["achieved"] if a["variables"] == [name])
        assert achieved["largest"] == pytest.approx(largest)
        if largest >= 5e-4:
            label = fmt.group_var_label(str(name)).lower()
            assert (
                f"De vägda totalerna efter {label} avviker från populationens med som mest "
                f"{fmt.percent_value(largest)} procent" in said
            )
    assert "stämmer med populationens" not in said or any(a["exact"] for a in f["achieved"])
    loose = facts(frame, {**settings, "trim": {"lower": 0.1, "upper": 10.0}}, tmp_path / "l")
    assert loose["trim"]["trimmed"] == 0 and all(a["exact"] for a in loose["achieved"])
    assert "ingen vikt låg utanför gränserna" in text(notes, loose)
    untrimmed = facts(frame, {**settings, "trim": None}, tmp_path / "u")
    assert untrimmed["trim"] is None and "Vikterna trimmas inte." in text(notes, untrimmed)


def test_design_strata_given_or_the_default(
    frame: pd.DataFrame, notes: Notes, tmp_path: Path
) -> None:
    base = {"method": "poststratify", "classes": ["office_type"], "collapse": COLLAPSE}
    default = facts(frame, base, tmp_path)
    assert default["strata"] == ["office_type"] and default["default_strata"]
    line = " ".join(notes.lines("design_sentences", default, "enkäten"))
    assert "i strata efter kontorstyp (viktklasserna), med ändlighetskorrektion" in line
    given = facts(frame, {**base, "strata": ["region"]}, tmp_path / "s")
    assert given["strata"] == ["region"] and not given["default_strata"]
    line = " ".join(notes.lines("design_sentences", given, "enkäten"))
    assert "i strata efter region, med" in line and "kontorstyp" not in line
    clustered = {**given, "psu": "office_id", "census": False}
    line = " ".join(notes.lines("design_sentences", clustered, "enkäten"))
    assert "klustrade efter kontor inom strata efter region;" in line
    raked = facts(frame, {"method": "rake", "margins": ["region", "office_type"]}, tmp_path / "r")
    assert raked["strata"] == ["region"]  # the first margin
    assert "(den första marginalen)" in " ".join(notes.lines("design_sentences", raked, "x"))


def test_office_types_without_staff_follow_the_frame() -> None:
    rates = [
        {"variable": "office_type", "group": "Stort kontor", "N": 320},
        {"variable": "office_type", "group": "Mellanstort kontor", "N": 250},
        {"variable": "office_type", "group": "Litet kontor", "N": 118},
        {"variable": "region", "group": "Syd", "N": 100},
        {"variable": "", "group": "Totalt", "N": 688},
    ]
    assert staffless_types(rates, OFFICE_TYPES) == ["Flexikontor"]
    staffed = [*rates, {"variable": "office_type", "group": "Flexikontor", "N": 22}]
    assert staffless_types(staffed, OFFICE_TYPES) == []
    # rates not broken down by office type: nothing is claimed
    assert staffless_types([r for r in rates if r["variable"] != "office_type"], OFFICE_TYPES) == []


def test_answers_outside_the_base_come_from_the_codebook(tmp_path: Path) -> None:
    book = load_codebook(ROOT / "config" / "codebooks" / "handlers.yaml")
    labels = outside_base(book)
    expected = [o.label for i in book.items for o in i.options if o.code in set(i.not_in_base)]
    assert labels == list(dict.fromkeys(expected)) and labels
    text = (ROOT / "config" / "codebooks" / "handlers.yaml").read_text(encoding="utf-8")
    renamed = tmp_path / "handlers.yaml"
    renamed.write_text(text.replace(labels[0], "Ingen utbildning erbjuden"), encoding="utf-8")
    assert outside_base(load_codebook(renamed))[0] == "Ingen utbildning erbjuden"


def test_method_facts_collects_every_survey(frame: pd.DataFrame, tmp_path: Path) -> None:
    settings = {"method": "classes", "classes": ["office_type"], "collapse": COLLAPSE}
    facts(frame, settings, tmp_path)
    config = {
        "weighting": {"handlers": settings},
        "register": {"office_types": OFFICE_TYPES},
        "sources": {"frame": {"variables": ["region"]}},
        "report": {"unreliable_surveys": {"customers": "Förbehåll."}, "free_text": []},
    }
    customers = [
        {"wave": "2021", "variable": "office_type", "group": "Litet kontor", "n": 3},
        {"wave": "2021", "variable": "", "group": "Totalt", "n": 9},
    ]
    out = method_facts(
        config,
        {"handlers": tmp_path / "weights_handlers.csv"},
        {"handlers": tmp_path / "weight_margins_handlers.csv"},
        [{"variable": "office_type", "group": "Stort kontor", "N": 1}],
        {},
        customers,
    )
    assert list(out["surveys"]) == ["handlers"]
    assert out["staffless_types"] == ["Mellanstort kontor", "Litet kontor", "Flexikontor"]
    assert out["rate_variables"] == ["office_type"]
    assert [w["n"] for w in out["customer_waves"]] == [9]
    assert out["caveats"] == {"customers": "Förbehåll."}
    raked = {"method": "rake", "margins": ["office_type", "region"]}
    f = survey_method("handlers", raked, tmp_path / "weights_handlers.csv", None, ["region"])
    assert f["frame_variables"] == ["region"] and f["achieved"] == []


def method_appendix(frame: pd.DataFrame, settings: dict[str, Any], folder: Path) -> str:
    """The method appendix rendered from the shipped templates, as reader-facing text."""
    import html
    import re

    from enkat.report.context import weighting_summary
    from enkat.report.render import environment

    facts(frame, settings, folder)
    rates = [
        {"variable": "office_type", "group": g, "N": int(n), "n": 1, "response_rate": 0.5}
        for g, n in frame.groupby("office_type").size().items()
    ] + [{"variable": "", "group": "Totalt", "N": len(frame), "n": 1, "response_rate": 0.5}]
    config = {
        "weighting": {"handlers": settings},
        "register": {"office_types": OFFICE_TYPES},
        "report": {},
    }
    weights = {"handlers": folder / "weights_handlers.csv"}
    section = {"id": "bilaga_metod", "number": "Bilaga 1", "title": "Metod", "anchor": "metod"}
    context = {
        "section": section,
        "sections": [section],
        "project": {"demo": False},
        "surveys": {},
        "nonresponse": {"rates": rates, "tests": [], "r_indicator": None, "customers": []},
        "weighting": {"handlers": weighting_summary(weights["handlers"], settings)},
        "method": method_facts(
            config, weights, {"handlers": folder / "weight_margins_handlers.csv"}, rates, {}
        ),
        "estimation": {"confidence_level": 0.95, "ci_method": "logit", "test_level": 0.05},
        "suppression": {
            "min_base": 5,
            "min_group": 10,
            "min_effective_n": 30,
            "max_ci_width": 0.3,
            "preset": "enkat",
            "unreliable_note": "",
        },
        "lineage": {"rejected": []},
    }
    env = environment(ROOT / "report_templates")
    page = env.get_template("sections/metod.html.j2").render(**context)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_method_appendix_follows_the_config_and_the_frame(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    classes = {"method": "classes", "classes": ["office_type"], "collapse": COLLAPSE}
    no_flexi = frame[frame["office_type"] != "Flexikontor"]
    said = method_appendix(no_flexi, classes, tmp_path / "c")
    assert "Cellviktning efter kontorstyp" in said
    assert "Tabell B1.2. Vikter per viktklass" in said  # no customer survey: no B1.3 gap
    assert "B1.3 Viktning" in said and "(avsnitt B1.3)" in said
    # the frame has no one at a flexi office, and says so in the codebook's labels
    assert "I handläggarramen finns ingen personal vid flexikontor" in said
    assert "Ingen klass behövde slås ihop." in said

    raked = {
        "method": "rake",
        "margins": ["office_type", "region"],
        "trim": {"lower": 0.8, "upper": 1.2},
        "strata": ["region"],
    }
    said = method_appendix(frame, raked, tmp_path / "r")
    assert "Kalibrering mot marginalerna kontorstyp och region (raking)" in said
    assert "Viktklass" not in said and "slås ihop" not in said and "slogs ihop" not in said
    assert "ingen personal" not in said  # every office type of this frame has staff
    assert "avviker från populationens med som mest" in said
    assert "totalerna består" not in said
    assert "i strata efter region, med ändlighetskorrektion" in said
    assert "Tabell B1.2. Vikter per grupp efter kontorstyp" in said


def test_a_notes_template_without_a_text_or_with_bad_syntax_names_the_file(tmp_path: Path) -> None:
    from enkat.errors import EnkatError

    bare = tmp_path / "notes.j2"
    bare.write_text('{% set survey_names = {"handlers": "enkäten"} %}\n', encoding="utf-8")
    with pytest.raises(EnkatError) as err:
        Notes(bare).data("register_sources")
    assert err.value.file == str(bare) and err.value.value == "register_sources"
    broken = tmp_path / "broken" / "notes.j2"
    broken.parent.mkdir()
    broken.write_text("{% if %}\n", encoding="utf-8")
    with pytest.raises(EnkatError, match="cannot be read") as err:
        Notes(broken)
    assert err.value.file == str(broken)
