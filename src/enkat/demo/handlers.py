"""The synthetic handler-survey export (raw/demo/handlaggarenkat.csv).

Counts are searched so that unweighted totals reproduce the published tables to 0.1 point;
who gives which answer is then drawn from latent scores, so answers correlate plausibly
(one general attitude across items, more workload at large offices).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from enkat.demo.fitting import allocate, fit_base, fit_counts, minimax_split, smallest_base
from enkat.demo.published import TYPE_ORDER, Breakdown, breakdowns, cells

AGENCY_ROWS = {
    "Statens servicecenter": "ssc",
    "Skatteverket": "skv",
    "Försäkringskassan": "fk",
    "Pensionsmyndigheten": "pm",
    "Arbetsförmedlingen": "af",
    "Migrationsverket": "mv",
}
GRID_PREFIX = {
    "T02": "q2",
    "T03": "q3",
    "T06": "q6",
    "T07": "q7",
    "T08": "q8",
    "T09": "q9",
    "T14": "q14",
}
# answers left out of T08's base ("Har inte fått någon utbildning", code 5), per row
T08_NOT_IN_BASE = {"ssc": 33, "skv": 1, "fk": 1, "pm": 1, "af": 6, "mv": 19}
T08_NOT_IN_BASE_CODE = 5
T04_OPTIONS = ("ssc", "myndigheter", "utbildning", "kollegor", "linjen", "ingen")
T04_TWO_CHOICES = 433
PILOT_RESPONDENTS = 64
# T14's Migrationsverket row cannot come from 64 pilot respondents (no base <= 64 gives the
# published shares), so it is asked of everyone; most outside the pilot skip it.
MV_ASKED_OF_ALL = {"T14"}
PILOT_OFFICES = 14
NONRESPONSE_CODE = "99"

COMMENTS = (
    "Vi behöver mer tid för kompetensutveckling.",
    "Inloggningen på morgonen tar alldeles för lång tid.",
    "Distansservicen fungerar bra när tekniken fungerar.",
    "Det vore bra med tydligare riktlinjer från myndigheterna.",
    "Kötiderna till 30 000-linjen varierar mycket under dagen.",
    "Bra kollegor och bra stämning på kontoret.",
    "Fler besökare behöver hjälp med e-legitimation.",
    "Tolkbokningen borde bli enklare.",
)

MISSING = -1  # item nonresponse
NOT_ASKED = 0


@dataclass
class Respondents:
    """The respondents and the latent scores that drive their answers."""

    ids: np.ndarray
    office: np.ndarray
    office_type: np.ndarray
    attitude: np.ndarray  # general positive attitude
    workload: np.ndarray  # higher at large offices


def assign(
    rng: np.random.Generator,
    eligible: np.ndarray,
    plan: list[tuple[int, int]],
    score: np.ndarray,
    missing: int = 0,
    noise: float = 0.8,
) -> np.ndarray:
    """Codes for every respondent: `missing` eligible ones get item nonresponse, the rest get
    the (code, count) blocks of `plan` in order of falling score plus noise."""
    out = np.full(len(score), NOT_ASKED, dtype=np.int64)
    idx = np.flatnonzero(eligible)
    if missing + sum(n for _, n in plan) != len(idx):
        raise ValueError("plan does not fill the eligible respondents")
    idx = rng.permutation(idx)
    out[idx[:missing]] = MISSING
    rest = idx[missing:]
    key = score[rest] + noise * rng.standard_normal(len(rest))
    rest = rest[np.argsort(-key, kind="stable")]
    codes = np.concatenate([np.full(n, code) for code, n in plan]) if plan else np.array([])
    out[rest] = codes
    return out


def _plan(counts: list[int], codes: list[int] | None = None) -> list[tuple[int, int]]:
    codes = codes or list(range(1, len(counts) + 1))
    return list(zip(codes, counts, strict=True))


def choose_pilot_offices(
    rng: np.random.Generator, office: np.ndarray, office_names: dict[str, str]
) -> set[str]:
    """14 pilot offices, Linköping among them, whose respondents number exactly 64."""
    ids, per_office = np.unique(office, return_counts=True)
    linkoping = next(k for k, v in office_names.items() if v == "Linköping")
    others = ids[ids != linkoping]
    need = PILOT_RESPONDENTS - int(per_office[ids == linkoping][0])
    weights = dict(zip(ids, per_office, strict=True))
    for _ in range(200_000):
        pick = rng.choice(others, PILOT_OFFICES - 1, replace=False)
        if sum(weights[p] for p in pick) == need:
            return {linkoping, *pick.tolist()}
    raise RuntimeError("no pilot office set with 64 respondents")


def _by_type_plan(
    rng: np.random.Generator,
    resp: Respondents,
    totals: list[int],
    fixed: dict[int, list[int]],
) -> dict[str, list[int]]:
    """Counts per office type and code: the `fixed` codes' per-type counts as given, the other
    codes spread over the remaining respondents of each type."""
    sizes = np.array([int((resp.office_type == t).sum()) for t in TYPE_ORDER])
    residual = sizes - sum(np.asarray(v) for v in fixed.values())
    table = {code: np.asarray(v) for code, v in fixed.items()}
    free = [c for c in range(len(totals)) if c not in fixed]
    for code in free[:-1]:
        table[code] = allocate(totals[code], residual.astype(float), np.zeros(3, int), residual)
        residual = residual - table[code]
    table[free[-1]] = residual
    if table[free[-1]].sum() != totals[free[-1]]:
        raise ValueError("margins do not add up")
    return {t: [int(table[c][i]) for c in range(len(totals))] for i, t in enumerate(TYPE_ORDER)}


def _breakdown_counts(
    resp: Respondents, totals: list[int], targets: list[Breakdown]
) -> tuple[dict[int, list[int]], float]:
    """Counts per office type of the codes behind the published breakdowns (0-based code
    index -> counts in TYPE_ORDER) and the worst deviation from the published shares."""
    sizes = [int((resp.office_type == t).sum()) for t in TYPE_ORDER]
    fixed: dict[int, list[int]] = {}
    worst = 0.0
    for target in targets:
        counts, dev = minimax_split(target.total, sizes, target.percents)
        worst = max(worst, dev)
        # a category of several codes is split over them in proportion to their totals
        remaining = np.asarray(counts)
        for k, code in enumerate(target.codes):
            if k == len(target.codes) - 1:
                part = remaining
            else:
                part = allocate(
                    totals[code - 1],
                    remaining.astype(float) + 1e-9,
                    np.zeros(len(sizes), int),
                    remaining,
                )
            fixed[code - 1] = part.tolist()
            remaining = remaining - part
    return fixed, worst


def _assign_by_type(rng, resp, plans, score) -> np.ndarray:
    out = np.full(len(resp.ids), NOT_ASKED, dtype=np.int64)
    for t, counts in plans.items():
        mask = resp.office_type == t
        out[mask] = assign(rng, mask, _plan(counts), score)[mask]
    return out


def multiple_choice(rng: np.random.Generator, n: int, counts: list[int], two: int) -> np.ndarray:
    """An n x options 0/1 matrix: `two` rows with two choices, the rest one, option totals
    `counts`; no row chooses an option twice and the last option only appears alone."""
    one = n - two
    order = [len(counts) - 1, *range(len(counts) - 1)]  # "ingen" first -> single choosers
    tokens = np.concatenate([np.full(counts[o], o) for o in order])
    first = tokens[:n]
    second = tokens[n:]
    if len(second) != two or max(counts) > two:
        raise ValueError("choices do not fit")
    matrix = np.zeros((n, len(counts)), dtype=np.int64)
    matrix[np.arange(n), first] = 1
    matrix[one + np.arange(two), second] = 1
    if (matrix.sum(axis=1) != np.r_[np.ones(one), np.full(two, 2)]).any():
        raise ValueError("an option was chosen twice")
    return matrix[rng.permutation(n)]


def handler_survey(
    rng: np.random.Generator,
    published: pd.DataFrame,
    frame: pd.DataFrame,
    responded: np.ndarray,
    register: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The export (one row per respondent, codes as text) and the worst deviations of the
    office-type breakdowns of T05 and T12 from the published ones (percentage points)."""
    types = register.set_index("kontor_id")["kontorstyp"]
    part = frame[responded].reset_index(drop=True)
    otype = part["kontor_id"].map(types).to_numpy()
    n = len(part)
    type_score = np.select([otype == "stort", otype == "mellanstort"], [1.0, 0.4], 0.0)
    resp = Respondents(
        ids=part["handlaggare_id"].to_numpy(),
        office=part["kontor_id"].to_numpy(),
        office_type=otype,
        attitude=rng.standard_normal(n),
        workload=type_score + 0.5 * rng.standard_normal(n),
    )
    everyone = np.ones(n, dtype=bool)
    cols: dict[str, np.ndarray] = {}
    deviations: dict[str, float] = {}

    # DIST -> T01 (giver offices) and AVL (receiver offices)
    t01 = cells(published, "T01")
    t01_counts = [int(c) for c in t01["count"]]
    t01_missing = 4
    avl_base, avl_counts = fit_base([18, 55, 27], 100, decimals=0)
    avl_missing = 3
    dist_missing = 4
    giver = sum(t01_counts) + t01_missing
    receiver = avl_base + avl_missing
    dist_plan = [(1, giver), (3, n - giver - receiver - dist_missing), (2, receiver)]
    # an office is a giver (mostly large), a receiver (mostly small) or neither; its handlers
    # answer alike, only offices at the boundaries of the counts are split
    _, office_index = np.unique(resp.office, return_inverse=True)
    office_noise = rng.standard_normal(office_index.max() + 1)[office_index]
    cols["q_dist"] = assign(
        rng, everyone, dist_plan, 2 * type_score + 0.8 * office_noise, dist_missing, noise=0.0
    )
    cols["q1"] = assign(rng, cols["q_dist"] == 1, _plan(t01_counts), resp.attitude, t01_missing)
    cols["q_avl"] = assign(rng, cols["q_dist"] == 2, _plan(avl_counts), resp.attitude, avl_missing)

    # PILOT: every respondent at a pilot office says Ja
    names = register.set_index("kontor_id")["kontor"].to_dict()
    pilot_offices = choose_pilot_offices(rng, resp.office, names)
    pilot = np.isin(resp.office, sorted(pilot_offices))
    cols["q_pilot"] = np.where(pilot, 1, 2)

    # grids
    for table, prefix in GRID_PREFIX.items():
        t = cells(published, table)
        for r, (row_label, block) in enumerate(t.groupby("row", sort=False)):
            row_id = f"a{r + 1}" if table == "T02" else AGENCY_ROWS[row_label]
            filtered = row_id == "mv" and table not in MV_ASKED_OF_ALL
            eligible = pilot if filtered else everyone
            asked = int(eligible.sum())
            nib = T08_NOT_IN_BASE[row_id] if table == "T08" else 0
            percents = [float(p) for p in block["percent"]]
            if table == "T08" and row_id == "mv":
                base, counts = asked - nib, fit_counts(percents, asked - nib)
                if counts is None:
                    raise ValueError("T08 mv does not fit base 45")
            elif row_id == "mv" and not filtered:
                base, counts = smallest_base(percents, PILOT_RESPONDENTS, asked)
            else:
                base, counts = fit_base(percents, asked - nib)
            plan = _plan(counts) + ([(T08_NOT_IN_BASE_CODE, nib)] if nib else [])
            score = -resp.attitude if table == "T07" else resp.attitude
            cols[f"{prefix}_{row_id}"] = assign(rng, eligible, plan, score, asked - nib - base)

    # TOLK: Ofta + Ibland 53 %, Sällan 17 %, Aldrig 30 % (whole percent)
    tolk_base, (often_sometimes, rarely, never) = fit_base([53, 17, 30], n - 6, decimals=0)
    often = round(0.4 * often_sometimes)
    cols["q_tolk"] = assign(
        rng,
        everyone,
        _plan([often, often_sometimes - often, rarely, never]),
        -resp.attitude,
        n - tolk_base,
    )

    # T04: one or two choices
    t04 = [int(c) for c in cells(published, "T04")["count"]]
    matrix = multiple_choice(rng, n, t04, T04_TWO_CHOICES)
    for j, option in enumerate(T04_OPTIONS):
        cols[f"q4_{option}"] = matrix[:, j] + 100  # 100/101 = not chosen / chosen (see export)

    # T05 and T12: the published totals exactly, the office-type breakdowns as close as the
    # totals allow (the same minimax as the choice of sizes per type)
    for table, column, score in (("T05", "q5", resp.attitude), ("T12", "q12", resp.workload)):
        totals = [int(c) for c in cells(published, table)["count"].dropna()]
        targets = [b for b in breakdowns(published) if b.table == table]
        fixed, deviations[table] = _breakdown_counts(resp, totals, targets)
        plans = _by_type_plan(rng, resp, totals, fixed)
        cols[column] = _assign_by_type(rng, resp, plans, score)

    # T15
    t15 = [int(c) for c in cells(published, "T15")["count"]]
    cols["q15"] = assign(rng, everyone, _plan(t15), resp.attitude)

    # INLOGG 90 % Ja; FORSLAG 75 % Ja of N = 406; FORSLAG_LAMNAT 62 % Ja of N = 254
    inlogg_base, inlogg = fit_base([90, 10], n - 3, decimals=0)
    cols["q_inlogg"] = assign(rng, everyone, _plan(inlogg), -resp.attitude, n - inlogg_base)
    forslag = fit_counts([75, 25], 406, decimals=0)
    lamnat = fit_counts([62, 38], 254, decimals=0)
    if forslag is None or lamnat is None:
        raise ValueError("FORSLAG shares do not fit")
    cols["q_forslag"] = assign(rng, everyone, _plan(forslag), resp.attitude, n - 406)
    cols["q_forslag_lamnat"] = assign(
        rng, cols["q_forslag"] == 1, _plan(lamnat), resp.attitude, forslag[0] - 254
    )

    export = _to_text(rng, resp, cols)
    return export, deviations


COLUMN_ORDER = (
    "q_dist",
    "q1",
    "q_avl",
    "q_pilot",
    *[f"q2_a{i}" for i in range(1, 6)],
    "q_tolk",
    *[f"q3_{r}" for r in ("skv", "fk", "pm", "af", "mv")],
    *[f"q4_{o}" for o in T04_OPTIONS],
    "q5",
    *[f"q{k}_{r}" for k in (6, 7) for r in ("skv", "fk", "pm", "af", "mv")],
    *[f"q8_{r}" for r in ("ssc", "skv", "fk", "pm", "af", "mv")],
    *[f"q9_{r}" for r in ("skv", "fk", "pm", "af", "mv")],
    "q12",
    *[f"q14_{r}" for r in ("skv", "fk", "pm", "af", "mv")],
    "q15",
    "q_inlogg",
    "q_forslag",
    "q_forslag_lamnat",
    "fritext",
)


def _to_text(
    rng: np.random.Generator, resp: Respondents, cols: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Codes as export text: empty when not asked, empty or 99 for item nonresponse."""
    out = pd.DataFrame({"respondent_id": resp.ids, "kontor_id": resp.office})
    n = len(resp.ids)
    for name in COLUMN_ORDER:
        if name == "fritext":
            has = rng.random(n) < 0.06
            text = np.array(COMMENTS)[rng.integers(0, len(COMMENTS), n)]
            out[name] = np.where(has, text, "")
            continue
        codes = cols[name]
        if name.startswith("q4_"):
            out[name] = (codes - 100).astype(str)
            continue
        refused = rng.random(n) < 0.35
        text = codes.astype(str)
        text = np.where(codes == NOT_ASKED, "", text)
        text = np.where(codes == MISSING, np.where(refused, NONRESPONSE_CODE, ""), text)
        out[name] = text
    return out.sort_values("respondent_id", kind="stable").reset_index(drop=True)
