# The two commands a user needs: `make run` and `make test`. Both set up
# everything they need from a fresh clone on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[service,test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/eid demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check eid service tests bench

typecheck: $(STAMP)
	$(BIN)/mypy eid

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.verify

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
