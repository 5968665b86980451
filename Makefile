# budgetguard — every target does its own set-up (a virtual environment in .venv).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB := var/demo.db
DEMO   := BUDGETGUARD_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/budgetguard
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The messages' catalogs (gettext): the .po are written by people, the .mo compiled from them.
LOCALES := src/budgetguard/locale
POT     := $(LOCALES)/budgetguard.pot
PO      := $(wildcard $(LOCALES)/*/LC_MESSAGES/budgetguard.po)
MO      := $(PO:.po=.mo)
READY   := $(STAMP) $(MO)
# axe-core for the browser tests' accessibility checks, from the npm registry when npm is here
# (without it those checks skip, or fail under BUDGETGUARD_REQUIRE_SERVERS=1).
AXE     := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: help install catalogs run test lint typecheck pytest bench bench-api bench-delivery bench-request bench-prune bench-startup bench-policies bench-history bench-console clean

help:
	@echo "make run    set up, show budgetguard at work on the sample data (SQLite), then serve it"
	@echo "make test   set up, then lint, type-check and run every test"
	@echo "make catalogs  extract the messages into the .pot and update every language's .po"
	@echo "make bench  set up, then run the evaluation benchmark (long; see README)"
	@echo "make bench-api  set up, then run the HTTP API benchmark (a few minutes; see README)"
	@echo "make bench-delivery  set up, then run the webhook delivery benchmark (about a minute)"
	@echo "make bench-request  set up, then time a request's evaluation of one budget (seconds)"
	@echo "make bench-policies  set up, then time the evaluation with per-shop policies against one"
	@echo "                    global policy (1M shops, three databases: long); ARGS=\"--sizes 20000\""
	@echo "make bench-history  set up, then time evaluations with and without the spend history"
	@echo "                    (1M shops, three databases: long); ARGS=\"--sizes 20000 --backends sqlite\""
	@echo "make bench-prune  set up, then time db prune of 1M spend events under spend load (minutes)"
	@echo "make bench-console  set up, then time the console's pages over HTTP on 1M shops (PostgreSQL,"
	@echo "                    MariaDB: minutes); ARGS=\"--paths /,/shops/123 --explain\""
	@echo "make bench-startup  set up, then time fresh processes of --version and status (a minute);"
	@echo "                    ARGS=\"--base OTHER_TREE\" times another source tree in the same run"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Each language's compiled catalog, whenever its .po is newer (or the environment is new).
$(LOCALES)/%/LC_MESSAGES/budgetguard.mo: $(LOCALES)/%/LC_MESSAGES/budgetguard.po $(STAMP)
	$(BIN)/pybabel compile -D budgetguard -d $(LOCALES) -l $* --statistics

install: $(READY)

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "npm not found: the accessibility checks will skip"; fi

catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header \
	    --project budgetguard -o $(POT) src
	$(BIN)/pybabel update -D budgetguard -i $(POT) -d $(LOCALES) --no-fuzzy-matching \
	    --ignore-obsolete
	@$(MAKE) --no-print-directory install

run: $(READY)
	@mkdir -p var && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(DEMO) db upgrade
	$(DEMO) db seed-sample
	@echo; echo "== June 2020: the month's last day =="
	$(DEMO) check --at 2020-06-30
	$(DEMO) status --at 2020-06-30
	@echo; echo "== July 2020: a new month, new budgets =="
	$(DEMO) check --at 2020-07-01
	$(DEMO) status --at 2020-07-01
	@echo; echo "== July 2020, the 15th: shop 3 on its own terms; nothing is sent twice; forecasts =="
	$(DEMO) policy set 3 --thresholds 50,60,100 --language de --currency EUR --timezone Europe/Berlin
	$(DEMO) check --at 2020-07-15
	@key=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	password=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	printf '%s\n' "$$password" | $(DEMO) users add demo --role operator >/dev/null || exit 1; \
	echo; echo "== budgetguard serve: the console and the HTTP API on the sample database (Ctrl-C stops it) =="; \
	echo "Console: http://$(HOST):$(PORT)/?month=2020-07   sign in as demo, password $$password (an operator)"; \
	echo "API:     http://$(HOST):$(PORT)/v1   (documentation: http://$(HOST):$(PORT)/docs)"; \
	echo "API key: $$key"; \
	echo "Try:     curl -H 'Authorization: Bearer $$key' http://$(HOST):$(PORT)/v1/shops"; \
	echo "(The sample's months are from 2020: the demo keeps their alerts and spend history,"; \
	echo " BUDGETGUARD_RETAIN_ALERTS_DAYS=0 and _RETAIN_HISTORY_DAYS=0, so that serve's daily prune"; \
	echo " leaves June and July 2020 evaluable and charted; the console opens on July 2020.)"; \
	echo; \
	exec env BUDGETGUARD_API_KEYS="local:$$key" BUDGETGUARD_RETAIN_ALERTS_DAYS=0 \
	    BUDGETGUARD_RETAIN_HISTORY_DAYS=0 \
	    $(DEMO) serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(READY) $(AXE)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(READY)
	$(BIN)/python benchmarks/evaluate.py

bench-api: $(READY)
	$(BIN)/python benchmarks/api.py

bench-delivery: $(READY)
	$(BIN)/python benchmarks/delivery.py

bench-request: $(READY)
	$(BIN)/python benchmarks/request_evaluation.py

bench-prune: $(READY)
	$(BIN)/python benchmarks/prune.py $(ARGS)

bench-policies: $(READY)
	$(BIN)/python benchmarks/policies.py $(ARGS)

bench-history: $(READY)
	$(BIN)/python benchmarks/history.py $(ARGS)

bench-startup: $(READY)
	$(BIN)/python benchmarks/startup.py $(ARGS)

bench-console: $(READY)
	$(BIN)/python benchmarks/console_pages.py $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
