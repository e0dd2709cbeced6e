"""Config validation: one readable error naming the key, the value and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from enkat.config import check_config, load_config, load_tables
from enkat.errors import EnkatError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def config() -> dict:
    return load_config(ROOT / "config" / "config.yaml")


def test_project_config_and_tables_are_valid(config: dict) -> None:
    assert "sources" in config
    assert load_tables(ROOT / "config" / "tables.yaml")["tables"]


def broken(config: dict, path: list, value: object) -> EnkatError:
    cfg = copy.deepcopy(config)
    target = cfg
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(EnkatError) as info:
        check_config(cfg)
    return info.value


def test_misspelt_key_lists_the_allowed_keys(config: dict) -> None:
    cfg = copy.deepcopy(config)
    cfg["sources"]["handlers"]["on_invaild"] = cfg["sources"]["handlers"].pop("on_invalid")
    with pytest.raises(EnkatError) as info:
        check_config(cfg)
    err = info.value
    assert err.key == "sources.handlers.on_invaild" and "on_invalid" in err.expected
    assert err.hint == "did you mean 'on_invalid'?"
    assert "key sources.handlers.on_invaild" in str(err)


def test_enum_value_names_the_allowed_values(config: dict) -> None:
    err = broken(config, ["weighting", "handlers", "method"], "rak")
    assert err.key == "weighting.handlers.method" and err.value == "rak"
    assert "'rake'" in err.expected and "did you mean 'rake'" in err.hint


def test_value_out_of_range(config: dict) -> None:
    err = broken(config, ["estimation", "confidence_level"], 1.5)
    assert err.key == "estimation.confidence_level" and "less than 1" in err.expected


def test_trim_bound_inside_one_of(config: dict) -> None:
    err = broken(config, ["weighting", "handlers", "trim"], {"lower": 2, "upper": 3})
    assert err.key == "weighting.handlers.trim.lower"


def test_on_invalid_enum(config: dict) -> None:
    err = broken(config, ["sources", "frame", "on_invalid"], "skip")
    assert "'reject'" in err.expected


def test_survey_without_codebook(config: dict) -> None:
    cfg = copy.deepcopy(config)
    del cfg["sources"]["handlers"]["codebook"]
    with pytest.raises(EnkatError, match="needs a codebook"):
        check_config(cfg)


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("project:\n  title: 'x\n", encoding="utf-8")
    with pytest.raises(EnkatError) as info:
        load_config(path)
    assert info.value.row is not None


def test_misspelt_column_key_names_the_standard_columns(config: dict) -> None:
    cfg = copy.deepcopy(config)
    columns = cfg["sources"]["customers"]["columns"]
    columns["wav"] = columns.pop("wave")
    with pytest.raises(EnkatError) as info:
        check_config(cfg)
    err = info.value
    assert err.key == "sources.customers.columns.wav" and err.hint == "did you mean 'wave'?"
    assert "agency, language, mode, office_id, respondent_id, wave" in err.expected


def test_required_column_key_missing(config: dict) -> None:
    cfg = copy.deepcopy(config)
    del cfg["sources"]["frame"]["columns"]["office_id"]
    with pytest.raises(EnkatError, match="required key is missing") as info:
        check_config(cfg)
    assert info.value.key == "sources.frame.columns.office_id"


def test_encoding_outside_the_accepted_three(config: dict) -> None:
    err = broken(config, ["sources", "handlers", "encoding"], "latin-1")
    assert err.key == "sources.handlers.encoding" and "'cp1252'" in err.expected


def test_empty_column_name(config: dict) -> None:
    err = broken(config, ["sources", "errands", "columns", "solution"], "")
    assert err.message == "a value is empty" and err.key == "sources.errands.columns.solution"
