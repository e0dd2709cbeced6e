"""Seeded generator of a large synthetic audit: 1 000 000 customer responses, 100 000 handlers.

Writes the six raw exports of raw/demo (same file names, columns and codes; see
config/config.yaml `sources:`) into one folder. Answers are drawn from the codebooks, so
the generator follows whatever items, grids, filters and multiple-choice limits they hold:
a latent satisfaction per respondent (office, wave and person effects) is cut at
item-specific thresholds, so answers differ between office types, regions and waves and the
Rao-Scott tests have something to find. Everything is vectorised; the same seed gives the
same bytes.

    python -m benchmarks.generate OUT_DIR [--customers N] [--frame N] [--seed S]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from benchmarks import SEED, Sizes

ROOT = Path(__file__).resolve().parents[1]
WAVES = ("2019", "2020", "2021")
REGIONS = ("Nord", "Mitt", "Stockholm och Gotland", "Öst", "Väst", "Syd")
OFFICE_TYPES = {  # code: (offices, median yearly visits)
    "stort": (20, 120_000),
    "mellanstort": (40, 60_000),
    "litet": (62, 25_000),
    "flexikontor": (28, 6_000),
}
TYPE_EFFECT = {"stort": -0.25, "mellanstort": 0.0, "litet": 0.2, "flexikontor": 0.35}
WAVE_EFFECT = {"2019": 0.0, "2020": -0.15, "2021": 0.4}
HANDLER_SHARE = {"stort": 0.45, "mellanstort": 0.35, "litet": 0.20, "flexikontor": 0.0}
AGENCIES = (
    "Skatteverket",
    "Försäkringskassan",
    "Arbetsförmedlingen",
    "Pensionsmyndigheten",
    "Migrationsverket",
)
AGENCY_SHARE = (0.51, 0.24, 0.13, 0.10, 0.02)
LANGUAGES = ("svenska", "engelska", "arabiska", "persiska", "somaliska", "tigrinja")
LANGUAGE_SHARE_QR = (0.80, 0.07, 0.06, 0.03, 0.02, 0.02)
SOLUTIONS = (
    "Verksamhetssystem",
    "Digitalt",
    "Allmän information",
    "Fysisk blankett",
    "30 000-linjen",
    "Hänvisning",
)
SOLUTION_SHARE = (0.366, 0.257, 0.166, 0.159, 0.035, 0.017)
AGES = ("-29", "30-44", "45-59", "60-")
TENURES = ("<2 år", "2-5 år", ">5 år")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8, comma-separated, one header row, LF: the raw/demo format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", na_rep="")


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def _draw(
    rng: np.random.Generator, values: Sequence[str], shares: Sequence[float], n: int
) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p / p.sum())]


def offices(rng: np.random.Generator) -> pd.DataFrame:
    """The office register: about 150 offices of the four types in six regions."""
    types = np.concatenate([[t] * n for t, (n, _) in OFFICE_TYPES.items()])
    types = types[rng.permutation(types.size)]
    n = types.size
    median = np.array([OFFICE_TYPES[t][1] for t in types], dtype=float)
    visits = np.round(median * rng.lognormal(0.0, 0.35, n)).astype(np.int64)
    region = np.asarray(REGIONS, dtype=object)[np.arange(n) % len(REGIONS)]
    area_no = (np.arange(n) // len(REGIONS)) % 8 + 1
    return pd.DataFrame(
        {
            "kontor_id": _ids("K", n, 3),
            "kontor": np.char.add(
                "Servicekontor ", np.char.zfill(np.arange(1, n + 1).astype(str), 3)
            ),
            "region": region,
            "kontorsomrade": [f"{r} {a}" for r, a in zip(region, area_no, strict=True)],
            "kontorstyp": types,
            "besok_2021": visits,
        }
    )


def office_effects(rng: np.random.Generator, register: pd.DataFrame) -> np.ndarray:
    """Latent satisfaction per office: its type's effect plus an office effect (clustering)."""
    base = register["kontorstyp"].map(TYPE_EFFECT).to_numpy(dtype=float)
    region = (
        pd.Series(register["region"])
        .map(dict(zip(REGIONS, np.linspace(-0.2, 0.2, len(REGIONS)), strict=True)))
        .to_numpy(float)
    )
    return base + region + rng.normal(0.0, 0.25, len(register))


# --- Answers from a codebook ------------------------------------------------------------------


def load_items(codebook: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    """The codebook's items (resolved scales) and its survey-wide nonresponse codes."""
    book = yaml.safe_load(codebook.read_text(encoding="utf-8"))
    scales = book.get("scales") or {}
    items = []
    for item in book["items"]:
        item = dict(item)
        if "scale" in item:
            item["options"] = scales[item["scale"]]
        items.append(item)
    return items, list(book.get("nonresponse") or [])


def _depth(item: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> int:
    depth, current = 0, item
    while current.get("filter"):
        depth += 1
        current = by_id[current["filter"]["item"]]
    return depth


def _asked(
    flt: Mapping[str, Any] | None,
    answers: Mapping[str, np.ndarray],
    by_id: Mapping[str, Mapping[str, Any]],
    n: int,
) -> np.ndarray:
    """Rows asked an item: those whose answer to the filter item has one of the labels."""
    if not flt:
        return np.ones(n, dtype=bool)
    codes = [o["code"] for o in by_id[flt["item"]]["options"] if o["label"] in flt["in"]]
    return np.isin(answers[flt["item"]], codes)


def ordinal_answers(rng: np.random.Generator, latent: np.ndarray, k: int) -> np.ndarray:
    """Category index 0..k-1 per row: the latent score plus noise cut at random thresholds."""
    shares = np.sort(rng.dirichlet(np.full(k, 2.0)))[::-1]
    cuts = np.log(np.cumsum(shares)[:-1] / (1 - np.cumsum(shares)[:-1]))  # logits
    z = -latent * rng.uniform(0.5, 1.2) + rng.logistic(0.0, 1.0, latent.size)
    return (z[:, None] > cuts[None, :]).sum(axis=1)


def item_columns(
    rng: np.random.Generator,
    items: list[dict[str, Any]],
    nonresponse: list[Any],
    latent: np.ndarray,
    missing: float = 0.04,
) -> dict[str, pd.Series]:
    """Raw export columns (codes, empty = no answer) for every item of a codebook."""
    n = latent.size
    by_id = {i["id"]: i for i in items}
    answers: dict[str, np.ndarray] = {}  # single items: the code per row (0 = none)
    columns: dict[str, pd.Series] = {}
    for item in sorted(items, key=lambda i: _depth(i, by_id)):
        asked = _asked(item.get("filter"), answers, by_id, n)
        if item["type"] == "text":
            note = asked & (rng.random(n) < 0.002)
            columns[item["column"]] = pd.Series(
                np.where(note, "Bra service.", None), dtype="string"
            )
            continue
        if item["type"] == "multiple":
            columns.update(_multiple(rng, item, asked, missing))
            continue
        codes = np.array([int(o["code"]) for o in item["options"]])
        rows = item.get("rows") or [{"column": item["column"], "filter": None}]
        for row in rows:
            row_asked = asked & _asked(row.get("filter"), answers, by_id, n)
            value = codes[ordinal_answers(rng, latent, codes.size)]
            blank = ~row_asked | (rng.random(n) < missing * rng.uniform(0.5, 1.5))
            if nonresponse:
                refuse = ~blank & (rng.random(n) < 0.01)
                value = np.where(refuse, int(nonresponse[0]), value)
            value = np.where(blank, 0, value)
            if item["type"] == "single":
                answers[item["id"]] = value
            columns[row["column"]] = pd.Series(value, dtype="Int16").mask(value == 0)
    return {i: columns[i] for i in _export_order(items) if i in columns}


def _multiple(
    rng: np.random.Generator, item: Mapping[str, Any], asked: np.ndarray, missing: float
) -> dict[str, pd.Series]:
    """Indicator columns of a multiple-choice item within its choice limits."""
    n, options = asked.size, item["options"]
    lo = int(item.get("min_choices", 1) or 1)
    hi = int(item.get("max_choices", len(options)))
    count = rng.integers(lo, hi + 1, n)
    rank = np.argsort(rng.random((n, len(options))) * np.linspace(1.0, 2.0, len(options)), axis=1)
    chosen = np.zeros((n, len(options)), dtype=bool)
    np.put_along_axis(chosen, rank, np.arange(len(options))[None, :] < count[:, None], axis=1)
    answered = asked & (rng.random(n) >= missing)
    return {
        opt["column"]: pd.Series(chosen[:, j].astype(np.int16), dtype="Int16").mask(~answered)
        for j, opt in enumerate(options)
    }


def _export_order(items: list[dict[str, Any]]) -> list[str]:
    order = []
    for item in items:
        if item["type"] == "grid":
            order += [r["column"] for r in item["rows"]]
        elif item["type"] == "multiple":
            order += [o["column"] for o in item["options"]]
        else:
            order.append(item["column"])
    return order


# --- The sources ------------------------------------------------------------------------------


def customer_survey(
    rng: np.random.Generator, register: pd.DataFrame, n: int, codebook: Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customer answers (n rows over three waves) and visits per office and wave."""
    effect = office_effects(rng, register)
    base = register["besok_2021"].to_numpy(dtype=float)
    n_office = len(register)
    per_wave = np.full(len(WAVES), n // len(WAVES))
    per_wave[: n % len(WAVES)] += 1
    visit_rows, parts = [], []
    for w, wave in enumerate(WAVES):
        visits = np.round(base * (0.9 + 0.1 * w) * rng.uniform(0.9, 1.1, n_office)).astype(int)
        surveyed = rng.random(n_office) < (0.85 if wave != "2021" else 0.92)
        share = np.where(surveyed, visits * rng.uniform(0.5, 1.5, n_office), 0.0)
        answers = rng.multinomial(per_wave[w], share / share.sum())
        visits = np.maximum(visits, answers)
        visit_rows.append(
            pd.DataFrame({"kontor_id": register["kontor_id"], "omgang": wave, "besok": visits})
        )
        office = np.repeat(np.arange(n_office), answers)
        qr = (rng.random(office.size) < 0.7) if wave == "2021" else np.zeros(office.size, bool)
        language = np.where(qr, _draw(rng, LANGUAGES, LANGUAGE_SHARE_QR, office.size), "svenska")
        parts.append(
            pd.DataFrame(
                {
                    "kontor_id": register["kontor_id"].to_numpy()[office],
                    "omgang": wave,
                    "insamlingssatt": np.where(qr, "QR", "papper"),
                    "sprak": language,
                    "myndighet": _draw(rng, AGENCIES, AGENCY_SHARE, office.size),
                    "latent": effect[office]
                    + WAVE_EFFECT[wave]
                    + rng.normal(0.0, 1.0, office.size),
                }
            )
        )
    data = pd.concat(parts, ignore_index=True)
    items, nonresponse = load_items(codebook)
    answers = item_columns(rng, items, nonresponse, data.pop("latent").to_numpy())
    data.insert(0, "svar_id", _ids("S", len(data), 7))
    data = pd.concat([data, pd.DataFrame(answers)], axis=1)
    return data, pd.concat(visit_rows, ignore_index=True).sort_values(
        ["kontor_id", "omgang"], kind="stable", ignore_index=True
    )


def handler_frame(rng: np.random.Generator, register: pd.DataFrame, n: int) -> pd.DataFrame:
    """The handler frame: n handlers at large, medium and small offices (flexi: none)."""
    share = register["kontorstyp"].map(HANDLER_SHARE).to_numpy(dtype=float)
    weight = share * register["besok_2021"].to_numpy(dtype=float)
    weight = weight / weight.sum()
    counts = np.maximum(rng.multinomial(n - int((weight > 0).sum()), weight), 0)
    counts = counts + (weight > 0)  # at least one handler at every staffed office
    office = np.repeat(np.arange(len(register)), counts)
    return pd.DataFrame(
        {
            "handlaggare_id": _ids("H", office.size, 6),
            "kontor_id": register["kontor_id"].to_numpy()[office],
            "alder": _draw(rng, AGES, (0.15, 0.38, 0.33, 0.14), office.size),
            "anstallningstid": _draw(rng, TENURES, (0.24, 0.33, 0.43), office.size),
        }
    )


def handler_survey(
    rng: np.random.Generator, register: pd.DataFrame, frame: pd.DataFrame, codebook: Path
) -> pd.DataFrame:
    """Respondents of the handler census (about 70 %, varying with age) and their answers."""
    effect = pd.Series(office_effects(rng, register), index=register["kontor_id"])
    propensity = 0.72 + frame["alder"].map(
        {"-29": -0.12, "30-44": 0.0, "45-59": 0.04, "60-": 0.06}
    ).to_numpy(dtype=float)
    responds = rng.random(len(frame)) < propensity
    resp = frame.loc[responds, ["handlaggare_id", "kontor_id"]].reset_index(drop=True)
    latent = effect.reindex(resp["kontor_id"]).to_numpy() + rng.normal(0.0, 1.0, len(resp))
    items, nonresponse = load_items(codebook)
    answers = item_columns(rng, items, nonresponse, latent, missing=0.03)
    out = pd.DataFrame({"respondent_id": resp["handlaggare_id"], "kontor_id": resp["kontor_id"]})
    return pd.concat([out, pd.DataFrame(answers)], axis=1)


def errand_week(rng: np.random.Generator, register: pd.DataFrame, n: int) -> pd.DataFrame:
    """The errand registration: n errands at the offices, with agency and solution."""
    weight = register["besok_2021"].to_numpy(dtype=float)
    office = np.sort(rng.choice(len(register), size=n, p=weight / weight.sum()))
    return pd.DataFrame(
        {
            "arende_id": _ids("A", n, 7),
            "kontor_id": register["kontor_id"].to_numpy()[office],
            "myndighet": _draw(rng, AGENCIES[:4], (0.57, 0.27, 0.11, 0.05), n),
            "losning": _draw(rng, SOLUTIONS, SOLUTION_SHARE, n),
        }
    )


FILES = {
    "register": "kontorsregister.csv",
    "frame": "handlaggarram.csv",
    "handlers": "handlaggarenkat.csv",
    "customers": "kundundersokning.csv",
    "visits": "besok_per_omgang.csv",
    "errands": "arenderegistrering.csv",
}


DEFAULT_SIZES = Sizes()


def generate(
    out_dir: str | Path,
    sizes: Sizes = DEFAULT_SIZES,
    seed: int = SEED,
    customer_codebook: str | Path = ROOT / "benchmarks/config/codebooks/customers.yaml",
    handler_codebook: str | Path = ROOT / "config/codebooks/handlers.yaml",
) -> dict[str, Path]:
    """Write the six raw exports into `out_dir`; returns source key -> file."""
    out = Path(out_dir)
    rng = np.random.default_rng(seed)
    register = offices(rng)
    customers, visits = customer_survey(rng, register, sizes.customers, Path(customer_codebook))
    frame = handler_frame(rng, register, sizes.frame)
    handlers = handler_survey(rng, register, frame, Path(handler_codebook))
    errands = errand_week(rng, register, sizes.errands)
    tables = {
        "register": register,
        "frame": frame,
        "handlers": handlers,
        "customers": customers,
        "visits": visits,
        "errands": errands,
    }
    paths = {}
    for key, table in tables.items():
        paths[key] = out / FILES[key]
        write_csv(table, paths[key])
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--customers", type=int, default=Sizes.customers)
    parser.add_argument("--frame", type=int, default=Sizes.frame)
    parser.add_argument("--errands", type=int, default=Sizes.errands)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    generate(args.out_dir, Sizes(args.customers, args.frame, args.errands), args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
