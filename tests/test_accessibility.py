"""The built demo report checked by accessibility checkers: the PDF by pdfua (PDF/UA-1) and
by a walk of its structure tree, the HTML by axe-core in headless Chromium.

The checkers are installed by `make setup` (pdfua from requirements.lock, chromium by
tools/check_system.sh, axe-core by npm from tools/axe/package-lock.json). Where one is missing
the test fails under CI (CI=true) and is skipped elsewhere, with the command that installs it.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.browser import AXE, COVERED_TARGETS, Browser, axe_violations, chromium_path

pytestmark = pytest.mark.e2e
NARROW = 320  # CSS px: WCAG 1.4.10 reflow


def missing(what: str, install: str) -> None:
    message = f"{what} is not installed; run: {install}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


# --- PDF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_path(built_demo: Path) -> Path:
    return built_demo / "output/report.pdf"


@pytest.fixture(scope="module")
def pikepdf() -> Any:
    try:
        import pikepdf
    except ImportError:
        missing("pikepdf", "make setup")
    return pikepdf


def _kids(node: Any, pikepdf: Any) -> list[Any]:
    k = node.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _elements(pdf: Any, pikepdf: Any) -> list[Any]:
    """Every structure element, in reading order."""
    out: list[Any] = []

    def walk(node: Any) -> None:
        for kid in _kids(node, pikepdf):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                out.append(kid)
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return out


def _marked(node: Any, pikepdf: Any, pages: dict[Any, int]) -> set[tuple[int, int]]:
    """(page, MCID) of the content an element marks itself (not through children)."""
    found = set()
    for kid in _kids(node, pikepdf):
        if isinstance(kid, int):
            found.add((pages[node.Pg.objgen], int(kid)))
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            found.add((pages[kid.Pg.objgen], int(kid.MCID)))
    return found


def test_the_pdf_ua_checker_finds_nothing(pdf_path: Path, pikepdf: Any) -> None:
    try:
        import pdfua.rules.structure
        from pdfua import validate
    except ImportError:
        missing("pdfua", "make setup")
    # pdfua 0.1.3 asks pikepdf arrays for an attribute, which pikepdf 10 answers with
    # ValueError, so its empty-heading rule would be skipped; an array is no number.
    as_integer = pdfua.rules.structure.as_integer
    pdfua.rules.structure.as_integer = lambda value: (
        None if isinstance(value, pikepdf.Array | pikepdf.Dictionary) else as_integer(value)
    )
    try:
        report = validate(str(pdf_path))
    finally:
        pdfua.rules.structure.as_integer = as_integer
    assert not report.skipped, [(o.rule_id, o.skipped_reason) for o in report.skipped]
    assert not report.findings, [
        (f.rule_id, f.severity.name, f.location.describe(), f.message) for f in report.findings
    ]


def test_every_header_cell_has_a_scope(pdf_path: Path, pikepdf: Any) -> None:
    with pikepdf.open(pdf_path) as pdf:
        cells = [e for e in _elements(pdf, pikepdf) if e.S == "/TH"]
        scopes = [str(e.A.get("/Scope")) if "/A" in e else "None" for e in cells]
    assert cells
    bad = [s for s in scopes if s not in {"/Row", "/Column", "/Both"}]
    assert not bad, f"{len(bad)} of {len(cells)} TH without /Scope"


class HtmlOutline(HTMLParser):
    """Headings, table captions and tables of the published HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.captions: list[str] = []
        self.in_order: list[str] = []  # headings and captions, as they come
        self.tables = 0
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables += 1
        if tag in {"h1", "h2", "h3", "caption"}:
            self._open, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            text = normal("".join(self._text))
            (self.captions if tag == "caption" else self.headings).append(text)
            self.in_order.append(text)
            self._open = None


@pytest.fixture(scope="module")
def html_outline(built_demo: Path) -> HtmlOutline:
    parser = HtmlOutline()
    parser.feed((built_demo / "output/report.html").read_text(encoding="utf-8"))
    return parser


def test_each_table_is_one_tagged_table_even_across_pages(
    pdf_path: Path, pikepdf: Any, html_outline: HtmlOutline
) -> None:
    with pikepdf.open(pdf_path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        tables = [e for e in _elements(pdf, pikepdf) if e.S == "/Table"]
        spans, shapes = [], []
        for table in tables:
            on: set[int] = set()
            stack = [table]
            while stack:
                node = stack.pop()
                on |= {page for page, _ in _marked(node, pikepdf, pages)}
                stack += [k for k in _kids(node, pikepdf) if isinstance(k, pikepdf.Dictionary)]
            spans.append(len(on))
            shapes.append([str(k.S) for k in _kids(table, pikepdf) if "/S" in k])
    assert len(tables) == html_outline.tables
    assert any(n > 1 for n in spans), "no table runs over a page break: the test tests nothing"
    assert all(s.count("/Caption") <= 1 and s.count("/THead") <= 1 for s in shapes), shapes
    assert all("/TBody" in s or "/TR" in s for s in shapes), "a table without rows"


def test_all_content_is_in_the_tree_and_page_furniture_is_an_artifact(
    pdf_path: Path, pikepdf: Any
) -> None:
    with pikepdf.open(pdf_path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        in_tree: set[tuple[int, int]] = set()
        for element in _elements(pdf, pikepdf):
            in_tree |= _marked(element, pikepdf, pages)
        in_content: set[tuple[int, int]] = set()
        furniture = 0
        for index, page in enumerate(pdf.pages):
            artifact_depth, depth = [], 0
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op in {"BDC", "BMC"}:
                    depth += 1
                    if str(operands[0]) == "/Artifact":
                        artifact_depth.append(depth)
                    elif (
                        op == "BDC"
                        and isinstance(operands[1], pikepdf.Dictionary)
                        and "/MCID" in operands[1]
                    ):
                        in_content.add((index, int(operands[1].MCID)))
                elif op == "EMC":
                    if artifact_depth and artifact_depth[-1] == depth:
                        artifact_depth.pop()
                    depth -= 1
                elif op in {"Tj", "TJ"} and artifact_depth:
                    furniture += 1
    assert in_content == in_tree, (
        f"{len(in_content - in_tree)} marked sequences not in the tree, "
        f"{len(in_tree - in_content)} tree references to no content"
    )
    # running header, page number (and the demo line) on every page are artifacts
    assert furniture >= 2 * len(pages)


def test_bookmarks_for_every_heading_and_every_table(
    pdf_path: Path, pikepdf: Any, html_outline: HtmlOutline
) -> None:
    titles: list[str] = []
    with pikepdf.open(pdf_path) as pdf, pdf.open_outline() as outline:
        stack = list(outline.root)
        while stack:
            item = stack.pop(0)
            titles.append(normal(item.title))
            stack[0:0] = list(item.children)
    expected = [t for t in html_outline.in_order if t]
    assert html_outline.captions and html_outline.headings
    assert [t for t in titles if t in expected] == [t for t in expected if t in titles]
    missing_titles = [t for t in expected if t not in titles]
    assert not missing_titles, missing_titles[:5]


def test_no_heading_or_caption_is_empty(pdf_path: Path, pikepdf: Any) -> None:
    with pikepdf.open(pdf_path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        empty = []
        for element in _elements(pdf, pikepdf):
            if re.fullmatch(r"/H\d|/Caption", str(element.S)):
                stack, content = [element], set()
                while stack:
                    node = stack.pop()
                    content |= _marked(node, pikepdf, pages)
                    stack += [k for k in _kids(node, pikepdf) if isinstance(k, pikepdf.Dictionary)]
                if not content:
                    empty.append(str(element.S))
    assert not empty


# --- HTML ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Any:
    executable = chromium_path()
    if executable is None:
        missing("chromium", "make setup (tools/check_system.sh installs Debian's chromium)")
    if not AXE.is_file():
        missing("axe-core", "make setup (npm ci in tools/axe)")
    chromium = Browser(executable)
    yield chromium
    chromium.close()


@pytest.mark.parametrize("width", [1280, NARROW])
def test_axe_core_finds_no_violations(browser: Browser, built_demo: Path, width: int) -> None:
    browser.viewport(width, 900)
    browser.open(built_demo / "output/report.html")
    assert browser.evaluate("document.title")
    violations = axe_violations(browser)
    assert violations == [], violations


@pytest.mark.parametrize("width", [1280, NARROW])
def test_in_page_links_land_on_visible_targets(
    browser: Browser, built_demo: Path, width: int
) -> None:
    browser.viewport(width, 700)
    browser.open(built_demo / "output/report.html")
    result = browser.evaluate(COVERED_TARGETS)
    assert result["count"] > 5
    assert result["covered"] == []


def test_the_page_does_not_scroll_sideways_at_320_px(browser: Browser, built_demo: Path) -> None:
    browser.viewport(NARROW, 640)
    browser.open(built_demo / "output/report.html")
    assert browser.evaluate("innerWidth") == NARROW
    assert browser.evaluate("document.scrollingElement.scrollWidth") <= NARROW
