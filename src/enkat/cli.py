"""Running one pipeline step from a thin Snakemake script."""

from __future__ import annotations

import errno
import sys
import traceback
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


def os_error(err: OSError) -> EnkatError:
    """An operating-system failure (full disk, a folder where a file was expected, no
    permission) as the one error format: the file, the system's reason and what to do."""
    hints = {
        errno.ENOSPC: "free disk space (or point paths.* at a larger disk) and run again",
        errno.EDQUOT: "free disk space within your quota and run again",
        errno.EACCES: "check the permissions of the file and its folder",
        errno.EPERM: "check the permissions of the file and its folder",
        errno.EISDIR: "the path names a folder: correct it in config/config.yaml",
        errno.ENOENT: "check the path in config/config.yaml",
        errno.EROFS: "the disk is read-only: write to another folder",
        errno.EMFILE: "too many open files: close other programs and run again",
    }
    return EnkatError(
        "the operating system refused a file operation",
        file=err.filename,
        value=err.strerror or str(err),
        hint=hints.get(err.errno or 0, "check the file, the disk and the permissions"),
    )


def run_step(
    func: Callable[..., Any],
    *args: Any,
    outputs: list[str | Path] = (),
    log: str | Path | None = None,
    **kwargs: Any,
) -> Any:  # type: ignore[assignment]
    """Call `func`; on `EnkatError` (or an OS error: full disk, a folder for a file) print
    the message once (no traceback), clean up and exit 1. Any other exception is a bug:
    the user reads one message and the traceback is written to the step's log."""
    try:
        return func(*args, **kwargs)
    except Exception as caught:  # every failure ends as one message
        details = ""
        if isinstance(caught, EnkatError):
            err = caught
        elif isinstance(caught, OSError):
            err = os_error(caught)
        else:  # a bug, not the user's input: the traceback goes to the log only
            details = traceback.format_exc()
            err = EnkatError(
                "an unexpected internal error (a fault in enkat, not in your input)",
                value=f"{type(caught).__name__}: {caught}",
                hint=f"the details are in {log}; please report them" if log else None,
            )
        remove_partial(list(outputs))
        text = str(err)
        if log:
            try:
                Path(log).parent.mkdir(parents=True, exist_ok=True)
                Path(log).write_text(text + "\n" + details, encoding="utf-8")
            except OSError:
                pass  # the disk may be the problem; the message still goes to stderr
        print(text, file=sys.stderr)
        raise SystemExit(1) from None
