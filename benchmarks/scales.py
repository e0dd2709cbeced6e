"""enkat's estimation against the numpy floor at 1 M and 3 M responses (issue 16), in `make bench`.

For each size: the run's own work folder for the default size (its processed files are
already built by the stage runs), or a folder of its own for the others (raw data generated
once and cached; ingest and weighting of the customers built by Snakemake, rebuilt only when
they are out of date). Then `python -m benchmarks.estimate floor` times enkat's estimation of
the customer tables against benchmarks/floor.py on the same data (target: at most 2x), and
one table job - the grid by wave, the largest - is rerun alone by Snakemake with its peak
resident memory (target: under 400 MB; the largest process of the run, i.e. the job).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from benchmarks import Sizes

FLOOR_RATIO = 2.0
TABLE_JOB_MB = 400.0
JOB_TABLE = "KUND_FORTROENDE"  # four grid rows by wave: the most columns a table job reads


def scale_workdir(sizes: Sizes, seed: int, cores: int) -> tuple[Path, dict[str, Any]]:
    """A bench folder of `sizes` with the customers ingested and weighted."""
    from benchmarks import run

    workdir = Path(tempfile.gettempdir()) / f"enkat-bench-scale-{sizes.customers}"
    workdir.mkdir(parents=True, exist_ok=True)
    generated = run.prepare_data(workdir, sizes, seed)
    run.copy_project(workdir)
    setup = run.write_config(workdir)
    processed = setup["config"]["paths"]["processed"]
    targets = [f"{processed}/weights_customers.parquet", f"{processed}/customers.parquet"]
    built = run.snakemake(workdir, targets, workdir / "bench_logs/scale_prepare.log", cores)
    return workdir, {"generate": generated, "prepare": built}


def table_job(workdir: Path, cores: int) -> dict[str, Any]:
    """One table job alone (its inputs brought up to date first, untimed): seconds, peak MB."""
    from benchmarks import run

    target = [f"analysis/tables/{JOB_TABLE}.csv"]
    logs = workdir / "bench_logs"
    ready = run.snakemake(workdir, target, logs / "table_job_inputs.log", cores)
    if not ready["ok"]:
        return ready
    job = run.snakemake(workdir, target, logs / "table_job.log", 1, "--force")
    job["table"] = JOB_TABLE
    job["met"] = job["ok"] and job["peak_mb"] < TABLE_JOB_MB
    return job


def against_floor(
    workdir: Path, sizes: list[int], default: Sizes, seed: int, cores: int
) -> dict[str, Any]:
    """Per size: the floor comparison and the single table job (see the module docstring)."""
    from benchmarks import run

    out: dict[str, Any] = {}
    for customers in sizes:
        result: dict[str, Any] = {}
        folder = workdir
        if customers != default.customers:
            folder, result["setup"] = scale_workdir(
                Sizes(customers, default.frame, default.errands), seed, cores
            )
            if not result["setup"]["prepare"]["ok"]:
                out[str(customers)] = {**result, "ok": False, "error": "preparing the data failed"}
                continue
        log = folder / "bench_logs/floor.json"
        floor = run.json_step(["benchmarks.estimate", "floor", str(folder)], log)
        if floor.get("ok"):
            floor["met"] = bool(floor["same"] and floor["ratio"] <= FLOOR_RATIO)
        result["floor"] = floor
        result["table_job"] = table_job(folder, cores)
        result["ok"] = bool(floor.get("ok") and result["table_job"].get("ok"))
        out[str(customers)] = result
    return out


def summary_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows of the runner's table: ratio to the floor and the table job's memory per size."""
    rows = []
    for customers, r in results.items():
        floor, job = r.get("floor", {}), r.get("table_job", {})
        if floor.get("ok"):
            rows.append(
                (
                    f"estimation vs numpy floor, {int(customers):,} responses",
                    f"{floor['enkat_s']:.2f}",
                    "",
                    f"floor {floor['floor_s']:.2f} s; ratio {floor['ratio']:.2f} "
                    f"(target <= {FLOOR_RATIO:.0f}); numbers agree to "
                    f"{floor['max_rel_diff']:.0e}: " + ("met" if floor["met"] else "MISSED"),
                )
            )
        else:
            rows.append((f"numpy floor, {customers}", "", "", f"FAILED: {floor.get('error', r)}"))
        if job:
            rows.append(
                (
                    f"one table job ({job.get('table', JOB_TABLE)}), {int(customers):,} responses",
                    f"{job.get('seconds', 0):.2f}",
                    f"{job.get('peak_mb', 0):.0f}",
                    f"target < {TABLE_JOB_MB:.0f} MB: " + ("met" if job.get("met") else "MISSED"),
                )
            )
    return rows
