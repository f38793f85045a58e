# `make help` lists the targets. Quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test pytest lint bench clean browser screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

run: $(STAMP) ## Set up, migrate SQLite, create a demo workspace and key, serve on 127.0.0.1:8000
	$(BIN)/intentsync db upgrade
	$(BIN)/intentsync demo
	$(BIN)/intentsync serve

browser: ## Install Debian's chromium for the browser tests when it is missing (needs root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	  else \
	    echo "the browser tests need Chromium: run 'sudo apt-get install chromium'" >&2; exit 1; \
	  fi; }

test: $(STAMP) browser ## Lint, type-check, check import layers, then run the whole suite (browser tests included) on SQLite and PostgreSQL
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

pytest: $(STAMP) ## Only the test suite (pass ARGS="-k name" to select)
	$(BIN)/pytest $(ARGS)

lint: $(STAMP) ## ruff, mypy and the import layers only
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

screenshots: $(STAMP) browser ## Regenerate the console screenshots in docs/console/ from the demo workspace
	$(BIN)/python -m tests.console.screenshots docs/console

bench: $(STAMP) ## Run the benchmark scripts (long)
	$(BIN)/python bench/ingest_accounts.py
	$(BIN)/python bench/export_accounts.py
	$(BIN)/python bench/ingest_activities.py

clean: ## Remove the virtualenv and local databases
	rm -rf $(VENV) intentsync.db intentsync.db-wal intentsync.db-shm intentsync.db-lock
