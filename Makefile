# IOC Đắk Lắk — two commands: `make demo` and `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.DEFAULT_GOAL := help
.PHONY: help install demo serve test test-sqlite test-postgres test-browser lint typecheck bench services clean system-deps lock

help: ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# Installs exactly the locked versions (with their hashes: every byte checked), then the IOC
# itself without resolving anything; scripts/check_lock.py stops with "run make lock" when
# pyproject.toml names a version the lock does not have.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PY) scripts/check_lock.py pyproject.toml $(LOCK)
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(PIP) install --quiet --no-deps -e .
	# NGSI-LD test oracle: ngsildclient 0.5.2 pins rich<13 and httpx<0.24, which cannot resolve
	# with rich==15 (see the dev extras); it runs with rich 15, so it is installed without pins.
	$(PIP) install --quiet --no-deps ngsildclient==0.5.2 httpx==0.23.3 httpcore==0.16.3 rfc3986==1.5.0 sniffio==1.3.1 isodate==0.6.1 multipledispatch==0.6.0 scalpl==0.4.2 geojson==2.5.0 aiofiles==0.8.0 networkx==2.8.8
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the IOC with its development tools (from requirements.lock)

# Resolve pyproject.toml (runtime + dev extras) to every transitive version with hashes.
lock: ## Re-generate requirements.lock from pyproject.toml (pip-tools, hashes)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip-tools==7.7.0
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  --output-file $(LOCK) pyproject.toml
	$(PY) scripts/check_lock.py pyproject.toml $(LOCK)

system-deps: ## Debian packages the tests need (chromium, fonts, LibreOffice Writer, poppler); apt-get when root
	@bash scripts/system_deps.sh

demo: $(STAMP) ## Build a demo database (SQLite, a year of air data) and serve it on :8000
	$(VENV)/bin/ioc demo

serve: $(STAMP) ## Serve the database in IOC_DATABASE_URL (default var/ioc.db)
	$(VENV)/bin/ioc serve

lint: $(STAMP) ## ruff, ruff format --check, import boundaries
	$(VENV)/bin/ruff check src tests scripts $(wildcard bench)
	$(VENV)/bin/ruff format --check src tests scripts $(wildcard bench)
	$(VENV)/bin/lint-imports

typecheck: $(STAMP) ## mypy --strict on src/
	$(VENV)/bin/mypy

services: ## Start PostgreSQL if it is down (CI machines)
	@bash scripts/ensure_services.sh

# Timing-sensitive tests (marker "serial", e.g. the derive lag under a 30 s stream) run alone
# after the parallel run: on 2 cores a second test worker would be measured with them.
test-sqlite: $(STAMP) ## Whole suite on SQLite, browser tests included
	$(VENV)/bin/pytest -n 2 --dist loadfile -m "not serial"
	$(VENV)/bin/pytest -m serial

test-postgres: $(STAMP) services ## Whole suite again on PostgreSQL (browser tests run once, on SQLite)
	IOC_TEST_DATABASE=postgres $(VENV)/bin/pytest -n 2 --dist loadfile -m "not browser and not serial"
	IOC_TEST_DATABASE=postgres $(VENV)/bin/pytest -m "serial and not browser"

test: system-deps services lint typecheck test-sqlite test-postgres ## Set up, install, lint, type-check, run every test on SQLite and PostgreSQL

# The bench measures SQLite and, on the machine's PostgreSQL, the same ingestion figures.
BENCH_PG ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
bench: $(STAMP) services ## Benchmarks on SQLite and PostgreSQL (prints figures beside their aims, writes bench/results.json)
	$(PY) bench/run.py --postgres "$(BENCH_PG)"

clean: ## Remove the virtualenv, caches and local databases
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache var
