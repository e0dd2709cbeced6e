"""docs/errors.md lists every error (issue 6): each message raised in src/enkat, and each
reason a row check records, appears there (literal parts of f-strings)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs/errors.md").read_text(encoding="utf-8")
REASON_ARG = {"add": 3, "add_mask": 4}  # Problems.add(rows, column, values, reason, ...)


def _text(node: ast.expr) -> str | None:
    """A message's literal text, with {} where an f-string inserts a value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "src/enkat").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "EnkatError" and node.args:
                arg = node.args[0]
            elif (
                name in REASON_ARG
                and getattr(func, "value", None) is not None
                and getattr(func.value, "id", "") == "problems"
                and len(node.args) > REASON_ARG[name]
            ):
                arg = node.args[REASON_ARG[name]]
            else:
                continue
            text = _text(arg)
            if text is not None:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    return found


def test_messages_are_found() -> None:
    assert len(messages()) > 100


@pytest.mark.parametrize(("where", "message"), messages())
def test_every_message_is_in_docs_errors_md(where: str, message: str) -> None:
    parts = [p.strip() for p in re.split(r"\{\}", message) if len(p.strip()) > 3]
    missing = [p for p in parts if p not in DOC]
    assert not missing, f"{where}: {message!r} is not documented in docs/errors.md"
