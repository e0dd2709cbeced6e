"""The report's building blocks: the safe fetcher, table layouts, findings, templates."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from enkat.errors import EnkatError
from enkat.report import display
from enkat.report.fetcher import RefusedResource, SafeFetcher
from enkat.report.findings import build_finding
from enkat.report.render import environment, p_clause, render_html, swedish_date
from enkat.suppression import Rules

RULES = Rules(min_base=5, min_group=10, min_effective_n=30, max_ci_width=0.30)


def estimates(rows: list[tuple]) -> pd.DataFrame:
    """A long estimate table from (variable, label, group_var, group, category, n, base, est)."""
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
    frame["table_id"], frame["survey"] = "X", "handlers"
    frame["se"] = 0.02
    frame["ci_low"] = frame["estimate"] - 0.04
    frame["ci_high"] = frame["estimate"] + 0.04
    frame["deff"] = 1.0
    frame["suppressed"] = frame["base_n"] < 5
    return frame


# --- fetcher --------------------------------------------------------------------------------


def test_fetcher_serves_files_under_the_allowed_folders(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    css = tmp_path / "templates" / "style.css"
    css.write_text("body {}", encoding="utf-8")
    fetcher = SafeFetcher([tmp_path / "templates"])
    response = fetcher.fetch(css.as_uri())
    assert response.read() == b"body {}"
    assert response.content_type == "text/css"
    assert fetcher.served == [css.as_uri()]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/logo.png",
        "https://example.org/x.css",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "ftp://example.org/x",
    ],
)
def test_fetcher_refuses_everything_else(tmp_path: Path, url: str) -> None:
    fetcher = SafeFetcher([tmp_path])
    with pytest.raises(RefusedResource):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []


def test_fetcher_refuses_a_path_that_climbs_out_of_its_folder(tmp_path: Path) -> None:
    allowed = tmp_path / "templates"
    allowed.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("x", encoding="utf-8")
    fetcher = SafeFetcher([allowed])
    with pytest.raises(RefusedResource):
        fetcher.fetch(allowed.as_uri() + "/../secret.txt")


# --- table layouts ---------------------------------------------------------------------------


def test_a_single_item_lists_answers_with_interval_count_and_base() -> None:
    table = estimates(
        [
            ("Q", "Fråga", "", "Totalt", "Ja", 60, 100, 0.6046),
            ("Q", "Fråga", "", "Totalt", "Nej", 40, 100, 0.3954),
        ]
    )
    shown = display.survey_table(table, RULES)
    assert shown.layout == "single"
    assert [r.headers[0] for r in shown.rows] == ["Ja", "Nej", "Antal svarande (bas)"]
    assert shown.rows[0].cells == ["60,5", "56,5–64,5", "60"]
    assert shown.rows[-1].cells[-1] == "100"


def test_a_by_table_is_a_matrix_with_suppressed_small_groups() -> None:
    table = estimates(
        [
            ("Q", "Fråga", "office_type", "Totalt", "Ja", 60, 100, 0.6),
            ("Q", "Fråga", "office_type", "Totalt", "Nej", 40, 100, 0.4),
            ("Q", "Fråga", "office_type", "Litet kontor", "Ja", 5, 8, 0.625),
            ("Q", "Fråga", "office_type", "Litet kontor", "Nej", 3, 8, 0.375),
        ]
    )
    table.loc[2:, "suppressed"] = True
    shown = display.survey_table(table, RULES)
    assert shown.layout == "matrix"
    assert shown.row_headers == ["Kontorstyp"]
    assert shown.columns == ["Ja", "Nej", "Bas (n)"]
    assert shown.rows[1].cells == ["..", "..", "8"]
    assert shown.suppressed_group and not shown.suppressed_base


def test_an_uncertain_estimate_carries_a_star() -> None:
    table = estimates([("Q", "Fråga", "", "Totalt", "Ja", 10, 20, 0.5)])
    shown = display.survey_table(table, RULES)
    assert shown.rows[0].cells[0] == "50,0*"
    assert shown.uncertain


def test_multiple_choice_shows_the_share_that_chose_each_option() -> None:
    table = estimates(
        [
            ("M_a", "Kurs", "", "Totalt", "Vald", 70, 100, 0.7),
            ("M_a", "Kurs", "", "Totalt", "Ej vald", 30, 100, 0.3),
            ("M_b", "Kollega", "", "Totalt", "Vald", 45, 100, 0.45),
            ("M_b", "Kollega", "", "Totalt", "Ej vald", 55, 100, 0.55),
        ]
    )
    shown = display.survey_table(table, RULES)
    assert shown.multiple
    assert [(r.headers[0], r.cells[0]) for r in shown.rows[:2]] == [
        ("Kurs", "70,0"),
        ("Kollega", "45,0"),
    ]


def test_register_blocks_longer_than_the_limit_go_to_the_appendix_only() -> None:
    rows = [("Per typ", "", "", "Kontorstyp", "Stort kontor", "cost", "Kostnad", "kronor", 227.4)]
    rows += [
        (
            "Per kontor",
            "Kontorstyp",
            "Litet kontor",
            "Kontor",
            f"K{i}",
            "visits",
            "Besök",
            "count",
            1000.0 + i,
        )
        for i in range(5)
    ]
    table = pd.DataFrame(
        rows,
        columns=[
            "block",
            "group_var",
            "group",
            "row_var",
            "row",
            "measure",
            "measure_label",
            "unit",
            "value",
        ],
    )
    shown = display.register_blocks(table, max_rows=3)
    assert [b.caption for b in shown] == ["Per typ"]
    assert shown[0].rows[0].cells == ["227\u00a0kr"]
    assert len(display.register_blocks(table)[1].rows) == 5


# --- findings -----------------------------------------------------------------------------------


def by_office_type() -> pd.DataFrame:
    return estimates(
        [
            ("Q", "Fråga", "office_type", "Totalt", "Ja", 60, 100, 0.6),
            ("Q", "Fråga", "office_type", "Stort kontor", "Ja", 40, 50, 0.8),
            ("Q", "Fråga", "office_type", "Litet kontor", "Ja", 20, 50, 0.4),
        ]
    )


def rao_scott_result(p_value: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "table_id": "X",
                "variable": "Q",
                "group_var": "office_type",
                "statistic": 4.2,
                "ndf": 1.9,
                "ddf": 500.0,
                "p_value": p_value,
            }
        ]
    )


@pytest.mark.parametrize(("p_value", "significant"), [(0.001, True), (0.2, False)])
def test_a_difference_is_called_one_only_when_the_test_is_significant(
    p_value: float, significant: bool
) -> None:
    finding = build_finding(
        {"table": "X", "category": "Ja"},
        {"title": "T"},
        by_office_type(),
        rao_scott_result(p_value),
        RULES,
        0.05,
        "report.findings[0]",
    )
    assert finding.test is not None and finding.test.significant is significant
    assert finding.lowest is not None and finding.lowest.group == "Litet kontor"
    assert finding.highest is not None and finding.highest.group == "Stort kontor"


def test_a_findings_group_extremes_skip_uncertain_groups() -> None:
    """A small group (17 answers: effective n under 30) is not named as the lowest with its
    bare number; the follow-up audit's flexi offices showed it (issue 17.5)."""
    rows = by_office_type()
    small = rows.iloc[[2]].assign(group="Flexkontor", n=2, base_n=17, estimate=0.1)
    finding = build_finding(
        {"table": "X", "category": "Ja"},
        {"title": "T"},
        pd.concat([rows, small], ignore_index=True),
        rao_scott_result(0.001),
        RULES,
        0.05,
        "report.findings[0]",
    )
    assert [g.group for g in finding.groups if g.uncertain] == ["Flexkontor"]
    assert finding.lowest is not None and finding.lowest.group == "Litet kontor"


def test_a_finding_with_an_unknown_category_names_the_key_and_the_choices() -> None:
    with pytest.raises(EnkatError) as err:
        build_finding(
            {"table": "X", "category": "Kanske"},
            {"title": "T"},
            by_office_type(),
            None,
            RULES,
            0.05,
            "report.findings[2]",
        )
    assert err.value.key == "report.findings[2].category"
    assert "'Ja'" in str(err.value.expected)


# --- templates ----------------------------------------------------------------------------------


def test_swedish_dates_and_p_values() -> None:
    assert swedish_date("2022-11-15") == "15 november 2022"
    assert p_clause(0.0004) == "p\u00a0<\u00a00,001"
    assert p_clause(0.0321) == "p\u00a0=\u00a00,032"


def test_an_undefined_template_variable_stops_the_build_naming_the_template(tmp_path: Path) -> None:
    (tmp_path / "report.html.j2").write_text("<p>{{ projekt.title }}</p>", encoding="utf-8")
    env = environment(tmp_path)
    with pytest.raises(EnkatError) as err:
        render_html(env, {}, pdf=True, created=__import__("datetime").datetime(2022, 1, 1))
    assert "projekt" in str(err.value.value)


def test_labels_are_escaped_by_the_templates(tmp_path: Path) -> None:
    (tmp_path / "report.html.j2").write_text("<p>{{ label }}</p>", encoding="utf-8")
    env = environment(tmp_path)
    html = env.get_template("report.html.j2").render(label='<img src="file:///etc/passwd">')
    assert "<img" not in html and "&lt;img" in html


def test_a_cross_tab_shows_the_interval_in_the_cell_where_asked() -> None:
    import pandas as pd

    from enkat.report.display import CELL_CI_NOTE, survey_table
    from enkat.suppression import Rules

    rows = []
    for group, base, supp in (("Totalt", 40, False), ("A", 30, False), ("B", 3, True)):
        for category, p in (("Ja", 0.25), ("Nej", 0.75)):
            rows.append(
                {
                    "table_id": "X", "survey": "handlers", "variable": "V",
                    "variable_label": "V", "group_var": "" if group == "Totalt" else "office_type",
                    "group": group, "category": category, "n": base * p, "base_n": base,
                    "estimate": p, "se": 0.05, "ci_low": p - 0.1, "ci_high": p + 0.1,
                    "deff": 1.0, "suppressed": supp,
                }
            )  # fmt: skip
    estimates = pd.DataFrame(rows)
    rules = Rules.from_config({"min_base": 5, "min_group": 10})
    plain = survey_table(estimates, rules)
    with_ci = survey_table(estimates, rules, cell_ci=True)
    assert "(" not in plain.rows[0].cells[0] and CELL_CI_NOTE not in plain.notes
    assert with_ci.rows[0].cells[0] == "25,0 (15,0–35,0)"
    assert with_ci.rows[-1].cells[0] == ".."  # a suppressed cell shows no interval either
    assert CELL_CI_NOTE in with_ci.notes


# --- the PDF's figures (issue 16) -----------------------------------------------------------


def tiny_png(path: Path) -> Path:
    """A small opaque RGB PNG with distinct pixels, written as enkat.figures.save_png does."""
    import numpy as np
    from PIL import Image

    pixels = np.arange(40 * 30 * 3, dtype=np.uint32).reshape(30, 40, 3) * 7 % 256
    Image.fromarray(pixels.astype(np.uint8), mode="RGB").save(path, format="PNG", compress_level=9)
    return path


@pytest.mark.parametrize("name", ["../secret.png", "sub/f.png", ".hidden.png", ""])
def test_a_figure_url_names_a_file_of_the_figures_folder_only(tmp_path: Path, name: str) -> None:
    from enkat.report.render import write_pdf

    figures = tmp_path / "figures"
    figures.mkdir()
    (figures / "sub").mkdir()
    for file in ("secret.png", "figures/sub/f.png", "figures/.hidden.png"):
        tiny_png(tmp_path / file)
    html = f'<html lang="sv"><body><img src="enkat-figure:{name}" alt="x"></body></html>'
    with pytest.raises(EnkatError, match="not allowed"):
        write_pdf(html, tmp_path, figures, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_the_pdf_holds_the_figure_png_pixel_for_pixel_wherever_the_build_ran(
    tmp_path: Path,
) -> None:
    """The PNG's compressed rows go into the PDF as they are (no decode and re-encode), and
    the PDF's bytes do not depend on the folder the figures were in."""
    import io

    from PIL import Image
    from pypdf import PdfReader

    from enkat.report.render import write_pdf

    html = '<html lang="sv"><body><img src="enkat-figure:f.png" alt="Figur"></body></html>'
    pdfs = []
    for folder in ("a", "bb/c"):
        figures = tmp_path / folder
        figures.mkdir(parents=True)
        png = tiny_png(figures / "f.png")
        write_pdf(html, figures, figures, figures / "out.pdf")
        pdfs.append((figures / "out.pdf").read_bytes())
    assert pdfs[0] == pdfs[1]
    (image,) = PdfReader(io.BytesIO(pdfs[0])).pages[0].images
    with Image.open(png) as original, Image.open(io.BytesIO(image.data)) as embedded:
        assert embedded.convert("RGB").tobytes() == original.tobytes()
    import pikepdf

    from enkat.report.render import _idat

    with pikepdf.Pdf.open(io.BytesIO(pdfs[0])) as pdf:
        (xobject,) = pdf.pages[0].get_images().values()
        assert xobject.read_raw_bytes() == _idat(png.read_bytes())
