"""The auditors' narrative: live references, their errors, suppression and the verdicts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.report import narrative
from enkat.report.findings import finding_candidates
from enkat.suppression import Rules

RULES = Rules(min_base=5, min_group=10, min_effective_n=None, max_ci_width=0.30)


def estimates(table_id: str, rows: list[tuple], survey: str = "handlers") -> pd.DataFrame:
    """(variable, label, group_var, group, category, n, base, estimate) rows."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "variable",
            "variable_label",
            "group_var",
            "group",
            "category",
            "n",
            "base_n",
            "estimate",
        ],
    )
    frame["table_id"], frame["survey"] = table_id, survey
    frame["se"] = 0.02
    frame["ci_low"] = frame["estimate"] - 0.03
    frame["ci_high"] = frame["estimate"] + 0.03
    frame["deff"] = 1.0
    frame["suppressed"] = frame["base_n"] < 5
    return frame


def sources(p_value: float = 0.001, caveats: dict[str, str] | None = None) -> narrative.Sources:
    work = estimates(
        "W",
        [
            ("W", "Arbete", "office_type", "Totalt", "Ofta", 150, 500, 0.30),
            ("W", "Arbete", "office_type", "Totalt", "Sällan", 350, 500, 0.70),
            ("W", "Arbete", "office_type", "Stort", "Ofta", 120, 300, 0.40),
            ("W", "Arbete", "office_type", "Stort", "Sällan", 180, 300, 0.60),
            ("W", "Arbete", "office_type", "Litet", "Ofta", 30, 200, 0.15),
            ("W", "Arbete", "office_type", "Litet", "Sällan", 170, 200, 0.85),
            ("W", "Arbete", "office_type", "Pyttelitet", "Ofta", 1, 3, 0.33),
            ("W", "Arbete", "office_type", "Pyttelitet", "Sällan", 2, 3, 0.67),
        ],
    )
    grid = estimates(
        "G",
        [
            ("G_a", "Alfa", "", "Totalt", "Ja", 90, 100, 0.9),
            ("G_a", "Alfa", "", "Totalt", "Nej", 10, 100, 0.1),
            ("G_b", "Beta", "", "Totalt", "Ja", 2, 4, 0.5),
            ("G_b", "Beta", "", "Totalt", "Nej", 2, 4, 0.5),
        ],
    )
    wide = estimates("U", [("U", "Osäker", "", "Totalt", "Ja", 10, 20, 0.5)], survey="customers")
    wide["ci_low"], wide["ci_high"] = 0.2, 0.8
    tests = pd.DataFrame(
        [
            {
                "table_id": "W",
                "variable": "W",
                "group_var": "office_type",
                "statistic": 9.0,
                "ndf": 1.0,
                "ddf": 100.0,
                "p_value": p_value,
            }
        ]
    )
    cost = pd.DataFrame(
        {
            "table_id": "K",
            "block": "Per kontor",
            "group_var": "",
            "group": "",
            "row_var": "Kontor",
            "row": ["Stora", "Mellan", "Lilla"],
            "measure": "cost_per_visit",
            "measure_label": "Kostnad/besök (kr)",
            "unit": "kronor",
            "value": [100.0, 250.0, 5700.0],
        }
    )
    specs = {
        "W": {"id": "W", "survey": "handlers", "by": "office_type"},
        "G": {"id": "G", "survey": "handlers"},
        "U": {"id": "U", "survey": "customers"},
        "K": {"id": "K", "kind": "register"},
    }
    return narrative.Sources(
        specs=specs,
        estimates={"W": work, "G": grid, "U": wide},
        tests={"W": tests},
        register={"K": cost},
        rules=RULES,
        level=0.05,
        caveats=caveats or {},
    )


def render(tmp_path: Path, text: str, src: narrative.Sources | None = None, **kw) -> str:
    path = tmp_path / "kapitel.md"
    path.write_text(text, encoding="utf-8")
    story = narrative.render_narrative(path, src or sources(), **kw)
    return " ".join(str(p.html) for p in [*story.body, *story.assessment] if p.html)


def test_a_reference_prints_estimate_and_interval(tmp_path: Path) -> None:
    html = render(tmp_path, "Andelen är [[W | Ofta]] och basen [[W | Ofta | bas]].")
    assert "30\u00a0procent (KI 27–33)" in html
    assert "basen 500" in html


def test_group_extremes_skip_suppressed_groups(tmp_path: Path) -> None:
    html = render(tmp_path, "Högst [[W | Ofta | högst]], lägst [[W | Ofta | lägst grupp]].")
    assert "40\u00a0procent (Stort)" in html
    assert "lägst Litet" in html
    assert "Pyttelitet" not in html


def test_a_suppressed_or_uncertain_estimate_never_prints_its_number(tmp_path: Path) -> None:
    html = render(tmp_path, "[[W@Pyttelitet | Ofta | andel]] och [[U | Ja]] och [[G/Beta | Ja]].")
    assert "33" not in html and "50" not in html
    assert html.count("..") == 2
    assert "* (osäker skattning)" in html


@pytest.mark.parametrize(
    ("p", "verdict"),
    [(0.001, "är statistiskt säkerställd"), (0.40, "ingen statistiskt säkerställd")],
)
def test_the_test_decides_the_wording(tmp_path: Path, p: float, verdict: str) -> None:
    text = "Det [[om W skillnad]]skiljer sig[[annars]]skiljer sig inte[[slut]]; [[W | test]]."
    html = render(tmp_path, text, sources(p_value=p))
    assert verdict in html
    assert ("skiljer sig inte" in html) == (p > 0.05)


def test_register_ratio_and_extremes(tmp_path: Path) -> None:
    html = render(
        tmp_path, "[[K | Kostnad/besök (kr) | kvot]] gånger; [[K | Kostnad/besök (kr) | högst]]"
    )
    assert "57 gånger" in html
    assert "5\u00a0700\u00a0kr (Lilla)" in html


def test_a_survey_marked_unreliable_carries_its_caveat(tmp_path: Path) -> None:
    src = sources(caveats={"customers": "Förbehåll: mycket få svar."})
    html = render(tmp_path, "Kunderna: [[U | Ja | bas]].\n\nHandläggarna: [[W | Ofta]].", src)
    assert html.count("Förbehåll: mycket få svar.") == 1


@pytest.mark.parametrize(
    ("text", "line", "allowed"),
    [
        ("Rad ett.\n\n[[X9 | Ja]]", 3, "'W'"),
        ("[[W | Kanske]]", 1, "'Ofta', 'Sällan'"),
        ("Text\n[[W@Mellan | Ofta]]", 2, "'Stort'"),
        ("[[G | Ja]]", 1, "'G/Alfa'"),
        ("[[G/Gamma | Ja]]", 1, "'Alfa'"),
        ("[[W | Ofta | medel]]", 1, "'andel och ki'"),
        ("[[G | test]]", 1, "'W'"),
        ("[[om W skillnad]] text", 1, "[[slut]]"),
        ("[[K | Kostnad]]", 1, "'Kostnad/besök (kr)'"),
        ("[[tabell G]]", 1, "no table"),
    ],
)
def test_a_bad_reference_names_file_line_and_allowed_values(
    tmp_path: Path, text: str, line: int, allowed: str
) -> None:
    with pytest.raises(EnkatError) as caught:
        render(tmp_path, text)
    assert caught.value.row == line
    assert str(caught.value.file).endswith("kapitel.md")
    assert allowed in str(caught.value.expected)


def test_headings_are_numbered_and_the_assessment_is_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "k.md"
    path.write_text(
        "Intro **viktigt**.\n\n## Del\n\n[[tabell W]]\n\n## Bedömning\n\nVi bedömer.",
        encoding="utf-8",
    )
    story = narrative.render_narrative(path, sources(), number="3", tables={"W": "Arbete"})
    body = [str(p.html) for p in story.body if p.html]
    assert body[0] == "<p>Intro <strong>viktigt</strong>.</p>"
    assert body[1] == "<h2>3.1 Del</h2>"
    assert story.placed == ["W"]
    assert [str(p.html) for p in story.assessment] == ["<p>Vi bedömer.</p>"]


def test_markup_in_the_text_is_escaped(tmp_path: Path) -> None:
    html = render(tmp_path, "<script>x</script> [[W | Ofta | andel]]")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_candidates_rank_reliable_findings_first_and_carry_the_caveat() -> None:
    src = sources(caveats={"customers": "Förbehåll."})
    catalogue = {"tables": [dict(s) for s in src.specs.values()]}
    frame = finding_candidates(
        catalogue,
        src.estimates,
        src.tests,
        src.register,
        RULES,
        0.05,
        {"problem_categories": ["Ofta", "Ja"], "min_share": 0.2},
        {"customers": "Förbehåll."},
    )
    assert list(frame["rank"]) == list(range(1, len(frame) + 1))
    kinds = set(frame["kind"])
    assert kinds == {"andel", "skillnad", "spridning"}
    diff = frame[frame["kind"] == "skillnad"].iloc[0]
    assert (diff["high_group"], diff["low_group"]) == ("Stort", "Litet")
    assert diff["gap"] == pytest.approx(0.25)
    unreliable = frame[~frame["reliable"].astype(bool)]
    assert len(unreliable) and (unreliable["caveat"] == "Förbehåll.").all()
    assert unreliable.index.min() > frame[frame["reliable"].astype(bool)].index.max()
