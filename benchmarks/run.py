"""The benchmark runner (`make bench`): every stage timed at scale, peak memory recorded.

1. Generates (once, cached in the work folder) a million customer responses and a handler
   census of 100 000 (benchmarks/generate.py) and sets up a copy of the project that uses
   them (benchmarks/config/).
2. Runs the Snakemake workflow stage by stage from clean outputs - ingest, weighting, the
   customer tables (SE, CI, Rao-Scott test), the other analyses, workbook, figures, PDF -
   timing each, with the peak resident memory of its largest process (wait4 rusage).
3. Times the customer tables again in one process (`benchmarks/estimate.py`: the estimation
   cost without job start-up) and checks them against a direct computation
   (`benchmarks/reference.py`) and, with --r, against R's survey (`benchmarks/compare_r.R`).
4. Times the demo: a full rebuild from clean outputs, `snakemake -n` with nothing to do, and
   the report job alone (rerun three times; its time from Snakemake's job metadata).
5. Times replicate variance (80 bootstrap replicates) against Taylor at 1 M responses
   (`benchmarks/replicates.py`).
6. Times enkat's estimation of the customer tables against the numpy floor
   (`benchmarks/floor.py`) at 1 M and 3 M responses, and one table job's peak memory at each
   (`benchmarks/scales.py`; `--floor-sizes` to choose the sizes).

Writes benchmarks/results/<date>.json and prints a short table.

    python -m benchmarks.run [--customers N] [--frame N] [--r] [--no-demo] [--workdir DIR]
    python -m benchmarks.run --replicates-only   # replicate variance against Taylor only
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks import SEED, Sizes
from benchmarks.estimate import customer_tables

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
PROJECT_PARTS = (
    "Snakefile",
    "profiles",
    "environment.yml",
    "workflow",
    "config",
    "raw/demo",
    "report_templates",
    "templates",
    "docs",
)
TARGETS = {  # seconds
    "customer_tables": 10.0,
    "demo_rebuild": 40.0,  # issue 16, on an idle machine with 2 cores
    "demo_report_job": 8.0,
    "noop": 3.0,
}
PEAK_TARGET_MB = 2048
EPOCH = "1668470400"
CHECKED_TABLES = (
    "KUND_HJALP",
    "KUND_NOJD_TYP_ALLA",
    "KUND_VANTETID_REGION",
    "KUND_HJALP_TYP",
    "KUND_FORTROENDE",
)


# --- Processes ------------------------------------------------------------------------------


def measure(
    cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a command; wall seconds, exit code, peak RSS (MB) of its largest process, the CPU
    seconds of it and everything it waited for, and the machine's load average (1 min)
    before and after: wall time on a shared machine means little without the load."""
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    load_before = os.getloadavg()[0]
    with open(log, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=environment)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "ok": proc.returncode == 0,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "log": str(log),
    }


def snakemake(
    workdir: Path, targets: list[str], log: Path, cores: int, *extra: str
) -> dict[str, Any]:
    """One Snakemake run in `workdir` building `targets`."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", str(cores), *extra, *targets]
    result = measure(cmd, workdir, log)
    result["jobs"] = _jobs_done(log)
    if not result["ok"]:
        result["error"] = _tail(log)
    return result


def _jobs_done(log: Path) -> int:
    text = log.read_text(encoding="utf-8", errors="replace")
    return text.count("Finished jobid") or text.count("Finished job ")


def _tail(log: Path, lines: int = 6) -> str:
    text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return "\n".join(text[-lines:])


# --- The benchmark project ----------------------------------------------------------------------


def copy_project(dest: Path) -> None:
    """What an auditor's checkout holds (no generated folders), into `dest`."""
    for part in PROJECT_PARTS:
        src = ROOT / part
        if not src.exists():
            continue
        target = dest / part
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        if src.is_dir():
            shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def clean(workdir: Path) -> None:
    """Remove generated outputs, so the run starts from raw exports."""
    for folder in ("processed", "analysis", "output", ".snakemake"):
        shutil.rmtree(workdir / folder, ignore_errors=True)


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of two config mappings (`over` wins)."""
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            merge(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else value
        )
    return out


def bench_catalogue() -> dict[str, Any]:
    """The demo catalogue with its customer-survey tables replaced by the benchmark ones."""
    demo = yaml.safe_load((ROOT / "config/tables.yaml").read_text(encoding="utf-8"))
    extra = yaml.safe_load((HERE / "config/customer_tables.yaml").read_text(encoding="utf-8"))
    kept = [t for t in demo["tables"] if t.get("survey") != "customers"]
    return {"chapters": demo["chapters"], "tables": kept + extra["tables"]}


def write_config(workdir: Path) -> dict[str, Any]:
    """config/config.yaml, the customer codebook and the catalogue of the benchmark copy."""
    base = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    over = yaml.safe_load((HERE / "config/overrides.yaml").read_text(encoding="utf-8"))
    config = merge(base, over)
    config_dir = workdir / "config"
    (config_dir / "config.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    shutil.copy2(HERE / "config/codebooks/customers.yaml", config_dir / "codebooks/customers.yaml")
    catalogue = bench_catalogue()
    (workdir / config["paths"]["tables"]).write_text(
        yaml.safe_dump(catalogue, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return {"config": config, "catalogue": catalogue}


def generator_stamp(sizes: Sizes, seed: int) -> str:
    """What the generated data depend on: sizes, seed, generator and codebooks."""
    digest = hashlib.sha256(f"{sizes}{seed}".encode())
    for path in (
        HERE / "generate.py",
        HERE / "config/codebooks/customers.yaml",
        ROOT / "config/codebooks/handlers.yaml",
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def prepare_data(workdir: Path, sizes: Sizes, seed: int) -> dict[str, Any]:
    """Generate the raw exports unless the cached ones were made the same way."""
    raw = workdir / "raw/bench"
    stamp = raw / ".stamp"
    want = generator_stamp(sizes, seed)
    if stamp.is_file() and stamp.read_text() == want:
        return {"seconds": 0.0, "cached": True}
    shutil.rmtree(raw, ignore_errors=True)
    result = measure(
        [
            sys.executable,
            "-m",
            "benchmarks.generate",
            str(raw),
            "--customers",
            str(sizes.customers),
            "--frame",
            str(sizes.frame),
            "--errands",
            str(sizes.errands),
            "--seed",
            str(seed),
        ],
        ROOT,
        workdir / "bench_logs/generate.log",
    )
    if not result["ok"]:
        raise SystemExit(f"generating the data failed:\n{_tail(Path(result['log']))}")
    stamp.write_text(want)
    result["mb"] = round(sum(p.stat().st_size for p in raw.glob("*.csv")) / 2**20, 1)
    return {**result, "cached": False}


# --- Stages ----------------------------------------------------------------------------------


def stage_targets(setup: dict[str, Any]) -> dict[str, list[str]]:
    """Output files of each stage, in build order."""
    config, catalogue = setup["config"], setup["catalogue"]
    processed, analysis, output = (config["paths"][k] for k in ("processed", "analysis", "output"))
    tables = catalogue["tables"]
    customers = [t["id"] for t in customer_tables(catalogue)]
    by = {t["id"] for t in tables if t.get("by")}
    others = [t["id"] for t in tables if t["id"] not in customers]

    def table_files(ids: list[str]) -> list[str]:
        return [f"{analysis}/tables/{t}.csv" for t in ids] + [
            f"{analysis}/tests/{t}.csv" for t in ids if t in by
        ]

    # the figures the report shows (report.show), the only ones the workflow draws
    from enkat.report.context import show_choice

    show = (config.get("report") or {}).get("show") or {}
    figures = [
        t["id"]
        for t in tables
        if t.get("figure", "none") != "none" and show_choice(t, True, show) != "table"
    ]
    return {
        "ingest": [f"{processed}/{s}.parquet" for s in config["sources"]]
        + [f"{processed}/audit_trail.csv"],
        "weighting": [
            f"{processed}/weights_{s}.{ext}"
            for s in ("handlers", "customers")
            for ext in ("csv", "parquet")
        ],
        "customer_tables": table_files(customers),
        "other_analyses": [
            *table_files(others),
            f"{analysis}/nonresponse_rates.csv",
            f"{analysis}/nonresponse_customers.csv",
        ],
        "workbook": [f"{output}/tables.xlsx"],
        "figures": [f"{analysis}/figures/{f}.{e}" for f in figures for e in ("svg", "png", "txt")],
        "report": [f"{output}/report.pdf", f"{output}/report.html"],
    }


def run_stages(workdir: Path, setup: dict[str, Any], cores: int) -> dict[str, Any]:
    """Each stage's Snakemake run, from clean outputs, in order, then `snakemake -n`.

    Without a report rule (the report not written yet) the report stage is recorded as
    failed and `-n` is timed on the other stages' targets, so what exists is still timed.
    """
    results = {}
    stages = stage_targets(setup)
    for stage, targets in stages.items():
        results[stage] = snakemake(workdir, targets, workdir / f"bench_logs/{stage}.log", cores)
        results[stage]["targets"] = len(targets)
    noop_targets = noop_scope(results["report"], stages)
    results["noop"] = snakemake(workdir, noop_targets, workdir / "bench_logs/noop.log", cores, "-n")
    results["noop"]["scope"] = "all" if not noop_targets else "all but the report"
    return results


def noop_scope(report: dict[str, Any], stages: dict[str, list[str]]) -> list[str]:
    """Targets of `snakemake -n`: the default (everything) unless the report cannot be built."""
    if report["ok"]:
        return []
    return [t for stage, targets in stages.items() if stage != "report" for t in targets]


def direct_tables(workdir: Path) -> dict[str, Any]:
    """Customer tables in one process (benchmarks/estimate.py), with its peak memory."""
    out_dir = workdir / "bench_direct"
    shutil.rmtree(out_dir, ignore_errors=True)
    log = workdir / "bench_logs/direct_tables.json"
    result = measure(
        [sys.executable, "-m", "benchmarks.estimate", str(workdir), str(out_dir)], ROOT, log
    )
    if result["ok"]:
        result.update(json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1]))
        result["identical_to_workflow"] = same_tables(out_dir, workdir / "analysis")
    else:
        result["error"] = _tail(log)
    return result


def same_tables(a: Path, b: Path) -> bool | None:
    """Whether every table/test CSV under `a` equals the one under `b` byte for byte."""
    files = sorted(p.relative_to(a) for p in a.rglob("*.csv"))
    if not all((b / f).is_file() for f in files):
        return None
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def json_step(args: list[str], log: Path) -> dict[str, Any]:
    """Run `python -m <module> ...` that prints one JSON object last; its result merged in."""
    result = measure([sys.executable, "-m", *args], ROOT, log)
    if result["ok"]:
        result.update(json.loads(log.read_text(encoding="utf-8").strip().splitlines()[-1]))
    else:
        result["error"] = _tail(log)
    return result


def reference_check(workdir: Path) -> dict[str, Any]:
    """enkat's customer tables against the direct computation of benchmarks/reference.py."""
    return json_step(
        ["benchmarks.reference", str(workdir), *CHECKED_TABLES],
        workdir / "bench_logs/reference.json",
    )


def r_compare(workdir: Path) -> dict[str, Any]:
    """R survey's times and numbers for the same tables (benchmarks/compare_r.R)."""
    if shutil.which("Rscript") is None:
        return {"ok": False, "error": "Rscript not found"}
    logs = workdir / "bench_logs"
    export = json_step(["benchmarks.compare_r", "export", str(workdir)], logs / "r_export.log")
    if not export["ok"]:
        return export
    result = measure(
        ["Rscript", str(HERE / "compare_r.R"), str(workdir / "bench_r")],
        ROOT,
        logs / "compare_r.log",
    )
    if not result["ok"]:
        result["error"] = _tail(logs / "compare_r.log")
        return result
    compared = json_step(["benchmarks.compare_r", "compare", str(workdir)], logs / "r_compare.json")
    return {
        **compared,
        "seconds": result["seconds"],
        "peak_mb": result["peak_mb"],
        "ok": compared["ok"],
    }


def replicate_variance(workdir: Path, rows: int) -> dict[str, Any]:
    """Taylor against 80 bootstrap replicates on a synthetic design of `rows` responses
    (benchmarks/replicates.py; target: at most 5 times the Taylor time)."""
    return json_step(
        ["benchmarks.replicates", "--rows", str(rows)],
        workdir / "bench_logs/replicate_variance.json",
    )


def demo_checks(cores: int) -> dict[str, Any]:
    """A full rebuild of the demo from clean outputs, then `snakemake -n` with nothing to do
    (the median of three). Without a report rule, both are timed on everything else."""
    with tempfile.TemporaryDirectory(prefix="enkat-demo-bench-") as tmp:
        workdir = Path(tmp)
        copy_project(workdir)
        logs = workdir / "bench_logs"
        rebuild = snakemake(workdir, [], logs / "rebuild.log", cores)
        targets: list[str] = []
        if not rebuild["ok"] and "report" in rebuild.get("error", ""):
            clean(workdir)
            config = yaml.safe_load((workdir / "config/config.yaml").read_text(encoding="utf-8"))
            catalogue = yaml.safe_load(
                (workdir / config["paths"]["tables"]).read_text(encoding="utf-8")
            )
            stages = stage_targets({"config": config, "catalogue": catalogue})
            targets = noop_scope({"ok": False}, stages)
            rebuild = snakemake(workdir, targets, logs / "rebuild.log", cores)
        noops = [snakemake(workdir, targets, logs / f"noop{i}.log", cores, "-n") for i in range(3)]
        noop = sorted(noops, key=lambda r: r["seconds"])[1]
        noop["nothing_to_do"] = "Nothing to be done" in Path(noop["log"]).read_text(
            encoding="utf-8", errors="replace"
        )
        for result in (rebuild, noop):
            result.pop("log")
            result["scope"] = "all" if not targets else "all but the report"
            result["cores"] = cores
        checks = {"rebuild": rebuild, "noop": noop}
        if not targets:
            checks["report_job"] = demo_report_job(workdir)
        return checks


def job_seconds(workdir: Path, output: str) -> float | None:
    """How long the job that wrote `output` ran, start to end, as Snakemake recorded it
    (.snakemake/metadata): the job alone, without building the DAG."""
    import base64

    name = base64.urlsafe_b64encode(output.encode()).decode()
    record = workdir / ".snakemake/metadata" / name
    if not record.is_file():
        return None
    meta = json.loads(record.read_text(encoding="utf-8"))
    return round(meta["endtime"] - meta["starttime"], 3)


def demo_report_job(workdir: Path) -> dict[str, Any]:
    """The demo's report job alone (issue 16: under 8 s), rerun three times on one core
    after the rebuild; the median job time, the load average it ran at."""
    config = yaml.safe_load((workdir / "config/config.yaml").read_text(encoding="utf-8"))
    pdf = f"{config['paths']['output']}/report.pdf"
    runs = []
    for i in range(3):
        load = os.getloadavg()[0]
        run = snakemake(
            workdir, [pdf], workdir / f"bench_logs/report{i}.log", 1, "--forcerun", "report"
        )
        run.pop("log")
        run["job_seconds"] = job_seconds(workdir, pdf) if run["ok"] else None
        run["load_average"] = round(load, 2)
        runs.append(run)
    done = sorted((r for r in runs if r["job_seconds"] is not None), key=lambda r: r["job_seconds"])
    if len(done) < len(runs):
        return {**runs[0], "ok": False, "seconds": 0.0}
    middle = done[1]
    return {**middle, "seconds": middle["job_seconds"], "runs": [r["job_seconds"] for r in runs]}


def runner_peak_mb() -> float:
    """The runner's own high-water RSS: a floor under every child's peak (kept small)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- Report ----------------------------------------------------------------------------------


def summary_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, seconds, peak MB, target/verdict) rows of the terminal table."""
    rows = []
    for stage, r in results["stages"].items():
        verdict = "ok" if r["ok"] else "FAILED"
        if stage == "customer_tables":
            verdict += f" (jobs: {r.get('jobs', '?')})"
        rows.append((f"workflow: {stage}", f"{r['seconds']:.2f}", f"{r['peak_mb']:.0f}", verdict))
    direct = results.get("direct_tables", {})
    if direct.get("ok"):
        within = (
            direct["total_s"] < TARGETS["customer_tables"] and direct["peak_mb"] < PEAK_TARGET_MB
        )
        rows.append(
            (
                f"customer tables in one process ({len(direct['tables'])})",
                f"{direct['total_s']:.2f}",
                f"{direct['peak_mb']:.0f}",
                f"target < {TARGETS['customer_tables']:.0f} s, < {PEAK_TARGET_MB} MB: "
                + ("met" if within else "MISSED"),
            )
        )
    ref = results.get("reference_check", {})
    if ref:
        rows.append(
            (
                "direct computation check",
                f"{ref.get('seconds', 0):.1f}",
                "",
                "same numbers (|diff| < 1e-8)"
                if ref.get("same")
                else f"DIFFERS: {ref.get('error', ref)}",
            )
        )
    rep = results.get("replicate_variance")
    if rep and rep.get("ok"):
        rows.append(
            (
                f"replicate variance, {rep['replicates']} bootstrap replicates",
                f"{rep['replicate_s']:.2f}",
                f"{rep['peak_mb']:.0f}",
                f"Taylor {rep['taylor_s']:.2f} s; ratio {rep['ratio']:.2f} "
                + f"(target <= {rep['target_ratio']:.0f}): "
                + ("met" if rep["met"] else "MISSED"),
            )
        )
    elif rep:
        rows.append(("replicate variance", "", "", f"FAILED: {rep.get('error')}"))
    r = results.get("r_compare")
    if r and not r.get("ok"):
        rows.append(("R survey, same tables", "", "", f"FAILED: {r.get('error')}"))
    if r and r.get("ok"):
        rows.append(
            (
                "R survey, same tables",
                f"{r['r_total_s']:.1f}",
                f"{r['peak_mb']:.0f}",
                f"R / enkat = {r['ratio']:.0f}x; numbers " + ("agree" if r["agree"] else "DIFFER"),
            )
        )
    for name, key in (
        ("demo: full rebuild", "rebuild"),
        ("demo: snakemake -n, nothing to do", "noop"),
        ("demo: report job alone (median of 3)", "report_job"),
    ):
        d = results.get("demo", {}).get(key)
        if d:
            target = TARGETS[
                {"rebuild": "demo_rebuild", "noop": "noop", "report_job": "demo_report_job"}[key]
            ]
            rows.append(
                (
                    name,
                    f"{d['seconds']:.2f}",
                    f"{d['peak_mb']:.0f}",
                    f"target < {target:.0f} s: "
                    + (
                        "FAILED (see the log)"
                        if not d["ok"]
                        else "met"
                        if d["seconds"] < target
                        else "MISSED"
                    )
                    + load_note(d),
                )
            )
    if results.get("floor"):  # estimation against the numpy floor (benchmarks/scales.py)
        from benchmarks.scales import summary_rows as floor_rows

        rows += floor_rows(results["floor"])
    return rows


def load_note(result: dict[str, Any]) -> str:
    """`; load 0.4-1.9, 38 CPU s` for a timed run that recorded them, else nothing."""
    if "load_before" not in result:
        return ""
    cpu = f", {result['cpu_seconds']:.0f} CPU s" if "cpu_seconds" in result else ""
    return f"; load {result['load_before']:.1f}-{result['load_after']:.1f}{cpu}"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    header = ("stage", "seconds", "peak MB", "")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=False)]
    for row in [header, *rows]:
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time enkat at scale (make bench).")
    parser.add_argument("--customers", type=int, default=Sizes.customers)
    parser.add_argument("--frame", type=int, default=Sizes.frame)
    parser.add_argument("--errands", type=int, default=Sizes.errands)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="work folder (default: $TMPDIR/enkat-bench-<customers>)",
    )
    parser.add_argument("--r", action="store_true", help="also run benchmarks/compare_r.R")
    parser.add_argument("--no-demo", action="store_true", help="skip the demo timings")
    parser.add_argument(
        "--demo-only",
        action="store_true",
        help="only the demo timings (full rebuild, snakemake -n, report job)",
    )
    parser.add_argument(
        "--replicates-only",
        action="store_true",
        help="only the replicate-variance case (benchmarks/replicates.py)",
    )
    parser.add_argument(
        "--floor-sizes",
        default="1000000,3000000",
        help="responses at which enkat's estimation is timed against the numpy floor, with "
        "one table job's peak memory (benchmarks/scales.py); comma-separated, '' for none",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)

    sizes = Sizes(args.customers, args.frame, args.errands)
    workdir = (
        args.workdir or Path(tempfile.gettempdir()) / f"enkat-bench-{sizes.customers}"
    ).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "cores_used": args.cores,
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": {
            "customers": sizes.customers,
            "frame": sizes.frame,
            "errands": sizes.errands,
            "seed": args.seed,
        },
        "targets": {**TARGETS, "peak_mb": PEAK_TARGET_MB},
    }
    if args.replicates_only:
        results["replicate_variance"] = replicate_variance(workdir, sizes.customers)
        print_table(summary_rows({"stages": {}, **results}))
        return 0 if results["replicate_variance"].get("ok") else 1
    if args.demo_only:
        results.pop("sizes")  # the demo's own data
        results["demo"] = demo_checks(args.cores)
        results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        args.out.mkdir(parents=True, exist_ok=True)
        out = args.out / f"{results['date']}-demo.json"
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print_table(summary_rows({"stages": {}, **results}))
        print(f"\nresults: {out}")
        return 0 if results["demo"]["rebuild"]["ok"] else 1
    results["generate"] = prepare_data(workdir, sizes, args.seed)
    copy_project(workdir)
    clean(workdir)
    setup = write_config(workdir)
    results["stages"] = run_stages(workdir, setup, args.cores)
    results["direct_tables"] = direct_tables(workdir)
    if not args.no_demo:
        results["demo"] = demo_checks(args.cores)
    results["reference_check"] = reference_check(workdir)
    results["replicate_variance"] = replicate_variance(workdir, sizes.customers)
    if args.r:
        results["r_compare"] = r_compare(workdir)
    floor_sizes = [int(n) for n in args.floor_sizes.split(",") if n.strip()]
    if floor_sizes:
        from benchmarks.scales import against_floor

        results["floor"] = against_floor(workdir, floor_sizes, sizes, args.seed, args.cores)
    results["runner_peak_mb"] = runner_peak_mb()
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"{results['date']}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(summary_rows(results))
    print(f"\nresults: {out}   work folder: {workdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
