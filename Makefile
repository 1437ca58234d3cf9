# Every target creates the virtualenv it needs; nothing is assumed installed but python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config.yaml

.PHONY: run test lint check daemon status bench bench-quick soak clean

$(BIN)/newsdesk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m compileall -q src  # as pip does for an installed package: start-up reads bytecode
	touch $@

$(VENV)/.dev: $(BIN)/newsdesk
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/newsdesk
	$(BIN)/newsdesk run --config $(CONFIG)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

daemon: $(BIN)/newsdesk
	$(BIN)/newsdesk daemon --config $(CONFIG)

status: $(BIN)/newsdesk
	$(BIN)/newsdesk status --config $(CONFIG)

# The long fault runs: 100 sources (a third hostile) for 10 minutes, and 60 kill -9 of `run`.
soak: $(VENV)/.dev
	NEWSDESK_SOAK_SOURCES=100 NEWSDESK_SOAK_SECONDS=600 NEWSDESK_KILLS=60 \
		$(BIN)/python -m pytest -q -s tests/test_soak.py tests/test_faults.py

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

bench-quick: $(VENV)/.dev
	$(BIN)/python bench/run.py --quick

check: $(BIN)/newsdesk
	$(BIN)/newsdesk check --config $(CONFIG)

# Every file the targets above generate: the virtualenv, the store, the published files (feeds/README.md
# stays), caches of the tools and of the benchmarks.
clean:
	rm -rf $(VENV) state bench/.cache .pytest_cache .mypy_cache .ruff_cache src/*.egg-info
	[ ! -d feeds ] || find feeds -mindepth 1 ! -name README.md -exec rm -rf {} +
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
