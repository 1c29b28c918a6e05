# Two entry points on a fresh Debian machine with Python 3.11 and make:
#   make demo   bootstrap .venv, set up the workspace database, run the demo case studies
#   make test   bootstrap .venv and run the whole test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: demo test lint format bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"' \
	  || { echo "error: $(PYTHON) is older than 3.11; set PYTHON=/path/to/python3.11"; exit 2; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing python3-venv (Debian ships venv separately)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	  else echo "error: Python's venv module is missing: sudo apt-get install python3-venv"; exit 2; fi; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workbench)" >/dev/null
	touch $(STAMP)

demo: venv
	$(BIN)/workbench db upgrade
	$(BIN)/workbench case validate
	$(BIN)/workbench run --all --workers $(WORKERS)
	@echo
	@echo "== Runs recorded in the workspace database =="
	@$(BIN)/workbench runs list --limit 20
	@echo
	@echo "== Reports (open in a browser; they work offline) =="
	@find runs -name 'report.html' -not -path '*/.*' | sort | sed 's|^|  $(CURDIR)/|'

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check workbench tests benchmarks

format: venv
	$(BIN)/ruff format workbench tests benchmarks
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python benchmarks/bench_runs.py

clean:
	rm -rf runs var .pytest_cache .ruff_cache
