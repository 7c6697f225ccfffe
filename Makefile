# rbi — one target per README command. Everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help setup run demo test lint image clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install rbi with its dev tools

run: setup  ## run the lab once on the defaults: an idea -> strategy -> sandboxed results -> review
	$(BIN)/python -m agents.rbi ideas add "RSI oversold bounce on GOOG"
	$(BIN)/python -m agents.rbi run --once
	$(BIN)/python -m agents.rbi history

test: setup  ## run the whole test suite (Docker tests need the engine: see .ci/install-docker.sh)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile

lint: setup  ## ruff + mypy (strict on the data layer, agents/store)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy --strict --follow-imports=silent agents/store

image:  ## build the sandbox image rbi-sandbox:latest (offline-capable)
	bash docker/build.sh

clean:  ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
