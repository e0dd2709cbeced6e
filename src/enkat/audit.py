"""The audit trail: each input file's SHA-256 and every row dropped or recoded, per step.

Each ingest job writes `processed/audit/<source>.csv`; `combine_audit` concatenates them
into `processed/audit_trail.csv` in a fixed source order, so the trail is byte-identical
for the same inputs whatever order the jobs ran in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from enkat.errors import EnkatError

if TYPE_CHECKING:  # pandas is imported where used: the Snakefile imports sha256_file
    import pandas as pd

COLUMNS = ["source", "file", "sha256", "step", "rows_in", "rows_out", "reason"]
SOURCE_ORDER = ("register", "frame", "handlers", "customers", "visits", "errands")


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks (inputs can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class AuditTrail:
    """The steps of one source's ingest."""

    def __init__(self, source: str, file: str | Path) -> None:
        self.source = source
        self.file = str(file)
        self.sha256 = sha256_file(file)
        self.rows: list[dict[str, object]] = []

    def add(
        self, step: str, rows_in: int, rows_out: int, reason: str, file: str | Path | None = None
    ) -> None:
        """One step; `file` names another input of the source (its codebook) and its SHA-256."""
        self.rows.append(
            {
                "source": self.source,
                "file": self.file if file is None else str(file),
                "sha256": self.sha256 if file is None else sha256_file(file),
                "step": step,
                "rows_in": int(rows_in),
                "rows_out": int(rows_out),
                "reason": reason,
            }
        )

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=COLUMNS)


def write_csv_atomic(frame: pd.DataFrame, path: str | Path) -> None:
    """UTF-8 CSV with LF line ends, written to a temporary name then renamed."""
    from enkat.atomic import atomic_path
    from enkat.csvsafe import neutralise

    with atomic_path(path) as tmp:
        neutralise(frame).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")


def combine_audit(paths: Sequence[str | Path], out: str | Path) -> pd.DataFrame:
    """One audit trail from the per-source files, sources in pipeline order."""
    import pandas as pd

    from enkat.csvsafe import restore

    parts = []
    for path in paths:
        try:
            part = restore(pd.read_csv(path, dtype=str, keep_default_na=False, lineterminator="\n"))
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise EnkatError(
                "an audit file cannot be read",
                file=str(path),
                value=str(err),
                hint="rerun the ingest step of that source",
            ) from None
        if list(part.columns) != COLUMNS:
            raise EnkatError(
                "an audit file has unexpected columns",
                file=str(path),
                value=", ".join(part.columns),
                expected=", ".join(COLUMNS),
                hint="rerun the ingest step of that source",
            )
        parts.append(part)
    trail = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    order = {s: i for i, s in enumerate(SOURCE_ORDER)}
    trail["_order"] = trail["source"].map(order).fillna(len(order))
    trail = trail.sort_values(["_order", "source"], kind="stable").drop(columns="_order")
    write_csv_atomic(trail, out)
    return trail
