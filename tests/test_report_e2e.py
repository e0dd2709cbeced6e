"""The built demo report, read as a reader and a screen reader would read it.

Every number is recomputed from the analysis CSVs with `enkat.fmt` (not with the report's
own layout code) and looked for in the text pypdf extracts from the PDF.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

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


def appendix_slice(text: str, table_id: str) -> str:
    start = caption_at(text, rf"Tabell B2\.\s?{re.escape(table_id)}\s?\. ", last=True)
    end = text.find("Tabell B", start + 10)
    return text[start : end if end > 0 else None]


def chapter_slice(text: str, table_id: str) -> str:
    start = caption_at(text, rf"\(\s?{re.escape(table_id)}\s?\)\s?\. ")
    end = text.find("Tabell ", start + 10)
    return text[start : end if end > 0 else None]


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


def test_bookmarks_follow_the_headings(reader: PdfReader, built_demo: Path) -> None:
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    chapters = yaml.safe_load((built_demo / "config/tables.yaml").read_text(encoding="utf-8"))
    expected = ["Sammanfattning", "1 Metod och genomförande"] + [
        f"{k} {c['title']}" for k, c in enumerate(chapters["chapters"], start=2)
    ]
    assert [t for t in titles if t in expected] == expected
    assert "Bilaga 3 Dataunderlag och spårbarhet" in titles


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


def test_every_figure_carries_its_text_description_as_alt_text(
    reader: PdfReader, built_demo: Path
) -> None:
    descriptions = sorted(
        p.read_text(encoding="utf-8").strip()
        for p in (built_demo / "analysis/figures").glob("*.txt")
    )
    assert descriptions
    assert sorted(structure_alts(reader)) == descriptions


def test_the_appendix_shows_every_estimate_of_every_csv(
    text: str, built_demo: Path, catalogue: list[dict]
) -> None:
    for table_id in survey_tables(catalogue):
        table = read_estimates(built_demo / f"analysis/tables/{table_id}.csv")
        rows = []
        for _, r in table.iterrows():
            hidden = bool(r["suppressed"])
            rows.append(  # numbers only: a long label wraps and pypdf reads it out of line
                [
                    fmt.SUPPRESSED if hidden else fmt.percent_value(r["estimate"]),
                    fmt.SUPPRESSED if hidden else fmt.interval(r["ci_low"], r["ci_high"]),
                    fmt.SUPPRESSED if hidden else fmt.percent_value(r["se"], 2),
                    fmt.SUPPRESSED if hidden else fmt.number(r["n"]),
                    fmt.number(r["base_n"]),
                ]
            )
        missing = find_in_order(appendix_slice(text, table_id), rows)
        assert not missing, f"{table_id}: not in the PDF appendix: {missing[:3]}"


def test_the_chapter_tables_show_the_totals_of_the_csvs(
    text: str, built_demo: Path, catalogue: list[dict]
) -> None:
    for table_id in survey_tables(catalogue):
        table = read_estimates(built_demo / f"analysis/tables/{table_id}.csv")
        shown = table[(table["group"] == "Totalt") & ~table["suppressed"]]
        if set(shown["category"]) <= {"Vald", "Ej vald"}:
            shown = shown[shown["category"] == "Vald"]
        chapter = chapter_slice(text, table_id)
        for _, r in shown.iterrows():
            value = fmt.percent_value(r["estimate"])
            assert re.search(rf"(?<![\d,]){re.escape(value)}\*?(?![\d,])", chapter), (
                f"{table_id} {r['variable']} {r['category']}: {value} not in its chapter table"
            )


def test_the_register_tables_show_the_csv_values(text: str, built_demo: Path) -> None:
    from enkat.register_tables import read_register_table

    t10 = read_register_table(built_demo / "analysis/tables/T10.csv")
    chapter = chapter_slice(text, "T10")
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


def test_the_html_is_self_contained_and_accessible(built_demo: Path) -> None:
    markup = Markup()
    markup.feed((built_demo / "output/report.html").read_text(encoding="utf-8"))
    figures = {
        p.read_text(encoding="utf-8").strip()
        for p in (built_demo / "analysis/figures").glob("*.txt")
    }
    assert markup.lang == "sv"
    assert {img["alt"] for img in markup.images} == figures
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
