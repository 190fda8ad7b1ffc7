# Storeboard: the two commands of the quick start, and the few a developer needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## install: a virtual environment in .venv with Storeboard and its test tools
install: $(STAMP)

## demo: generate a store, load and model it, serve the dashboards on http://127.0.0.1:8000
demo: install
	$(BIN)/storeboard demo

## system-deps: Debian's chromium (browser tests) and PostgreSQL (Postgres tests), if missing
system-deps:
	bash scripts/system-deps

## test: everything the tests need, then the whole suite on TEST_WORKERS pytest-xdist workers
## (each file, and each shared warehouse build, stays on one worker: see tests/conftest.py), and
## last, alone, the few tests marked serial that time a server or a kill under load
TEST_WORKERS ?= 3
test: install system-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m "not serial"
	$(BIN)/python -m pytest -m serial

## bench: backfill, incremental refresh, pages and connectors at the demo scale on DuckDB and
## PostgreSQL; writes the tables in docs/performance.md (e.g. BENCH_SCALES="demo 250k 1M")
BENCH_SCALES ?= demo
BENCH_WAREHOUSE ?= both
bench: install
	$(BIN)/storeboard bench $(foreach s,$(BENCH_SCALES),--scale $(s)) --warehouse $(BENCH_WAREHOUSE) --out docs/performance.md

clean:
	rm -rf $(VENV) .venv-airflow .storeboard storeboard.duckdb storeboard.duckdb.wal test-artifacts .pytest_cache
