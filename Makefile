# Two commands: `make report` builds the audit report, `make test` runs the tests.
# Both create .venv (if missing), install the pinned dependencies and check system libraries.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= all

.PHONY: report test setup system lint bench clean

report: setup
	$(BIN)/snakemake --cores $(CORES)

test: setup
	$(BIN)/python -m pytest

setup: $(STAMP) system

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VENV)/bin/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

system:
	@bash tools/check_system.sh

lint: setup
	$(BIN)/ruff check src tests workflow benchmarks
	$(BIN)/snakemake --lint

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf processed analysis output .snakemake
