"""Input for benchmarks/compare_r.R and the comparison of its output with enkat's.

Tolerances are those of tests/test_against_r.py: estimates and SEs to 1e-8, the F
statistic, its degrees of freedom and p to 1e-6 (relative for F and ddf).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ESTIMATE_TOL = 1e-8
TEST_TOL = 1e-6


def _variables(spec: dict[str, Any], codebook: Any) -> list[Any]:
    return codebook.variables(spec["item"])


def export_for_r(workdir: Path, specs: list[dict[str, Any]]) -> Path:
    """bench_r/input.csv (design columns and table variables) and bench_r/tables.csv."""
    from enkat.codebook import load_codebook

    out = workdir / "bench_r"
    out.mkdir(parents=True, exist_ok=True)
    book = load_codebook(workdir / "config/codebooks/customers.yaml")
    rows, columns = [], set()
    for spec in specs:
        flt = spec.get("filter") or {}
        ((fvar, fvals),) = flt.items() if flt else ((None, []),)
        for var in _variables(spec, book):
            rows.append(
                {
                    "table_id": spec["id"],
                    "variable": var.name,
                    "categories": "|".join(var.categories),
                    "by": spec.get("by"),
                    "filter_var": fvar,
                    "filter_values": "|".join(map(str, fvals)),
                }
            )
            columns |= {var.name, *([spec["by"]] if spec.get("by") else []), *flt}
    pd.DataFrame(rows).to_csv(out / "tables.csv", index=False, lineterminator="\n")
    weights = pd.read_csv(workdir / "processed/weights_customers.csv", dtype=str)
    data = pd.read_parquet(
        workdir / "processed/customers.parquet", columns=["respondent_id", *sorted(columns)]
    )
    design = ["respondent_id", "weight", "stratum", "psu"]
    design += [c for c in ("calibration", "cal_cell") if c in weights.columns]  # poststratify
    data = weights[design].merge(
        data.astype({"respondent_id": str}), on="respondent_id", validate="one_to_one"
    )
    data.to_csv(out / "input.csv", index=False, lineterminator="\n", na_rep="")
    return out


def compare_with_r(workdir: Path, specs: list[dict[str, Any]]) -> dict[str, Any]:
    """R's seconds per table next to enkat's, and the largest differences in the numbers."""
    out = workdir / "bench_r"
    times = pd.read_csv(out / "r_times.csv")
    r_est = pd.read_csv(
        out / "r_estimates.csv", dtype={"group": str}, keep_default_na=False, na_values=[""]
    )
    r_est["group_var"] = r_est["group_var"].fillna("")
    r_tests = pd.read_csv(out / "r_tests.csv")
    direct = json.loads(
        (workdir / "bench_logs/direct_tables.json")
        .read_text(encoding="utf-8")
        .strip()
        .splitlines()[-1]
    )["tables"]

    ours = pd.concat(
        [
            pd.read_csv(
                workdir / f"analysis/tables/{s['id']}.csv",
                dtype={"group": str},
                keep_default_na=False,
                na_values=[""],
            )
            for s in specs
        ]
    )
    ours["group_var"] = ours["group_var"].fillna("")
    est = ours.merge(
        r_est,
        on=["table_id", "variable", "group_var", "group", "category"],
        suffixes=("", "_r"),
        validate="one_to_one",
    )
    our_tests = pd.concat(
        [pd.read_csv(workdir / f"analysis/tests/{s['id']}.csv") for s in specs if s.get("by")]
    )
    tests = our_tests.merge(r_tests, on=["table_id", "variable"], suffixes=("", "_r"))

    def rel(a: pd.Series, b: pd.Series) -> float:
        return float(((a - b).abs() / b.abs().clip(lower=1e-12)).max())

    diffs = {
        "estimate": float((est["estimate"] - est["estimate_r"]).abs().max()),
        "se": float((est["se"] - est["se_r"]).abs().max()),
        "statistic_rel": rel(tests["statistic"], tests["statistic_r"]),
        "ndf": float((tests["ndf"] - tests["ndf_r"]).abs().max()),
        "ddf_rel": rel(tests["ddf"], tests["ddf_r"]),
        "p_value": float((tests["p_value"] - tests["p_value_r"]).abs().max()),
    }
    agree = (
        len(est) == len(ours)
        and len(tests) == len(our_tests)
        and diffs["estimate"] < ESTIMATE_TOL
        and diffs["se"] < ESTIMATE_TOL
        and all(
            np.isfinite(v) and v < TEST_TOL for k, v in diffs.items() if k not in ("estimate", "se")
        )
    )
    per_table = {
        t: {"r_s": float(s), "enkat_s": round(direct.get(t, np.nan), 3)}
        for t, s in zip(times["table_id"], times["seconds"], strict=True)
    }
    r_total = float(times.loc[times["table_id"] != "(design)", "seconds"].sum())
    enkat_total = float(sum(direct.values()))
    return {
        "r_design_s": float(times.loc[times["table_id"] == "(design)", "seconds"].sum()),
        "r_total_s": r_total,
        "enkat_total_s": enkat_total,
        "ratio": r_total / enkat_total,
        "rows_compared": len(est),
        "rows": len(ours),
        "tests_compared": len(tests),
        "max_diff": diffs,
        "agree": bool(agree),
        "tables": per_table,
    }


def main(argv: list[str]) -> int:
    """`export WORKDIR` or `compare WORKDIR`; prints one JSON object."""
    import yaml

    command, workdir = argv[0], Path(argv[1])
    catalogue = yaml.safe_load((workdir / "config/tables.yaml").read_text(encoding="utf-8"))
    specs = [
        t
        for t in catalogue["tables"]
        if t.get("kind", "survey") == "survey" and t.get("survey") == "customers"
    ]
    if command == "export":
        print(json.dumps({"dir": str(export_for_r(workdir, specs))}))
    else:
        print(json.dumps(compare_with_r(workdir, specs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
