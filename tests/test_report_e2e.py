"""The built demo report, read as a reader and a screen reader would read it.

Every number is recomputed from the analysis CSVs with `enkat.fmt` (not with the report's
own layout code) and looked for in the text pypdf extracts from the PDF.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from enkat import fmt
from enkat.analysis_files import read_estimates
from tests.conftest import run_snakemake

pytestmark = pytest.mark.e2e


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def reader(built_demo: Path) -> PdfReader:
    return PdfReader(built_demo / "output/report.pdf")


@pytest.fixture(scope="module")
def pages(reader: PdfReader) -> list[str]:
    return [normal(page.extract_text()) for page in reader.pages]


@pytest.fixture(scope="module")
def text(pages: list[str]) -> str:
    return " ".join(pages)


@pytest.fixture(scope="module")
def catalogue(built_demo: Path) -> list[dict]:
    return yaml.safe_load((built_demo / "config/tables.yaml").read_text(encoding="utf-8"))["tables"]


def survey_tables(catalogue: list[dict]) -> list[str]:
    return [t["id"] for t in catalogue if t.get("kind", "survey") == "survey"]


def find_in_order(haystack: str, rows: list[list[str]]) -> list[str]:
    """The rows (cells in order, any whitespace between) not found one after another."""
    missing, position = [], 0
    for cells in rows:
        pattern = r"\s*".join(r"(?<![\d,])" + re.escape(normal(c)) + r"\*?(?![\d,])" for c in cells)
        match = re.compile(pattern).search(haystack, position)
        if match is None:
            missing.append(" | ".join(cells))
        else:
            position = match.end()
    return missing


def caption_at(text: str, pattern: str, last: bool = False) -> int:
    """Where a caption starts; pypdf may put a space inside an id ("KUND_HJALP .")."""
    found = [m.start() for m in re.finditer(pattern, text)]
    assert found, f"no caption matching {pattern!r} in the PDF"
    return found[-1] if last else found[0]


def shown_as_table(spec: dict, config: dict) -> bool:
    """What config report.show (and its default) puts in the chapter as a table."""
    choice = (config.get("report", {}).get("show") or {}).get(spec["id"])
    if spec.get("figure", "none") == "none":
        return True
    if choice:
        return choice in ("table", "both")
    return bool(spec.get("by"))


def chapter_slice(text: str, spec: dict) -> str:
    """A chapter table, from its caption ("Tabell 2.3. <title>") to the next caption."""
    title = r"\s?".join(re.escape(w) for w in normal(spec["title"]).split(" "))
    start = caption_at(text, rf"Tabell \d+\.\d+\. {title}(?![,\w])")
    end = text.find("Tabell ", start + 10)
    return text[start : end if end > 0 else None]


@pytest.fixture(scope="module")
def config(built_demo: Path) -> dict:
    return yaml.safe_load((built_demo / "config/config.yaml").read_text(encoding="utf-8"))


def test_every_page_says_which_page_it_is_and_that_the_data_are_synthetic(
    pages: list[str],
) -> None:
    for number, page in enumerate(pages, start=1):
        assert f"Sida {number} av {len(pages)}" in page
        assert "EXEMPELDATA" in page


def test_the_pdf_is_tagged_swedish_pdf_ua_with_title_and_author(reader: PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp or b"<pdfuaid:part>1</pdfuaid:part>" in xmp
    assert reader.metadata is not None
    assert reader.metadata.title == "Servicekontoren – service på lika villkor?"
    assert reader.metadata.author
    assert reader.metadata["/CreationDate"] == "D:20221115000000Z"


def test_every_font_is_embedded_dejavu(reader: PdfReader) -> None:
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor or "/FontFile3" in descriptor
    assert fonts and all(fonts.values())
    assert all("DejaVu" in name for name in fonts)


def test_bookmarks_follow_the_audit_report_structure(reader: PdfReader, built_demo: Path) -> None:
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    chapters = yaml.safe_load((built_demo / "config/tables.yaml").read_text(encoding="utf-8"))
    results = [f"{k} {c['title']}" for k, c in enumerate(chapters["chapters"], start=2)]
    expected = [
        "Sammanfattning",
        "1 Inledning",
        *results,
        f"{len(results) + 2} Slutsatser och rekommendationer",
        "Bilaga 1 Metod och genomförande",
        "Bilaga 2 Frågorna i undersökningarna",
        "Bilaga 3 Dataunderlag och spårbarhet",
    ]
    assert [t for t in titles if t in expected] == expected


def structure_alts(reader: PdfReader) -> list[str]:
    alts: list[str] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif hasattr(node, "get"):
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt", "")))
            if node.get("/K") is not None:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return alts


def shown_figure_descriptions(built_demo: Path, catalogue: list[dict], config: dict) -> list[str]:
    """The text descriptions of the figures the chapters show (report.show: figure or table,
    by default never both: a by-table shows its table, the workbook has everything)."""
    from enkat.report.context import show_choice

    show = (config.get("report") or {}).get("show") or {}
    out = []
    for spec in catalogue:
        path = built_demo / "analysis/figures" / f"{spec['id']}.txt"
        if path.is_file() and show_choice(spec, True, show) in ("figure", "both"):
            out.append(path.read_text(encoding="utf-8").strip())
    return sorted(out)


def test_every_figure_carries_its_text_description_as_alt_text(
    reader: PdfReader, built_demo: Path, catalogue: list[dict], config: dict
) -> None:
    descriptions = shown_figure_descriptions(built_demo, catalogue, config)
    assert descriptions
    assert sorted(structure_alts(reader)) == descriptions


def placed_images(reader: PdfReader) -> list[tuple[int, float, bool]]:
    """Every raster image the PDF draws: its pixel width, the pixels per inch it prints at,
    and whether it has a soft mask (alpha)."""
    found: list[tuple[int, float, bool]] = []
    for page in reader.pages:
        objects = page["/Resources"].get("/XObject")
        if objects is None:
            continue
        objects = objects.get_object()

        def visit(
            operator: bytes, operands: list, cm: list, tm: list, objects: Any = objects
        ) -> None:
            if operator == b"Do":
                image = objects[operands[0]].get_object()
                if image["/Subtype"] == "/Image":
                    ppi = image["/Width"] / (abs(cm[0]) / 72)
                    found.append((int(image["/Width"]), ppi, "/SMask" in image))

        page.extract_text(visitor_operand_before=visit)
    return found


def test_the_pdf_draws_every_figure_as_an_image_at_print_resolution(
    reader: PdfReader, built_demo: Path, catalogue: list[dict], config: dict
) -> None:
    """The PDF shows the PNG the figure job rasterised (issue 16: WeasyPrint draws an SVG
    figure ten times slower), opaque, at 300 pixels an inch or more; the HTML keeps the SVG."""
    from PIL import Image

    images = placed_images(reader)
    assert len(images) == len(shown_figure_descriptions(built_demo, catalogue, config))
    with Image.open(next((built_demo / "analysis/figures").glob("*.png"))) as png:
        width = png.width
    assert all(w == width and ppi >= 300 and not mask for w, ppi, mask in images), images


def test_every_table_is_in_the_workbook_and_the_long_ones_not_in_the_pdf(
    text: str, built_demo: Path, catalogue: list[dict]
) -> None:
    from openpyxl import load_workbook

    book = load_workbook(built_demo / "output/tables.xlsx", read_only=True)
    titles = {str(ws["A1"].value) for ws in book.worksheets}
    for spec in catalogue:
        assert f"{spec['id']}. {spec['title']}" in titles, spec["id"]
    assert "Fullständiga tabeller" not in text
    assert "Medelfel, %-enheter" not in text


def test_the_chapter_tables_show_the_totals_of_the_csvs(
    text: str, built_demo: Path, catalogue: list[dict], config: dict
) -> None:
    shown_tables = 0
    for spec in catalogue:
        if spec.get("kind", "survey") != "survey" or not shown_as_table(spec, config):
            continue
        shown_tables += 1
        table = read_estimates(built_demo / f"analysis/tables/{spec['id']}.csv")
        shown = table[(table["group"] == "Totalt") & ~table["suppressed"]]
        if set(shown["category"]) <= {"Vald", "Ej vald"}:
            shown = shown[shown["category"] == "Vald"]
        chapter = chapter_slice(text, spec)
        for _, r in shown.iterrows():
            value = fmt.percent_value(r["estimate"])
            assert re.search(rf"(?<![\d,]){re.escape(value)}\*?(?![\d,])", chapter), (
                f"{spec['id']} {r['variable']} {r['category']}: {value} not in its chapter table"
            )
    assert shown_tables >= 5


def test_a_figure_and_its_table_never_both_appear_by_default(
    text: str, catalogue: list[dict], config: dict
) -> None:
    explicit = config.get("report", {}).get("show") or {}
    for spec in catalogue:
        if spec.get("figure", "none") == "none" or explicit.get(spec["id"]) == "both":
            continue
        title = r"\s?".join(re.escape(w) for w in normal(spec["title"]).split(" "))
        table = re.search(rf"Tabell \d+\.\d+\. {title}(?![,\w])", text)
        figure = re.search(rf"Figur \d+\.\d+\. {title}(?![,\w])", text)
        assert bool(table) != bool(figure), spec["id"]


def test_the_register_tables_show_the_csv_values(
    text: str, built_demo: Path, catalogue: list[dict]
) -> None:
    from enkat.register_tables import read_register_table

    t10 = read_register_table(built_demo / "analysis/tables/T10.csv")
    chapter = chapter_slice(text, next(t for t in catalogue if t["id"] == "T10"))
    for _, r in t10[t10["unit"] == "kronor"].iterrows():
        assert normal(fmt.kronor(r["value"])) in chapter, (r["row"], r["measure"])


def test_the_lineage_appendix_lists_each_input_with_its_sha256(text: str, built_demo: Path) -> None:
    import hashlib

    for raw in sorted((built_demo / "raw/demo").glob("*.csv")):
        digest = hashlib.sha256(raw.read_bytes()).hexdigest()
        assert digest in text.replace(" ", ""), raw.name


class Markup(HTMLParser):
    """Collects what an accessibility check of the HTML looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.images: list[dict[str, str | None]] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "img":
            self.images.append(a)
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append(str(a[key]))


def test_the_html_is_self_contained_and_accessible(
    built_demo: Path, catalogue: list[dict], config: dict
) -> None:
    markup = Markup()
    markup.feed((built_demo / "output/report.html").read_text(encoding="utf-8"))
    figures = set(shown_figure_descriptions(built_demo, catalogue, config))
    assert markup.lang == "sv"
    assert figures and {img["alt"] for img in markup.images} == figures
    assert all(str(img["src"]).startswith("data:image/svg+xml;base64,") for img in markup.images)
    assert markup.tables == markup.captions > 0
    assert markup.th_without_scope == 0
    assert all(url.startswith(("#", "data:")) for url in markup.urls)


def test_a_codebook_label_with_markup_and_urls_is_printed_as_text(
    built_demo: Path, tmp_path: Path
) -> None:
    """A hostile label reaches the report as text; the build fetches nothing it names."""
    work = tmp_path / "hostile"
    shutil.copytree(built_demo, work, ignore=shutil.ignore_patterns(".snakemake"))
    hostile = 'Ja <img src="file:///etc/passwd"> http://example.org/x.png'
    book = work / "config/codebooks/handlers.yaml"
    source = book.read_text(encoding="utf-8")
    assert "- {code: 1, label: Givarkontor}" in source
    book.write_text(
        source.replace(
            "- {code: 1, label: Givarkontor}", "- {code: 1, label: " + repr(hostile) + "}"
        ).replace(
            "filter: {item: DIST, in: [Givarkontor]}", f"filter: {{item: DIST, in: [{hostile!r}]}}"
        ),
        encoding="utf-8",
    )
    run_snakemake(work)
    html = (work / "output/report.html").read_text(encoding="utf-8")
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file:///etc/passwd">' not in html
    pdf_text = normal(
        " ".join(p.extract_text() for p in PdfReader(work / "output/report.pdf").pages)
    )
    assert normal(hostile) in pdf_text
    assert "root:x:0:0" not in pdf_text


# --- the audit report (issue 12): narrative, structure, budget, reader-facing text ---------

PAGE_BUDGET = 30
ENGLISH = (
    "the",
    "and",
    "of",
    "with",
    "from",
    "table",
    "row",
    "rows",
    "step",
    "read",
    "join",
    "recode",
    "reject",
    "handlers",
    "customers",
    "errands",
    "visits",
    "frame",
    "office",
    "weight",
    "none",
    "true",
    "false",
    "null",
    "source",
    "file",
)


def summary_text(text: str) -> str:
    start = text.find("Sammanfattning", text.find("Innehåll") + 20)
    return text[start : text.find("1 Inledning", start)]


def share(row) -> str:
    low, high = fmt.interval(row["ci_low"], row["ci_high"], 0).split("–")
    return rf"{fmt.percent_value(row['estimate'], 0)} procent \(KI {low}\s?–\s?{high}\)"


def test_the_demo_pdf_keeps_to_the_page_budget(pages: list[str]) -> None:
    assert len(pages) <= PAGE_BUDGET


def test_every_result_chapter_ends_with_the_auditors_assessment(
    text: str, catalogue: list[dict], built_demo: Path
) -> None:
    chapters = yaml.safe_load((built_demo / "config/tables.yaml").read_text(encoding="utf-8"))
    assert text.count("Revisionskontorets bedömning") >= len(chapters["chapters"])
    for part in (
        "Motiv till granskningen",
        "Revisionsfrågor",
        "Bedömningsgrunder",
        "Metod i korthet",
        "Rekommendationer",
    ):
        assert part in text, part


def test_inline_references_print_the_numbers_of_the_csvs(text: str, built_demo: Path) -> None:
    inlogg = read_estimates(built_demo / "analysis/tables/INLOGG.csv")
    yes = inlogg[(inlogg["group"] == "Totalt") & (inlogg["category"] == "Ja")].iloc[0]
    assert re.search(share(yes), summary_text(text)), "INLOGG Ja in the summary"
    t12 = read_estimates(built_demo / "analysis/tables/T12.csv")
    often = t12[(t12["category"] == "Det är ofta för mycket att göra") & (t12["group"] != "Totalt")]
    high = often.loc[often["estimate"].idxmax()]
    assert f"{fmt.percent_value(high['estimate'], 0)} procent ({high['group']})" in text
    from enkat.analysis_files import read_tests

    p = float(read_tests(built_demo / "analysis/tests/T12.csv")["p_value"].iloc[0])
    verdict = "är statistiskt säkerställd" if p < 0.05 else "ingen statistiskt säkerställd"
    assert re.search(r"skillnaden mellan grupperna \(kontorstyp\) " + verdict, text) or (
        verdict.startswith("ingen") and "data visar ingen statistiskt säkerställd" in text
    )


def test_the_unreliable_customer_survey_is_not_a_finding_and_carries_its_caveat(
    text: str, built_demo: Path
) -> None:
    summary = summary_text(text)
    help_ = read_estimates(built_demo / "analysis/tables/KUND_HJALP.csv")
    yes = help_[(help_["group"] == "Totalt") & (help_["category"] == "Ja")].iloc[0]
    assert not re.search(share(yes), summary)
    assert re.search(share(yes), text)  # in the customer chapter, with the caveat
    assert "Förbehåll: kundundersökningen" in text


def test_the_pdf_text_is_reader_facing(text: str, catalogue: list[dict]) -> None:
    words = set(re.findall(r"[A-Za-zÅÄÖåäö_0-9]+", text))
    ids = {t["id"] for t in catalogue if t["id"] in words or t["id"].replace("_", " ") in text}
    assert not ids, f"internal table ids in the PDF: {sorted(ids)}"
    assert not re.search(r"\bRad\b", text)
    english = {w for w in ENGLISH if re.search(rf"(?<![\w/.-]){w}(?![\w/.-])", text)}
    assert not english, f"English words in the PDF: {sorted(english)}"
    assert not re.search(r":\s*:", text)
    assert "statistiskt säker " not in text and "statistiskt säker." not in text


def test_a_bad_reference_stops_the_build_naming_file_line_and_allowed_values(
    built_demo: Path, tmp_path: Path
) -> None:
    work = tmp_path / "badref"
    shutil.copytree(built_demo, work, ignore=shutil.ignore_patterns(".snakemake"))
    chapter = work / "report_templates/chapters/resurser.md"
    lines = chapter.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "Andelen är [[T12 | Det är alltid för mycket att göra]].")
    chapter.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_snakemake(work, check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "report_templates/chapters/resurser.md, row 3" in message
    assert "'Det är ofta för mycket att göra'" in message
    assert "Traceback" not in message
