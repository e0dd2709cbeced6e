"""Figures: deterministic SVG, Swedish descriptions from the data, suppression respected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.figures import (
    describe_bars,
    describe_dotplot,
    describe_register_stacked,
    describe_stacked,
    make_figure,
    ordinal_palette,
)
from enkat.register_tables import build_register_table
from tests.publication_fixtures import by_table, grid_table, write


def test_stacked_description_names_highest_and_lowest() -> None:
    text = describe_stacked(grid_table())
    assert text.startswith(
        "Andelen som svarat ”Det är tydligt” var högst för Pensionsmyndigheten (61,2\u00a0%) "
        "och lägst för Skatteverket (44,5\u00a0%)."
    )
    assert "Migrationsverket" not in text  # suppressed: never described


def test_bar_description_uses_totals_and_groups() -> None:
    text = describe_bars(by_table())
    assert "”=Delvis, formel?” (54,0\u00a0%)" in text
    assert "högst för Mellanstort kontor (55,0\u00a0%)" in text
    assert "Litet kontor" not in text  # a group below min_group is not broken out


def register_t11() -> pd.DataFrame:
    register = pd.DataFrame(
        {
            "office_id": list("1234"),
            "office_name": ["A", "B", "C", "D"],
            "office_type": ["Stort kontor", "Stort kontor", "Litet kontor", "Litet kontor"],
            "visits": [100_000, 30_000, 16_000, 575],
        }
    )
    return build_register_table(
        "T11",
        "cost_per_visit_range",
        {"register": register},
        {"stort": "Stort kontor", "litet": "Litet kontor"},
        {"stort": 15_300_000, "litet": 3_200_000},
    )


def test_dotplot_description() -> None:
    text = describe_dotplot(register_t11())
    assert "mellan 153\u00a0kr och 5\u00a0565\u00a0kr" in text
    assert "störst för Litet kontor (200–5\u00a0565\u00a0kr)" in text


def test_register_stacked_description() -> None:
    errands = pd.DataFrame(
        {
            "errand_id": list("abcdef"),
            "office_id": ["K"] * 6,
            "agency": ["Skatteverket"] * 3 + ["Arbetsförmedlingen"] * 3,
            "solution": ["Verksamhetssystem"] * 3 + ["Digitalt"] * 2 + ["Verksamhetssystem"],
        }
    )
    table = build_register_table("T13", "errand_solutions", {"errands": errands}, {})
    text = describe_register_stacked(table)
    assert "”Verksamhetssystem”" in text and "högst för Skatteverket (100,0\u00a0%)" in text
    assert "Underlaget är 6 registrerade ärenden." in text


@pytest.mark.parametrize(
    ("kind", "register", "frame"),
    [("stacked", False, grid_table), ("bars", False, by_table), ("dotplot", True, register_t11)],
)
def test_svg_is_deterministic_and_has_no_date(
    tmp_path: Path, kind: str, register: bool, frame: object
) -> None:
    csv = write(frame(), tmp_path / "table.csv")  # type: ignore[operator]
    outputs = []
    for name in ("a", "b"):
        svg, txt = tmp_path / f"{name}.svg", tmp_path / f"{name}.txt"
        make_figure(csv, kind, "Titel med åäö", register, True, svg, txt)
        outputs.append((svg.read_bytes(), txt.read_text(encoding="utf-8")))
    assert outputs[0] == outputs[1]
    svg_bytes, description = outputs[0]
    assert b"<dc:date>" not in svg_bytes and b"Matplotlib" not in svg_bytes.split(b">", 2)[1]
    assert description.rstrip().endswith("exempeldata (syntetiska uppgifter).")


def test_no_demo_sentence_outside_demo(tmp_path: Path) -> None:
    csv = write(grid_table(), tmp_path / "t.csv")
    text = make_figure(csv, "stacked", "T", False, False, tmp_path / "t.svg", tmp_path / "t.txt")
    assert "exempeldata" not in text


def test_unsupported_kind_is_a_config_error(tmp_path: Path) -> None:
    csv = write(grid_table(), tmp_path / "t.csv")
    with pytest.raises(EnkatError, match="figure kind"):
        make_figure(csv, "dotplot", "T", False, False, tmp_path / "t.svg", tmp_path / "t.txt")


def test_ordinal_palette_is_colourbrewer_and_sized() -> None:
    assert ordinal_palette(4) == ["#0571b0", "#92c5de", "#f4a582", "#ca0020"]
    assert len(set(ordinal_palette(9))) >= 8
