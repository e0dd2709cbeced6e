"""One survey table's job: its estimates, and where the catalogue asks for them its test,
its group differences and its change between waves, all from one read of the data.

The differences were jobs of their own, each starting Python, reading the data and building
the design again to compute a few milliseconds' worth of numbers on the demo. As outputs of
the table's job they cost no start-up, and a table is still rerun alone (issue 16).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from enkat.contrasts import contrast_file, wave_file, wave_settings
from enkat.memory import return_freed_arrays
from enkat.tables import load_table_data, table_files


def write_table_job(
    spec: Mapping[str, Any],
    survey_path: str | Path,
    weights_path: str | Path,
    codebook_path: str | Path,
    estimation: Mapping[str, Any],
    suppression: Mapping[str, Any],
    differences: Mapping[str, Any],
    group_orders: Mapping[str, Sequence[str]],
    table_out: str | Path,
    test_out: str | Path | None = None,
    contrasts_out: str | Path | None = None,
    waves_out: str | Path | None = None,
    replicate_weights: str | Path | None = None,
) -> pd.DataFrame:
    """Pipeline step (rules table, table_by, table_waves, table_by_waves).

    `differences` holds the config `contrasts` and `waves` where they apply to this table.
    The differences are written after the table and read its published file, so a
    difference that would give a suppressed cell away carries the symbol too."""
    return_freed_arrays()  # a job's peak memory is what it holds (issue 16)
    contrasts, waves = differences.get("contrasts"), differences.get("waves")
    extra = [wave_settings(spec, waves)["variable"]] if waves_out is not None else []
    loaded = load_table_data(spec, survey_path, weights_path, codebook_path, extra)
    table = table_files(
        loaded,
        spec,
        survey_path,
        estimation,
        suppression,
        group_orders,
        table_out,
        test_out,
        replicate_weights,
    )
    if contrasts_out is not None:
        contrast_file(loaded, spec, estimation, contrasts, group_orders, contrasts_out, table_out)
    if waves_out is not None:
        # wave x group domains are rows of no other table: the config rules alone judge them
        rules = {key: value for key, value in suppression.items() if key != "shared_rows"}
        wave_file(
            loaded, spec, estimation, contrasts, waves, group_orders, waves_out, table_out, rules
        )
    return table
