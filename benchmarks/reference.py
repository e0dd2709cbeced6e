"""A direct, unoptimised check of the customer estimates: speed never costs correctness.

For each (domain, category) the textbook linearisation of a ratio over a stratified
one-stage cluster design (`svydesign(ids=~psu, strata=~stratum, weights=~weight,
nest=TRUE)`, domains as `subset()`), computed with plain pandas group sums at PSU level -
nothing shared with enkat.design's bincount code:

    p = sum w y / sum w x,  z_i = w_i (y_i - p x_i) / sum w x,
    V = sum_h n_h / (n_h - 1) sum_c (z_hc - mean_h z)^2  (n_h = PSUs of stratum h).

`compare` returns the largest absolute differences against enkat's table CSVs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TOTAL = "Totalt"


def load(processed: Path, columns: list[str]) -> pd.DataFrame:
    """Survey columns joined to the design columns of the weights file (by respondent)."""
    weights = pd.read_csv(
        processed / "weights_customers.csv",
        dtype={"respondent_id": str, "stratum": str, "psu": str},
    )
    data = pd.read_parquet(processed / "customers.parquet", columns=["respondent_id", *columns])
    data["respondent_id"] = data["respondent_id"].astype(str)
    return weights.merge(data, on="respondent_id", how="left", validate="one_to_one")


def domain_estimates(
    data: pd.DataFrame, variable: str, categories: list[str], domain: np.ndarray
) -> pd.DataFrame:
    """Estimate and SE of each category within one domain (a boolean row mask)."""
    answer = data[variable].astype("string")
    x = (domain & answer.isin(categories).fillna(False).to_numpy(bool)).astype(float)
    w = data["weight"].to_numpy(float)
    W = float((w * x).sum())
    psu_n = data.groupby("stratum")["psu"].nunique()
    rows = []
    for category in categories:
        y = (x > 0) & (answer == category).fillna(False).to_numpy(bool)
        p = float((w * y).sum()) / W
        z = w * (y - p * x) / W
        if "cal_cell" in data:  # post-stratified (enkat poststratify, R postStratify):
            # the residuals of the cell means of z / w over the whole sample (docs/methods.md)
            if set(data["calibration"].astype(str)) != {"poststratify"}:
                raise SystemExit("benchmarks/reference.py checks poststratify weights only")
            mean = pd.Series(z / w).groupby(data["cal_cell"].to_numpy()).transform("mean")
            z = z - w * mean.to_numpy()
        totals = (
            pd.DataFrame({"stratum": data["stratum"], "psu": data["psu"], "z": z})
            .groupby(["stratum", "psu"])["z"]
            .sum()
        )
        by_stratum = totals.groupby(level="stratum")
        n_h = psu_n.reindex(by_stratum.sum().index).to_numpy(float)
        dev = (totals - by_stratum.transform("mean")) ** 2
        ss = dev.groupby(level="stratum").sum().to_numpy()
        var = float(np.sum(np.where(n_h > 1, n_h / (n_h - 1) * ss, 0.0)))
        rows.append(
            {
                "category": category,
                "estimate": p,
                "se": np.sqrt(var),
                "n": int(y.sum()),
                "base_n": int(x.sum()),
            }
        )
    return pd.DataFrame(rows)


def reference_table(
    data: pd.DataFrame, table: pd.DataFrame, spec_filter: dict[str, list[str]] | None
) -> pd.DataFrame:
    """The reference numbers for every row block of an enkat table CSV."""
    keep = np.ones(len(data), dtype=bool)
    for column, allowed in (spec_filter or {}).items():
        keep &= data[column].astype(str).isin(allowed).to_numpy()
    out = []
    for (variable, group_var, group), block in table.groupby(
        ["variable", "group_var", "group"], sort=False, dropna=False
    ):
        domain = keep.copy()
        if isinstance(group_var, str) and group_var:
            domain &= (data[group_var].astype(str) == group).to_numpy()
        ref = domain_estimates(data, variable, list(block["category"]), domain)
        ref.insert(0, "group", group)
        ref.insert(0, "group_var", group_var)
        ref.insert(0, "variable", variable)
        out.append(ref)
    return pd.concat(out, ignore_index=True)


def compare(workdir: Path, specs: list[dict[str, Any]], tables_dir: Path) -> dict[str, Any]:
    """Largest |enkat - reference| of estimate and SE, and count-mismatches, per table."""
    processed = workdir / "processed"
    result: dict[str, Any] = {}
    for spec in specs:
        table = pd.read_csv(
            tables_dir / f"{spec['id']}.csv",
            dtype={"group": str},
            keep_default_na=False,
            na_values=[""],
        )
        table["group_var"] = table["group_var"].fillna("")
        columns = sorted(
            set(table["variable"])
            | set(spec.get("filter") or {})
            | ({spec["by"]} if spec.get("by") else set())
        )
        data = load(processed, columns)
        ref = reference_table(data, table, spec.get("filter"))
        merged = table.merge(
            ref,
            on=["variable", "group_var", "group", "category"],
            suffixes=("", "_ref"),
            validate="one_to_one",
        )
        result[spec["id"]] = {
            "rows": len(merged),
            "max_abs_diff_estimate": float(
                (merged["estimate"] - merged["estimate_ref"]).abs().max()
            ),
            "max_abs_diff_se": float((merged["se"] - merged["se_ref"]).abs().max()),
            "count_mismatches": int(
                (
                    (merged["n"] != merged["n_ref"]) | (merged["base_n"] != merged["base_n_ref"])
                ).sum()
            ),
        }
    return result


def check(workdir: Path, table_ids: list[str]) -> dict[str, Any]:
    """Compare the named customer tables of a built benchmark folder; overall verdict."""
    import yaml

    catalogue = yaml.safe_load((workdir / "config/tables.yaml").read_text(encoding="utf-8"))
    specs = [t for t in catalogue["tables"] if t["id"] in table_ids]
    per_table = compare(workdir, specs, workdir / "analysis/tables")
    worst_est = max(v["max_abs_diff_estimate"] for v in per_table.values())
    worst_se = max(v["max_abs_diff_se"] for v in per_table.values())
    counts = sum(v["count_mismatches"] for v in per_table.values())
    return {
        "same": worst_est < 1e-8 and worst_se < 1e-8 and counts == 0,
        "max_abs_diff_estimate": worst_est,
        "max_abs_diff_se": worst_se,
        "count_mismatches": counts,
        "tables": per_table,
    }


if __name__ == "__main__":
    print(json.dumps(check(Path(sys.argv[1]), sys.argv[2:])))
