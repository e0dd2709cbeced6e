"""Figures: deterministic SVG, Swedish descriptions from the data, suppression respected."""

from __future__ import annotations

import re
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
    PNG_DPI,
    RC,
    WIDTH_IN,
    _swarm_offsets,
    describe_bars,
    describe_dotplot,
    describe_register_stacked,
    describe_stacked,
    draw_bars,
    draw_dotplot,
    draw_stacked,
    make_figure,
    nominal_palette,
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


# --- the PDF's raster figures (issue 16) ------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        chunks.append(data[position + 4 : position + 8])
        position += 12 + length
    return chunks


@pytest.mark.parametrize(
    ("kind", "register", "frame", "colours"),
    [
        ("stacked", False, grid_table, ordinal_palette(3)),
        ("bars", False, by_table, nominal_palette(1)),
        ("dotplot", True, register_t11, []),
    ],
)
def test_png_is_deterministic_opaque_and_the_svg_drawn(
    tmp_path: Path, kind: str, register: bool, frame: Any, colours: list[str]
) -> None:
    """Same bytes twice; RGB without alpha or time/software chunks; the SVG's size at
    PNG_DPI; the bars' fill colours drawn."""
    from PIL import Image

    csv = write(frame(), tmp_path / "table.csv")
    outputs = []
    for name in ("a", "b"):
        paths = [tmp_path / f"{name}.{ext}" for ext in ("svg", "txt", "png")]
        make_figure(csv, kind, "Titel med åäö", register, True, *paths)
        outputs.append(paths[2].read_bytes())
    assert outputs[0] == outputs[1]
    chunks = png_chunks(outputs[0])  # no tEXt, tIME, gAMA or alpha: only these, IDAT split
    assert chunks[:3] == [b"IHDR", b"pHYs", b"IDAT"] and chunks[-1] == b"IEND"
    assert set(chunks) == {b"IHDR", b"pHYs", b"IDAT", b"IEND"}
    svg = (tmp_path / "a.svg").read_text(encoding="utf-8")
    width_pt, height_pt = (float(v) for v in re.findall(r'(?:width|height)="([\d.]+)pt"', svg)[:2])
    with Image.open(tmp_path / "a.png") as image:
        assert image.mode == "RGB"
        assert abs(image.width - width_pt / 72 * PNG_DPI) <= 1
        assert abs(image.height - height_pt / 72 * PNG_DPI) <= 1
        assert round(image.info["dpi"][0]) == PNG_DPI
        drawn_colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    for colour in colours:
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in drawn_colours, colour


def test_png_prints_at_print_resolution() -> None:
    """At the width the report's CSS gives a figure, the PNG has at least 300 pixels an inch."""
    css = (ROOT / "report_templates/style.css").read_text(encoding="utf-8")
    share = float(re.search(r"figure img \{[^}]*?\bwidth: ([\d.]+)%", css)[1]) / 100
    page = re.search(
        r"@page \{\s*size: A4;\s*margin: ([\d.]+)mm ([\d.]+)mm [\d.]+mm ([\d.]+)mm", css
    )
    text_width_in = (210 - float(page[2]) - float(page[3])) / 25.4
    printed_in = text_width_in * share
    assert round(WIDTH_IN * PNG_DPI) / printed_in >= 300
