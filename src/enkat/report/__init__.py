"""The findings report: context from the analysis files, jinja2 templates, WeasyPrint.

The names below are loaded on first use (PEP 562): a job that needs only one submodule
(`report_config` -> `lineage`, `finding_candidates` -> `findings`) then does not import the
context builder, jinja2 and the renderer at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from enkat.report.context import ReportInputs, build_context
    from enkat.report.render import build_report

__all__ = ["ReportInputs", "build_context", "build_report"]

_HOMES = {
    "ReportInputs": "enkat.report.context",
    "build_context": "enkat.report.context",
    "build_report": "enkat.report.render",
}


def __getattr__(name: str) -> Any:
    """`from enkat.report import build_report` imports its module only now."""
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'enkat.report' has no attribute {name!r}")
