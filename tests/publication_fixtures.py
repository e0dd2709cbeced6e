"""Small analysis files in the exact formats of docs/architecture.md, for the workbook and
figure tests (the real ones come from the estimation step, which needs the whole pipeline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from enkat.analysis_files import ESTIMATE_COLUMNS, TEST_COLUMNS
from enkat.suppression import Rules, classify


def estimate_rows(
    table_id: str,
    survey: str,
    variables: list[tuple[str, str]],
    categories: list[str],
    shares: list[list[float]],
    base: int,
    group_var: str = "",
    group: str = "Totalt",
) -> pd.DataFrame:
    """Rows of one block: shares[v][c] for variable v, category c, all with base `base`."""
    rows = []
    for (name, label), per_var in zip(variables, shares, strict=True):
        for category, p in zip(categories, per_var, strict=True):
            se = float(np.sqrt(p * (1 - p) / base)) if base else float("nan")
            rows.append(
                {
                    "table_id": table_id,
                    "survey": survey,
                    "variable": name,
                    "variable_label": label,
                    "group_var": group_var,
                    "group": group,
                    "category": category,
                    "n": round(p * base),
                    "base_n": base,
                    "estimate": p,
                    "se": se,
                    "ci_low": max(0.0, p - 1.96 * se),
                    "ci_high": min(1.0, p + 1.96 * se),
                    "deff": 1.2,
                }
            )
    return pd.DataFrame(rows)


def finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    decided = classify(frame, Rules(min_base=5, min_group=10))
    frame["suppressed"], frame["flag"] = decided["suppressed"], decided["flag"]
    return frame[ESTIMATE_COLUMNS]


AGENCIES = [
    ("T03_skv", "Skatteverket"),
    ("T03_fk", "Försäkringskassan"),
    ("T03_pm", "Pensionsmyndigheten"),
    ("T03_mv", "Migrationsverket"),
]
CLEAR = ["Det är tydligt", "Det är delvis tydligt", "Det är otydligt"]


def grid_table() -> pd.DataFrame:
    """T03-like grid: the Migrationsverket row has a base below min_base."""
    shares = [
        [0.445, 0.466, 0.089],
        [0.577, 0.364, 0.059],
        [0.612, 0.338, 0.050],
        [0.25, 0.5, 0.25],
    ]
    frame = pd.concat(
        [
            estimate_rows("T03", "handlers", AGENCIES[:3], CLEAR, shares[:3], 530),
            estimate_rows("T03", "handlers", AGENCIES[3:], CLEAR, shares[3:], 4),
        ]
    )
    return finish(frame)


T05_CATS = ["Ja, alla ger hjälp på samma nivå", "=Delvis, formel?", "Nej", "Vet ej"]


def by_table() -> pd.DataFrame:
    """T05-like by-table: a formula-like label, and a group too small to break out."""
    var = [("T05", "Samsyn")]
    blocks = [
        estimate_rows(
            "T05", "handlers", var, T05_CATS, [[0.119, 0.54, 0.332, 0.009]], 539, "office_type"
        ),
        estimate_rows(
            "T05",
            "handlers",
            var,
            T05_CATS,
            [[0.10, 0.48, 0.42, 0.0]],
            250,
            "office_type",
            "Stort kontor",
        ),
        estimate_rows(
            "T05",
            "handlers",
            var,
            T05_CATS,
            [[0.13, 0.55, 0.30, 0.02]],
            280,
            "office_type",
            "Mellanstort kontor",
        ),
        estimate_rows(
            "T05",
            "handlers",
            var,
            T05_CATS,
            [[0.2, 0.4, 0.4, 0.0]],
            9,
            "office_type",
            "Litet kontor",
        ),
    ]
    return finish(pd.concat(blocks))


def group_tests() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "table_id": "T05",
                "variable": "T05",
                "group_var": "office_type",
                "statistic": 2.345,
                "ndf": 5.8,
                "ddf": 3120.4,
                "p_value": 0.0321,
            }
        ]
    )[TEST_COLUMNS]


def write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return path
