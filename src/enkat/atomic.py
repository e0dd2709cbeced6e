"""Writing outputs under a temporary name and swapping them in only when complete.

A run that fails, fills the disk or is killed part-way must leave the previous file as it
was, never a truncated one: each output is written to a hidden temporary file in the same
folder (same file system, so `os.replace` is atomic) and renamed over the target at the end.
Temporary files a killed run left behind are removed the next time the target is written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sweep_stale(path: str | Path) -> None:
    """Remove temporary files an earlier, killed write of `path` left next to it."""
    path = Path(path)
    if not path.parent.is_dir():
        return
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    for legacy in (path.with_name(path.name + ".partial"), path.with_name(f".{path.name}.tmp")):
        legacy.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write to; it replaces `path` only if the block completes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for readers
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write bytes to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 text with LF line ends to `path` atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_checksums(files: list[str | Path], out: str | Path) -> None:
    """`sha256sum` lines for finished outputs (check with `sha256sum -c`). Written last, it
    also marks the outputs as complete: a failed or killed run leaves it missing, so the
    next run rebuilds what it lists even where the previous version was kept in place."""
    from enkat.audit import sha256_file

    out = Path(out)
    lines = []
    for file in files:
        path = Path(file)
        try:
            name = path.resolve().relative_to(out.resolve().parent).as_posix()
        except ValueError:
            name = path.as_posix()
        lines.append(f"{sha256_file(path)}  {name}\n")
    write_text_atomic(out, "".join(lines))
