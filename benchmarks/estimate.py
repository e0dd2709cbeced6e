"""Time every customer table's estimation in one process, as the `table` rules do it.

Each table calls `enkat.tables.write_table` with the arguments its Snakemake job passes
(reading its columns and the weights afresh), so the per-table seconds are the estimation
cost without Snakemake's job start-up. (The job itself, `enkat.table_job`, then also writes
the table's group differences and wave changes; they are not timed here.) Prints one JSON
object to stdout.

    python -m benchmarks.estimate WORKDIR OUT_DIR
    python -m benchmarks.estimate floor WORKDIR [ROUNDS]

`floor` loads the survey and its design once, then times `enkat.tables.estimate_table` of
every customer table against the numpy floor of benchmarks/floor.py on the same data (best
of ROUNDS, default 3), checks that their numbers agree and prints the ratio.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
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


def against_floor(workdir: Path, rounds: int = 3) -> dict[str, Any]:
    """Seconds of enkat's estimation and of the numpy floor for every customer table (the
    data and design read once, codes and units built once per survey), and their ratio."""
    from benchmarks.floor import FloorDesign, compare, floor_table
    from enkat.design import Design
    from enkat.domain_totals import units
    from enkat.tables import align, estimate_table, expand, load_codebook, read_columns

    config = yaml.safe_load((workdir / "config/config.yaml").read_text(encoding="utf-8"))
    catalogue = yaml.safe_load((workdir / config["paths"]["tables"]).read_text(encoding="utf-8"))
    processed = workdir / config["paths"]["processed"]
    codebook = load_codebook(workdir / config["sources"]["customers"]["codebook"])
    specs = customer_tables(catalogue)
    start = time.perf_counter()
    design, ids = Design.read(
        processed / "weights_customers.parquet", processed / "customers.parquet"
    )
    units(design)
    setup_enkat = time.perf_counter() - start
    start = time.perf_counter()
    floor_design = FloorDesign.read(processed / "weights_customers.parquet")
    setup_floor = time.perf_counter() - start
    columns: set[str] = set()
    for spec in specs:
        if spec.get("item"):
            columns |= {v.name for v in codebook.variables(spec["item"])}
        columns |= set(spec.get("variables") or []) | set(spec.get("filter") or {})
        columns |= {spec["by"]} if spec.get("by") else set()
    table = read_columns(processed / "customers.parquet", ["respondent_id", *sorted(columns)])
    data = align(table, ids, "customers")
    orders = group_orders(config)
    level = float(config["estimation"]["confidence_level"])
    method = str(config["estimation"]["ci_method"])
    enkat_s = dict.fromkeys((s["id"] for s in specs), np.inf)
    floor_s = dict(enkat_s)
    worst = 0.0
    for _ in range(rounds):
        for spec in specs:
            variables = expand(spec, codebook, data)
            by = spec.get("by")
            order = orders.get(by) if by else None
            start = time.perf_counter()
            estimates, tests = estimate_table(
                data, design, variables, by, spec.get("filter"), level, method, order
            )
            enkat_s[spec["id"]] = min(enkat_s[spec["id"]], time.perf_counter() - start)
            pairs = [(v.name, v.categories) for v in variables]
            start = time.perf_counter()
            floor = floor_table(floor_design, data, pairs, by, spec.get("filter"), order, level)
            floor_s[spec["id"]] = min(floor_s[spec["id"]], time.perf_counter() - start)
            worst = max(worst, compare(floor, estimates, tests))
    total_enkat, total_floor = sum(enkat_s.values()), sum(floor_s.values())
    return {
        "rows": design.n,
        "tables": len(specs),
        "rounds": rounds,
        "setup_enkat_s": round(setup_enkat, 3),
        "setup_floor_s": round(setup_floor, 3),
        "enkat_s": round(total_enkat, 3),
        "floor_s": round(total_floor, 3),
        "ratio": round(total_enkat / total_floor, 2),
        "max_rel_diff": worst,
        "same": worst < 1e-8,
        "per_table": {t: [round(enkat_s[t], 4), round(floor_s[t], 4)] for t in enkat_s},
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "floor":
        rounds = int(args[2]) if len(args) > 2 else 3
        print(json.dumps(against_floor(Path(args[1]), rounds)))
        return 0
    print(json.dumps(run(Path(args[0]), Path(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
