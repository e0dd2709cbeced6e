"""The synthetic demo audit: reproducible bytes, and totals that give back the published tables.

Answers are decoded with the codebook YAML directly (not enkat.codebook) so that this test checks
the raw export and the codebooks against each other.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml

from enkat.demo import generate
from enkat.demo.fitting import minimax_split
from enkat.demo.generate import FILES
from enkat.demo.published import PUBLISHED_CSV, breakdowns, published_tables

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "raw" / "demo"
CODEBOOKS = ROOT / "config" / "codebooks"
REFERENCE = Path("/work/shared/reference/published_tables.csv")
HANDLER_TABLES = (
    "T01",
    "T02",
    "T03",
    "T04",
    "T05",
    "T06",
    "T07",
    "T08",
    "T09",
    "T12",
    "T14",
    "T15",
)
# published cells whose count and percent cannot both hold (229 / 375 = 61.07 %, printed 61.0)
INCONSISTENT_CELLS = {("T01", "Total", "Ja, men det är begränsat vad man kan hjälpa till med")}
TYPE_LABELS = {
    "stort": "Stort kontor",
    "mellanstort": "Mellanstort kontor",
    "litet": "Litet kontor",
}


def pct(count: int, base: int) -> float:
    """100 * count / base rounded half up to one decimal, as published."""
    value = Decimal(100 * count) / Decimal(base)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return published_tables()


@pytest.fixture(scope="module")
def codebook() -> dict:
    return yaml.safe_load((CODEBOOKS / "handlers.yaml").read_text(encoding="utf-8"))


def options_of(item: dict, book: dict) -> list[dict]:
    return item.get("options") or book["scales"][item["scale"]]


def item_of(book: dict, item_id: str) -> dict:
    return next(i for i in book["items"] if i["id"] == item_id)


def decoded(export: pd.DataFrame, book: dict, item: dict, column: str) -> pd.Series:
    """Labels of the base answers; everything else (empty, nonresponse, not in base) is NA."""
    skip = {
        str(c)
        for c in [
            *book.get("nonresponse", []),
            *item.get("nonresponse", []),
            *item.get("not_in_base", []),
        ]
    }
    labels = {
        str(o["code"]): o["label"] for o in options_of(item, book) if str(o["code"]) not in skip
    }
    return export[column].map(labels)


def test_regenerating_gives_the_committed_bytes(tmp_path: Path) -> None:
    generate(tmp_path)
    for name in (*FILES, "README.md"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_shipped_published_tables_match_the_reference() -> None:
    if not REFERENCE.is_file():
        pytest.skip("reference folder not available")
    assert PUBLISHED_CSV.read_bytes() == REFERENCE.read_bytes()


@pytest.mark.parametrize("survey", ["handlers", "customers"])
def test_codebooks_validate_against_the_schema(survey: str) -> None:
    schema = yaml.safe_load((ROOT / "config/schemas/codebook.schema.yaml").read_text("utf-8"))
    book = yaml.safe_load((CODEBOOKS / f"{survey}.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(book, schema)
    assert book["survey"] == survey


def test_export_columns_are_the_codebook_columns(codebook: dict) -> None:
    export = read("handlaggarenkat.csv")
    columns = set()
    for item in codebook["items"]:
        if item["type"] in ("single", "text"):
            columns.add(item["column"])
        else:
            columns |= {r["column"] for r in item.get("rows", [])}
            if item["type"] == "multiple":
                columns |= {o["column"] for o in item["options"]}
    assert set(export.columns) == {"respondent_id", "kontor_id"} | columns


def test_handler_tables_reproduce_the_published_totals(
    published: pd.DataFrame, codebook: dict
) -> None:
    export = read("handlaggarenkat.csv")
    checked = 0
    for table in HANDLER_TABLES:
        item = item_of(codebook, table)
        cells = published[
            (published["table"] == table) & ~published["row"].isin(TYPE_LABELS.values())
        ]
        for row_label, block in cells.groupby("row", sort=False):
            if item["type"] == "multiple":
                chosen = {o["label"]: export[o["column"]] == "1" for o in item["options"]}
                base = int(pd.concat(chosen, axis=1).any(axis=1).sum())
                counts = {label: int(mask.sum()) for label, mask in chosen.items()}
            else:
                column = (
                    item["column"]
                    if item["type"] == "single"
                    else next(r["column"] for r in item["rows"] if r["label"] == row_label)
                )
                answers = decoded(export, codebook, item, column).dropna()
                base = len(answers)
                counts = answers.value_counts().to_dict()
            for cell in block.itertuples():
                count = int(counts.get(cell.column, 0))
                where = (table, row_label, cell.column)
                if not pd.isna(cell.count):
                    assert count == int(cell.count), where
                if where in INCONSISTENT_CELLS:
                    # the published count and percent disagree; the count wins, 0.1 point off
                    assert pct(int(cell.count), base) != float(cell.percent)
                    assert abs(pct(count, base) - float(cell.percent)) <= 0.1 + 1e-9, where
                else:
                    assert pct(count, base) == pytest.approx(float(cell.percent)), where
                checked += 1
    assert checked == int(published["table"].isin(HANDLER_TABLES).sum()) - 9


def test_filters_and_special_bases(codebook: dict) -> None:
    export = read("handlaggarenkat.csv")
    assert (export["q_pilot"] == "1").sum() == 64
    # asked only of pilot offices
    assert (export.loc[export["q_pilot"] != "1", ["q3_mv", "q6_mv", "q8_mv"]] == "").all().all()
    assert (export["q8_mv"] == "5").sum() == 19
    not_trained = {"ssc": 33, "af": 6, "skv": 1, "fk": 1, "pm": 1}
    for row, n in not_trained.items():
        assert (export[f"q8_{row}"] == "5").sum() == n
    assert (export.loc[export["q_dist"] != "1", "q1"] == "").all()
    assert (export.loc[export["q_dist"] == "1", "q1"].isin(["1", "2", "3"])).sum() == 375
    chosen = (export[[c for c in export.columns if c.startswith("q4_")]] == "1").sum(axis=1)
    assert chosen.value_counts().to_dict() == {2: 433, 1: 106}


def test_extra_items_have_the_reported_shares(codebook: dict) -> None:
    export = read("handlaggarenkat.csv")

    def share(item_id: str, label: str | list[str]) -> tuple[float, int]:
        item = item_of(codebook, item_id)
        answers = decoded(export, codebook, item, item["column"]).dropna()
        wanted = [label] if isinstance(label, str) else label
        return 100 * answers.isin(wanted).mean(), len(answers)

    assert round(share("INLOGG", "Ja")[0]) == 90
    assert round(share("TOLK", ["Ofta", "Ibland"])[0]) == 53
    assert round(share("TOLK", "Aldrig")[0]) == 30
    assert [round(share("AVL", x)[0]) for x in ("Ja", "Delvis", "Nej")] == [18, 55, 27]
    forslag, n_forslag = share("FORSLAG", "Ja")
    assert (round(forslag), n_forslag) == (75, 406)
    lamnat, n_lamnat = share("FORSLAG_LAMNAT", "Ja")
    assert (round(lamnat), n_lamnat) == (62, 254)


def test_breakdowns_by_office_type_are_as_close_as_the_totals_allow(
    published: pd.DataFrame,
) -> None:
    export = read("handlaggarenkat.csv")
    types = read("kontorsregister.csv").set_index("kontor_id")["kontorstyp"]
    office_type = export["kontor_id"].map(types)
    sizes = office_type.value_counts()[list(TYPE_LABELS)].tolist()
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    for table, column in (("T05", "q5"), ("T12", "q12")):
        worst_possible = 0.0
        worst = 0.0
        for target in (b for b in breakdowns(published) if b.table == table):
            hit = export[column].isin([str(c) for c in target.codes])
            share = 100 * hit.groupby(office_type).mean()[list(TYPE_LABELS)]
            assert int(hit.sum()) == target.total
            worst = max(worst, float((share - list(target.percents)).abs().max()))
            worst_possible = max(
                worst_possible, minimax_split(target.total, sizes, target.percents)[1]
            )
        assert worst == pytest.approx(worst_possible), table
        assert f"{worst:.1f} " in readme, table
    # the direction the report describes: workload heaviest at large offices
    much = (export["q12"] == "1").groupby(office_type).mean()
    assert much["stort"] > much["mellanstort"] > much["litet"]
    little = export["q12"].isin(["4", "5"]).groupby(office_type).mean()
    assert little["litet"] > little["mellanstort"] > little["stort"]


def test_minimax_split_is_optimal_on_small_cases() -> None:
    sizes = [7, 5, 4]
    percents = [60.0, 20.0, 50.0]
    for total in range(0, 17):
        counts, worst = minimax_split(total, sizes, percents)
        assert sum(counts) == total and all(0 <= c <= n for c, n in zip(counts, sizes, strict=True))
        brute = min(
            max(abs(100 * a / 7 - 60), abs(100 * b / 5 - 20), abs(100 * (total - a - b) / 4 - 50))
            for a in range(8)
            for b in range(6)
            if 0 <= total - a - b <= 4
        )
        assert worst == pytest.approx(brute)


def test_frame_and_response_rates() -> None:
    frame = read("handlaggarram.csv")
    export = read("handlaggarenkat.csv")
    register = read("kontorsregister.csv").set_index("kontor_id")
    assert len(frame) == 756 and len(export) == 539
    assert export["respondent_id"].is_unique
    merged = export.merge(
        frame, left_on="respondent_id", right_on="handlaggare_id", suffixes=("", "_frame")
    )
    assert len(merged) == 539 and (merged["kontor_id"] == merged["kontor_id_frame"]).all()
    office_type = frame["kontor_id"].map(register["kontorstyp"])
    rate = frame["handlaggare_id"].isin(export["respondent_id"]).groupby(office_type).mean()
    assert set(rate.index) == {"stort", "mellanstort", "litet"}
    for code, published_rate in {"stort": 67, "mellanstort": 80, "litet": 77}.items():
        assert abs(100 * rate[code] - published_rate) <= 1
    staff = frame.groupby("kontor_id").size()
    staff_type = staff.index.map(register["kontorstyp"])
    bounds = {"stort": (21, 10**6), "mellanstort": (6, 20), "litet": (1, 5)}
    for code, (lo, hi) in bounds.items():
        assert staff[staff_type == code].between(lo, hi).all(), code


def test_register_reproduces_t10_and_t11(published: pd.DataFrame) -> None:
    register = read("kontorsregister.csv")
    visits = register["besok_2021"].astype(int)
    assert len(register) == 123 and register["kontorsomrade"].nunique() == 42
    assert (register.groupby("kontorsomrade")["region"].nunique() == 1).all()
    costs = yaml.safe_load((ROOT / "config/config.yaml").read_text("utf-8"))["register"]
    assert set(register["region"]) == set(costs["regions"])
    short = {"stort": "Stort", "mellanstort": "Mellan", "litet": "Litet", "flexikontor": "Flexi"}
    for code, label in short.items():
        v = visits[register["kontorstyp"] == code]
        cost = costs["standard_costs"][code]
        t10 = published[(published["table"] == "T10") & (published["row"] == label)]
        t11 = published[(published["table"] == "T11") & (published["row"] == label)]
        get = lambda t, c: int(t.loc[t["column"] == c, "count"].iloc[0])  # noqa: E731
        assert round(v.mean()) == get(t10, "Antal besök (medel)")
        assert round(cost / v.mean()) == get(t10, "Kostnad/besök (kr)")
        assert v.min() == get(t11, "Antal besök minimum")
        assert v.max() == get(t11, "Antal besök maximum")
        assert round(cost / v.max()) == get(t11, "Kostnad/besök min (kr)")
        assert round(cost / v.min()) == get(t11, "Kostnad/besök max (kr)")
    assert 2.1e6 < visits.sum() < 2.3e6


def test_errand_week_reproduces_t13(published: pd.DataFrame) -> None:
    errands = read("arenderegistrering.csv")
    register = read("kontorsregister.csv")
    assert errands["arende_id"].is_unique
    assert errands["kontor_id"].isin(register["kontor_id"]).all()
    t13 = published[published["table"] == "T13"]
    totals = errands["myndighet"].value_counts()
    for cell in t13.itertuples():
        if cell.row == "Total antal":
            assert totals[cell.column] == int(cell.count)
        else:
            hit = (errands["myndighet"] == cell.column) & (errands["losning"] == cell.row)
            n = int(hit.sum())
            assert pct(n, int(totals[cell.column])) == pytest.approx(float(cell.percent))


def test_customer_survey_totals_and_help_shares() -> None:
    survey = read("kundundersokning.csv")
    register = read("kontorsregister.csv").set_index("kontor_id")
    visits = read("besok_per_omgang.csv")
    assert survey["omgang"].value_counts().to_dict() == {"2019": 3747, "2020": 3076, "2021": 644}
    offices = survey.groupby("omgang")["kontor_id"].unique()
    assert set(offices["2019"]) == set(offices["2020"]) and len(offices["2019"]) == 15
    assert len(offices["2021"]) == 29
    assert (
        register.loc[survey["kontor_id"].unique(), "kontorstyp"]
        .isin(["stort", "mellanstort", "litet"])
        .all()
    )
    old = survey[survey["omgang"] != "2021"]
    assert set(old["insamlingssatt"]) == {"papper"} and set(old["sprak"]) == {"svenska"}
    new = survey[survey["omgang"] == "2021"]
    assert set(new["insamlingssatt"]) == {"QR"} and new["sprak"].nunique() > 2
    for wave, yes in {"2019": 92.0, "2020": 92.0, "2021": 97.0}.items():
        answers = survey.loc[(survey["omgang"] == wave) & (survey["hjalp"] != ""), "hjalp"]
        assert 0 < len(answers) < (survey["omgang"] == wave).sum()  # a little item nonresponse
        assert pct(int((answers == "1").sum()), len(answers)) == yes
    for item in ("bemotande", "tid"):
        answers = survey.loc[survey[item] != "", item]
        assert (answers == "1").mean() > 0.85
    per_wave = visits.groupby("omgang")["kontor_id"].agg(set)
    assert per_wave["2021"] == set(register.index)
    for wave, surveyed in offices.items():
        assert set(surveyed) <= per_wave[wave], wave
    period = visits[visits["omgang"] == "2021"].set_index("kontor_id")["besok"].astype(int)
    rate = len(new) / period[offices["2021"]].sum()
    assert 0.024 <= rate <= 0.039
