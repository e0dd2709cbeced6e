"""The text rules: what makes two values that look the same the same value.

Every text value read from an input (CSV, XLSX and SPSS cells and header names, codebook and
config YAML) goes through `normalise` at read time, so that a label written by macOS in
decomposed form (NFD: "a" + combining ring) equals the codebook's composed "å" (NFC):

- every Unicode space other than the ordinary one (no-break space U+00A0, narrow no-break
  space U+202F, figure space, thin space, ...) becomes an ordinary space U+0020;
- a soft hyphen (U+00AD, an invisible hyphenation hint) and a byte-order mark inside the
  text (U+FEFF, left where two exports were concatenated) are removed;
- the result is in Unicode normal form NFC.

Other invisible characters (zero-width space and joiners, direction marks, control
characters) are not silently removed: in ids, codes, labels and categories they are
rejected (`invisible_problems`), with the value shown escaped (`escape`) and each character
named (`describe_invisible`). Free-text answers keep them (a zero-width non-joiner is part
of Persian spelling). `same_key` is the comparison key published tables are checked with
(`check_distinct`): two categories with the same key print the same and must not both
appear. docs/inputs.md states the rule for users.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from enkat.errors import EnkatError

if TYPE_CHECKING:  # pandas is imported where used: the Snakefile imports this module
    import numpy as np
    import pandas as pd
    import pyarrow as pa

REMOVED = {"\u00ad": "soft hyphen", "\ufeff": "byte-order mark"}
_SPACES = re.compile(r"[^\S\t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029 ]")  # Zs other than " "
_REMOVED = re.compile("[" + "".join(REMOVED) + "]")
# What `normalise` could change: anything outside printable ASCII (fast path for codes).
_NOT_ASCII = re.compile(r"[^\x20-\x7e]")
# Invisible characters kept by `normalise` and rejected in ids, codes and categories:
# format characters (Cf: zero-width space U+200B, joiners U+200C/U+200D, direction marks,
# word joiner) and control characters other than tab and line ends.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufff9-\ufffb\U000e0001-\U000e007f]"
)
_NAMES = {
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u2060": "word joiner",
    "\u00a0": "no-break space",
    "\u202f": "narrow no-break space",
    "\u00ad": "soft hyphen",
    "\ufeff": "byte-order mark",
    "\t": "tab",
    "\n": "line feed",
    "\r": "carriage return",
}


def normalise(value: str) -> str:
    """NFC, other spaces as U+0020, soft hyphens and inner BOMs removed (module docstring)."""
    if not _NOT_ASCII.search(value):
        return value
    value = _REMOVED.sub("", _SPACES.sub(" ", value))
    return unicodedata.normalize("NFC", value)


def normalise_series(values: pd.Series) -> pd.Series:
    """`normalise` on a string column, on its distinct values (a million-row column holds
    few distinct codes); nulls stay null."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = [str(u) for u in uniques]
    fixed = [normalise(t) for t in texts]
    if fixed == texts:
        return values
    out = np.array([*fixed, None], dtype=object)[codes]
    return pd.Series(out, index=values.index, name=values.name, dtype="string")


def normalise_frame(data: pd.DataFrame) -> pd.DataFrame:
    """Every cell and column name normalised (in place for the cells; returned)."""
    data.columns = [normalise(str(c)) for c in data.columns]
    for pos in range(data.shape[1]):
        column = data.iloc[:, pos]
        fixed = normalise_series(column)
        if fixed is not column:
            data.isetitem(pos, fixed)
    return data


def normalise_table(table: pa.Table) -> pa.Table:
    """`normalise` on every string column of an Arrow table, before it becomes a DataFrame.

    A column of printable ASCII only (ids, codes: most of a survey export) cannot change and
    is found so in C (`string_is_ascii`); the others are normalised on their distinct values
    (`dictionary_encode`), as `normalise_series` does, without a Python pass over the rows.
    Nulls stay null. Column names are the caller's (the header is normalised already)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if not pa.types.is_string(column.type):
            columns.append(column)
            continue
        if pc.all(pc.string_is_ascii(column)).as_py() is not False:  # None: only nulls
            columns.append(column)
            continue
        encoded = pc.dictionary_encode(column.combine_chunks())
        texts = encoded.dictionary.to_pylist()
        fixed = [normalise(t) for t in texts]
        if fixed == texts:
            columns.append(column)
        else:
            columns.append(pc.take(pa.array(fixed, pa.string()), encoded.indices))
    return pa.Table.from_arrays(columns, names=table.column_names)


def normalise_tree(doc: Any) -> Any:
    """Every string (keys and values) of a parsed YAML document normalised."""
    if isinstance(doc, str):
        return normalise(doc)
    if isinstance(doc, dict):
        return {normalise_tree(k): normalise_tree(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [normalise_tree(v) for v in doc]
    return doc


def invisible_in_tree(doc: Any, path: str = "") -> tuple[str, str] | None:
    """The first (key path, string) of a parsed YAML document holding an invisible
    character: config and codebook text is held to the rule of the data it must match."""
    if isinstance(doc, str):
        return (path or "(top level)", doc) if has_invisible(doc) else None
    if isinstance(doc, dict):
        for key, value in doc.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_invisible(key):
                return where, key
            found = invisible_in_tree(value, where)
            if found:
                return found
    if isinstance(doc, list):
        for pos, value in enumerate(doc):
            found = invisible_in_tree(value, f"{path}[{pos}]")
            if found:
                return found
    return None


def check_tree(doc: Any, file: str | Path) -> Any:
    """`doc` normalised; an invisible character in it stops with the key and the value."""
    doc = normalise_tree(doc)
    found = invisible_in_tree(doc)
    if found is not None:
        key, value = found
        raise EnkatError(
            "a value holds an invisible character",
            file=str(file),
            key=key,
            value=value,
            expected="text without zero-width, direction or control characters",
            hint=f"the value holds {describe_invisible(value)}: delete the character "
            "(retype the value)",
        )
    return doc


def has_invisible(value: str) -> bool:
    return bool(_INVISIBLE.search(value))


def char_name(char: str) -> str:
    """'U+200B zero-width space' (our wording, else the Unicode name in lower case)."""
    name = _NAMES.get(char) or unicodedata.name(char, "").lower() or "unnamed character"
    return f"U+{ord(char):04X} {name}"


def escape(value: str) -> str:
    """The value with every character outside printable ASCII as \\uXXXX, letters too:
    'Skatteverket\\u200b', 'Inst\\u00e4mmer' (what differs is then visible)."""
    out = []
    for char in value:
        code = ord(char)
        if 0x20 <= code < 0x7F and char != "\\":
            out.append(char)
        elif char == "\\":
            out.append("\\\\")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "'" + "".join(out) + "'"


def describe_invisible(value: str) -> str:
    """'U+200B zero-width space at position 13' for each invisible character."""
    found = [
        f"{char_name(m.group())} at position {m.start() + 1}" for m in _INVISIBLE.finditer(value)
    ]
    return ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")


def same_key(value: str) -> str:
    """What a reader sees: NFKC, every space one ordinary space, invisible characters and
    soft hyphens gone. Two values with the same key print the same."""
    value = _INVISIBLE.sub("", _REMOVED.sub("", _SPACES.sub(" ", value)))
    return unicodedata.normalize("NFKC", value)


def _look_alike(a: str, b: str) -> bool:
    """Same length and every difference a letter of another script that looks Latin
    (Cyrillic 'а' for 'a'): such pairs print the same."""
    if len(a) != len(b):
        return False
    diffs = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    scripts = ("CYRILLIC", "GREEK")
    return bool(diffs) and all(
        any(s in unicodedata.name(x, "") or s in unicodedata.name(y, "") for s in scripts)
        and unicodedata.name(x, "").split()[-1] == unicodedata.name(y, "").split()[-1]
        for x, y in diffs
    )


def prints_same(a: str, b: str) -> bool:
    """Different strings a reader cannot tell apart on screen."""
    return a != b and (same_key(a) == same_key(b) or _look_alike(a, b))


def did_you_mean(value: str, suggestion: str) -> str:
    """'did you mean ...?', with both escaped when they print the same."""
    text = f"did you mean {suggestion!r}?"
    if prints_same(value, suggestion):
        text += (
            f" (they print the same but differ in code points: the value is {escape(value)}, "
            f"the suggestion {escape(suggestion)})"
        )
    return text


def invisible_values(values: pd.Series) -> np.ndarray:
    """Rows whose value holds an invisible character (checked on distinct values)."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    flags = np.array([has_invisible(str(u)) for u in uniques] + [False], dtype=bool)
    return flags[codes]


def invisible_problems(data: pd.DataFrame, columns: Iterable[str], problems: Any) -> None:
    """Record every cell of `columns` (ids, codes, labels, categories) holding an invisible
    character, with the value escaped and the characters named."""

    for column in dict.fromkeys(columns):
        if column not in data.columns:
            continue
        values = data[column]
        mask = invisible_values(values)
        if not mask.any():
            continue
        bad = values[mask].astype(str)
        problems.add(
            data.index[mask],
            column,
            bad.to_numpy(dtype=object),  # shown with repr: invisible characters escaped
            "a value holds an invisible character",
            "text without zero-width, direction or control characters",
            bad.map(
                lambda v: f"the value holds {describe_invisible(v)}: delete "
                "the character (retype the value)"
            ).to_numpy(dtype=object),
        )


def check_distinct(
    frame: pd.DataFrame, file: str | Path, columns: Sequence[str] | None = None
) -> None:
    """Stop before writing a published table in which two different values of one column
    print the same (differ only in normalisation or invisible characters)."""
    import pandas as pd

    names = list(frame.columns) if columns is None else columns
    for name in names:
        if name not in frame.columns:
            continue
        column = frame[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column)):
            continue
        seen: dict[str, str] = {}
        for value in pd.unique(column.dropna().astype(str)):
            key = same_key(value)
            other = seen.setdefault(key, value)
            if other != value:
                raise EnkatError(
                    "two categories of a table print the same but are different text",
                    file=str(file),
                    column=str(name),
                    value=f"{escape(other)} and {escape(value)}",
                    expected="each category once, in one spelling",
                    hint="the inputs spell one category in two ways (normalisation or "
                    "invisible characters): correct the raw file, then rerun",
                )


# --- mojibake: UTF-8 bytes read as Windows-1252 ------------------------------------------------


def _cp1252(first: int, last: int) -> str:
    out = []
    for byte in range(first, last + 1):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            continue
    return re.escape("".join(out))


_CONT = "[" + _cp1252(0x80, 0xBF) + "]"
_MOJIBAKE = re.compile(
    "["
    + _cp1252(0xC2, 0xDF)
    + "]"
    + _CONT
    + "|["
    + _cp1252(0xE0, 0xEF)
    + "]"
    + _CONT
    + "{2}"
    + "|["
    + _cp1252(0xF0, 0xF4)
    + "]"
    + _CONT
    + "{3}"
)


_CONT_ONLY = re.compile(_CONT)


def find_mojibake(text: str, start: int = 0) -> tuple[int, str, str] | None:
    """The first place where `text` holds UTF-8 bytes decoded as Windows-1252 ("Ã¤" for
    "ä", "â€“" for "–"): (position, the garbled characters, what they read as in UTF-8).
    Only repairs to a letter, punctuation or symbol count, so Swedish text is not hit.
    Searched from the continuation characters (rare in text) back to a lead character:
    several times faster on a large file than the full pattern."""
    for hit in _CONT_ONLY.finditer(text, start):
        for begin in range(max(start, hit.start() - 3), hit.start()):
            match = _MOJIBAKE.match(text, begin)
            if match is None or match.end() <= hit.start():
                continue
            try:
                repaired = match.group().encode("cp1252").decode("utf-8")
            except UnicodeError:
                continue
            if unicodedata.category(repaired)[0] not in "LPS":
                continue
            if match.group()[0] in _COMMON_LEADS or _repairs(text, match.end()):
                return match.start(), match.group(), repaired
    return None


# Leads of the usual mojibake: "Ã" (å ä ö é ...), "Â" (no-break space, §, °), "â" (– ’ “ ”).
# After any other lead ("Å”" could be Swedish Windows-1252), a second garbled character
# must follow, as in a word of another script (Cyrillic, Arabic) read the wrong way.
_COMMON_LEADS = "ÂÃâ"


def _repairs(text: str, pos: int) -> bool:
    match = _MOJIBAKE.match(text, pos)
    if match is None:
        return False
    try:
        match.group().encode("cp1252").decode("utf-8")
    except UnicodeError:
        return False
    return True


def repair(text: str) -> str:
    """`text` with every mojibake sequence read as UTF-8 (for showing the other reading)."""

    def fix(match: re.Match[str]) -> str:
        try:
            return match.group().encode("cp1252").decode("utf-8")
        except UnicodeError:
            return match.group()

    return _MOJIBAKE.sub(fix, text)


_INTEGRAL = re.compile(r"^(-?\d+)\.0+$")


def normalise_code(value: str) -> str:
    """'1.0' -> '1': a code typed or exported as a float is the integer code."""
    match = _INTEGRAL.match(value)
    return match.group(1) if match else value
