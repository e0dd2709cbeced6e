"""The codebook model and the mapping of raw answers to labels.

A codebook (config/codebooks/<survey>.yaml, format in docs/inputs.md) is what statisticians
edit: items, their export columns, codes and labels in display order, nonresponse codes,
answers outside the base and filters. `load_codebook` checks it against the schema and for
mistakes a schema cannot see (an item id twice, an option twice, a filter naming an unknown
item). `map_answers` turns an export into labels, recording every bad cell as a problem.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enkat.config import load_yaml, validate
from enkat.errors import EnkatError
from enkat.text import did_you_mean, escape, normalise_code, prints_same

if TYPE_CHECKING:  # the model and its checks stay pandas-free: the DAG build loads codebooks
    import pandas as pd

    from enkat.ingest.problems import Problems

CHOSEN = "Vald"
NOT_CHOSEN = "Ej vald"
TYPES = ("single", "grid", "multiple", "text")


@dataclass(frozen=True)
class Option:
    """An answer option: its code in the export, its label; for multiple choice, its column."""

    label: str
    code: str | None = None
    id: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Filter:
    """Asked only of respondents whose answer to `item` is one of `values` (labels)."""

    item: str
    values: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.item} is " + " or ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class GridRow:
    """One row of a grid (one agency, one action): its own export column."""

    id: str
    label: str
    column: str
    filter: Filter | None = None


@dataclass(frozen=True)
class Item:
    """One question of the codebook."""

    id: str
    type: str
    text: str
    short: str | None = None
    column: str | None = None
    options: tuple[Option, ...] = ()
    rows: tuple[GridRow, ...] = ()
    nonresponse: tuple[str, ...] = ()
    not_in_base: tuple[str, ...] = ()
    chosen: tuple[str, ...] = ("1",)
    not_chosen: tuple[str, ...] = ("0",)
    min_choices: int | None = None
    max_choices: int | None = None
    filter: Filter | None = None

    def columns(self) -> list[str]:
        """The export columns this item reads."""
        if self.type == "grid":
            return [r.column for r in self.rows]
        if self.type == "multiple":
            return [str(o.column) for o in self.options]
        return [str(self.column)]


@dataclass(frozen=True)
class Variable:
    """One column of processed/<survey>.parquet coming from the codebook."""

    name: str
    item: str
    question: str
    label: str
    type: str
    categories: tuple[str, ...]
    not_in_base: tuple[str, ...]
    column: str = ""  # the export column it is read from
    filter: Filter | None = None  # the filter that applies (row filter, else item filter)


@dataclass(frozen=True)
class Codebook:
    """A survey's codebook: items in display order."""

    survey: str
    title: str
    items: tuple[Item, ...]
    nonresponse: tuple[str, ...] = ()
    period: str | None = None
    population: str | None = None
    file: str = ""

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        ids = [i.id for i in self.items]
        close = difflib.get_close_matches(item_id, ids, n=1)
        raise EnkatError(
            "the codebook has no such item",
            file=self.file,
            value=item_id,
            expected="one of " + ", ".join(ids),
            hint=f"did you mean {close[0]!r}?" if close else "check the item id",
        )

    def variables(self, item_id: str | None = None) -> list[Variable]:
        """Every categorical variable (text items excluded), or those of one item."""
        items = [self.item(item_id)] if item_id is not None else list(self.items)
        return [v for item in items for v in _variables(item)]

    def text_items(self) -> list[Item]:
        return [i for i in self.items if i.type == "text"]

    def columns(self) -> list[str]:
        """Every export column the codebook reads, in codebook order."""
        return [c for item in self.items for c in item.columns()]


def _variables(item: Item) -> list[Variable]:
    if item.type == "text":
        return []
    if item.type == "multiple":
        return [
            Variable(
                f"{item.id}_{o.id}",
                item.id,
                item.text,
                o.label,
                "multiple",
                (CHOSEN, NOT_CHOSEN),
                (),
                str(o.column),
                item.filter,
            )
            for o in item.options
        ]
    base = tuple(o.label for o in item.options if o.code not in item.not_in_base)
    outside = tuple(o.label for o in item.options if o.code in item.not_in_base)
    if item.type == "grid":
        return [
            Variable(
                f"{item.id}_{r.id}",
                item.id,
                item.text,
                r.label,
                "grid",
                base,
                outside,
                r.column,
                r.filter or item.filter,
            )
            for r in item.rows
        ]
    return [
        Variable(
            item.id,
            item.id,
            item.text,
            item.short or item.text,
            "single",
            base,
            outside,
            str(item.column),
            item.filter,
        )
    ]


# --- loading and checking ---------------------------------------------------------------------


def code_text(code: Any) -> str:
    """Codes compare as text: 1, "1" and 1.0 are the same code."""
    if isinstance(code, bool):
        return str(code).lower()
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return normalise_code(str(code))


def _codes(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(code_text(v) for v in (values or []))


def load_codebook(path: str | Path, schema: bool = True) -> Codebook:
    """Read, schema-check and semantically check a codebook.

    `schema=False` skips the JSON-schema check, for steps downstream of the survey's ingest:
    the ingest checked this same file (a changed codebook reruns the ingest first).
    """
    file = str(path)
    doc = load_yaml(path)
    if not isinstance(doc, dict):
        raise EnkatError(
            "the codebook is empty or not a mapping",
            file=file,
            expected="keys survey, title, items",
        )
    if schema:
        validate(doc, "codebook", file)
    scales = doc.get("scales") or {}
    items = tuple(_item(raw, pos, scales, file) for pos, raw in enumerate(doc["items"]))
    book = Codebook(
        survey=doc["survey"],
        title=doc["title"],
        items=items,
        nonresponse=_codes(doc.get("nonresponse")),
        period=doc.get("period"),
        population=doc.get("population"),
        file=file,
    )
    check_codebook(book)
    return book


def _item(raw: Mapping[str, Any], pos: int, scales: Mapping[str, Any], file: str) -> Item:
    key = f"items[{pos}] ({raw['id']})"
    kind = raw["type"]
    if "scale" in raw and "options" in raw:
        raise EnkatError(
            "an item has both scale and options",
            file=file,
            key=key,
            expected="either scale: <name> or options: [...]",
            hint="remove one of them",
        )
    if "scale" in raw:
        if raw["scale"] not in scales:
            raise EnkatError(
                "an item names a scale that is not defined",
                file=file,
                key=f"{key}.scale",
                value=raw["scale"],
                expected="one of " + (", ".join(scales) or "(no scales defined)"),
                hint="define it under scales: or correct the name",
            )
        options_raw = scales[raw["scale"]]
    else:
        options_raw = raw.get("options") or []
    need = {"single": ["column"], "text": ["column"], "grid": ["rows"], "multiple": ["options"]}
    for name in need[kind]:
        if name not in raw:
            raise EnkatError(
                f"a {kind} item needs {name}",
                file=file,
                key=f"{key}.{name}",
                expected=f"{name}: ... (see docs/inputs.md)",
                hint=f"add {name} to the item",
            )
    if kind in ("single", "grid") and not options_raw:
        raise EnkatError(
            f"a {kind} item needs options or a scale",
            file=file,
            key=key,
            expected="options: [...] or scale: <name>",
            hint="add the answer options",
        )
    if kind == "multiple":
        for opt_pos, opt in enumerate(options_raw):
            for name in ("id", "column"):
                if name not in opt:
                    raise EnkatError(
                        f"a multiple-choice option needs {name}",
                        file=file,
                        key=f"{key}.options[{opt_pos}].{name}",
                        expected=f"{name}: ... for every option",
                        hint="each option of a multiple-choice item has its own "
                        "indicator column and an id for the variable name",
                    )
    elif kind in ("single", "grid"):
        for opt_pos, opt in enumerate(options_raw):
            if "code" not in opt:
                raise EnkatError(
                    "an option has no code",
                    file=file,
                    key=f"{key}.options[{opt_pos}].code",
                    value=opt.get("label"),
                    expected="code: <the value in the export>",
                    hint="give every option the code the survey tool writes",
                )
    options = tuple(
        Option(
            label=o["label"],
            code=code_text(o["code"]) if "code" in o else None,
            id=o.get("id"),
            column=o.get("column"),
        )
        for o in options_raw
    )
    rows = tuple(
        GridRow(r["id"], r["label"], r["column"], _filter(r.get("filter")))
        for r in raw.get("rows") or []
    )
    return Item(
        id=raw["id"],
        type=kind,
        text=raw["text"],
        short=raw.get("short"),
        column=raw.get("column"),
        options=options,
        rows=rows,
        nonresponse=_codes(raw.get("nonresponse")),
        not_in_base=_codes(raw.get("not_in_base")),
        chosen=_codes(raw.get("chosen", [1])),
        not_chosen=_codes(raw.get("not_chosen", [0])),
        min_choices=raw.get("min_choices"),
        max_choices=raw.get("max_choices"),
        filter=_filter(raw.get("filter")),
    )


def _filter(raw: Mapping[str, Any] | None) -> Filter | None:
    return Filter(raw["item"], tuple(raw["in"])) if raw else None


def _dupe(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            return v
        seen.add(v)
    return None


def check_codebook(book: Codebook) -> None:
    """The checks a schema cannot express; each names the item and key."""
    file = book.file
    if (dup := _dupe(i.id for i in book.items)) is not None:
        raise EnkatError(
            "an item id appears twice",
            file=file,
            key="items",
            value=dup,
            expected="unique item ids",
            hint="rename or remove one of the items",
        )
    by_id = {i.id: i for i in book.items}
    for item in book.items:
        _check_item(item, book, by_id)
    names = [v.name for v in book.variables()] + [i.id for i in book.text_items()]
    if (dup := _dupe(names)) is not None:
        raise EnkatError(
            "two variables get the same name",
            file=file,
            value=dup,
            expected="unique item ids, grid row ids and option ids",
            hint="rename an item, row or option id",
        )
    if (dup := _dupe(book.columns())) is not None:
        raise EnkatError(
            "an export column is read by two items",
            file=file,
            value=dup,
            expected="each export column in one place of the codebook",
            hint="correct the column of one of the items",
        )
    _check_filter_cycles(book, by_id)


def _check_item(item: Item, book: Codebook, by_id: Mapping[str, Item]) -> None:
    file = book.file
    key = f"item {item.id}"
    if (dup := _dupe(o.label for o in item.options)) is not None:
        raise EnkatError(
            "an option label appears twice",
            file=file,
            key=key,
            value=dup,
            expected="each label once per item",
            hint="remove or rename one",
        )
    if item.type in ("single", "grid"):
        codes = [str(o.code) for o in item.options]
        if (dup := _dupe(codes)) is not None:
            raise EnkatError(
                "an option code appears twice",
                file=file,
                key=key,
                value=dup,
                expected="each code once per item",
                hint="remove or renumber one",
            )
        clash = set(codes) & set(item.nonresponse + book.nonresponse)
        if clash:
            raise EnkatError(
                "a code is both an answer option and a nonresponse code",
                file=file,
                key=key,
                value=sorted(clash)[0],
                expected="nonresponse codes that are not option codes",
                hint="remove the code from nonresponse or from the options",
            )
        unknown = [c for c in item.not_in_base if c not in codes]
        if unknown:
            raise EnkatError(
                "not_in_base names a code that is not an option",
                file=file,
                key=f"{key}.not_in_base",
                value=unknown[0],
                expected="one of the codes " + ", ".join(codes),
                hint="use the code of the option to leave out of the base",
            )
        if item.type == "grid" and (dup := _dupe(r.id for r in item.rows)) is not None:
            raise EnkatError(
                "a grid row id appears twice",
                file=file,
                key=f"{key}.rows",
                value=dup,
                expected="unique row ids",
                hint="rename one",
            )
    if item.type == "multiple":
        if (dup := _dupe(str(o.id) for o in item.options)) is not None:
            raise EnkatError(
                "an option id appears twice",
                file=file,
                key=key,
                value=dup,
                expected="unique option ids",
                hint="rename one",
            )
        if clash := set(item.chosen) & set(item.not_chosen):
            raise EnkatError(
                "a value is both chosen and not_chosen",
                file=file,
                key=key,
                value=sorted(clash)[0],
                expected="disjoint chosen and not_chosen",
            )
        lo, hi = item.min_choices, item.max_choices
        if lo is not None and hi is not None and lo > hi:
            raise EnkatError(
                "min_choices is larger than max_choices",
                file=file,
                key=key,
                value=f"{lo} > {hi}",
                expected="min_choices <= max_choices",
            )
        if hi is not None and hi > len(item.options):
            raise EnkatError(
                "max_choices exceeds the number of options",
                file=file,
                key=key,
                value=hi,
                expected=f"at most {len(item.options)}",
            )
    filters = [item.filter] + [r.filter for r in item.rows]
    for flt in filters:
        if flt is None:
            continue
        target = by_id.get(flt.item)
        if target is None:
            close = difflib.get_close_matches(flt.item, list(by_id), n=1)
            raise EnkatError(
                "a filter names an item that does not exist",
                file=file,
                key=f"{key}.filter.item",
                value=flt.item,
                expected="the id of a single-choice item of this codebook",
                hint=f"did you mean {close[0]!r}?" if close else "correct the id",
            )
        if target.type != "single":
            raise EnkatError(
                "a filter names an item that is not single choice",
                file=file,
                key=f"{key}.filter.item",
                value=flt.item,
                expected="a single-choice item",
                hint="filter on a single item",
            )
        labels = [o.label for o in target.options]
        for value in flt.values:
            if value not in labels:
                close = difflib.get_close_matches(value, labels, n=1)
                raise EnkatError(
                    "a filter value is not a label of the filter item",
                    file=file,
                    key=f"{key}.filter.in",
                    value=value,
                    expected="one of " + ", ".join(repr(x) for x in labels),
                    hint=did_you_mean(value, close[0])
                    if close
                    else "use the option labels of " + flt.item,
                )


def _check_filter_cycles(book: Codebook, by_id: Mapping[str, Item]) -> None:
    for item in book.items:
        seen = [item.id]
        current = item
        while current.filter is not None:
            nxt = current.filter.item
            if nxt in seen:
                raise EnkatError(
                    "filters refer to each other in a circle",
                    file=book.file,
                    key=f"item {item.id}",
                    value=" -> ".join([*seen, nxt]),
                    expected="filters that end at an unfiltered item",
                )
            seen.append(nxt)
            current = by_id[nxt]


def check_columns(
    book: Codebook, header: Iterable[str], file: str, sheets: tuple[str, ...] = ()
) -> None:
    """Every column the codebook reads is in the export's header."""
    have = list(header)
    for item in book.items:
        for column in item.columns():
            if column not in have:
                close = difflib.get_close_matches(column, have, n=1)
                hint = (
                    (
                        f"the export has {close[0]!r}: rename the column or correct the "
                        f"codebook ({book.file})" + _differs(column, close[0])
                    )
                    if close
                    else (f"correct the column in {book.file} or re-export with the column")
                )
                if len(sheets) > 1:
                    hint += "; or is the data on another sheet (sources.<source>.sheet)?"
                raise EnkatError(
                    "a column the codebook names is not in the export",
                    file=file,
                    row=1,
                    column=column,
                    expected=f"a column of the export (item {item.id})",
                    hint=hint,
                )


def _differs(value: str, other: str) -> str:
    """How two names that print the same differ, else nothing."""
    if not prints_same(value, other):
        return ""
    return f"; they print the same but differ: {escape(value)} and {escape(other)}"


def check_value_labels(
    book: Codebook, value_labels: Mapping[str, Mapping[str, str]], file: str
) -> None:
    """An SPSS file's own value labels must not contradict the codebook.

    A label the codebook gives to another code means the export numbers the answers
    differently (a reversed scale, a renumbered option): mapping by code would silently
    swap the answers. Labels worded differently from the codebook's are not compared.
    """
    for item in book.items:
        if item.type not in ("single", "grid"):
            continue
        by_label = {_squash(o.label): o for o in item.options}
        by_code = {o.code: o for o in item.options}
        for column in item.columns():
            for code, label in (value_labels.get(column) or {}).items():
                named = by_label.get(_squash(label))
                if named is None or named.code == normalise_code(code):
                    continue
                own = by_code.get(normalise_code(code))
                raise EnkatError(
                    "the file's value labels contradict the codebook",
                    file=file,
                    column=column,
                    value=f"{code} = {label!r}",
                    expected=(
                        f"{code} = {own.label!r} as in the codebook"
                        if own
                        else f"code {named.code} for {named.label!r} as in the codebook"
                    )
                    + f" (item {item.id}, {book.file})",
                    hint="the export numbers the answers differently from the codebook: "
                    "correct the codes in the codebook, or recode the export",
                )


# --- mapping answers --------------------------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


# A label export writes "no answer" choices (Vet ej) as text; adding such a text as an option
# would count nonresponse as an answer, so the hint points to the nonresponse list first.
NO_MATCH_HINT = (
    "if the value means no answer (as 'Vet ej' in a label export), add it to the item's "
    'nonresponse list (nonresponse: [99, "Vet ej"]), not as an option, which would count it '
    "as an answer; otherwise correct the export or add the answer option to the codebook"
)


def _suggest(value: str, item: Item) -> str:
    """The nearest label; when the two print the same, both escaped (enkat.text)."""
    labels = [o.label for o in item.options]
    for label in labels:
        if prints_same(value, label):
            return did_you_mean(value, label)
    for label in labels:
        if _squash(label) == _squash(value):
            return did_you_mean(value, label) + " (labels must match exactly: case and spaces)"
    close = difflib.get_close_matches(value, labels, n=1, cutoff=0.75)
    if close:
        return did_you_mean(value, close[0])
    return NO_MATCH_HINT


def _expected(item: Item, nonresponse: tuple[str, ...]) -> str:
    opts = ", ".join(f"{o.code}={o.label}" for o in item.options)
    missing = ", ".join(item.nonresponse + nonresponse)
    return (
        f"a code or label of {item.id} ({opts})"
        + (f", a nonresponse code ({missing})" if missing else "")
        + " or an empty cell"
    )


def _map_codes(
    raw: pd.Series,
    lookup: Mapping[str, str | None],
    problems: Problems,
    column: str,
    item: Item,
    expected: str,
    value_labels: Mapping[str, str] | None = None,
) -> pd.Series:
    """Labels for a column via its distinct values; unknown values become problems."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    out: list[str | None] = []
    bad: list[int] = []
    hints: dict[int, str] = {}
    for pos, value in enumerate(uniques):
        value = str(value)
        if value in lookup:
            out.append(lookup[value])
        elif normalise_code(value) in lookup:
            out.append(lookup[normalise_code(value)])
        elif not value.strip():
            out.append(None)
        else:
            out.append(None)
            bad.append(pos)
            hint = _suggest(value, item)
            if value_labels and normalise_code(value) in value_labels:
                hint = (
                    f"the file labels this code {value_labels[normalise_code(value)]!r}; "
                    "add it to the codebook or recode the export"
                )
            hints[pos] = hint
    labels = np.array([*out, None], dtype=object)[codes]
    if bad:
        mask = np.isin(codes, bad)
        hint_arr = np.array([hints.get(c, "") for c in codes[mask]], dtype=object)
        problems.add(
            raw.index[mask],
            column,
            raw[mask].to_numpy(dtype=object),
            "an answer is not a code or label of the codebook",
            expected,
            hint_arr,
        )
    return pd.Series(labels, index=raw.index, name=raw.name, dtype="string")


def _single_lookup(item: Item, nonresponse: tuple[str, ...]) -> dict[str, str | None]:
    lookup: dict[str, str | None] = dict.fromkeys(item.nonresponse + nonresponse)
    for o in item.options:
        lookup[str(o.code)] = o.label
        lookup[o.label] = o.label
    return lookup


def map_answers(
    book: Codebook,
    data: pd.DataFrame,
    problems: Problems,
    value_labels: Mapping[str, Mapping[str, str]] | None = None,
    free_text: Iterable[str] = (),
) -> pd.DataFrame:
    """The processed item columns of an export (index kept), in codebook order.

    Bad cells, answers from respondents who were not asked and too few or too many choices
    are recorded in `problems`; their cells come out null.
    """
    import pandas as pd

    value_labels = value_labels or {}
    keep_text = set(free_text)
    out: dict[str, pd.Series] = {}
    for item in book.items:
        if item.type == "text":
            if item.id in keep_text:
                out[item.id] = data[str(item.column)].astype("string")
            continue
        expected = _expected(item, book.nonresponse)
        if item.type == "multiple":
            out.update(_map_multiple(item, data, problems, book.nonresponse))
            continue
        lookup = _single_lookup(item, book.nonresponse)
        for var in _variables(item):
            out[var.name] = _map_codes(
                data[var.column],
                lookup,
                problems,
                var.column,
                item,
                expected,
                value_labels.get(var.column),
            )
    frame = pd.DataFrame(out, index=data.index)
    apply_filters(book, frame, data, problems)
    return frame


def _map_multiple(
    item: Item, data: pd.DataFrame, problems: Problems, nonresponse: tuple[str, ...]
) -> dict[str, pd.Series]:
    import numpy as np
    import pandas as pd

    chosen: dict[str, np.ndarray] = {}
    for opt in item.options:
        lookup: dict[str, str | None] = dict.fromkeys(item.chosen, CHOSEN)
        lookup.update(dict.fromkeys(item.not_chosen, NOT_CHOSEN))
        lookup.update(dict.fromkeys(item.nonresponse + nonresponse, NOT_CHOSEN))
        lookup[opt.label] = CHOSEN
        expected = (
            f"an indicator of option {opt.id} of {item.id}: chosen "
            f"{', '.join(item.chosen)} or {opt.label!r}; not chosen "
            f"{', '.join(item.not_chosen)} or empty"
        )
        one = Item(item.id, "single", item.text, options=(Option(opt.label, "1"),))
        labels = _map_codes(data[str(opt.column)], lookup, problems, str(opt.column), one, expected)
        chosen[f"{item.id}_{opt.id}"] = (labels == CHOSEN).fillna(False).to_numpy(dtype=bool)
    count = np.sum(list(chosen.values()), axis=0)
    answered = count > 0
    column = ", ".join(str(o.column) for o in item.options)
    lo, hi = item.min_choices, item.max_choices
    if lo is not None:
        problems.add(
            data.index[answered & (count < lo)],
            column,
            count[answered & (count < lo)].astype(str),
            f"too few options chosen in {item.id}",
            f"at least {lo} chosen",
            "check the row against the questionnaire",
        )
    if hi is not None:
        problems.add(
            data.index[count > hi],
            column,
            count[count > hi].astype(str),
            f"too many options chosen in {item.id}",
            f"at most {hi} chosen",
            "check the row against the questionnaire",
        )
    return {
        name: pd.Series(
            np.where(answered, np.where(flags, CHOSEN, NOT_CHOSEN), None),
            index=data.index,
            dtype="string",
        )
        for name, flags in chosen.items()
    }


def _filter_depth(book: Codebook, item: Item) -> int:
    depth, current = 0, item
    while current.filter is not None:
        depth += 1
        current = book.item(current.filter.item)
    return depth


def apply_filters(
    book: Codebook, frame: pd.DataFrame, data: pd.DataFrame, problems: Problems
) -> None:
    """Null the answers of respondents who were not asked; an answer there is a problem.

    Items are handled filter items first, so a chain (FORSLAG_LAMNAT after FORSLAG) sees
    its filter item's answers already cleared where that item was not asked.
    """
    import pandas as pd

    for item in sorted(book.items, key=lambda i: _filter_depth(book, i)):
        for var in _variables(item):
            flt = var.filter
            if flt is None:
                continue
            asked = frame[flt.item].isin(flt.values).fillna(False).to_numpy(dtype=bool)
            names = [var.name]
            if item.type == "multiple":
                answered = (frame[var.name] == CHOSEN).fillna(False).to_numpy(dtype=bool)
            else:
                answered = frame[var.name].notna().to_numpy()
            wrong = ~asked & answered
            if wrong.any():
                problems.add(
                    data.index[wrong],
                    var.column,
                    data.loc[wrong, var.column].to_numpy(dtype=object),
                    f"an answer from a respondent who was not asked ({var.name})",
                    f"an empty cell: {var.name} is asked only when {flt.describe()}",
                    f"check the routing, or the answer to {flt.item} in that row",
                )
            for name in names:
                frame.loc[~asked, name] = pd.NA
