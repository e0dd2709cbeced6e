"""Integer counts that reproduce published, rounded percentages.

The demo data must give back the published tables exactly, so every cell count is searched for
rather than drawn: a base and counts whose half-up rounded shares equal the published ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rounded_share(count: int, base: int, decimals: int = 1) -> int:
    """100 * count / base rounded half up, in units of 10**-decimals percent (exact integers)."""
    scale = 100 * 10**decimals
    return (2 * scale * count + base) // (2 * base)


def to_units(percent: float, decimals: int = 1) -> int:
    """A published percentage as an integer number of 10**-decimals percent."""
    return round(percent * 10**decimals)


def fit_counts(percents: Sequence[float], base: int, decimals: int = 1) -> list[int] | None:
    """Counts summing to `base` whose rounded shares equal `percents`, or None if none exist."""
    ranges = []
    for percent in percents:
        target = to_units(percent, decimals)
        centre = int(percent * base / 100)
        ok = [
            c
            for c in range(max(0, centre - 3), min(base, centre + 4) + 1)
            if rounded_share(c, base, decimals) == target
        ]
        if not ok:
            return None
        ranges.append((min(ok), max(ok)))
    counts = [lo for lo, _ in ranges]
    spare = base - sum(counts)
    if spare < 0:
        return None
    for i, (lo, hi) in enumerate(ranges):
        step = min(spare, hi - lo)
        counts[i] += step
        spare -= step
    return counts if spare == 0 else None


def fit_base(
    percents: Sequence[float], max_base: int, decimals: int = 1, min_base: int = 1
) -> tuple[int, list[int]]:
    """The largest base up to `max_base` (least item nonresponse) with fitting counts."""
    for base in range(max_base, min_base - 1, -1):
        counts = fit_counts(percents, base, decimals)
        if counts is not None:
            return base, counts
    raise ValueError(f"no base <= {max_base} reproduces {list(percents)}")


def smallest_base(
    percents: Sequence[float], min_base: int, max_base: int, decimals: int = 1
) -> tuple[int, list[int]]:
    """The smallest base from `min_base` up (most item nonresponse) with fitting counts."""
    for base in range(min_base, max_base + 1):
        counts = fit_counts(percents, base, decimals)
        if counts is not None:
            return base, counts
    raise ValueError(f"no base in [{min_base}, {max_base}] reproduces {list(percents)}")


def allocate(total: int, weights: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Split `total` into integers within [lower, upper], roughly proportional to `weights`.

    Largest remainder on top of the lower bounds, repeated while caps bind.
    """
    out = lower.astype(np.int64).copy()
    spare = total - int(out.sum())
    if spare < 0 or total > int(upper.sum()):
        raise ValueError("bounds cannot hold the total")
    while spare > 0:
        room = upper - out
        w = np.where(room > 0, weights, 0.0).astype(float)
        ideal = spare * w / w.sum()
        step = np.minimum(np.floor(ideal).astype(np.int64), room)
        if step.sum() == 0:
            order = np.lexsort((np.arange(len(w)), -(ideal - np.floor(ideal)), room <= 0))
            step = np.zeros_like(out)
            step[order[: min(spare, int((room > 0).sum()))]] = 1
            step = np.minimum(step, room)
        out += step
        spare -= int(step.sum())
    return out


def minimax_split(
    total: int, sizes: Sequence[int], percents: Sequence[float]
) -> tuple[list[int], float]:
    """Counts per group (summing to `total`, each within its group size) that keep the largest
    deviation from the published group percentages as small as possible.

    The optimum is one of the deviations an integer count can have, so every such value is
    tried at once: a deviation d is reachable when the groups' count ranges within d of their
    targets can hold `total`. Returns the counts (nearest the targets within the optimal
    ranges) and the largest deviation in percentage points.
    """
    size = np.asarray(sizes, dtype=np.int64)
    target = np.asarray(percents, dtype=float)
    if total < 0 or total > int(size.sum()):
        raise ValueError("no split fits the group sizes")
    candidates = np.unique(
        np.concatenate(
            [np.abs(100 * np.arange(n + 1) / n - p) for n, p in zip(size, target, strict=True)]
        )
    )
    eps = 1e-9
    lo = np.clip(np.ceil(size * (target - candidates[:, None] - eps) / 100), 0, size)
    hi = np.clip(np.floor(size * (target + candidates[:, None] + eps) / 100), 0, size)
    ok = (lo <= hi).all(axis=1) & (lo.sum(axis=1) <= total) & (hi.sum(axis=1) >= total)
    best = int(np.argmax(ok))
    low, high = lo[best].astype(np.int64), hi[best].astype(np.int64)
    counts = np.clip(np.rint(size * target / 100).astype(np.int64), low, high)
    while counts.sum() != total:  # bounded by the ranges: step the group with the most room
        up = counts.sum() < total
        room = np.where(up, high - counts, counts - low)
        counts[int(np.argmax(room))] += 1 if up else -1
    worst = float(np.max(np.abs(100 * counts / size - target)))
    return counts.tolist(), worst
