"""How many handlers and respondents each staffed office type gets.

The report gives the census (756 handlers, 539 respondents), the response rates by office
type in whole percent and the staff per office that defines each type. Within those limits the
sizes are searched so that the report's office-type breakdowns of T05 and T12, which cannot all
hold together with the totals, come as close as possible (smallest worst deviation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from enkat.demo.fitting import minimax_split
from enkat.demo.published import TYPE_ORDER, Breakdown

FRAME_TOTAL = 756
RESPONDENT_TOTAL = 539
RESPONSE_RATES = {"stort": 67, "mellanstort": 80, "litet": 77}  # published, whole percent
STAFF_BOUNDS = {"stort": (21, 60), "mellanstort": (6, 20), "litet": (1, 5)}


@dataclass(frozen=True)
class TypeSizes:
    """Handlers (frame) and respondents per staffed office type, and the worst deviation of
    the published breakdowns these sizes allow (percentage points)."""

    frame: dict[str, int]
    respondents: dict[str, int]
    deviation: float


def _rate_pairs(code: str, offices: int) -> np.ndarray:
    """(handlers, respondents) pairs whose rate rounds half up to the published one."""
    lo, hi = STAFF_BOUNDS[code]
    handlers = np.arange(lo * offices, min(hi * offices, FRAME_TOTAL) + 1)
    rate = RESPONSE_RATES[code]
    resp = np.floor(handlers * (rate - 0.5) / 100)[:, None] + np.arange(3)
    handlers = np.broadcast_to(handlers[:, None], resp.shape)
    ok = np.floor(200 * resp / handlers + 1) // 2 == rate  # round(100 r / h) half up, exactly
    return np.column_stack([handlers[ok], resp[ok]]).astype(np.int64)


def worst_deviation(respondents: Sequence[int], targets: Sequence[Breakdown]) -> float:
    """The smallest worst deviation of all breakdowns given respondents per type."""
    return max(minimax_split(b.total, respondents, b.percents)[1] for b in targets)


def type_sizes(offices: Mapping[str, int], targets: Sequence[Breakdown]) -> TypeSizes:
    """Sizes that minimise the worst breakdown deviation; ties go to rates nearest the
    published ones, then to the smallest large-office frame (deterministic)."""
    large, medium, small = (_rate_pairs(t, offices[t]) for t in TYPE_ORDER)
    s_ok = np.zeros((FRAME_TOTAL + 1, RESPONDENT_TOTAL + 1), dtype=bool)
    s_ok[small[:, 0], small[:, 1]] = True
    li, mi = np.meshgrid(np.arange(len(large)), np.arange(len(medium)), indexing="ij")
    li, mi = li.ravel(), mi.ravel()
    fs = FRAME_TOTAL - large[li, 0] - medium[mi, 0]
    rs = RESPONDENT_TOTAL - large[li, 1] - medium[mi, 1]
    inside = (fs >= 0) & (rs >= 0)
    li, mi, fs, rs = li[inside], mi[inside], fs[inside], rs[inside]
    keep = s_ok[fs, rs]
    li, mi, fs, rs = li[keep], mi[keep], fs[keep], rs[keep]
    if len(li) == 0:
        raise ValueError("no sizes satisfy the census, the response rates and the staff bounds")
    frames = np.column_stack([large[li, 0], medium[mi, 0], fs])
    resp = np.column_stack([large[li, 1], medium[mi, 1], rs])
    triples, which = np.unique(resp, axis=0, return_inverse=True)
    deviation = np.array([worst_deviation(t.tolist(), targets) for t in triples])[which.ravel()]
    published = np.array([RESPONSE_RATES[t] for t in TYPE_ORDER])
    rate_gap = np.abs(100 * resp / frames - published).sum(axis=1)
    best = np.lexsort((frames[:, 1], frames[:, 0], rate_gap, np.round(deviation, 9)))[0]
    return TypeSizes(
        frame=dict(zip(TYPE_ORDER, frames[best].tolist(), strict=True)),
        respondents=dict(zip(TYPE_ORDER, resp[best].tolist(), strict=True)),
        deviation=float(deviation[best]),
    )
