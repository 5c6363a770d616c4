# Amanat: the two commands a new machine needs are `make demo` and `make test`.
# Everything else here is what they are built from.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Two cores here: pytest-xdist with two workers.
PYTEST_WORKERS ?= 2

.PHONY: install demo test lint typecheck migrations-check test-sqlite test-postgres \
	test-browser messages serve clean

install: $(VENV)/.installed node_modules/.installed messages

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

messages: $(VENV)/.installed
	$(BIN)/python scripts/compile_messages.py

# The demo's links in officials' e-mails and SMS point at the local server
# (AMANAT_PUBLIC_URL; docs/deployment.md), unless the environment sets another address.
demo: export AMANAT_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
demo: install
	$(BIN)/amanat migrate --noinput
	$(BIN)/amanat load-demo
	$(BIN)/amanat serve --port $(PORT)

serve: install
	$(BIN)/amanat serve --port $(PORT)

# ruff, and the layer contract in pyproject.toml (imports point down: docs/decisions/0003).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy amanat bench scripts

migrations-check: install
	AMANAT_SQLITE_PATH=:memory: $(BIN)/amanat makemigrations --check --dry-run

test-sqlite: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not replica and not restore_drill and not failover" -q

# A throwaway cluster (scripts/with-postgres); without PostgreSQL installed this says so
# plainly and goes on, unless AMANAT_REQUIRE_POSTGRES is set (CI sets it).  Then, each on
# a cluster of its own (docs/deployment.md, docs/decisions/0005): the read routing
# against a streaming replica, through Django's connection pool; the failover drill
# against a primary with a synchronous standby (the served app uses the pool); the
# intake and audit appends through pgbouncer in transaction mode.
POOLED_TESTS := amanat/intake amanat/audit/tests/test_record.py \
	amanat/audit/tests/test_concurrency.py
test-postgres: install
	@status=0; scripts/with-postgres $(BIN)/pytest -n $(PYTEST_WORKERS) \
		-m "not browser and not replica and not restore_drill and not failover" -q || status=$$?; \
	if [ $$status -eq 0 ]; then \
		AMANAT_DB_POOL=4 AMANAT_REQUIRE_REPLICA=1 scripts/with-postgres --replica \
			$(BIN)/pytest -m replica -q -p no:randomly || status=$$?; \
	fi; \
	if [ $$status -eq 0 ]; then \
		AMANAT_REQUIRE_REPLICA=1 scripts/with-postgres --sync-standby $(BIN)/pytest -m failover \
			-q -p no:randomly || status=$$?; \
	fi; \
	if [ $$status -eq 0 ]; then \
		if [ -n "$$AMANAT_REQUIRE_POSTGRES" ] || command -v pgbouncer >/dev/null \
				|| [ -x /usr/sbin/pgbouncer ]; then \
			scripts/with-postgres --pgbouncer $(BIN)/pytest $(POOLED_TESTS) -m "not failover" \
				-q -p no:randomly || status=$$?; \
		else echo "*** pgbouncer is not installed: the tests through it were NOT run. ***"; fi; \
	fi; \
	if [ $$status -eq 0 ]; then \
		$(BIN)/pytest -m restore_drill -q -p no:randomly || status=$$?; \
	fi; \
	if [ $$status -eq 3 ] && [ -z "$$AMANAT_REQUIRE_POSTGRES" ]; then \
		echo "*** PostgreSQL is not installed: the PostgreSQL suite was NOT run. ***"; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

test-browser: install
	$(BIN)/pytest -m browser -q -p no:randomly

test: lint typecheck migrations-check test-sqlite test-postgres test-browser

clean:
	rm -rf $(VENV) node_modules var
