# Quickstart: `make run` serves the chat, `make test` runs the tests (`make test-fast`: the unit tier, under a
# minute). All install what they need.
# `make console` serves the staff console, once `.venv/bin/python -m bot staff add NAME` made an account (README:
# Security).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: install run console build test test-fast lint evaluate clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(PY) -m bot build

run: $(STAMP)
	$(PY) -m bot build --if-needed
	$(PY) app.py

console: $(STAMP)
	$(PY) -m bot build --if-needed
	$(PY) -m bot console

test: $(STAMP)
	$(PY) -m ruff check bot tests app.py scripts benchmarks
	$(PY) -m ruff format --check bot tests app.py scripts benchmarks
	$(PY) -m pytest -q

# The unit tier: fake embedder, no real model or server; the integration and browser tests are left out.
test-fast: $(STAMP)
	$(PY) -m ruff check bot tests app.py scripts benchmarks
	$(PY) -m ruff format --check bot tests app.py scripts benchmarks
	$(PY) -m pytest -q -m "not integration and not browser"

evaluate: $(STAMP)
	$(PY) -m bot build --if-needed --quiet
	$(PY) -m bot evaluate tests/eval/heldout.jsonl

clean:
	rm -rf index .pytest_cache
