"""The conda environment, the pip lock and pyproject.toml must pin the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)")


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    return _pins(lines)


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    lines = [d for d in env["dependencies"] if isinstance(d, str)]
    lines += [d for d in env["dependencies"] if isinstance(d, dict) for d in d.get("pip", [])]
    return _pins(lines)


def test_every_pyproject_dependency_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    unpinned = [d for d in project["dependencies"] if "==" not in d]
    assert not unpinned, f"unpinned dependencies in pyproject.toml: {unpinned}"


def test_environment_yml_matches_pyproject() -> None:
    assert conda_pins() == pyproject_pins()


def test_lock_agrees_with_pyproject() -> None:
    lock = _pins((ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines())
    disagree = {
        name: (version, lock.get(name))
        for name, version in pyproject_pins().items()
        if lock.get(name) != version
    }
    assert not disagree, f"requirements.lock disagrees with pyproject.toml: {disagree}"
