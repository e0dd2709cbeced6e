"""Loading and validating config, the table catalogue and codebooks against their schemas.

A schema violation becomes one `EnkatError` that names the key path (`weighting.handlers.
method`), the bad value and what is allowed (the enum, the allowed keys, the bound), so that
a statistician who mistypes a key reads what to change without a JSON-schema traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from enkat.errors import EnkatError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# libyaml's parser when PyYAML has it: the same documents, several times faster to read
# (the Snakefile and every step read YAML; jsonschema is imported only to validate).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EnkatError(
            "the file does not exist", file=str(path), hint="check the path in config/config.yaml"
        ) from None
    except UnicodeDecodeError as err:
        raise EnkatError(
            "the YAML file is not UTF-8",
            file=str(path),
            value=err.reason,
            hint="save the file as UTF-8",
        ) from None
    try:
        return yaml.load(text, Loader=_LOADER)  # a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise EnkatError(
            "the YAML file cannot be parsed",
            file=str(path),
            row=mark.line + 1 if mark else None,
            value=str(getattr(err, "problem", err)),
            expected=f"valid YAML (column {mark.column + 1})" if mark else "valid YAML",
            hint="check indentation and quoting on that line",
        ) from None


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
            expected=f"text of the form {error.validator_value}",
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
