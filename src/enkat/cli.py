"""Running one pipeline step from a thin Snakemake script."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from enkat.errors import EnkatError


def remove_partial(outputs: list[str | Path]) -> None:
    """Delete what a failed step may have written, so nothing half-made is left."""
    for out in outputs:
        path = Path(out)
        if path.is_file():
            path.unlink()


def run_step(
    func: Callable[..., Any],
    *args: Any,
    outputs: list[str | Path] = (),
    log: str | Path | None = None,
    **kwargs: Any,
) -> Any:  # type: ignore[assignment]
    """Call `func`; on `EnkatError` print the message once (no traceback), clean up and exit 1."""
    try:
        return func(*args, **kwargs)
    except EnkatError as err:
        remove_partial(list(outputs))
        text = str(err)
        if log:
            Path(log).parent.mkdir(parents=True, exist_ok=True)
            Path(log).write_text(text + "\n", encoding="utf-8")
        print(text, file=sys.stderr)
        raise SystemExit(1) from None
