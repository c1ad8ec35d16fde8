# Lärlyft: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql://postgres@127.0.0.1:5432/lms_test
CATALOGS := $(patsubst %.po,%.mo,$(wildcard lms/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint audit install translations catalogs test-nightly clean

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "Python's venv support is missing: sudo apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,redis]'
	touch $(STAMP)

install: $(STAMP) catalogs

lms/translations/%/LC_MESSAGES/messages.mo: lms/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d lms/translations -l $* --statistics

catalogs: $(CATALOGS)

## Re-extract the UI strings and merge them into the catalogs (then translate the new ones).
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o lms/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching --ignore-obsolete

run: install
	$(FLASK) lms init --demo
	$(FLASK) lms serve --host 127.0.0.1 --port 5000

lint: install
	$(BIN)/ruff check lms tests bench migrations wsgi.py
	$(BIN)/ruff format --check lms tests bench migrations wsgi.py
	$(BIN)/lint-imports
	$(BIN)/mypy

# Test processes (pytest-xdist): the browser tests stay together on one of them.
WORKERS ?= 2
PYTEST := $(BIN)/pytest -p no:cacheprovider -n $(WORKERS) --dist loadgroup

## Known vulnerabilities in the installed dependencies (pip-audit, PyPI's advisory data);
## any one fails. The project itself (editable) is skipped. Ignored advisories: none.
## LMS_AUDIT_STRICT=1 also fails when PyPI's per-release API cannot be reached.
audit: install
	$(BIN)/python -m tests.support.audit

# The suite runs on SQLite, and on PostgreSQL too when it answers (CI=true requires it).
test: install lint audit
	@if $(BIN)/python -m tests.support.pgcheck "$(PG_URL)"; then \
	  LMS_TEST_POSTGRES_URL="$(PG_URL)" $(PYTEST); \
	else \
	  $(PYTEST); \
	fi

test-nightly: install
	@if $(BIN)/python -m tests.support.pgcheck "$(PG_URL)"; then \
	  LMS_NIGHTLY=1 LMS_TEST_POSTGRES_URL="$(PG_URL)" $(BIN)/pytest -p no:cacheprovider -rP; \
	else \
	  LMS_NIGHTLY=1 $(BIN)/pytest -p no:cacheprovider -rP; \
	fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
