"""The one pass per variable (enkat.domain_totals): what the array must guarantee."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat import domain_totals as totals_module
from enkat.calibration import Calibration
from enkat.design import Design, block_proportions, proportions
from enkat.domain_totals import domain_totals, units
from enkat.raoscott import rao_scott
from enkat.tables import TableVariable, estimate_table

FIXTURES = Path(__file__).parent / "fixtures" / "r"
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "deff", "df"]


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False, na_values=[""])


def poststratified(data: pd.DataFrame) -> Design:
    """The customers' clustered design with a post-stratification model on mode x wave."""
    cells = (data["wave"] + " / " + data["mode"]).to_numpy()
    return Design.from_weights(data).calibrated(
        Calibration.from_columns("poststratify", {"cell": cells})
    )


@pytest.mark.parametrize("calibrated", [False, True])
def test_totalt_is_the_same_number_whatever_the_by(calibrated: bool) -> None:
    """A variable's Totalt rows are bit for bit those of the table without `by`: a sum over
    the group slots would round differently for each grouping."""
    data = read("input_customers.csv")
    design = poststratified(data) if calibrated else Design.from_weights(data)
    var = TableVariable("HJALP", "Hjälp", ("Ja", "Delvis", "Nej"))
    alone, _ = estimate_table(data, design, [var])
    for by in ("wave", "office_type", "mode"):
        table, tests = estimate_table(data, design, [var], by)
        total = table[table["group"] == "Totalt"].reset_index(drop=True)
        pd.testing.assert_frame_equal(total[NUMBERS], alone[NUMBERS], check_exact=True)
        assert len(tests) == 1 and np.isfinite(tests["p_value"]).all()


def test_census_totalt_is_the_same_number_whatever_the_by() -> None:
    data = read("input_census.csv")
    design = Design.from_weights(data)
    assert design.one_row_psu
    var = TableVariable("qa", "qa", ("Alltid", "Ofta", "Sällan", "Aldrig"))
    alone, _ = estimate_table(data, design, [var])
    for by in ("region", "office_type"):
        table, _ = estimate_table(data, design, [var], by)
        total = table[table["group"] == "Totalt"].reset_index(drop=True)
        pd.testing.assert_frame_equal(total[NUMBERS], alone[NUMBERS], check_exact=True)


def test_the_table_block_equals_the_public_estimators() -> None:
    """estimate_table's group rows and test are those of proportions() and rao_scott()."""
    data = read("input_customers.csv")
    design = poststratified(data)
    k = pd.Index(["Ja", "Delvis", "Nej"]).get_indexer(data["TID"].fillna("<NA>"))
    waves = sorted(data["wave"].unique())
    g = pd.Index(waves).get_indexer(data["wave"])
    direct = proportions(design, k, 3, g, len(waves))
    array = domain_totals(design, k, 3, g, len(waves), rest=True)
    block = block_proportions(design, array, total=False)
    np.testing.assert_array_equal(block.estimate, direct.estimate)
    np.testing.assert_array_equal(block.variance, direct.variance)
    table, tests = estimate_table(
        data, design, [TableVariable("TID", "Tid", ("Ja", "Delvis", "Nej"))], "wave"
    )
    groups = table[table["group_var"] == "wave"]
    np.testing.assert_array_equal(groups["se"].to_numpy(), direct.se.ravel())
    assert tests["statistic"].iloc[0] == rao_scott(design, k, g).statistic


@pytest.mark.parametrize("census", [False, True])
def test_compacted_units_give_the_same_numbers(
    census: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above DENSE_CELLS only the units with a row in the base are kept; the numbers stay."""
    data = read("input_census.csv" if census else "input_customers.csv")
    design = Design.from_weights(data) if census else poststratified(data)
    column, cats, by = ("qa", ("Alltid", "Ofta", "Sällan", "Aldrig"), "region")
    if not census:
        column, cats, by = ("HJALP", ("Ja", "Delvis", "Nej"), "office_type")
    filtered = data[by].where(data[by] != data[by].iloc[0])  # a group nobody is in
    data = data.assign(**{by: filtered})
    var = TableVariable(column, column, cats)
    dense, dense_tests = estimate_table(data, design, [var], by)
    monkeypatch.setattr(totals_module, "DENSE_CELLS", 0)
    compact, compact_tests = estimate_table(data, design, [var], by)
    for col in NUMBERS:
        np.testing.assert_allclose(compact[col], dense[col], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(compact_tests["statistic"], dense_tests["statistic"], rtol=1e-10)


def test_units_are_built_once_per_design_and_not_shared_by_a_calibrated_copy() -> None:
    data = read("input_customers.csv")
    plain = Design.from_weights(data)
    assert units(plain) is units(plain)
    assert units(plain).size == plain.psu_stratum.size  # no model: a unit is a PSU
    calibrated = poststratified(data)
    assert units(calibrated) is not units(plain)
    # every PSU crossed with the post-strata (mode x wave) its respondents are in
    pairs = {(p, c) for p, c in zip(calibrated.psu, data["wave"] + data["mode"], strict=True)}
    assert units(calibrated).size == len(pairs) > plain.psu_stratum.size
