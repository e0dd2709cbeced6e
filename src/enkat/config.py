"""Loading and validating config, the table catalogue and codebooks against their schemas.

A schema violation becomes one `EnkatError` that names the key path (`weighting.handlers.
method`), the bad value and what is allowed (the enum, the allowed keys, the bound), so that
a statistician who mistypes a key reads what to change without a JSON-schema traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from enkat.errors import EnkatError
from enkat.text import check_tree

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# libyaml's parser when PyYAML has it: the same documents, several times faster to read
# (the Snakefile and every step read YAML; jsonschema is imported only to validate).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A config, catalogue or codebook needs no more than a handful of YAML aliases; a file with
# more is refused before it is expanded (a "billion laughs" alias bomb reaches gigabytes).
MAX_ALIASES = 50
MAX_YAML_BYTES = 16 * 1024 * 1024


class _UniqueKeyLoader(_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader refusing a key given twice in one mapping (the last would win)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in getattr(node, "value", []):
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:  # an unhashable key: the base constructor reports it
                continue
            if first != key_node.start_mark.line + 1:
                raise _DuplicateKey(key, first, key_node.start_mark.line + 1)
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: int, again: int) -> None:
        super().__init__(key)
        self.key, self.first, self.again = key, first, again


def _count_aliases(text: str, path: Path) -> None:
    """Refuse more than MAX_ALIASES aliases, counted on the parser's events (nothing built)."""
    count = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            count += 1
            if count > MAX_ALIASES:
                mark = event.start_mark
                raise EnkatError(
                    "the YAML file uses more aliases (*name) than allowed",
                    file=str(path),
                    row=mark.line + 1 if mark else None,
                    value=f"more than {MAX_ALIASES} aliases",
                    expected=f"at most {MAX_ALIASES} aliases (an alias bomb can exhaust memory)",
                    hint="write the values out instead of repeating anchors",
                )


SCHEMA_DIR = Path("config/schemas")
_PACKAGE_SCHEMAS = Path(__file__).resolve().parents[2] / "config" / "schemas"
MAX_LISTED = 3


def schema_path(name: str) -> Path:
    """`config/schemas/<name>.schema.yaml` of the project being run (else of the checkout)."""
    local = SCHEMA_DIR / f"{name}.schema.yaml"
    return local if local.is_file() else _PACKAGE_SCHEMAS / f"{name}.schema.yaml"


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a syntax error names the line and column."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            raise EnkatError(
                "the YAML file is too large for a config, catalogue or codebook",
                file=str(path),
                value=f"{path.stat().st_size / 1024 / 1024:.1f} MB",
                expected=f"at most {MAX_YAML_BYTES // 1024 // 1024} MB",
                hint="check that the path names the right file",
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EnkatError(
            "the file does not exist", file=str(path), hint="check the path in config/config.yaml"
        ) from None
    except IsADirectoryError:
        raise EnkatError(
            "the path names a folder, not a YAML file",
            file=str(path),
            expected="a YAML file",
            hint="check the path in config/config.yaml",
        ) from None
    except OSError as err:
        raise EnkatError(
            "the YAML file cannot be read",
            file=str(path),
            value=err.strerror or str(err),
            hint="check the path and its permissions",
        ) from None
    except UnicodeDecodeError as err:
        raise EnkatError(
            "the YAML file is not UTF-8",
            file=str(path),
            value=err.reason,
            hint="save the file as UTF-8",
        ) from None
    try:
        _count_aliases(text, path)
        # safe: CSafeLoader or SafeLoader; text normalised like every input (enkat.text)
        return check_tree(yaml.load(text, Loader=_UniqueKeyLoader), path)
    except _DuplicateKey as dup:
        raise EnkatError(
            "a key appears twice in the same mapping (the second would silently win)",
            file=str(path),
            row=dup.again,
            column=str(dup.key),
            value=dup.key,
            expected=f"each key once (first given on line {dup.first})",
            hint="delete one of the two entries",
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise EnkatError(
            "the YAML file cannot be parsed",
            file=str(path),
            row=mark.line + 1 if mark else None,
            value=str(getattr(err, "problem", err)),
            expected=f"valid YAML (column {mark.column + 1})" if mark else "valid YAML",
            hint=_yaml_hint(text, mark),
        ) from None


def _yaml_hint(text: str, mark: Any) -> str:
    """Name a tab in the indentation: YAML indents with spaces only, and a tab shows as
    spaces in most editors."""
    lines = text.splitlines()
    if mark is not None and mark.line < len(lines):
        line = lines[mark.line]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            return f"line {mark.line + 1} is indented with a tab: indent with spaces only"
    return "check indentation and quoting on that line"


def key_path(parts: Any) -> str:
    """`sources.handlers.columns` from a jsonschema path (list indices as [i])."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(error: ValidationError) -> EnkatError:
    """One readable error from a jsonschema error: key path, value, what is allowed."""
    where = key_path(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted((schema.get("properties") or {}).keys())
        extra = (
            sorted(set(error.instance) - set(allowed))
            if isinstance(error.instance, Mapping)
            else []
        )
        bad = extra[0] if extra else "?"
        close = difflib.get_close_matches(bad, allowed, n=1)
        return EnkatError(
            "an unknown key",
            key=f"{where}.{bad}" if where != "(top level)" else bad,
            value=bad,
            expected="one of the keys " + ", ".join(allowed),
            hint=f"did you mean {close[0]!r}?" if close else "remove or rename the key",
        )
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else "?"
        return EnkatError(
            "a required key is missing",
            key=f"{where}.{missing}" if where != "(top level)" else missing,
            expected=f"the key {missing!r}",
            hint="add it (see docs/inputs.md)",
        )
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value)
        close = difflib.get_close_matches(
            str(error.instance), [str(v) for v in error.validator_value], n=1
        )
        return EnkatError(
            "a value is not allowed",
            key=where,
            value=error.instance,
            expected="one of " + allowed,
            hint=f"did you mean {close[0]!r}?" if close else "use an allowed value",
        )
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }
        return EnkatError(
            "a value is out of range",
            key=where,
            value=error.instance,
            expected=f"a number {words[kind]} {error.validator_value}",
            hint="correct the value",
        )
    if kind == "type":
        return EnkatError(
            "a value has the wrong type",
            key=where,
            value=error.instance,
            expected=f"a value of type {error.validator_value}",
            hint="correct the value (quote text, no quotes around numbers)",
        )
    if kind in ("minLength", "minItems", "minProperties"):
        return EnkatError(
            "a value is empty",
            key=where,
            value=error.instance,
            expected="a non-empty value",
            hint="fill in the value or remove the key",
        )
    if kind == "uniqueItems":
        return EnkatError(
            "a list holds the same value twice",
            key=where,
            value=error.instance,
            expected="each value once",
            hint="remove the repeated value",
        )
    if kind == "pattern":
        return EnkatError(
            "a value has the wrong form",
            key=where,
            value=error.instance,
            # \A...\Z (not ^...$): Python's $ also matches before a final newline
            expected=f"text of the form {_readable_pattern(error.validator_value)}",
            hint="correct the value (ids: letters, digits and _; dates: YYYY-MM-DD)",
        )
    if kind in ("oneOf", "anyOf"):
        return EnkatError(
            "a value has the wrong form",
            key=where,
            value=error.instance,
            expected="null or a mapping as documented in docs/inputs.md",
            hint="correct the value",
        )
    return EnkatError(
        "a value is not valid",
        key=where,
        value=error.instance,
        expected=error.message,
        hint="correct the value",
    )


def _readable_pattern(pattern: Any) -> str:
    """A schema's full-match pattern as a user reads it: ^...$ rather than \\A...\\Z."""
    text = str(pattern)
    if text.startswith("\\A"):
        text = "^" + text[2:]
    if text.endswith("\\Z"):
        text = text[:-2] + "$ (nothing after it, not even a line break)"
    return text


def validate(document: Any, schema_name: str, file: str | Path) -> None:
    """Check a document against a schema; the first problem (by key path) is raised."""
    from jsonschema import Draft202012Validator

    schema = load_yaml(schema_path(schema_name))
    errors = sorted(
        Draft202012Validator(schema).iter_errors(document),
        key=lambda e: (len(e.absolute_path), key_path(e.absolute_path)),
    )
    if not errors:
        return
    first = describe(_deepest(errors[0]))
    first.file = str(file)
    if len(errors) > 1:
        others = [f"{key_path(e.absolute_path)}: {e.message[:100]}" for e in errors[1:]]
        first.extra = (
            [f"{len(others)} more problem(s) in this file:"]
            + ["- " + o for o in others[:MAX_LISTED]]
            + (["- ..."] if len(others) > MAX_LISTED else [])
        )
    raise first


def _deepest(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf, the most specific sub-error when one branch clearly applies."""
    if error.context:
        best = max(error.context, key=lambda e: len(e.absolute_path))
        if len(best.absolute_path) > len(error.absolute_path):
            return best
    return error


def check_config(config: Mapping[str, Any], file: str | Path = "config/config.yaml") -> None:
    """Schema plus the cross-key checks the schema cannot express."""
    validate(dict(config), "config", file)
    sources = config["sources"]
    for survey in ("handlers", "customers"):
        if survey in sources and "codebook" not in sources[survey]:
            raise EnkatError(
                "a survey source needs a codebook",
                file=str(file),
                key=f"sources.{survey}.codebook",
                expected="a codebook path",
                hint=f"add codebook: config/codebooks/{survey}.yaml",
            )
    for survey in config.get("weighting") or {}:
        if survey not in sources:
            raise EnkatError(
                "weighting names a survey that has no source",
                file=str(file),
                key=f"weighting.{survey}",
                value=survey,
                expected="one of "
                + ", ".join(s for s in sources if s in ("handlers", "customers")),
                hint=f"add sources.{survey} or remove weighting.{survey}",
            )
    costs = config["register"].get("standard_costs") or {}
    types = config["register"]["office_types"]
    for code in costs:
        if code not in types:
            raise EnkatError(
                "a standard cost names an unknown office type",
                file=str(file),
                key=f"register.standard_costs.{code}",
                value=code,
                expected="one of " + ", ".join(types),
                hint="use the codes of register.office_types",
            )


def load_config(path: str | Path = "config/config.yaml") -> dict[str, Any]:
    """Read and check config/config.yaml."""
    config = load_yaml(path)
    if not isinstance(config, dict):
        raise EnkatError(
            "the config file is empty or not a mapping",
            file=str(path),
            expected="keys project, paths, register, sources, ...",
        )
    check_config(config, path)
    return config


def load_tables(path: str | Path = "config/tables.yaml") -> dict[str, Any]:
    """Read and check the table catalogue: schema, unique ids, known chapters."""
    tables = load_yaml(path)
    validate(tables, "tables", path)
    seen: set[str] = set()
    chapters = {c["id"] for c in tables["chapters"]}
    for pos, table in enumerate(tables["tables"]):
        if table["id"] in seen:
            raise EnkatError(
                "a table id appears twice",
                file=str(path),
                key=f"tables[{pos}].id",
                value=table["id"],
                expected="unique table ids",
                hint="rename one of the tables",
            )
        seen.add(table["id"])
        if "chapter" in table and table["chapter"] not in chapters:
            raise EnkatError(
                "a table names an unknown chapter",
                file=str(path),
                key=f"tables[{pos}].chapter",
                value=table["chapter"],
                expected="one of " + ", ".join(sorted(chapters)),
                hint="add the chapter under chapters: or correct the id",
            )
    return tables


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_paths(config: Mapping[str, Any], file: str | Path = "config/config.yaml") -> None:
    """Every input file the config names exists and is a file, before any job is planned.

    Without this a mistyped or moved raw file would leave the ingest job with nothing to
    compare, and Snakemake would report the old processed data as up to date.
    """
    named: list[tuple[str, Any, str]] = []
    for source, spec in (config.get("sources") or {}).items():
        named.append((f"sources.{source}.path", spec.get("path"), "file"))
        if "codebook" in spec:
            named.append((f"sources.{source}.codebook", spec["codebook"], "file"))
    named.append(("paths.tables", (config.get("paths") or {}).get("tables"), "file"))
    templates = (config.get("report") or {}).get("templates", "report_templates")
    named.append(("report.templates", templates, "folder"))
    narrative = (config.get("report") or {}).get("narrative")
    named.append(("report.narrative", narrative, "folder"))  # None (the default): not checked
    for key, value, kind in named:
        if value is None:
            continue
        text = str(value)
        if _CONTROL.search(text):
            raise EnkatError(
                "a path holds a line break or another control character",
                file=str(file),
                key=key,
                value=text,
                expected="a path on one line without tabs or control characters",
                hint="remove the stray character (often a newline pasted with the path)",
            )
        path = Path(text)
        ok = path.is_dir() if kind == "folder" else path.is_file()
        if not ok:
            what = "folder" if kind == "folder" else "file"
            if path.is_dir():
                problem = f"the path names a folder, not a {what}"
            elif path.exists():
                problem = f"the path is not a regular {what}"
            else:
                problem = f"the input {what} does not exist"
            raise EnkatError(
                problem,
                file=str(file),
                key=key,
                value=text,
                expected=f"an existing {what}, relative to the project folder",
                hint="correct the path (a typo, or the file was moved or renamed?)",
            )
