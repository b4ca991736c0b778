# Quickstart: `make run` serves the chat, `make test` runs the tests. Both install what they need.
# `BOT_STAFF_PASSWORD=... make console` serves the staff console (README: Staff console).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1

.PHONY: install run console build test lint evaluate clean

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
	$(PY) -m ruff check bot tests app.py scripts
	$(PY) -m pytest -q

evaluate: $(STAMP)
	$(PY) -m bot build --if-needed --quiet
	$(PY) -m bot evaluate tests/eval/heldout.jsonl

clean:
	rm -rf index .pytest_cache
