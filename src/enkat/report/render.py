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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from enkat import fmt
from enkat.errors import EnkatError
from enkat.report.context import ReportInputs, build_context

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

    fetcher = SafeFetcher([templates, figures])
    document = HTML(string=html, base_url=templates.resolve().as_uri() + "/", url_fetcher=fetcher)
    try:
        with repaired_tagging():
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
