# Two commands: `make report` builds the audit report, `make test` runs the tests.
# Both create .venv (if missing), install the pinned dependencies and check system libraries.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= all
AXE    := tools/axe/node_modules/axe-core/axe.min.js

.PHONY: report test setup system lint bench clean recover

report: setup
	$(BIN)/snakemake --cores $(CORES)

# After a killed or crashed run (power cut, Ctrl-C twice, kill -9): release the lock the
# dead run left and rerun what it left incomplete. The previous report stays in place
# until the new one is complete.
recover: setup
	$(BIN)/snakemake --unlock
	$(BIN)/snakemake --cores $(CORES) --rerun-incomplete

test: setup
	$(BIN)/python -m pytest

setup: $(STAMP) system $(AXE)

# axe-core (the HTML accessibility checker the tests run in Debian's chromium), from npm's
# lock file; node and npm come from tools/check_system.sh. No browser is downloaded.
$(AXE): tools/axe/package.json tools/axe/package-lock.json | system
	cd tools/axe && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(AXE)

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
