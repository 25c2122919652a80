# The two quick-start commands: `make demo` and `make test`. Both create .venv and install meterline into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# The FOCUS export is checked with the FinOps Foundation's focus-validator, which needs Python >= 3.12 (and pins a
# numpy with no 3.13 wheels, so 3.12): it gets a venv of its own, from the first Python 3.12 found (pyenv's builds,
# then PATH, where a pyenv shim may stand in for one it cannot run). Without one, that test skips and says why.
PYTHON_FOCUS ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) $(shell command -v python3.12))

.PHONY: demo test lint focus-validator bi-clients

$(BIN)/meterline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,compare]'
	touch $@

demo: $(BIN)/meterline
	$(BIN)/meterline demo

lint: $(BIN)/meterline
	$(BIN)/ruff check .

# One worker per core (at most 4: each runs DuckDB and Dagster), a test file's tests on one worker so that a
# module's pipeline run is shared by its tests.
test: lint bi-clients
	$(BIN)/pytest -n auto --maxprocesses=4 --dist loadfile

focus-validator: .venv-focus/bin/focus-validator

.venv-focus/bin/focus-validator: tests/focus-validator-requirements.txt
	@test -n "$(PYTHON_FOCUS)" || { echo "focus-validator needs Python >= 3.12; none found (set PYTHON_FOCUS)"; exit 1; }
	$(PYTHON_FOCUS) -m venv .venv-focus
	.venv-focus/bin/pip install --quiet -r tests/focus-validator-requirements.txt
	touch $@

# The published copy is opened by the BI clients people have, which are DuckDB 1.x: a venv of their own.
bi-clients: .venv-bi/bin/duckdb

.venv-bi/bin/duckdb: tests/bi-clients-requirements.txt
	$(PYTHON) -m venv .venv-bi
	.venv-bi/bin/pip install --quiet -r tests/bi-clients-requirements.txt
	touch $@
