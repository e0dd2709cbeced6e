"""The benchmark generator (benchmarks/generate.py): seeded, and its data follow the codebooks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from benchmarks import Sizes
from benchmarks.generate import FILES, generate, load_items

ROOT = Path(__file__).resolve().parents[1]
SMALL = Sizes(customers=3_000, frame=1_200, errands=400)
CUSTOMER_BOOK = ROOT / "benchmarks/config/codebooks/customers.yaml"
HANDLER_BOOK = ROOT / "config/codebooks/handlers.yaml"


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


def read(folder: Path, key: str) -> pd.DataFrame:
    return pd.read_csv(folder / FILES[key], dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    generate(out, SMALL, seed=7)
    return out


def test_same_seed_gives_the_same_bytes(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, SMALL, seed=7)
    assert digests(tmp_path) == digests(small)


def test_another_seed_gives_other_answers(small: Path, tmp_path: Path) -> None:
    generate(tmp_path, SMALL, seed=8)
    assert digests(tmp_path)["kundundersokning.csv"] != digests(small)["kundundersokning.csv"]


def test_sizes_and_columns_follow_the_config(small: Path) -> None:
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    sizes = {"customers": SMALL.customers, "frame": SMALL.frame, "errands": SMALL.errands}
    for key in FILES:
        data = read(small, key)
        assert set(config["sources"][key]["columns"].values()) <= set(data.columns), key
        if key in sizes:
            assert len(data) == sizes[key], key
    register = read(small, "register")
    assert 140 <= len(register) <= 160
    assert set(register["kontorstyp"]) == set(config["register"]["office_types"])
    assert set(register["region"]) == set(config["register"]["regions"])
    customers = read(small, "customers")
    assert sorted(customers["omgang"].unique()) == ["2019", "2020", "2021"]


def test_answers_are_codebook_codes_with_some_item_nonresponse(small: Path) -> None:
    customers = read(small, "customers")
    items, nonresponse = load_items(CUSTOMER_BOOK)
    assert len(items) >= 10
    for item in items:
        codes = {str(o["code"]) for o in item["options"]} | {str(c) for c in nonresponse}
        assert 3 <= len(item["options"]) <= 5, item["id"]
        for column in [r["column"] for r in item.get("rows", [])] or [item["column"]]:
            values = customers[column]
            assert set(values.dropna()) <= codes, column
            assert 0 < values.isna().mean() < 0.15, column
            assert values.dropna().nunique() >= 3, column


def test_answers_differ_between_office_types(small: Path) -> None:
    customers = read(small, "customers").merge(
        read(small, "register")[["kontor_id", "kontorstyp"]], on="kontor_id"
    )
    yes = (customers["hjalp"] == "1").groupby(customers["kontorstyp"]).mean()
    assert yes.max() - yes.min() > 0.03


def test_handler_answers_respect_filters_and_choice_limits(small: Path) -> None:
    frame, handlers = read(small, "frame"), read(small, "handlers")
    assert set(handlers["respondent_id"]) <= set(frame["handlaggare_id"])
    assert 0.5 < len(handlers) / len(frame) < 0.9
    assert handlers.loc[handlers["q_dist"] != "1", "q1"].isna().all()
    assert handlers.loc[handlers["q_pilot"] != "1", "q3_mv"].isna().all()
    assert handlers.loc[handlers["q_forslag"] != "1", "q_forslag_lamnat"].isna().all()
    chosen = (handlers.filter(like="q4_") == "1").sum(axis=1)
    answered = handlers.filter(like="q4_").notna().all(axis=1)
    assert chosen[answered].between(1, 2).all()


def test_visits_cover_the_answers(small: Path) -> None:
    answers = read(small, "customers").groupby(["kontor_id", "omgang"]).size()
    visits = read(small, "visits").set_index(["kontor_id", "omgang"])["besok"].astype(int)
    assert (visits.reindex(answers.index) >= answers).all()


def test_the_data_pass_enkat_ingest(small: Path, tmp_path: Path) -> None:
    from enkat.ingest import ingest_step

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    settings = {
        "register": {k: config["register"][k] for k in ("office_types", "regions")},
        "limits": config.get("limits", {}),
        "report": {"free_text": []},
    }
    done: dict[str, Path] = {}
    for source in ("register", "frame", "handlers", "customers", "visits"):
        spec = dict(config["sources"][source], path=str(small / FILES[source]))
        inputs: dict[str, str | Path] = {"raw": spec["path"]}
        if source != "register":
            inputs["register"] = done["register"]
        if source == "handlers":
            inputs["frame"] = done["frame"]
            inputs["codebook"] = HANDLER_BOOK
        if source == "customers":
            inputs["codebook"] = CUSTOMER_BOOK
        done[source] = tmp_path / f"{source}.parquet"
        data = ingest_step(
            source,
            spec,
            settings,
            inputs,
            done[source],
            tmp_path / f"rejected_{source}.csv",
            tmp_path / f"audit_{source}.csv",
        )
        assert len(data) == len(read(small, source)), source
