"""Time every customer table's estimation in one process, as the `table` rules do it.

Each table calls `enkat.tables.write_table` with the arguments its Snakemake job passes
(reading its columns and the weights afresh), so the per-table seconds are the estimation
cost without Snakemake's job start-up. Prints one JSON object to stdout.

    python -m benchmarks.estimate WORKDIR OUT_DIR
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml


def group_orders(config: dict[str, Any]) -> dict[str, list[str]]:
    """Display order of groups, as workflow/rules/estimates.smk passes it."""
    return {
        "office_type": list(config["register"]["office_types"].values()),
        "region": list(config["register"]["regions"]),
    }


def customer_tables(catalogue: dict[str, Any]) -> list[dict[str, Any]]:
    """The catalogue's customer-survey tables."""
    return [
        t
        for t in catalogue["tables"]
        if t.get("kind", "survey") == "survey" and t.get("survey") == "customers"
    ]


def run(workdir: Path, out_dir: Path) -> dict[str, Any]:
    """Estimate every customer table into `out_dir`; seconds per table."""
    started = time.perf_counter()
    from enkat.tables import write_table

    import_s = time.perf_counter() - started
    config = yaml.safe_load((workdir / "config/config.yaml").read_text(encoding="utf-8"))
    catalogue = yaml.safe_load((workdir / config["paths"]["tables"]).read_text(encoding="utf-8"))
    processed = workdir / config["paths"]["processed"]
    codebook = workdir / config["sources"]["customers"]["codebook"]
    seconds: dict[str, float] = {}
    for spec in customer_tables(catalogue):
        start = time.perf_counter()
        write_table(
            spec,
            processed / "customers.parquet",
            processed / "weights_customers.parquet",
            codebook,
            config["estimation"],
            config["suppression"],
            group_orders(config),
            out_dir / "tables" / f"{spec['id']}.csv",
            out_dir / "tests" / f"{spec['id']}.csv" if spec.get("by") else None,
        )
        seconds[spec["id"]] = time.perf_counter() - start
    return {"import_s": import_s, "tables": seconds, "total_s": sum(seconds.values())}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(run(Path(args[0]), Path(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
