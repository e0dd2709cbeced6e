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

# The system check runs first (order-only): it installs python3-venv where it can. A venv
# that failed half-way (no ensurepip) is removed, so the next `make` starts it afresh.
$(VENV)/bin/python: | system
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(STAMP): $(VENV)/bin/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

system:
	@PYTHON="$(PYTHON)" bash tools/check_system.sh

lint: setup
	$(BIN)/ruff check src tests workflow benchmarks
	$(BIN)/snakemake --lint

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf processed analysis output .snakemake
