# Two commands for a new user: `make demo` and `make test`. Everything lives in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint sigma-check clean

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

lint: install sigma-check
	$(BIN)/ruff check soc collectors ui tests bench
	$(BIN)/lint-imports

# sigma-cli pins pySigma below 2 while the platform needs 2.x: it gets a venv of its own.
# The two validators left out download MITRE data at run time (the platform is air-gapped).
SIGMA_VENV := .venv-sigma
sigma-check:
	test -x $(SIGMA_VENV)/bin/sigma || ($(PYTHON) -m venv $(SIGMA_VENV) && \
		$(SIGMA_VENV)/bin/pip install --quiet 'sigma-cli>=3.1')
	$(SIGMA_VENV)/bin/sigma check --fail-on-error -x attacktag -x d3_fendtag rules/soc rules/sigmahq

clean:
	rm -rf $(VENV) $(SIGMA_VENV) var .pytest_cache
