# Two commands matter: `make demo` and `make test`. Both work on a machine with only Python, git and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
PYTEST_ARGS ?=
# Two workers: most tests wait on processes they started, so two share a 2-core machine well. The Slurm tests
# stay together on one worker (tests/conftest.py). PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
PYTEST_RUN = $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

.PHONY: demo test test-local cluster cluster-down bench faults lint readme clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test,hydra]'
	touch $@

demo: $(VENV)/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/demo

cluster:
	SLURM_CLUSTER_MAX_ARRAY_SIZE=$(SLURM_CLUSTER_MAX_ARRAY_SIZE) scripts/slurm-cluster up

cluster-down:
	scripts/slurm-cluster down

# The whole suite, Slurm included. pytest's exit code 5 (no tests collected) is a failure here.
# The cluster's MaxArraySize is shrunk so sweeps larger than one array are tested with 25 jobs.
test: SLURM_CLUSTER_MAX_ARRAY_SIZE ?= 11
test: $(VENV)/.installed-test cluster lint
	SNAPTUI_REQUIRE_SLURM=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST_RUN) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Everything but the tests that need the Slurm cluster (no root needed).
test-local: $(VENV)/.installed-test lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST_RUN) -m "not slurm" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-local: pytest collected no tests" >&2; exit 1; fi; exit $$rc

# The fault suite alone, ending with its table: fault, what happened, data lost, orphans left.
faults: $(VENV)/.installed-test cluster
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest tests/faults -p no:randomly $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run_all.py

# ruff (rules in pyproject.toml), mypy (strict on snaptui/engine) and the import contracts; make test and
# make test-local run it first.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check snaptui hydra_plugins tests bench scripts/readme-tables scripts/face-imports
	$(BIN)/mypy
	$(BIN)/lint-imports

# The README's generated tables (settings), rewritten from their declarations; tests/test_readme.py checks them.
readme: $(VENV)/.installed
	$(BIN)/python scripts/readme-tables

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
