# Two entry points on a fresh Debian machine with Python 3.11 and make:
#   make demo   bootstrap .venv, run the example case studies, publish their apps, open a
#               workshop on the real Andalucía case and start `workbench serve` (prints the URLs)
#   make test   bootstrap .venv (and Debian's chromium for the browser tests), run all tests
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: demo test lint format bench clean venv chromium i18n

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
	@if command -v npm >/dev/null; then npm ci --prefix deploy/hub --no-audit --no-fund --silent; \
	  else echo "warning: npm not found: \`workbench hub\` and its tests need configurable-http-proxy (Node >= 20, then npm ci --prefix deploy/hub)"; fi
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
	@echo
	@for slug in $$($(BIN)/workbench case list --json | $(BIN)/python -c 'import json,sys; print(" ".join(c["slug"] for c in json.load(sys.stdin)))'); do \
	  $(BIN)/workbench publish $$slug || exit 1; done
	@if [ "$$($(BIN)/workbench workshop list --state open --json | $(BIN)/python -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ]; then \
	  $(BIN)/workbench workshop create es61-andalucia-jobs --title "Demo workshop: Andalucía, young and long-term unemployed people (real data)" \
	    --expected 6 --mix employment_service=1 --mix employers=2 --mix unions=1 \
	    --mix training_providers=1 --mix ngos=1 --open --links 3; \
	else echo "a workshop is already open: make more links with 'workbench workshop links ID --count N'"; fi
	@echo
	@echo "== Individual pathways for 200 SYNTHETIC jobseekers (the counsellor view lists them) =="
	@test -f "$${WORKBENCH_PSEUDONYM_KEY_FILE:-$$HOME/.config/almp-workbench/pseudonym.key}" \
	  || $(BIN)/workbench pathways key init
	@if [ ! -f pathways/demo-pathways.csv ]; then mkdir -p pathways && \
	  $(BIN)/workbench pathways synthetic --n 200 --region ES61 --output pathways/demo-jobseekers.csv && \
	  $(BIN)/workbench pathways score --input pathways/demo-jobseekers.csv --output pathways/demo-pathways.csv \
	    --outcomes pathways/demo-jobseekers.csv; \
	else echo "pathways/demo-pathways.csv exists: the demo pathways are already stored"; fi
	@echo
	$(BIN)/workbench serve

# Debian's chromium for the browser tests (Playwright drives /usr/bin/chromium; it never downloads one).
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "error: the browser tests need Debian's chromium: sudo apt-get install chromium"; exit 2; fi; }

test: venv chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check workbench tests benchmarks

format: venv
	$(BIN)/ruff format workbench tests benchmarks
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python benchmarks/bench_runs.py
	$(BIN)/python benchmarks/bench_workshop.py --waves
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_feedback.py

clean:
	rm -rf runs var .pytest_cache .ruff_cache

# The gettext catalogs (docs/i18n.md): extract every marked string into the template
# workbench/locale/workbench.pot, then merge it into each language's .po (new strings arrive
# untranslated; tests/test_catalogs.py fails until a translator fills them).
I18N_LANGS = es de fr it el pl
i18n: venv
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 -k pgettext:1c,2 \
	  --add-location=file --sort-by-file --no-wrap --project="ALMP co-design workbench" \
	  --copyright-holder="ALMP co-design workbench contributors" \
	  -o workbench/locale/workbench.pot .
	for lang in $(I18N_LANGS); do \
	  test -f workbench/locale/$$lang/LC_MESSAGES/workbench.po || \
	    $(BIN)/pybabel init -D workbench -i workbench/locale/workbench.pot -d workbench/locale -l $$lang --no-wrap; \
	done
	$(BIN)/pybabel update -D workbench -i workbench/locale/workbench.pot -d workbench/locale \
	  --no-wrap --no-fuzzy-matching --ignore-obsolete

# The Workbench sidebar of JupyterLab: rebuild its committed assets from labextension/
# (needs Node >= 20 and npm; `make test` and CI use the committed build), then reinstall
# so the venv's share/jupyter/labextensions has the new build.
.PHONY: labextension
labextension: venv
	npm ci --prefix labextension --no-audit --no-fund
	PATH="$(CURDIR)/$(BIN):$$PATH" npm run --prefix labextension clean
	PATH="$(CURDIR)/$(BIN):$$PATH" npm run --prefix labextension build
	$(BIN)/python -m pip install --quiet --no-deps -e .
