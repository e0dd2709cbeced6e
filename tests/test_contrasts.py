"""Group and wave differences equal R survey's svyby(covmat=TRUE) + svycontrast
(tests/fixtures/r/make_contrast_fixtures.R): estimates and SEs to 1e-8, CIs and p to 1e-6."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from enkat.contrasts import (
    CONTRAST_COLUMNS,
    Settings,
    contrast_table,
    difference,
    p_adjust,
    wave_settings,
    wave_table,
)
from enkat.design import Design
from enkat.errors import EnkatError
from enkat.tables import TableVariable

FIXTURES = Path(__file__).parent / "fixtures" / "r"
KEYS = ["comparison", "variable", "group_var", "group", "reference", "category"]
WAVE_KEYS = ["comparison", "variable", "group_var", "group", "wave", "reference_wave", "category"]

GROUP_CASES = {
    # fixture: (input, variables, by variables, reference groups, filter)
    "census": (
        "input_census.csv",
        {"qa": ("Alltid", "Ofta", "Sällan", "Aldrig"), "qb": ("Ja", "Nej", "Vet ej")},
        ["office_type", "region"],
        {"office_type": "Stort kontor"},
        None,
    ),
    "customers": (
        "input_customers.csv",
        {"HJALP": ("Ja", "Delvis", "Nej")},
        ["mode", "office_type"],
        {"office_type": "Stort kontor"},
        None,
    ),
    "customers2021": (
        "input_customers.csv",
        {"HJALP": ("Ja", "Delvis", "Nej")},
        ["office_type"],
        {},
        {"wave": ["2021"]},
    ),
}
WAVE_CASES = {
    "customers": "input_customers.csv",
    "customers_shared": "input_customers_shared.csv",
}
WAVE_VARIABLES = {"HJALP": ("Ja", "Delvis", "Nej"), "TID": ("Ja", "Nej")}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False, na_values=[""])


def settings(adjust: str = "holm", distribution: str = "t", **extra: object) -> Settings:
    spec = {"id": "X", "contrasts": {"adjust": adjust, "distribution": distribution, **extra}}
    return Settings.resolve(spec, None, {"confidence_level": 0.95, "test_level": 0.05})


def theirs(name: str) -> pd.DataFrame:
    frame = pd.read_csv(
        FIXTURES / name,
        dtype={"group_var": str, "wave": str, "reference_wave": str},
        keep_default_na=False,
        na_values=[""],
    )
    frame["group_var"] = frame["group_var"].fillna("")
    return frame


def ours_groups(name: str, adjust: str, distribution: str) -> pd.DataFrame:
    file, variables, bys, references, spec_filter = GROUP_CASES[name]
    data = read(file)
    design = Design.from_weights(data)
    tvars = [TableVariable(v, v, cats) for v, cats in variables.items()]
    out = []
    for by in bys:
        compare = ["total", "pairwise"] + (["reference"] if by in references else [])
        s = settings(adjust, distribution, compare=compare, reference=references.get(by))
        order = sorted(data[by].dropna().unique())
        out.append(contrast_table(data, design, tvars, by, s, spec_filter, order))
    return pd.concat(out, ignore_index=True)


def compare(
    ours: pd.DataFrame,
    r: pd.DataFrame,
    keys: list[str],
    p_column: str,
    ci: tuple[str, str],
    p_adjusted: str,
) -> None:
    merged = r.merge(ours, on=keys, how="left", suffixes=("_r", ""), validate="1:1")
    assert len(merged) == len(r) == len(ours)
    for column, tol in (
        ("estimate", 1e-8),
        ("reference_estimate", 1e-8),
        ("difference", 1e-8),
        ("se", 1e-8),
        ("df", 0),
    ):
        np.testing.assert_allclose(merged[column], merged[f"{column}_r"], atol=tol, rtol=0)
    # R gives a p-value and a CI also where se is 0 (p NaN, CI the point); enkat has no test
    tested = merged["se_r"] > 0
    assert tested.sum() > 10
    m = merged[tested]
    np.testing.assert_allclose(m["ci_low"], m[ci[0]], atol=1e-6, rtol=0)
    np.testing.assert_allclose(m["ci_high"], m[ci[1]], atol=1e-6, rtol=0)
    np.testing.assert_allclose(m["p_value"], m[p_column], atol=1e-6, rtol=1e-6)
    if p_adjusted:
        np.testing.assert_allclose(m["p_adjusted"], m[p_adjusted], atol=1e-6, rtol=1e-6)
    assert merged.loc[~tested, "p_value"].isna().all()


@pytest.mark.parametrize("name", list(GROUP_CASES))
@pytest.mark.parametrize("adjust", ["holm", "bonferroni"])
def test_group_contrasts_equal_r(name: str, adjust: str) -> None:
    ours = ours_groups(name, adjust, "t")
    compare(
        ours, theirs(f"contrasts_{name}.csv"), KEYS, "p_value", ("ci_low", "ci_high"), f"p_{adjust}"
    )
    assert set(ours["comparison"]) >= {"total", "pairwise"}


def test_group_contrasts_normal_reference() -> None:
    """distribution: normal is confint(svycontrast(...))'s default interval."""
    ours = ours_groups("customers", "none", "normal")
    compare(
        ours,
        theirs("contrasts_customers.csv"),
        KEYS,
        "p_normal",
        ("ci_low_normal", "ci_high_normal"),
        "p_normal",
    )


@pytest.mark.parametrize("name", list(WAVE_CASES))
def test_wave_changes_equal_r(name: str) -> None:
    data = read(WAVE_CASES[name])
    design = Design.from_weights(data)
    tvars = [TableVariable(v, v, cats) for v, cats in WAVE_VARIABLES.items()]
    order = sorted(data["office_type"].unique())
    ours = wave_table(
        data, design, tvars, "wave", "consecutive", settings(), None, "office_type", None, order
    )
    compare(
        ours, theirs(f"waves_{name}.csv"), WAVE_KEYS, "p_value", ("ci_low", "ci_high"), "p_holm"
    )


def test_shared_offices_add_covariance() -> None:
    """Offices in both waves as one PSU change the SE of the change; separate strata per
    wave make the waves independent: Var(a - b) = Var(a) + Var(b)."""
    independent = theirs("waves_customers.csv")
    shared = theirs("waves_customers_shared.csv")
    total = independent["group"] == "Totalt"
    assert not np.allclose(independent.loc[total, "se"], shared.loc[total, "se"])
    data = read("input_customers.csv")
    design = Design.from_weights(data)
    codes = pd.Series(data["TID"]).map({"Ja": 0, "Nej": 1}).fillna(-1).to_numpy(int)
    w19, w21 = (data["wave"] == "2019").to_numpy(), (data["wave"] == "2021").to_numpy()
    d = difference(design, codes, 2, w21, w19)
    one = difference(design, codes, 2, w21, np.zeros_like(w21))
    nobody = np.zeros_like(w21)
    assert np.isnan(one.se).all() and np.isnan(difference(design, codes, 2, nobody, w19).df)
    from enkat.design import proportions

    p = proportions(design, codes, 2, np.where(w19, 0, np.where(w21, 1, -1)), 2)
    np.testing.assert_allclose(d.se**2, p.variance[0] + p.variance[1], rtol=1e-10)


def test_group_minus_total_uses_overlap() -> None:
    """A group against the total that holds it: the covariance makes Var(g - T) smaller
    than Var(g) + Var(T) - the test is not that of independent samples."""
    data = read("input_census.csv")
    design = Design.from_weights(data)
    codes = data["qb"].map({"Ja": 0, "Nej": 1}).fillna(-1).to_numpy(int)
    group = (data["region"] == "Nord").to_numpy()
    d = difference(design, codes, 2, group, np.ones_like(group))
    from enkat.design import proportions

    g = proportions(design, codes, 2, np.where(group, 0, -1), 1)
    t = proportions(design, codes, 2, None, 1)
    assert (d.se**2 < g.variance[0] + t.variance[0] - 1e-6).all()


@pytest.mark.parametrize("method", ["holm", "bonferroni", "none"])
def test_p_adjust_matches_r_definition(method: str) -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.2, 0.0001])
    out = p_adjust(p, method)
    assert np.isnan(out[1])
    if method == "none":
        np.testing.assert_array_equal(out, p)
    elif method == "bonferroni":
        np.testing.assert_allclose(out[[0, 2, 3, 4, 5]], [0.05, 0.2, 0.15, 1.0, 0.0005])
    else:  # R: p.adjust(c(.01, NA, .04, .03, .2, .0001), "holm")
        np.testing.assert_allclose(out[[0, 2, 3, 4, 5]], [0.04, 0.09, 0.09, 0.2, 0.0005])


def test_settings_follow_marks_and_reject_bad_values() -> None:
    est = {"confidence_level": 0.9, "test_level": 0.1}
    s = Settings.resolve({"id": "T", "significance_marks": "letters"}, {"compare": "total"}, est)
    assert s.compare == ("total", "pairwise") and s.confidence_level == 0.9
    with pytest.raises(EnkatError, match="bad contrast setting") as err:
        Settings.resolve({"id": "T", "contrasts": {"adjust": "hochberg"}}, None, est)
    assert "hochberg" in str(err.value) and "holm" in str(err.value)
    with pytest.raises(EnkatError, match="names none"):
        Settings.resolve({"id": "T"}, {"compare": ["reference"]}, est)
    assert wave_settings({"waves": True}, {"compare": "reference", "reference": "2019"}) == {
        "variable": "wave",
        "compare": "reference",
        "reference": "2019",
    }


def test_reference_and_wave_errors_name_the_value() -> None:
    data = read("input_customers.csv")
    design = Design.from_weights(data)
    tvars = [TableVariable("HJALP", "HJALP", ("Ja", "Delvis", "Nej"))]
    s = settings(compare=["reference"], reference="Jätte stort")
    with pytest.raises(EnkatError, match="reference group") as err:
        contrast_table(data, design, tvars, "office_type", s)
    assert "Jätte stort" in str(err.value)
    with pytest.raises(EnkatError, match="two or more waves"):
        wave_table(
            data, design, tvars, "wave", "consecutive", settings(), spec_filter={"wave": ["2021"]}
        )
    with pytest.raises(EnkatError, match="reference wave"):
        wave_table(data, design, tvars, "wave", "reference", settings(), reference="2018")
    ref = wave_table(data, design, tvars, "wave", "reference", settings(), reference="2021")
    assert set(ref["wave"]) == {"2019"} and set(ref["reference_wave"]) == {"2021"}


def test_columns_are_the_contract() -> None:
    data = read("input_customers.csv")
    design = Design.from_weights(data)
    tvars = [TableVariable("HJALP", "HJALP", ("Ja", "Delvis", "Nej"))]
    out = contrast_table(data, design, tvars, "mode", settings())
    assert list(out.columns) == CONTRAST_COLUMNS[2:]
    assert out["significant"].dtype == bool


# --- significance marks ----------------------------------------------------------------------


def marked_census(mode: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The census qa by office type: estimates (with the suppression flag) and contrasts."""
    from enkat.suppression import Rules, suppressed
    from enkat.tables import estimate_table

    data = read("input_census.csv")
    design = Design.from_weights(data)
    tvars = [TableVariable("qa", "Fråga A", ("Alltid", "Ofta", "Sällan", "Aldrig"))]
    estimates, _ = estimate_table(data, design, tvars, "office_type")
    estimates["suppressed"] = suppressed(estimates, Rules.from_config(SUPPRESSION))
    s = Settings.resolve({"id": "X", "significance_marks": mode}, None, ESTIMATION)
    return estimates, contrast_table(data, design, tvars, "office_type", s)


SUPPRESSION = {"min_base": 5, "min_group": 10}
ESTIMATION = {"confidence_level": 0.95, "test_level": 0.05}


def test_total_marks_follow_the_adjusted_tests() -> None:
    from enkat.contrasts import MINUS, cell_marks

    _, contrasts = marked_census("total")
    marks = cell_marks(contrasts, "total")
    total = contrasts[contrasts["comparison"] == "total"]
    expected = {
        (r.variable, r.group, r.category): "+" if r.difference > 0 else MINUS
        for r in total.itertuples()
        if r.p_adjusted < 0.05
    }
    assert marks == expected and len(marks) >= 2
    tested = total["p_value"].notna()
    assert (total.loc[tested, "p_adjusted"] >= total.loc[tested, "p_value"]).all()
    hidden = {next(iter(marks))}
    assert next(iter(marks)) not in cell_marks(contrasts, "total", hidden=hidden)


def test_letters_name_the_lower_groups() -> None:
    from enkat.contrasts import cell_marks, group_letters

    estimates, contrasts = marked_census("letters")
    groups = list(pd.unique(estimates["group"]))
    letters = group_letters(groups)
    assert "Totalt" not in letters and sorted(letters.values())[:2] == ["A", "B"]
    assert group_letters([f"g{i}" for i in range(28)])["g27"] == "AB"
    marks = cell_marks(contrasts, "letters", letters)
    pairs = contrasts[(contrasts["comparison"] == "pairwise") & contrasts["significant"]]
    assert len(pairs) > 0
    for r in pairs.itertuples():
        high, low = (r.group, r.reference) if r.difference > 0 else (r.reference, r.group)
        assert letters[low] in marks[(r.variable, high, r.category)]


def test_workbook_and_report_show_marks_with_their_rule(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from enkat.contrasts import table_marks
    from enkat.report import display
    from enkat.suppression import Rules
    from enkat.workbook import write_survey_sheet

    estimates, contrasts = marked_census("total")
    spec = {"id": "X", "title": "Test", "by": "office_type", "significance_marks": "total"}
    marks = table_marks(spec, estimates, contrasts, None, ESTIMATION)
    assert marks is not None and marks.cells
    assert "Holms metod" in marks.footnote and "totalen" in marks.footnote
    ws = Workbook().active
    rules = Rules.from_config(SUPPRESSION)
    write_survey_sheet(
        ws, spec, estimates, None, {"items": {}}, rules, ESTIMATION, False, None, marks
    )
    values = [[c.value for c in row] for row in ws.iter_rows()]
    notes = {(r[0], r[1], r[7]) for r in values if len(r) > 7 and r[7]}
    assert any(n[2] in ("+", "\u2212") for n in notes)
    assert any(marks.footnote == r[0] for r in values)
    shown = display.survey_table(estimates, rules, marks)
    assert marks.footnote in shown.notes
    cells = [c for row in shown.rows for c in row.cells]
    assert sum(c.endswith(("\u00a0+", "\u00a0\u2212")) for c in cells) == len(marks.cells)
    plain = display.survey_table(estimates, rules)
    assert plain.notes == [] and not any("\u00a0+" in c for r in plain.rows for c in r.cells)
    assert (
        table_marks({**spec, "significance_marks": "none"}, estimates, contrasts, None, ESTIMATION)
        is None
    )


def test_wave_note_names_significant_changes() -> None:
    from enkat.contrasts import wave_note
    from enkat.suppression import Rules, suppressed
    from enkat.tables import estimate_table

    data = read("input_customers.csv")
    design = Design.from_weights(data)
    tvars = [TableVariable("HJALP", "Hjälp", ("Ja", "Delvis", "Nej"))]
    estimates, _ = estimate_table(data, design, tvars, "wave")
    estimates["suppressed"] = suppressed(estimates, Rules.from_config(SUPPRESSION))
    waves = wave_table(data, design, tvars, "wave", "consecutive", settings())
    spec = {"id": "K", "by": "wave"}
    note = wave_note(waves, estimates, spec, None, ESTIMATION)
    if waves["significant"].any():
        assert note.startswith("Statistiskt säkra förändringar")
    else:
        assert note.startswith("Ingen andel förändrades")
    forced = waves.assign(significant=True, difference=0.05, ci_low=0.01, ci_high=0.09)
    text = wave_note(forced, estimates, spec, None, ESTIMATION)
    assert "ökade från 2019 till 2021 med 5,0 procentenheter" in text


def test_pipeline_steps_write_the_contract_files(tmp_path: Path, monkeypatch) -> None:
    """write_contrasts / write_waves read the survey (another row order than the weights),
    write exactly the documented columns, and agree with the in-memory functions."""
    from enkat import tables as module
    from enkat.contrasts import WAVE_COLUMNS, read_contrasts, write_contrasts, write_waves

    data = read("input_customers.csv")
    data[["respondent_id", "weight", "stratum", "population_size", "psu"]].to_csv(
        tmp_path / "weights.csv", index=False
    )
    data.drop(columns=["weight", "psu", "population_size"]).iloc[::-1].to_parquet(
        tmp_path / "survey.parquet"
    )

    class Book:
        def variables(self, item=None):
            from types import SimpleNamespace

            return [
                SimpleNamespace(
                    name="HJALP", label="Hjälp", categories=("Ja", "Delvis", "Nej"), not_in_base=()
                )
            ]

    monkeypatch.setattr(module, "load_codebook", lambda path: Book())
    spec = {"id": "K", "survey": "customers", "item": "HJALP", "by": "office_type", "waves": True}
    paths = (tmp_path / "survey.parquet", tmp_path / "weights.csv", "cb.yaml")
    out = write_contrasts(
        spec, *paths, ESTIMATION, {"compare": ["total", "pairwise"]}, {}, tmp_path / "c.csv"
    )
    written = read_contrasts(tmp_path / "c.csv")
    assert list(written.columns) == CONTRAST_COLUMNS and len(written) == len(out)
    np.testing.assert_allclose(written["se"], out["se"], rtol=1e-12)
    design = Design.from_weights(data)
    tvars = [TableVariable("HJALP", "Hjälp", ("Ja", "Delvis", "Nej"))]
    direct = contrast_table(
        data, design, tvars, "office_type", settings(compare=["total", "pairwise"])
    )
    np.testing.assert_allclose(written["se"], direct["se"], rtol=1e-12)
    waves = write_waves(
        spec, *paths, ESTIMATION, None, {"compare": "consecutive"}, {}, tmp_path / "w.csv"
    )
    assert list(read_contrasts(tmp_path / "w.csv").columns) == WAVE_COLUMNS
    assert set(waves["group"]) == {"Totalt", *data["office_type"].unique()}

    # The table's job writes the same files from its one read of the data (issue 16).
    from enkat.table_job import write_table_job
    from enkat.tables import write_table

    estimation = {**ESTIMATION, "ci_method": "logit"}
    rules = {"min_base": 3, "min_group": 100}  # hides the small offices (89 respondents)
    differences = {"contrasts": {"compare": ["total", "pairwise"]}, "waves": {}}
    job = [tmp_path / f"job_{name}.csv" for name in ("table", "test", "c", "w")]
    write_table_job(spec, *paths, estimation, rules, differences, {}, *job)
    alone = [tmp_path / f"alone_{name}.csv" for name in ("table", "test", "c", "w")]
    write_table(spec, *paths, estimation, rules, {}, alone[0], alone[1])
    compare = differences["contrasts"]
    write_contrasts(spec, *paths, estimation, compare, {}, alone[2], alone[0])
    write_waves(spec, *paths, estimation, compare, {}, {}, alone[3], alone[0], rules)
    for mine, theirs_ in zip(job, alone, strict=True):
        assert mine.read_bytes() == theirs_.read_bytes(), mine.name
    hidden = [pd.read_csv(path, dtype=str)["se"].eq("..").sum() for path in job[2:]]
    assert min(hidden) > 0, "the check must cover differences hidden by suppression"
    assert len(read_contrasts(job[2])) == len(out)


def test_a_difference_that_involves_a_suppressed_cell_is_hidden() -> None:
    """difference + the shown share would give a suppressed share away (issue 18)."""
    import pandas as pd

    from enkat.contrasts import HIDDEN_COLUMNS, hide_suppressed

    frame = pd.DataFrame(
        {
            "variable": ["V", "V", "V"],
            "group": ["A", "B", "B"],
            "reference": ["Totalt", "Totalt", "A"],
            "category": ["Ja", "Ja", "Ja"],
            **{c: [0.1, 0.2, 0.3] for c in HIDDEN_COLUMNS},
            "significant": [True, False, True],
        }
    )
    out = hide_suppressed(frame, {("V", "A", "Ja")})
    assert (out.loc[0, list(HIDDEN_COLUMNS)] == "..").all()  # the group is hidden
    assert out.loc[1, "difference"] == 0.2  # B against Totalt shows nothing hidden
    assert out.loc[2, "difference"] == ".." and out.loc[2, "significant"] == ""  # ref hidden
