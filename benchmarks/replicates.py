"""Replicate variance at scale (issue 13): Taylor against 80 bootstrap replicates.

A synthetic clustered design the size of the benchmark's customer survey - 1 000 000
responses in 150 PSUs (offices) of 12 strata - and 15 variables of 3-5 categories with item
nonresponse, each estimated in total and by three group variables (3, 4 and 6 groups):
the estimator calls of a customer table (`proportions` + `confidence_interval` +
`rao_scott` against `replicate_proportions` + `replicate_interval` + `rao_scott` on the
replicates, the bootstrap replicates built once per run as a table job does). Best of three
runs of each. The target: the replicate variance takes at most 5 times the Taylor time.

    python -m benchmarks.replicates [--rows N] [--replicates R]

Prints one JSON object (the last line), which benchmarks/run.py records.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from enkat.design import Design, confidence_interval, proportions
from enkat.raoscott import rao_scott
from enkat.replicates import bootstrap, replicate_interval, replicate_proportions

TARGET_RATIO = 5.0


def synthetic(
    rows: int, seed: int = 20221115
) -> tuple[Design, list[tuple[np.ndarray, int]], list[tuple[np.ndarray, int]]]:
    """The design, 15 (codes, K) variables and 3 (groups, G) group variables."""
    rng = np.random.default_rng(seed)
    n_psu = 150
    psu_stratum = np.arange(n_psu) % 12
    psu = np.sort(rng.integers(0, n_psu, rows))
    weights = rng.uniform(5, 60, rows)
    design = Design.build(weights, psu_stratum[psu], psu)
    effect = rng.normal(size=n_psu)[psu]
    variables = []
    for i in range(15):
        k = 3 + i % 3
        score = effect + rng.normal(size=rows)
        codes = np.digitize(score, np.linspace(-1.5, 1.5, k - 1)).astype(np.int64)
        codes[rng.random(rows) < 0.02 + 0.003 * i] = -1
        variables.append((codes, k))
    groups = [
        (psu_stratum[psu] // 4, 3),  # wave: along the strata
        (psu % 4, 4),  # office type
        (rng.integers(0, 6, rows), 6),  # region: across PSUs
    ]
    return design, variables, groups


def run_taylor(design: Design, variables: list, groups: list) -> None:
    for codes, k in variables:
        for g, n_groups in [(None, 1), *groups]:
            est = proportions(design, codes, k, g, n_groups)
            confidence_interval(est.estimate, est.variance, est.base_n[:, None], est.df[:, None])
            if g is not None:
                rao_scott(design, codes, g)


def run_replicates(design: Design, variables: list, groups: list, replicates: int) -> None:
    reps = bootstrap(design, replicates, 2022)
    for codes, k in variables:
        for g, n_groups in [(None, 1), *groups]:
            est = replicate_proportions(design, reps, codes, k, g, n_groups)
            replicate_interval(est)
            if g is not None:
                rao_scott(design, codes, g, reps)


def best_of(runs: int, func: Any, *args: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=80)
    args = parser.parse_args(argv)
    design, variables, groups = synthetic(args.rows)
    taylor = best_of(3, run_taylor, design, variables, groups)
    replicate = best_of(3, run_replicates, design, variables, groups, args.replicates)
    ratio = replicate / taylor
    print(
        json.dumps(
            {
                "rows": args.rows,
                "psus": int(design.psu_stratum.size),
                "strata": int(design.n_psu.size),
                "replicates": args.replicates,
                "domain_sets": len(variables) * (1 + len(groups)),
                "taylor_s": round(taylor, 3),
                "replicate_s": round(replicate, 3),
                "ratio": round(ratio, 2),
                "target_ratio": TARGET_RATIO,
                "met": ratio <= TARGET_RATIO,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
