"""The synthetic customer survey, visits per wave and the errand registration week."""

from __future__ import annotations

import numpy as np
import pandas as pd

from enkat.demo.fitting import allocate, fit_counts, rounded_share, to_units
from enkat.demo.offices import OPENED_2021
from enkat.demo.published import cells

WAVES = ("2019", "2020", "2021")
# offices sampled per type in 2019/2020 and questionnaires handed out per office
PAPER_OFFICES = {"stort": 3, "mellanstort": 4, "litet": 8}
QUESTIONNAIRES = {"stort": 1000, "mellanstort": 700, "litet": 400}
QR_OFFICES = {"stort": 7, "mellanstort": 9, "litet": 13}
ANSWERS = {"2019": 3747, "2020": 3076, "2021": 644}
# two-week visits relative to one 26th of the 2021 annual visits (2019 busier, 2021 restricted)
PERIOD_FACTOR = {"2019": 3.0 / 2.2, "2020": 2.4 / 2.2, "2021": 0.8}
HJALP_YES = {"2019": 92, "2020": 92, "2021": 97}
BEMOTANDE_YES = {"2019": 95, "2020": 94, "2021": 97}
TID_YES = {"2019": 88, "2020": 87, "2021": 93}
AGENCIES = (
    "Skatteverket",
    "Försäkringskassan",
    "Pensionsmyndigheten",
    "Arbetsförmedlingen",
    "Migrationsverket",
)
AGENCY_P = (0.52, 0.24, 0.09, 0.13, 0.02)
LANGUAGES = ("svenska", "engelska", "arabiska", "somaliska", "persiska", "tigrinja")
LANGUAGE_P = (0.76, 0.09, 0.08, 0.03, 0.02, 0.02)
SOLUTIONS_ORDER = (
    "Allmän information",
    "Digitalt",
    "Fysisk blankett",
    "Hänvisning",
    "30 000-linjen",
    "Verksamhetssystem",
)


def visits_per_wave(rng: np.random.Generator, register: pd.DataFrame) -> pd.DataFrame:
    """Visits in each wave's two-week period for every office open that year."""
    parts = []
    for wave in WAVES:
        noise = rng.lognormal(0.0, 0.1, len(register))
        visits = np.maximum(1, np.rint(register["besok_2021"] / 26 * PERIOD_FACTOR[wave] * noise))
        part = pd.DataFrame(
            {"kontor_id": register["kontor_id"], "omgang": wave, "besok": visits.astype(np.int64)}
        )
        if wave != "2021":
            part = part[~register["kontor"].isin(OPENED_2021).to_numpy()]
        parts.append(part)
    return pd.concat(parts).sort_values(["kontor_id", "omgang"]).reset_index(drop=True)


def _sample_paper(rng: np.random.Generator, register: pd.DataFrame) -> pd.DataFrame:
    """The 2019/2020 sample: simple random within office type among offices open in 2019."""
    open_2019 = register[~register["kontor"].isin(OPENED_2021)]
    parts = [
        open_2019[open_2019["kontorstyp"] == t].sample(k, random_state=rng)
        for t, k in PAPER_OFFICES.items()
    ]
    return pd.concat(parts).sort_values("kontor_id")


def _sample_qr(rng: np.random.Generator, register: pd.DataFrame) -> pd.DataFrame:
    """Stratified by office type and region: each type's offices spread over the regions."""
    parts = []
    for t, k in QR_OFFICES.items():
        of_type = register[register["kontorstyp"] == t]
        per_region = of_type.groupby("region", sort=True).size()
        take = allocate(
            k,
            per_region.to_numpy(float),
            np.minimum(1, per_region.to_numpy()),
            per_region.to_numpy(),
        )
        for region, n in zip(per_region.index, take, strict=True):
            parts.append(of_type[of_type["region"] == region].sample(int(n), random_state=rng))
    return pd.concat(parts).sort_values("kontor_id")


def _answers(n: int, missing: int, yes_percent: int) -> tuple[int, list[int]]:
    """Item nonresponse and Ja/Delvis/Nej counts with the Ja share rounding to `yes_percent`
    at one decimal (e.g. 92.0 %); nonresponse grows until such a Ja count exists."""
    target = to_units(yes_percent)
    for miss in range(missing, n):
        base = n - miss
        yes = target * base // 1000
        yes += int(rounded_share(yes, base) < target)
        if rounded_share(yes, base) == target:
            partly = round((base - yes) * 0.6)
            return miss, [yes, partly, base - yes - partly]
    raise ValueError(f"no Ja count gives {yes_percent} % of {n} answers")


def _items(rng: np.random.Generator, n: int, wave: str) -> dict[str, np.ndarray]:
    satisfaction = rng.standard_normal(n)
    out = {}
    for name, yes in (("bemotande", BEMOTANDE_YES), ("tid", TID_YES), ("hjalp", HJALP_YES)):
        missing, counts = _answers(n, int(rng.integers(2, max(3, n // 60))), yes[wave])
        codes = np.concatenate(
            [np.full(missing, ""), *[np.full(c, str(k + 1)) for k, c in enumerate(counts)]]
        )
        order = rng.permutation(n)[:missing]
        rest = np.setdiff1d(np.arange(n), order)
        key = satisfaction[rest] + 0.7 * rng.standard_normal(len(rest))
        idx = np.concatenate([order, rest[np.argsort(-key, kind="stable")]])
        col = np.empty(n, dtype=object)
        col[idx] = codes
        out[name] = col
    return out


def customer_survey(
    rng: np.random.Generator, register: pd.DataFrame, visits: pd.DataFrame
) -> pd.DataFrame:
    """One row per answer of the three waves."""
    paper = _sample_paper(rng, register)
    qr = _sample_qr(rng, register)
    parts = []
    for wave in WAVES:
        offices = qr if wave == "2021" else paper
        if wave == "2021":
            v = visits[visits["omgang"] == wave].set_index("kontor_id")["besok"]
            capacity = offices["kontor_id"].map(v).to_numpy()
        else:
            capacity = offices["kontorstyp"].map(QUESTIONNAIRES).to_numpy()
        weights = capacity * rng.uniform(0.8, 1.2, len(offices))
        per_office = allocate(ANSWERS[wave], weights, np.ones(len(offices), int), capacity)
        n = ANSWERS[wave]
        frame = pd.DataFrame(
            {
                "kontor_id": np.repeat(offices["kontor_id"].to_numpy(), per_office),
                "omgang": wave,
                "insamlingssatt": "QR" if wave == "2021" else "papper",
                "sprak": rng.choice(LANGUAGES, n, p=LANGUAGE_P) if wave == "2021" else "svenska",
                "myndighet": rng.choice(AGENCIES, n, p=AGENCY_P),
            }
        )
        for name, col in _items(rng, n, wave).items():
            frame[name] = col
        parts.append(frame)
    survey = pd.concat(parts, ignore_index=True)
    survey.insert(0, "svar_id", [f"S{i:05d}" for i in range(1, len(survey) + 1)])
    return survey


def errand_week(
    rng: np.random.Generator, published: pd.DataFrame, register: pd.DataFrame
) -> pd.DataFrame:
    """One row per errand of week 21, reproducing T13's totals and shares."""
    t13 = cells(published, "T13")
    agencies, solutions = [], []
    for agency, block in t13.groupby("column", sort=True):
        total = int(block.loc[block["row"] == "Total antal", "count"].iloc[0])
        shares = block[block["row"] != "Total antal"].set_index("row")["percent"]
        shares = [float(shares[s]) for s in SOLUTIONS_ORDER]
        counts = fit_counts(shares, total)
        if counts is None:
            raise ValueError(f"T13 {agency}: no counts reproduce the shares")
        agencies.append(np.full(total, agency))
        solutions.append(np.repeat(SOLUTIONS_ORDER, counts))
    agency = np.concatenate(agencies)
    solution = np.concatenate(solutions)
    order = rng.permutation(len(agency))
    p = register["besok_2021"].to_numpy(float)
    offices = rng.choice(register["kontor_id"].to_numpy(), len(agency), p=p / p.sum())
    return pd.DataFrame(
        {
            "arende_id": [f"A{i:06d}" for i in range(1, len(agency) + 1)],
            "kontor_id": offices,
            "myndighet": agency[order],
            "losning": solution[order],
        }
    )
