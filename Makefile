# Two commands for a new user: `make demo` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/soc demo

test: install lint
	$(BIN)/pytest -q -ra

lint: install
	$(BIN)/ruff check soc collectors ui tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
