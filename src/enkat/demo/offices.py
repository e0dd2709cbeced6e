"""The synthetic office register and handler frame.

Names are real Swedish places so the demo reads naturally; every number is invented, except
that visits per office type reproduce the published tables T10 (mean) and T11 (min, max).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from enkat.demo.fitting import allocate
from enkat.demo.sizes import STAFF_BOUNDS

# region -> office area -> offices (123 offices, 42 areas)
AREAS: dict[str, dict[str, list[str]]] = {
    "Nord": {
        "Luleå": ["Luleå", "Boden", "Kalix", "Haparanda"],
        "Malmfälten": ["Kiruna", "Gällivare", "Pajala", "Jokkmokk"],
        "Piteå": ["Piteå", "Arvidsjaur", "Arjeplog"],
        "Umeå": ["Umeå", "Lycksele", "Sorsele"],
        "Skellefteå": ["Skellefteå"],
        "Södra Lappland": ["Vilhelmina", "Åsele", "Storuman"],
        "Jämtland": ["Östersund", "Strömsund", "Sveg", "Åre"],
        "Västernorrland": ["Sundsvall", "Härnösand", "Kramfors", "Sollefteå"],
        "Örnsköldsvik": ["Örnsköldsvik"],
    },
    "Mitt": {
        "Gävle": ["Gävle", "Sandviken"],
        "Hälsingland": ["Hudiksvall", "Ljusdal", "Bollnäs", "Söderhamn"],
        "Dalarna": ["Falun", "Borlänge", "Ludvika", "Avesta"],
        "Ovansiljan": ["Mora", "Älvdalen", "Malung"],
        "Värmland": ["Karlstad", "Arvika", "Kristinehamn", "Torsby", "Filipstad"],
        "Örebro": ["Örebro", "Lindesberg", "Hallsberg"],
        "Västmanland": ["Västerås", "Köping", "Sala"],
        "Uppsala": ["Uppsala", "Enköping"],
    },
    "Stockholm och Gotland": {
        "Stockholm City": ["Stockholm City", "Stockholm Liljeholmen", "Vaxholm"],
        "Kista": ["Kista", "Solna", "Märsta"],
        "Södra Stockholm": ["Huddinge", "Haninge", "Tumba"],
        "Södertälje": ["Södertälje", "Gnesta"],
        "Norra Stockholm": ["Täby", "Norrtälje"],
        "Nacka": ["Nacka"],
        "Gotland": ["Visby"],
    },
    "Öst": {
        "Norrköping": ["Norrköping", "Finspång", "Valdemarsvik"],
        "Linköping": ["Linköping", "Motala", "Ödeshög"],
        "Sörmland": ["Eskilstuna", "Strängnäs", "Katrineholm", "Nyköping"],
        "Jönköping": ["Jönköping", "Vetlanda", "Värnamo", "Tranås"],
        "Kalmar": ["Kalmar", "Västervik", "Oskarshamn", "Emmaboda"],
    },
    "Väst": {
        "Göteborg City": ["Göteborg City", "Göteborg Gamlestaden"],
        "Hisingen": ["Göteborg Hisingen", "Kungälv"],
        "Angered": ["Angered", "Alingsås"],
        "Borås": ["Borås", "Ulricehamn"],
        "Fyrbodal": ["Trollhättan", "Uddevalla", "Bengtsfors", "Strömstad", "Tanum"],
        "Skaraborg": ["Skövde", "Lidköping", "Mariestad"],
        "Halland": ["Halmstad", "Kungsbacka", "Varberg", "Falkenberg", "Hylte"],
    },
    "Syd": {
        "Malmö City": ["Malmö City", "Malmö Rosengård"],
        "Lund": ["Lund", "Ystad", "Trelleborg", "Simrishamn"],
        "Helsingborg": ["Helsingborg", "Landskrona", "Ängelholm"],
        "Kristianstad": ["Kristianstad", "Hässleholm", "Osby"],
        "Blekinge": ["Karlskrona"],
        "Kronoberg": ["Växjö", "Ljungby", "Tingsryd"],
    },
}

LARGE = {
    "Luleå",
    "Umeå",
    "Sundsvall",
    "Gävle",
    "Karlstad",
    "Örebro",
    "Västerås",
    "Uppsala",
    "Stockholm City",
    "Kista",
    "Huddinge",
    "Södertälje",
    "Norrköping",
    "Eskilstuna",
    "Jönköping",
    "Göteborg City",
    "Göteborg Hisingen",
    "Borås",
    "Malmö City",
    "Lund",
    "Helsingborg",
}
MEDIUM = {
    "Kiruna",
    "Piteå",
    "Skellefteå",
    "Östersund",
    "Falun",
    "Borlänge",
    "Sandviken",
    "Nacka",
    "Solna",
    "Haninge",
    "Täby",
    "Stockholm Liljeholmen",
    "Linköping",
    "Kalmar",
    "Växjö",
    "Angered",
    "Göteborg Gamlestaden",
    "Trollhättan",
    "Uddevalla",
    "Halmstad",
    "Skövde",
    "Kristianstad",
    "Karlskrona",
    "Malmö Rosengård",
}
FLEXI = {
    "Pajala",
    "Arvidsjaur",
    "Arjeplog",
    "Jokkmokk",
    "Åsele",
    "Storuman",
    "Sorsele",
    "Strömsund",
    "Sveg",
    "Åre",
    "Älvdalen",
    "Malung",
    "Torsby",
    "Filipstad",
    "Hallsberg",
    "Gnesta",
    "Vaxholm",
    "Valdemarsvik",
    "Emmaboda",
    "Ödeshög",
    "Tranås",
    "Bengtsfors",
    "Strömstad",
    "Tanum",
    "Hylte",
    "Osby",
    "Simrishamn",
    "Tingsryd",
}

TYPES = ("stort", "mellanstort", "litet", "flexikontor")
# offices opened during 2021 (the report names them): no visits in the 2019 and 2020 waves
OPENED_2021 = ("Stockholm Liljeholmen", "Göteborg Gamlestaden", "Ulricehamn")

# published T10 mean visits and T11 min/max per type; the named offices take the extremes
VISITS = {
    "stort": {
        "mean": 56404,
        "min": 29879,
        "max": 104313,
        "at_min": "Huddinge",
        "at_max": "Malmö City",
    },
    "mellanstort": {
        "mean": 21986,
        "min": 10847,
        "max": 31037,
        "at_min": "Göteborg Gamlestaden",
        "at_max": "Angered",
        "low": ("Stockholm Liljeholmen",),
    },
    "litet": {
        "mean": 8209,
        "min": 575,
        "max": 18045,
        "at_min": "Ulricehamn",
        "at_max": "Kungsbacka",
    },
    "flexikontor": {"mean": 1537, "min": 108, "max": 3663, "at_min": "Åsele", "at_max": "Vaxholm"},
}

AGE_BANDS = ("-29", "30-44", "45-59", "60-")
TENURE_BANDS = ("<2 år", "2-5 år", ">5 år")


def office_type(name: str) -> str:
    if name in LARGE:
        return "stort"
    if name in MEDIUM:
        return "mellanstort"
    if name in FLEXI:
        return "flexikontor"
    return "litet"


def offices() -> pd.DataFrame:
    """Offices in register order: kontor_id, kontor, region, kontorsomrade, kontorstyp."""
    rows = [
        (region, area, name)
        for region, areas in AREAS.items()
        for area, names in areas.items()
        for name in names
    ]
    frame = pd.DataFrame(rows, columns=["region", "kontorsomrade", "kontor"])
    frame.insert(0, "kontor_id", [f"K{i:03d}" for i in range(1, len(frame) + 1)])
    frame["kontorstyp"] = frame["kontor"].map(office_type)
    return frame


def _visits_of_type(rng: np.random.Generator, n: int, spec: dict) -> np.ndarray:
    """n visit counts, min and max exactly at two offices, the others strictly between,
    summing to n * mean so the mean is the published one."""
    lo, hi, total = spec["min"], spec["max"], spec["mean"] * n
    inner_total = total - lo - hi
    inner = rng.lognormal(np.log(spec["mean"]), 0.35, n - 2)
    inner = np.clip(inner * inner_total / inner.sum(), lo + 1, hi - 1)
    counts = allocate(inner_total, inner, np.full(n - 2, lo + 1), np.full(n - 2, hi - 1))
    return np.concatenate([[lo, hi], counts])


def register(rng: np.random.Generator) -> pd.DataFrame:
    """The office register with visits 2021 per office."""
    frame = offices()
    frame["besok_2021"] = 0
    for code in TYPES:
        spec = VISITS[code]
        names = frame.loc[frame["kontorstyp"] == code, "kontor"].tolist()
        low = list(spec.get("low", ()))
        others = [x for x in names if x not in (spec["at_min"], spec["at_max"], *low)]
        order = [spec["at_min"], spec["at_max"], *low, *others]
        visits = _visits_of_type(rng, len(order), spec)
        # offices opened during 2021 ("low") get the fewest visits after the minimum
        visits[2:] = np.concatenate(
            [np.sort(visits[2:])[: len(low)], rng.permutation(np.sort(visits[2:])[len(low) :])]
        )
        rows = frame["kontor"].isin(order)
        frame.loc[rows, "besok_2021"] = frame.loc[rows, "kontor"].map(
            dict(zip(order, visits, strict=True))
        )
    frame["besok_2021"] = frame["besok_2021"].astype(np.int64)
    return frame[["kontor_id", "kontor", "region", "kontorsomrade", "kontorstyp", "besok_2021"]]


def offices_per_type(reg: pd.DataFrame) -> dict[str, int]:
    """Number of offices of each type in the register."""
    return {code: int((reg["kontorstyp"] == code).sum()) for code in TYPES}


def handler_frame(
    rng: np.random.Generator, reg: pd.DataFrame, handlers: dict[str, int]
) -> pd.DataFrame:
    """All handlers (staff at large, medium and small offices) with age and tenure bands;
    `handlers` per office type, spread over the offices of the type by their visits."""
    parts = []
    for code, total in handlers.items():
        offices_t = reg[reg["kontorstyp"] == code]
        lo, hi = STAFF_BOUNDS[code]
        n = len(offices_t)
        weights = offices_t["besok_2021"].to_numpy(float)
        staff = allocate(total, weights, np.full(n, lo), np.full(n, hi))
        parts.append(np.repeat(offices_t["kontor_id"].to_numpy(), staff))
    kontor = np.concatenate(parts)
    kontor = np.sort(kontor, kind="stable")
    n = len(kontor)
    frame = pd.DataFrame(
        {
            "handlaggare_id": [f"H{i:04d}" for i in range(1, n + 1)],
            "kontor_id": kontor,
            "alder": rng.choice(AGE_BANDS, n, p=[0.15, 0.38, 0.34, 0.13]),
            "anstallningstid": rng.choice(TENURE_BANDS, n, p=[0.22, 0.33, 0.45]),
        }
    )
    return frame


def choose_respondents(
    rng: np.random.Generator, frame: pd.DataFrame, reg: pd.DataFrame, respondents: dict[str, int]
) -> np.ndarray:
    """A boolean mask of respondents: exact counts per office type, weakly more likely among
    older handlers and those with longer tenure (Gumbel top-k sampling)."""
    types = frame["kontor_id"].map(reg.set_index("kontor_id")["kontorstyp"]).to_numpy()
    age_effect = frame["alder"].map({"-29": -0.1, "30-44": 0.0, "45-59": 0.05, "60-": 0.05})
    tenure_effect = frame["anstallningstid"].map({"<2 år": -0.1, "2-5 år": 0.0, ">5 år": 0.05})
    key = (age_effect + tenure_effect).to_numpy() + rng.gumbel(size=len(frame))
    chosen = np.zeros(len(frame), dtype=bool)
    for code, k in respondents.items():
        idx = np.flatnonzero(types == code)
        chosen[idx[np.argsort(-key[idx], kind="stable")[:k]]] = True
    return chosen
