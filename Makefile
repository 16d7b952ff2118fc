# Two entry points for a fresh clone with only python3 and make:
#   make run   - the main job: `wire serve`, every family built so far on loopback
#   make test  - lint, type-check and the test suite with coverage
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wire serve

lint: $(STAMP)
	$(BIN)/ruff check src tests fuzz benchmarks docs
	$(BIN)/ruff format --check src tests fuzz benchmarks docs

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP)
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m pip install --quiet --no-deps 'amqtt>=0.12'
	$(BIN)/python -m benchmarks

fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[fuzz]'
	$(BIN)/wire fuzz mqtt --seconds 60
	$(BIN)/wire fuzz http --seconds 60 --workdir fuzz/runs/http

clean:
	rm -rf $(VENV) .coverage .mypy_cache .ruff_cache .pytest_cache .hypothesis
