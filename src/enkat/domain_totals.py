"""One pass over the data per table variable: the unit x group x category weight totals.

Every design-based number of a table - Totalt and group estimates, their variances and
degrees of freedom, the Rao-Scott cell covariance, the calibration residuals - is a function
of a small array: for each *unit*, group and category, the weight total and the row count
(and, where every respondent is its own PSU, the total of squared weights). A unit is a PSU
(or, where every PSU is one respondent, a stratum) crossed with the respondent's cell of the
calibration margins, so that the residuals of a calibrated design are sums over units too.
The units are numbered once per design (`units`, cached on the Design); a variable costs one
combined index and a few `bincount`s over the rows (weights and counts; in a by-table also
Totalt's own weights; for one-row PSUs the squared weights), and everything else works on the
array, whose size does not grow with the number of respondents. Formulas: docs/methods.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DENSE_CELLS = 4_000_000  # unit x group x category cells held at once (else units compacted)


@dataclass(frozen=True)
class Units:
    """The unit of every design row and what each unit belongs to (built once per design)."""

    of_row: np.ndarray  # (n,) unit index 0..U-1
    psu: np.ndarray  # (U,) PSU of the unit; -1 where units are strata (one-row PSUs)
    stratum: np.ndarray  # (U,) stratum of the unit
    margins: np.ndarray  # (U, margins) calibration category of the unit per margin (0 cols)

    @property
    def size(self) -> int:
        return int(self.stratum.size)


def units(design: object) -> Units:
    """The design's units: PSU (or stratum, for one-row PSUs) x calibration cell."""
    cache: dict[str, object] = design._cache  # type: ignore[attr-defined]
    if "units" not in cache:
        cache["units"] = _build_units(design)
    return cache["units"]  # type: ignore[return-value]


def _build_units(design: object) -> Units:
    one_row = bool(design.one_row_psu)  # type: ignore[attr-defined]
    base = design.stratum if one_row else design.psu  # type: ignore[attr-defined]
    n_base = (
        design.n_psu.size if one_row else design.psu_stratum.size  # type: ignore[attr-defined]
    )
    cal = design.calibration  # type: ignore[attr-defined]
    if cal is None:
        cell = np.zeros(base.size, dtype=np.int64)
        n_cells, cats = 1, np.zeros((1, 0), dtype=np.int64)
    else:
        joint = np.array(cal.codes[0], dtype=np.int64)
        for codes, levels in zip(cal.codes[1:], cal.levels[1:], strict=True):
            joint *= int(levels)
            joint += codes
        cell, joint_u = _compact(joint, int(np.prod(cal.levels, dtype=np.int64)))
        del joint
        n_cells = joint_u.size
        cats = np.empty((n_cells, len(cal.levels)), dtype=np.int64)
        rest = joint_u.copy()
        for m in range(len(cal.levels) - 1, -1, -1):
            cats[:, m] = rest % cal.levels[m]
            rest //= cal.levels[m]
    key = base * n_cells
    key += cell
    del cell
    of_row, keys = _compact(key, n_base * n_cells)
    del key
    owner, cell_u = keys // n_cells, keys % n_cells
    if one_row:
        return Units(of_row, np.full(keys.size, -1, dtype=np.int64), owner, cats[cell_u])
    stratum = design.psu_stratum[owner]  # type: ignore[attr-defined]
    return Units(of_row, owner, stratum, cats[cell_u])


def _compact(values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..m-1 of the distinct values (in sorted order) and those values."""
    if size <= max(values.size, 1 << 20):
        present = np.bincount(values, minlength=size) > 0
        keys = np.flatnonzero(present)
        return (np.cumsum(present) - 1)[values], keys
    keys, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64), keys


@dataclass(frozen=True)
class DomainTotals:
    """The array of one variable: weight totals `X`, counts `N` (and squared-weight totals
    `X2` for one-row PSUs) per (unit, group slot, category).

    Group slots 0..G-1 are the groups; with `rest` a last slot G holds the rows in no group
    (they count in Totalt only). `unit_ids` are the design units the rows index (all units,
    or those with a row in the base when the full array would be too large).

    The weight totals of Totalt (`X_total`, `X2_total`) are summed per (unit, category)
    straight from the rows, not from the group slots: a sum over the slots would round
    differently for every `by`, and a variable's Totalt must be the same number in every
    table that shows it. The counts are exact, so Totalt's come from the slots."""

    X: np.ndarray  # (U', S, K)
    N: np.ndarray  # (U', S, K) int
    X2: np.ndarray | None  # (U', S, K), one-row PSUs only
    unit_ids: np.ndarray  # (U',) design unit of each row of the array
    n_groups: int
    rest: bool
    X_total: np.ndarray | None = None  # (U', 1, K); None: X has one slot, which is Totalt
    X2_total: np.ndarray | None = None

    def block(self, total: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """X, N, X2 of the domains of one block: Totalt (every slot) or the groups."""
        if total:
            if self.X_total is None:
                return (
                    self.X.sum(axis=1, keepdims=True),
                    self.N.sum(axis=1, keepdims=True),
                    (None if self.X2 is None else self.X2.sum(axis=1, keepdims=True)),
                )
            return self.X_total, self.N.sum(axis=1, keepdims=True), self.X2_total
        G = self.n_groups
        return (
            self.X[:, :G],
            self.N[:, :G],
            None if self.X2 is None else self.X2[:, :G],
        )


def group_slots(
    units_of_row: np.ndarray, groups: np.ndarray | None, n_groups: int, rest: bool
) -> tuple[np.ndarray, int]:
    """unit * slots + slot per row (-1 for rows in no domain), and the number of slots:
    the part of the combined index a table's variables share (computed once per table)."""
    if groups is None:
        return np.asarray(units_of_row, dtype=np.int64), 1
    g = np.asarray(groups, dtype=np.int64)
    slots = n_groups + 1 if rest else n_groups
    slot = np.where(g >= 0, g, n_groups) if rest else g
    index = units_of_row * slots + slot
    return (index if rest else np.where(g >= 0, index, -1)), slots


def domain_totals(
    design: object,
    codes: np.ndarray,
    n_categories: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
    rest: bool = False,
    slots: tuple[np.ndarray, int] | None = None,
) -> DomainTotals:
    """The one pass: `codes` a category per row (-1 outside the base), `groups` a group per
    row (-1 in none; None: one domain). `rest` keeps the rows in no group in a last slot
    (for Totalt). `slots` is `group_slots(...)` of the `n_groups` groups when the caller
    already has it (then `groups` may be None)."""
    u = units(design)
    K = int(n_categories)
    grouped = groups is not None or slots is not None
    G = int(n_groups) if grouped else 1
    unit_slot, S = slots if slots is not None else group_slots(u.of_row, groups, G, rest)
    k = np.asarray(codes, dtype=np.int64)
    inside = k >= 0
    if grouped and not rest:
        inside &= unit_slot >= 0
    unit_ids = np.arange(u.size)
    unit_row = u.of_row
    U = u.size
    if U * S * K > DENSE_CELLS:  # keep only the units with a row in the base
        present = np.bincount(u.of_row[inside], minlength=U) > 0
        unit_ids = np.flatnonzero(present)
        remap = np.cumsum(present) - 1
        unit_slot = remap[unit_slot // S] * S + unit_slot % S
        unit_row = remap[unit_row]
        U = unit_ids.size
    size = U * S * K
    outside = ~inside
    index = unit_slot * K  # built in place: a table job's memory is a few such arrays
    index += k
    index[outside] = size
    w = design.weights  # type: ignore[attr-defined]
    X = np.bincount(index, weights=w, minlength=size + 1)[:size].reshape(U, S, K)
    N = np.bincount(index, minlength=size + 1)[:size].reshape(U, S, K)
    X2 = X_total = X2_total = None
    w2 = w * w if design.one_row_psu else None  # type: ignore[attr-defined]
    if w2 is not None:
        X2 = np.bincount(index, weights=w2, minlength=size + 1)[:size].reshape(U, S, K)
    if S > 1 and rest:  # Totalt of a by-table: its own sums per (unit, category)
        np.multiply(unit_row, K, out=index)
        index += k
        index[outside] = U * K
        X_total = np.bincount(index, weights=w, minlength=U * K + 1)[:-1].reshape(U, 1, K)
        if w2 is not None:
            X2_total = np.bincount(index, weights=w2, minlength=U * K + 1)[:-1]
            X2_total = X2_total.reshape(U, 1, K)
    return DomainTotals(X, N, X2, unit_ids, G, rest, X_total, X2_total)
