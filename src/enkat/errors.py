"""The one error type for bad input and bad configuration.

Every reader, check and config validator raises `EnkatError` so that a user sees one
message, in one format, naming where the problem is and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _show(value: Any, limit: int = 80) -> str:
    """Quote a value for a message: printable, bounded, never a whole file."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…'"


@dataclass
class EnkatError(Exception):
    """A problem the user can fix: names the file, row, column, value and what was expected."""

    message: str
    file: str | Path | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    expected: str | None = None
    hint: str | None = None
    extra: list[str] = field(default_factory=list)
    key: str | None = None  # a config/codebook key path such as "weighting.handlers.method"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return format_error(self)


def format_error(err: EnkatError) -> str:
    """Render an error as a short block the user reads once."""
    where = []
    if err.file is not None:
        where.append(f"file {err.file}")
    if err.row is not None:
        where.append(f"row {err.row}")
    if err.column is not None:
        where.append(f"column {err.column!r}")
    if err.key is not None:
        where.append(f"key {err.key}")
    lines = [f"enkat: error: {err.message}"]
    if where:
        lines.append("  where:    " + ", ".join(where))
    if err.value is not None:
        lines.append("  value:    " + _show(err.value))
    if err.expected:
        lines.append("  expected: " + err.expected)
    if err.hint:
        lines.append("  fix:      " + err.hint)
    lines.extend("  " + line for line in err.extra)
    return "\n".join(lines)
