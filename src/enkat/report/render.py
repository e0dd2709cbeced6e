"""Rendering the report: jinja2 templates to HTML, WeasyPrint to an accessible PDF.

The HTML and the PDF come from the same templates and the same context; the HTML carries
its figures inline so it can be published on its own, the PDF reads them through the
safe fetcher. Autoescaping is on and undefined template variables are errors, so a
codebook label is always printed as text and a typo in a template stops the build.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import jinja2

from enkat import fmt
from enkat.errors import EnkatError
from enkat.report.context import FIGURE_SCHEME, ReportInputs, build_context

if TYPE_CHECKING:
    from enkat.report.fetcher import SafeFetcher

ENTRY_TEMPLATE = "report.html.j2"
PDF_VARIANT = "pdf/ua-1"
MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def swedish_date(value: str | dt.date) -> str:
    """'2022-11-15' -> '15 november 2022'."""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def p_clause(p: float) -> str:
    """'p = 0,032' or 'p < 0,001': the comparison a reader expects."""
    text = fmt.p_value(p)
    if text.startswith("<"):
        return "p" + fmt.NBSP + "<" + fmt.NBSP + text[1:]
    return "p" + fmt.NBSP + "=" + fmt.NBSP + text


def build_time(project: Mapping[str, Any]) -> dt.datetime:
    """The document's fixed creation time: config, else SOURCE_DATE_EPOCH, else its date."""
    if project.get("source_date_epoch") is not None:
        epoch = int(project["source_date_epoch"])
    elif os.environ.get("SOURCE_DATE_EPOCH"):
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    else:
        day = dt.date.fromisoformat(str(project["date"]))
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def environment(templates: str | Path) -> jinja2.Environment:
    """The jinja2 environment with the Swedish number filters the templates use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=lambda p, d=1: fmt.percent_value(p, d),
        pct_sign=lambda p, d=1: fmt.percent(p, d),
        ci=lambda pair, d=1: fmt.interval(pair[0], pair[1], d),
        num=lambda v, d=0: fmt.number(v, d),
        kr=fmt.kronor,
        p=fmt.p_value,
        p_clause=p_clause,
        quoted=fmt.quoted,
        group_label=fmt.group_var_label,
        date_sv=swedish_date,
    )
    return env


def render_html(
    env: jinja2.Environment, context: Mapping[str, Any], pdf: bool, created: dt.datetime
) -> str:
    """The report as HTML; `pdf` selects print-only parts (embedded fonts, page furniture)."""
    try:
        template = env.get_template(ENTRY_TEMPLATE)
        return template.render(**context, pdf=pdf, created=created.strftime("%Y-%m-%dT%H:%M:%SZ"))
    except jinja2.TemplateError as err:
        name = getattr(err, "filename", None) or getattr(err, "name", None) or ENTRY_TEMPLATE
        raise EnkatError(
            "a report template cannot be rendered",
            file=str(name),
            row=getattr(err, "lineno", None),
            value=str(err),
            hint="see docs/report.md for the variables a template can use",
        ) from None


def write_pdf(html: str, templates: Path, figures: Path, output: Path) -> SafeFetcher:
    """Render the PDF through the safe fetcher; refuse to write it if anything was refused."""
    from weasyprint import HTML  # heavy import, only where a PDF is made
    from weasyprint.urls import FatalURLFetchingError

    from enkat.report.fetcher import SafeFetcher
    from enkat.report.pdftags import repaired_tagging

    fetcher = _figure_fetcher(SafeFetcher)([templates, figures], figures)
    document = HTML(string=html, base_url=templates.resolve().as_uri() + "/", url_fetcher=fetcher)
    try:
        with repaired_tagging(), _png_as_is():
            pdf = document.write_pdf(
                pdf_variant=PDF_VARIANT, pdf_identifier=b"enkat-report", srgb=True
            )
    except FatalURLFetchingError:
        refused = fetcher.refused[0] if fetcher.refused else "?"
        raise EnkatError(
            "the report tried to load a resource that is not allowed",
            value=refused[:200],
            expected="files under " + " or ".join(str(a) for a in fetcher.allowed),
            hint="templates may only refer to report_templates/ and analysis/figures/",
        ) from None
    _write_atomic(output, pdf)
    return fetcher


@contextmanager
def _png_as_is() -> Iterator[None]:
    """While active, WeasyPrint embeds an 8-bit RGB PNG's compressed data as it is.

    WeasyPrint 70 decodes every PNG and encodes it again only to take the IDAT chunks out
    (PNG rows with their filter bytes, deflated: what a PDF image with the PNG predictor
    holds); the figures' PNGs (enkat.figures.save_png) are that already, so their chunks are
    copied and 0.5 s of the report job is saved. Anything else (alpha, palette, interlaced,
    16-bit, not read from a file) goes WeasyPrint's way. The version is pinned (pdftags).
    """
    from weasyprint.images import RasterImage

    original = RasterImage.__dict__["_get_png_data"]
    encode = original.__func__

    def as_is(pillow_image: Any) -> bytes:
        source = getattr(pillow_image, "fp", None)
        data = source.getvalue() if hasattr(source, "getvalue") else None
        if (
            data is None
            or pillow_image.format != "PNG"
            or pillow_image.mode != "RGB"
            or pillow_image.info.get("interlace")
            or data[24:26] != b"\x08\x02"  # IHDR: bit depth 8, colour type 2 (RGB)
        ):
            return bytes(encode(pillow_image))
        return _idat(data)

    RasterImage._get_png_data = staticmethod(as_is)
    try:
        yield
    finally:
        RasterImage._get_png_data = original


def _idat(data: bytes) -> bytes:
    """The concatenated IDAT chunks of a PNG file."""
    chunks, position = [], 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        if data[position + 4 : position + 8] == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    return b"".join(chunks)


def _figure_fetcher(base: type[SafeFetcher]) -> Any:
    """The safe fetcher, also serving `enkat-figure:<file name>` from the figures folder.

    A subclass made here because the fetcher module imports WeasyPrint (heavy).
    """

    class FigureFetcher(base):  # type: ignore[valid-type,misc]
        def __init__(self, allowed: list[str | Path], folder: Path) -> None:
            super().__init__(allowed)
            self.folder = Path(folder).resolve()

        def fetch(self, url: str, headers: object = None) -> Any:
            name = unquote(url.removeprefix(FIGURE_SCHEME))
            if url.startswith(FIGURE_SCHEME) and Path(name).name == name and name[:1] != ".":
                url = (self.folder / name).as_uri()  # a plain file name only; else refused
            return super().fetch(url, headers)

    return FigureFetcher


def _write_atomic(path: Path, data: bytes | str) -> None:
    """Swap the new file in only when it is complete; a failure leaves no temporary file."""
    from enkat.atomic import write_bytes_atomic, write_text_atomic

    if isinstance(data, str):
        write_text_atomic(path, data)
    else:
        write_bytes_atomic(path, data)


def build_report(
    inputs: ReportInputs,
    config: Mapping[str, Any],
    catalogue: Mapping[str, Any],
    templates: str | Path,
    figures_dir: str | Path,
    html_out: str | Path,
    pdf_out: str | Path,
) -> None:
    """Write output/report.html and output/report.pdf from the analysis files."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    templates = Path(templates)
    env = environment(templates)
    created = build_time(config["project"])
    context = build_context(inputs, config, catalogue)
    html = render_html(env, context, False, created)
    printable = render_html(env, context, True, created)
    write_pdf(printable, templates, Path(figures_dir), Path(pdf_out))
    _write_atomic(Path(html_out), html)
