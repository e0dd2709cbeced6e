"""Suppression and reliability rules, applied the same way in CSV, workbook and report.

Primary suppression: a cell is suppressed when its base is below `min_base`, or when its
group (not `Totalt`) has fewer than `min_group` respondents: too few answers either identify
people or carry no information. With `preset: nchs` an estimate that fails the NCHS data
presentation standard for proportions (Parker et al. 2017) is suppressed too.

Secondary (complementary) suppression: a hidden count that could be recomputed from what is
shown - by subtracting the other groups from `Totalt`, or the other answers from the base -
protects nobody. `protect` therefore hides further cells, per table and variable, until no
hidden count (nor hidden base) is fixed by the published margins (see docs/methods.md).

Across tables: the same respondents can be a row of several published tables (a plain
table and its by-table's `Totalt`, a by-table's group and a table filtered to that group).
Such a row's cells are decided from the row alone (`Totalt` always; a group when
`enkat.shared.shared_rows` says another table shows it), with the strictest rule any of its tables
applies, and complementary suppression never adds cells to it: every table then hides the
same cells of it, so nothing one table hides is shown by another.

Every decision is made once, by the table step, and written to the estimate CSV as the
`flag` column; `publish` replaces the numbers of hidden cells by the symbol '..'. Workbook,
figures and report read the flag instead of recomputing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from enkat import fmt
from enkat.errors import EnkatError

TOTAL = "Totalt"
UNRELIABLE_MARK = "*"
SYMBOL = fmt.SUPPRESSED
PRESETS = ("enkat", "nchs")

# The `flag` column of an estimate CSV. Hidden cells (suppressed = true):
BASE, GROUP, NCHS, SECONDARY = "base", "group", "nchs", "secondary"
# Shown cells carrying UNRELIABLE_MARK: today's reliability rule, or the NCHS review flags.
UNCERTAIN, REVIEW = "uncertain", "review"
HIDDEN_FLAGS = (BASE, GROUP, NCHS, SECONDARY)
MARKED_FLAGS = (UNCERTAIN, REVIEW)
# Numbers of a hidden cell that a CSV never shows (base_n only when the whole group is hidden).
HIDDEN_NUMBERS = ["n", "estimate", "se", "ci_low", "ci_high", "deff"]

# NCHS data presentation standards for proportions (Parker et al. 2017, Vital Health Stat 2(175)).
NCHS_LEVEL = 0.95
NCHS_MIN_EFFECTIVE_N = 30
NCHS_ABSOLUTE_OK = 0.05  # absolute CI width at or below: shown
NCHS_MAX_ABSOLUTE = 0.30  # absolute CI width at or above: suppressed
NCHS_MAX_RELATIVE = 1.30  # relative CI width above (when 0.05 < width < 0.30): suppressed
NCHS_MIN_DF = 8  # fewer degrees of freedom: flagged for statistical review


@dataclass(frozen=True)
class Rules:
    """Config `suppression`, plus (table step only) `shared_rows` (enkat.shared):
    the groups another table also shows, and whether `Totalt` is a group elsewhere."""

    min_base: int = 5
    min_group: int = 10
    min_effective_n: float | None = None
    max_ci_width: float | None = None
    preset: str = "enkat"
    shared_groups: frozenset[str] = frozenset()
    total_is_group: bool = False

    @classmethod
    def from_config(cls, suppression: dict[str, Any]) -> Rules:
        reliability = suppression.get("reliability") or {}
        shared = suppression.get("shared_rows") or {}
        return cls(
            min_base=int(suppression.get("min_base", 5)),
            min_group=int(suppression.get("min_group", 10)),
            min_effective_n=reliability.get("min_effective_n"),
            max_ci_width=reliability.get("max_ci_width"),
            preset=str(suppression.get("preset", "enkat")),
            shared_groups=frozenset(map(str, shared.get("groups") or ())),
            total_is_group=bool(shared.get("total_is_group", False)),
        )


# --- primary rules ------------------------------------------------------------------------------


def _small(table: pd.DataFrame, rules: Rules) -> tuple[pd.Series, pd.Series]:
    base = pd.to_numeric(table["base_n"], errors="coerce")
    small_base = base < rules.min_base
    # `Totalt` of a table filtered to one group of another table is that group
    is_group = (table["group"] != TOTAL) | rules.total_is_group
    small_group = is_group & (base < rules.min_group) & ~small_base
    return small_base, small_group


def effective_n(table: pd.DataFrame) -> pd.Series:
    """Effective sample size of each estimate: base over design effect (Kish)."""
    deff = table["deff"].where(table["deff"] > 0)
    return (table["base_n"] / deff).fillna(table["base_n"].astype(float))


@dataclass(frozen=True)
class NchsResult:
    """Per estimate: the NCHS quantities and the two decisions (suppress, review)."""

    effective_n: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    width: np.ndarray
    relative_width: np.ndarray
    suppress: np.ndarray
    review: np.ndarray


def nchs(table: pd.DataFrame) -> NchsResult:
    """The NCHS standard for proportions on `estimate`, `se`, `base_n` and `df`.

    - effective n = p(1-p)/V, at most the unweighted base n (p of 0 or 1, or V = 0: n);
    - Korn-Graubard 95 % interval with the degrees-of-freedom adjusted effective n
      n* = min(n, p(1-p)/V * (t_{n-1}/t_df)^2) (df <= 0: no interval, width 1);
    - suppressed: effective n < 30, or absolute width >= 0.30, or absolute width in
      (0.05, 0.30) with relative width (width / p) > 1.30; at 0 or 100 % the width rules
      do not apply (the interval has no relative width);
    - shown but flagged for statistical review: df < 8, or an estimate of 0 or 100 %.
    """
    from scipy import stats

    p = pd.to_numeric(table["estimate"], errors="coerce").to_numpy(dtype=float)
    se = pd.to_numeric(table["se"], errors="coerce").to_numpy(dtype=float)
    n = pd.to_numeric(table["base_n"], errors="coerce").to_numpy(dtype=float)
    df = pd.to_numeric(table["df"], errors="coerce").to_numpy(dtype=float)
    v = se**2
    alpha = 1 - NCHS_LEVEL
    edge = (p <= 0) | (p >= 1) | (v <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(edge, n, p * (1 - p) / v)
        n_eff = np.minimum(raw, n)
        t_n = stats.t.ppf(alpha / 2, np.where(n > 1, n - 1, np.nan))
        t_df = stats.t.ppf(alpha / 2, np.where(df > 0, df, np.nan))
        ratio = np.where(df > 0, (t_n / t_df) ** 2, 0.0)
        n_star = np.minimum(n, raw * ratio)
        usable = np.isfinite(n_star) & (n_star > 0)
        ns = np.where(usable, n_star, 1.0)
        low = np.where(p > 0, stats.beta.ppf(alpha / 2, ns * p, ns * (1 - p) + 1), 0.0)
        high = np.where(p < 1, stats.beta.ppf(1 - alpha / 2, ns * p + 1, ns * (1 - p)), 1.0)
        low, high = np.where(usable, low, 0.0), np.where(usable, high, 1.0)
        width = np.where(edge & usable, 0.0, high - low)
        relative = np.where(p > 0, width / p, np.inf)
    missing = ~np.isfinite(p) | ~np.isfinite(n) | (n <= 0)
    suppress = (
        missing
        | ~(n_eff >= NCHS_MIN_EFFECTIVE_N)
        | (width >= NCHS_MAX_ABSOLUTE)
        | ((width > NCHS_ABSOLUTE_OK) & (relative > NCHS_MAX_RELATIVE))
    )
    review = ~suppress & ((np.nan_to_num(df, nan=0.0) < NCHS_MIN_DF) | ((p <= 0) | (p >= 1)))
    return NchsResult(n_eff, low, high, width, relative, suppress, review)


def primary_flags(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """Primary decision per estimate: '', 'base', 'group', 'nchs', 'uncertain' or 'review'.

    The NCHS preset needs the domain's degrees of freedom (column `df`), which the table
    step has and the CSV does not keep.
    """
    small_base, small_group = _small(table, rules)
    flag = pd.Series("", index=table.index, name="flag", dtype=object)
    if rules.preset == "nchs":
        result = nchs(table)
        flag[result.review] = REVIEW
        flag[result.suppress] = NCHS
    else:
        flag[_unreliable_numbers(table, rules).to_numpy()] = UNCERTAIN
    flag[small_group.to_numpy()] = GROUP
    flag[small_base.to_numpy()] = BASE
    return flag


def _unreliable_numbers(table: pd.DataFrame, rules: Rules) -> pd.Series:
    flag = pd.Series(False, index=table.index)
    if rules.min_effective_n is not None:
        flag |= effective_n(table) < rules.min_effective_n
    if rules.max_ci_width is not None:
        width = (table["ci_high"] - table["ci_low"]).to_numpy(dtype=float)
        flag |= pd.Series(np.nan_to_num(width, nan=0.0) > rules.max_ci_width, index=table.index)
    return flag


# --- secondary suppression ----------------------------------------------------------------------


@dataclass
class _Margins:
    """One variable of one table as a two-way table of counts with its margins.

    Row 0 is `Totalt`, rows 1.. the groups; columns 0..K-1 the categories, column K the base.
    """

    counts: np.ndarray  # (G+1, K+1): n per category, base in the last column
    hidden: np.ndarray  # same shape, bool
    index: np.ndarray  # (G+1, K) row labels of the long table; -1 where absent
    exact_columns: bool  # groups add up to Totalt (no respondent without a group)


def _margins(block: pd.DataFrame, flags: pd.Series) -> _Margins | None:
    groups = list(pd.unique(block["group"]))
    if TOTAL not in groups:
        return None
    groups = [TOTAL, *[g for g in groups if g != TOTAL]]
    categories = list(pd.unique(block["category"]))
    G, K = len(groups), len(categories)
    counts = np.zeros((G, K + 1))
    hidden = np.zeros((G, K + 1), dtype=bool)
    index = np.full((G, K), -1, dtype=object)
    gi = {g: i for i, g in enumerate(groups)}
    ki = {c: j for j, c in enumerate(categories)}
    for label, row in block.iterrows():
        i, j = gi[row["group"]], ki[row["category"]]
        counts[i, j] = float(row["n"])
        counts[i, K] = float(row["base_n"])
        hidden[i, j] = flags[label] in HIDDEN_FLAGS
        index[i, j] = label
    hidden[:, K] = hidden[:, :K].all(axis=1)  # a wholly hidden group hides its base
    exact = bool(np.allclose(counts[1:].sum(axis=0), counts[0])) if G > 1 else False
    return _Margins(counts, hidden, index, exact)


def _constraints(
    m: _Margins,
) -> tuple[list[np.ndarray], list[float], list[np.ndarray], list[float]]:
    """Linear relations of the cells: each row sums to its base; groups add up to Totalt."""
    G, K1 = m.counts.shape
    size = G * K1
    eq, eq_b, ub, ub_b = [], [], [], []
    for i in range(G):
        a = np.zeros(size)
        a[i * K1 : i * K1 + K1 - 1] = 1
        a[i * K1 + K1 - 1] = -1
        eq.append(a)
        eq_b.append(0.0)
    if G > 1:
        for j in range(K1):
            a = np.zeros(size)
            a[[i * K1 + j for i in range(1, G)]] = 1
            a[j] = -1
            (eq if m.exact_columns else ub).append(a)
            (eq_b if m.exact_columns else ub_b).append(0.0)
    return eq, eq_b, ub, ub_b


def derivable(counts: np.ndarray, hidden: np.ndarray, exact_columns: bool = True) -> np.ndarray:
    """Which hidden cells of a (Totalt + groups) x (categories + base) table are fixed.

    A cell is fixed when the published cells and the margins leave it a single value:
    its minimum and maximum over every non-negative table with the same shown cells and
    the same relations (linear programs) differ by less than one.
    A group's zero under a shown `Totalt` of zero does not count as fixed.
    """
    from scipy.optimize import linprog

    m = _Margins(counts, hidden, np.empty(0), exact_columns)
    fixed = np.zeros_like(hidden)
    unknown = np.flatnonzero(hidden.ravel())
    if not len(unknown):
        return fixed
    eq, eq_b, ub, ub_b = _constraints(m)
    values = counts.ravel()
    known = ~hidden.ravel()

    def reduce(rows: list[np.ndarray], rhs: list[float]) -> tuple[Any, Any]:
        if not rows:
            return None, None
        a = np.vstack(rows)
        b = np.asarray(rhs) - a[:, known] @ values[known]
        a = a[:, unknown]
        keep = np.any(a != 0, axis=1)
        return (a[keep], b[keep]) if keep.any() else (None, None)

    a_eq, b_eq = reduce(eq, eq_b)
    a_ub, b_ub = reduce(ub, ub_b)
    for k, cell in enumerate(unknown):
        c = np.zeros(len(unknown))
        c[k] = 1
        bounds = []
        for sign in (1, -1):
            res = linprog(
                sign * c,
                A_ub=a_ub,
                b_ub=b_ub,
                A_eq=a_eq,
                b_eq=b_eq,
                bounds=(0, None),
                method="highs",
            )
            # infeasible (inconsistent margins): nothing follows; unbounded: no upper bound
            bounds.append(sign * res.fun if res.status == 0 else np.nan)
        low, high = bounds[0], bounds[1]
        fixed.ravel()[cell] = bool(high - low < 1 - 1e-9)  # False where either is NaN
    # A zero under a shown zero total is no disclosure: the total itself says it.
    fixed[1:] &= ~(~hidden[0] & (counts[0] == 0))[None, :]
    return fixed


def _complement(m: _Margins, fixed: np.ndarray, frozen: frozenset[int] = frozenset()) -> bool:
    """Hide more cells so that a fixed hidden cell is no longer fixed.

    A hidden cell escapes derivation when it lies on a cycle of hidden cells (a rectangle:
    its row, its column, and the cell where they cross in another row and column), along
    which the counts can move without changing any published margin. For a cell of a
    wholly hidden group, the partner is a whole group: the shown group with the smallest
    base (a non-zero count in that column first). Otherwise the cheapest rectangle (fewest
    respondents newly hidden, categories before bases) whose new cells hold counts; a base
    is hidden only with its whole row, as the CSV shows it (`publish`); rows of
    `Totalt` only when the fixed cell is itself in `Totalt`. Rows in `frozen` (decided
    alone, shown by other tables too) get no new cells. False when nothing can be hidden.
    """
    G, K1 = m.counts.shape
    i, j = (int(x[0]) for x in np.nonzero(fixed))
    if i > 0 and m.hidden[i].all():
        rows = [r for r in range(1, G) if r != i and not m.hidden[r].all() and r not in frozen]
        if rows:
            rows.sort(key=lambda r: (m.counts[r, j] <= 0, m.counts[r, K1 - 1], r))
            m.hidden[rows[0]] = True
            return True
    best: tuple[Any, ...] | None = None
    base = K1 - 1
    if G == 1:  # no groups: the row sum is the only relation, one more cell in the row
        if i in frozen:
            return False
        cells = [(i, c) for c in range(base) if c != j and not m.hidden[i, c]]
        cells = [cell for cell in cells if m.counts[cell] > 0]
        if cells:
            m.hidden[min(cells, key=lambda cell: (m.counts[cell], cell))] = True
        elif not m.hidden[i].all():  # nothing left to trade with: the whole row
            m.hidden[i] = True
        else:
            return False
        return True
    partner_rows = [r for r in range(1, G) if r != i and r not in frozen]
    for r in partner_rows:
        for c in range(K1):
            if c == j:
                continue
            new = [cell for cell in ((i, c), (r, j), (r, c)) if not m.hidden[cell]]
            if not new or any(m.counts[cell] <= 0 for cell in new):
                continue
            # a base is published hidden only with its whole row (enkat.suppression.publish)
            rows = {a for a, b in new if b == base}
            cells = set(new) | {(a, b) for a in rows for b in range(K1) if not m.hidden[a, b]}
            if any(cell[0] in frozen for cell in cells):
                continue
            cost = (len(rows), sum(m.counts[cell] for cell in cells if cell[1] != base))
            if best is None or (cost, r, c) < best[0]:
                best = ((cost, r, c), sorted(cells))
    if best is None:
        return False
    for cell in best[1]:
        m.hidden[cell] = True
    for r in range(G):
        if m.hidden[r, :base].all():
            m.hidden[r, base] = True
    return True


def _settle(m: _Margins, frozen: frozenset[int]) -> None:
    """Hide cells until no hidden cell is fixed, adding cells only outside `frozen`."""
    for _ in range(m.hidden.size):
        fixed = derivable(m.counts, m.hidden, m.exact_columns)
        if not fixed.any() or not _complement(m, fixed, frozen):
            break


def _alone(m: _Margins, row: int) -> None:
    """Decide one row from itself: the row sum is its only relation (`Totalt`, or a group
    another table shows as a row of its own, decides the same way there)."""
    sub = _Margins(m.counts[row : row + 1].copy(), m.hidden[row : row + 1].copy(), m.index, False)
    _settle(sub, frozenset())
    if derivable(sub.counts, sub.hidden, False).any():
        sub.hidden[:] = True
    m.hidden[row] = sub.hidden[0]


def protect(
    table: pd.DataFrame, flags: pd.Series, shared_groups: frozenset[str] = frozenset()
) -> pd.Series:
    """Add 'secondary' flags until no hidden count or base can be derived (per variable).

    `Totalt` and the groups in `shared_groups` are decided first, each from its own row
    alone, and get no further cells: another table shows the same row and decides it the
    same way. Then a group hidden alone is joined by the shown group with the smallest base
    (so no group can be had as Totalt minus the others); then, while a linear program finds
    a hidden cell fixed by the shown cells and the margins, one more cell is hidden.
    """
    index = table.index  # labels may repeat (concatenated blocks): work by position
    table, flags = table.reset_index(drop=True), flags.reset_index(drop=True)
    keys = [k for k in ("table_id", "variable") if k in table.columns]
    for _, block in table.groupby(keys, sort=False) if keys else [(None, table)]:
        if not block.index.isin(flags.index[flags.isin(HIDDEN_FLAGS)]).any():
            continue
        m = _margins(block, flags)
        if m is None:
            continue
        G, K1 = m.counts.shape
        names = [TOTAL, *[g for g in pd.unique(block["group"]) if g != TOTAL]]
        frozen = frozenset(r for r, g in enumerate(names) if r == 0 or str(g) in shared_groups)
        for r in sorted(frozen):
            if m.hidden[r].any():
                _alone(m, r)
        whole = [r for r in range(1, G) if m.hidden[r].all()]
        if len(whole) == 1 and G > 2 and m.exact_columns:
            rest = [r for r in range(1, G) if r not in whole and r not in frozen]
            rest.sort(key=lambda r: (m.counts[r, K1 - 1], r))
            if rest:
                m.hidden[rest[0]] = True
        _settle(m, frozen)
        if derivable(m.counts, m.hidden, m.exact_columns).any():
            for r in range(1, G):  # last resort: no group broken out at all
                if r not in frozen:
                    m.hidden[r] = True
            if derivable(m.counts, m.hidden, m.exact_columns).any():
                m.hidden[:] = True
        for (i, j), label in np.ndenumerate(m.index):
            if label != -1 and m.hidden[i, j] and flags[label] not in HIDDEN_FLAGS:
                flags[label] = SECONDARY
    flags.index = index
    return flags


def classify(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """`suppressed` and `flag` for every estimate: primary rules, then complementary cells.

    A group named `Totalt` would be taken for the whole table's row (and its cells, hidden
    or not, mixed up with it): refused, naming the by variable.
    """
    keys = [k for k in ("table_id", "variable", "group", "category") if k in table.columns]
    if {"group", "category"} <= set(keys):
        clash = table.duplicated(keys, keep="first") & (table["group"].astype(str) == TOTAL)
        if clash.any():
            where = clash.to_numpy()
            by = str(table["group_var"].to_numpy()[where][0]) if "group_var" in table else "by"
            raise EnkatError(
                f"a group of the by variable is called '{TOTAL}', the name of the whole "
                "table's row",
                column=by,
                value=TOTAL,
                expected=f"group values other than '{TOTAL}'",
                hint=f"rename the value '{TOTAL}' in the data (or the register) column {by}",
            )
    flags = protect(table, primary_flags(table, rules), rules.shared_groups)
    return pd.DataFrame({"suppressed": flags.isin(HIDDEN_FLAGS), "flag": flags}, index=table.index)


def publish(table: pd.DataFrame) -> pd.DataFrame:
    """The estimate table as written to CSV: hidden cells carry '..' instead of numbers.

    `n`, `estimate`, `se`, `ci_low`, `ci_high`, `deff` of a hidden cell are '..'; `base_n`
    is '..' where every cell of the group (for that variable) is hidden, else shown.
    """
    out = table.copy()
    hidden = out["suppressed"].astype(bool)
    keys = [k for k in ("table_id", "variable", "group") if k in out.columns]
    whole = hidden.groupby([out[k] for k in keys], sort=False).transform("all")
    for column in HIDDEN_NUMBERS:
        out[column] = out[column].astype(object).where(~hidden, SYMBOL)
    out["base_n"] = out["base_n"].astype(object).where(~(hidden & whole), SYMBOL)
    return out


# --- what downstream readers ask ----------------------------------------------------------------


def suppressed(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """True where a cell of a long estimate table must be shown as '..' (primary + secondary).

    `group_n` is the number of respondents in the group (any answer to the variable),
    i.e. `base_n`; a group below `min_group` is not broken out at all.
    """
    if "flag" in table.columns:
        return table["flag"].isin(HIDDEN_FLAGS).rename("suppressed")
    primary = primary_flags(table, rules)
    flags = protect(table, primary) if {"n", "category"} <= set(table.columns) else primary
    return flags.isin(HIDDEN_FLAGS).rename("suppressed")


def unreliable(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """True where an estimate fails the reliability rule and carries UNRELIABLE_MARK."""
    if rules.preset == "nchs":
        if "flag" in table.columns:  # the review flags need `df`, which only the table step has
            return (table["flag"] == REVIEW).rename("unreliable")
        return pd.Series(nchs(table).review, index=table.index, name="unreliable")
    shown = ~table["flag"].isin(HIDDEN_FLAGS) if "flag" in table.columns else True
    return (_unreliable_numbers(table, rules) & shown).rename("unreliable")


def suppression_reason(table: pd.DataFrame, rules: Rules) -> pd.Series:
    """Why each cell is suppressed: 'base', 'group', 'nchs', 'secondary' or ''.

    Footnotes differ by reason. Read from the `flag` column where the table has one.
    """
    if "flag" in table.columns:
        reason = table["flag"].where(table["flag"].isin(HIDDEN_FLAGS), "")
        return reason.astype(str).rename("reason")
    small_base, small_group = _small(table, rules)
    reason = np.where(small_base, BASE, np.where(small_group, GROUP, ""))
    return pd.Series(reason, index=table.index, name="reason")


# --- footnotes ----------------------------------------------------------------------------------


def footnote_suppressed(rules: Rules) -> str:
    """The footnote explaining the '..' symbol."""
    return (
        f"{fmt.SUPPRESSED} Uppgiften redovisas inte eftersom färre än "
        f"{fmt.number(rules.min_base)} har svarat på frågan i gruppen."
    )


def footnote_small_group(rules: Rules) -> str:
    """The footnote explaining why a small group is not broken out."""
    return (
        f"Grupper med färre än {fmt.number(rules.min_group)} svarande redovisas inte separat "
        f"(visas som {fmt.SUPPRESSED}), men ingår i totalen."
    )


def footnote_secondary() -> str:
    """The footnote of complementary suppression."""
    return (
        f"{fmt.SUPPRESSED} Uppgiften redovisas inte eftersom en dold uppgift annars skulle "
        "kunna räknas fram ur de uppgifter som redovisas."
    )


def footnote_nchs() -> str:
    """The footnote of an estimate suppressed by the NCHS standard."""
    return (
        f"{fmt.SUPPRESSED} Andelen redovisas inte eftersom den är för osäker: det effektiva "
        f"antalet svar är under {NCHS_MIN_EFFECTIVE_N} eller konfidensintervallet är för brett "
        "(NCHS standard för redovisning av andelar)."
    )


def footnote_unreliable(rules: Rules) -> str | None:
    """The footnote explaining UNRELIABLE_MARK, or None when no reliability rule is set."""
    if rules.preset == "nchs":
        return (
            f"{UNRELIABLE_MARK} Skattningen bör tolkas med försiktighet: den bygger på färre "
            f"än {NCHS_MIN_DF} frihetsgrader eller är 0 eller 100 procent."
        )
    parts = []
    if rules.min_effective_n is not None:
        parts.append(f"det effektiva antalet svar är under {fmt.number(rules.min_effective_n)}")
    if rules.max_ci_width is not None:
        width = fmt.number(rules.max_ci_width * 100, 0)
        parts.append(f"konfidensintervallet är bredare än {width} procentenheter")
    if not parts:
        return None
    return f"{UNRELIABLE_MARK} Osäker skattning: " + " eller ".join(parts) + "."


def rules_text(rules: Rules) -> list[str]:
    """The suppression and reliability rules in Swedish, one sentence each, for readers."""
    lines = [footnote_suppressed(rules), footnote_small_group(rules)]
    if rules.preset == "nchs":
        lines.append(footnote_nchs())
    lines.append(footnote_secondary())
    unreliable_note = footnote_unreliable(rules)
    if unreliable_note:
        lines.append(unreliable_note)
    return lines
