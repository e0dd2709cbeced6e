"""Rows that several catalogue tables show: the same respondents in two tables.

A plain table and the `Totalt` of its by-table, or a by-table's group and a table filtered
to that one group, publish the same row. Complementary suppression must hide the same cells
of it in both, or subtracting across tables recovers a hidden value (enkat.suppression).
Read by the Snakefile (the table rules' `suppression.shared_rows` param): plain Python, so
it costs nothing at start-up.
"""

from __future__ import annotations

from typing import Any


def _conditions(spec: dict[str, Any]) -> dict[str, frozenset[str]]:
    return {str(k): frozenset(map(str, v)) for k, v in (spec.get("filter") or {}).items()}


def _content(spec: dict[str, Any]) -> tuple[str, ...]:
    item = spec.get("item")
    return (str(spec.get("survey")), *((f"item:{item}",) if item else map(str, spec["variables"])))


def shared_rows(tables: list[dict[str, Any]], table_id: str) -> dict[str, Any]:
    """Which rows of a table another catalogue table also shows (the table step's
    `suppression.shared_rows`): `groups`, the groups of its `by` that another table shows
    too (as the `Totalt` of a table filtered to that one group, or as a group of a table by
    the same variable under another filter), and `total_is_group`, whether its own `Totalt` is a
    group of another table (then the group-size rule applies to it too).

    Rows are the same when the tables have the same survey and item (or variables) and the
    same respondents: the filter, with `by` = the group for a group. `Totalt` rows are
    always decided alone, so tables with the same filter agree on them without this.
    """
    spec = next(t for t in tables if t.get("id") == table_id)
    if not spec.get("survey"):
        return {"groups": [], "total_is_group": False}
    own, by = _conditions(spec), spec.get("by")
    groups: set[str] = set()
    total_is_group = False
    for other in tables:
        if other.get("id") == table_id or not other.get("survey"):
            continue
        if _content(other) != _content(spec):
            continue
        theirs, their_by = _conditions(other), other.get("by")
        if by:  # our group g: filter + by = g; the same as their Totalt?
            single = theirs.get(str(by))
            rest = {k: v for k, v in theirs.items() if k != by}
            if (
                single is not None
                and len(single) == 1
                and rest == {k: v for k, v in own.items() if k != by}
            ):
                (group,) = single
                if group in own.get(str(by), single):
                    groups.add(group)
        if by and their_by == by and theirs != own:  # the same groups under other filters
            mine = {k: v for k, v in own.items() if k != by}
            if mine == {k: v for k, v in theirs.items() if k != by}:
                if str(by) in own and str(by) in theirs:
                    groups |= set(own[str(by)] & theirs[str(by)])
                else:  # one side takes every group: the other's allowed groups are shared
                    groups |= set(own.get(str(by)) or theirs.get(str(by)) or ())
        if their_by:  # our Totalt: our filter; the same as their group g?
            value = own.get(str(their_by))
            rest = {k: v for k, v in own.items() if k != their_by}
            if (
                value is not None
                and len(value) == 1
                and rest == {k: v for k, v in theirs.items() if k != their_by}
            ):
                (group,) = value
                if group in theirs.get(str(their_by), value):
                    total_is_group = True
    return {"groups": sorted(groups), "total_is_group": total_is_group}
