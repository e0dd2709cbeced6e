"""The findings report: context from the analysis files, jinja2 templates, WeasyPrint."""

from enkat.report.context import ReportInputs, build_context
from enkat.report.render import build_report

__all__ = ["ReportInputs", "build_context", "build_report"]
