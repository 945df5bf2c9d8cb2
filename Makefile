# dsr-workbench — `make help` lists every entry point.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2
PIP_QUIET := --quiet --disable-pip-version-check

# The venv is (re)installed only when pyproject.toml changes: re-running a target is quick.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dsr-workbench needs Python >= 3.11 (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing dsr-workbench and its dependencies into $(VENV) (first run only)..."
	@$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v 'is ignored' || true
	@set -o pipefail; $(BIN)/python -m pip install $(PIP_QUIET) -e '.[test,dev]' 2>&1 | { grep -v -e 'is ignored' -e 'BuildBackendWarning' || true; }
	@touch $(STAMP)

.PHONY: help install reports test test-fast lint format lab bench bench-build-full reliability clean-reports

## Show this help (the default goal)
help:
	@echo "dsr-workbench — make targets:"
	@awk '/^## /{doc=substr($$0,4); next} /^[a-zA-Z_-]+:/{if(doc){split($$1,t,":"); printf "  \033[1m%-14s\033[0m %s\n", t[1], doc}; doc=""} !/^## /{if(!/^[a-zA-Z_-]+:/)doc=""}' $(MAKEFILE_LIST)

## Create .venv and install the package with test and dev extras (only when needed)
install: $(STAMP)

## Build every cycle's reports and the study report of the example study into reports/
reports: $(STAMP)
	@$(BIN)/dsr build --jobs $(JOBS)
	@echo "Open reports/index.html (the study report: reports/study-report.html, as PDF: reports/study-report.pdf)"

## Run the whole test suite (unit tests, docstring examples, notebooks with nbval)
test: $(STAMP)
	@$(BIN)/python -m pytest

## Run the tests without notebooks and browser tests (quick feedback while coding)
test-fast: $(STAMP)
	@$(BIN)/python -m pytest -m "not slow and not browser" --ignore=notebooks

## Lint (ruff check + format check), type-check src/ (mypy) and check the layers (import-linter)
lint: $(STAMP)
	@$(BIN)/ruff check src tests benchmarks
	@$(BIN)/ruff format --check src tests benchmarks
	@$(BIN)/mypy src
	@cd src && ../$(BIN)/lint-imports --config ../pyproject.toml --no-cache

## Format the code with ruff
format: $(STAMP)
	@$(BIN)/ruff format src tests benchmarks
	@$(BIN)/ruff check --fix src tests benchmarks

## Run the fault-and-abuse suite (tests/faults) and write docs/reliability.md from its results
reliability: $(STAMP)
	@$(BIN)/python -m pytest tests/faults -q --reliability-report docs/reliability.md
	@echo "Wrote docs/reliability.md"

## Start JupyterLab on the example study
lab: $(STAMP)
	@$(BIN)/jupyter lab --notebook-dir=.

## Run every benchmark and write docs/benchmarks.md
bench: $(STAMP)
	@$(BIN)/python -m benchmarks.run

## Benchmark the build on the whole example study (5 runs each way; ~20 min) into docs/benchmarks.md
bench-build-full: $(STAMP)
	@$(BIN)/python -m benchmarks.run --only build --full-build

.PHONY: docs-images
## Take the README's screenshot of the coding view (needs chromium) into docs/img/coding-view.png
docs-images: $(STAMP)
	@$(BIN)/python -m benchmarks.docs_images

## Delete generated reports (every version; they are rebuilt from inputs + code)
clean-reports:
	rm -rf reports/cycle-* reports/index.html reports/study-report.html reports/study-report.pdf reports/decks reports/.build
