"""Figures: deterministic SVG, Swedish descriptions from the data, suppression respected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from enkat.errors import EnkatError
from enkat.figures import (
    DEMO_NOTE,
    RC,
    _swarm_offsets,
    describe_bars,
    describe_dotplot,
    describe_register_stacked,
    describe_stacked,
    draw_bars,
    draw_dotplot,
    draw_stacked,
    make_figure,
    ordinal_palette,
)
from enkat.register_tables import build_register_table
from tests.publication_fixtures import (
    AGENCIES,
    by_table,
    estimate_rows,
    finish,
    grid_table,
    write,
)


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


def drawn(fig: Figure) -> tuple[Figure, Any]:
    """Lay the figure out as savefig does and return its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return fig, canvas.get_renderer()


LONG_TITLE = (
    "Servicekontorens värde utan tillgång till myndigheternas verksamhetssystem "
    "och 30 000-linjen, per samverkansmyndighet och kontorstyp"
)


@pytest.mark.parametrize(
    ("draw", "frame"),
    [(draw_stacked, grid_table), (draw_bars, by_table), (draw_dotplot, register_t11)],
)
def test_no_text_is_cut_off_or_under_the_demo_note(draw: Any, frame: Any) -> None:
    with rc_context(RC):
        fig, renderer = drawn(draw(frame(), LONG_TITLE, True))
        note = next(t for t in fig.texts if t.get_text() == DEMO_NOTE)
        note_box = note.get_window_extent(renderer)
        for text in fig.findobj(Text):
            if not text.get_visible() or not text.get_text() or text is note:
                continue
            box = text.get_window_extent(renderer)
            assert fig.bbox.x0 - 1 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, text.get_text()
            assert fig.bbox.y0 - 1 <= box.y0 and box.y1 <= fig.bbox.y1 + 1, text.get_text()
            assert not box.overlaps(note_box), text.get_text()
    title = fig.get_suptitle()
    assert "\n" in title and "30\u00a0000-linjen" in title  # wrapped, never inside a number


def test_legend_reads_in_scale_order() -> None:
    """Row by row, left to right: matplotlib fills columns first, so entries are re-ordered."""
    scale = ["Instämmer helt", "Instämmer delvis", "Tar delvis avstånd", "Tar helt avstånd"]
    frame = finish(
        estimate_rows("T08", "handlers", AGENCIES[:2], scale, [[0.4, 0.3, 0.2, 0.1]] * 2, 500)
    )
    with rc_context(RC):
        fig, renderer = drawn(draw_stacked(frame, "T", False))
    texts = fig.legends[0].get_texts()
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in texts}
    reading = sorted(boxes, key=lambda label: (-round(boxes[label].y0), boxes[label].x0))
    assert reading == scale


def test_swarm_sets_apart_only_dots_that_would_overlap() -> None:
    values = np.array([100.0, 101.0, 102.0, 1000.0, 100.5])
    rows = np.array([0, 0, 0, 0, 1])
    offsets = _swarm_offsets(values, rows)
    assert len(set(offsets[:3])) == 3  # three dots at about the same cost: three slots
    assert offsets[3] == 0 and offsets[4] == 0  # far from the others, or alone in its row
