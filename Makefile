# The two quick-start commands: `make demo` and `make test`. Both create .venv and install meterline into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint

$(BIN)/meterline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,compare]'
	touch $@

demo: $(BIN)/meterline
	$(BIN)/meterline demo

lint: $(BIN)/meterline
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest
