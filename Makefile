# Lärlyft: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql://postgres@127.0.0.1:5432/lms_test
CATALOGS := $(patsubst %.po,%.mo,$(wildcard lms/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test lint install translations catalogs test-nightly clean

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

# The suite runs on SQLite, and on PostgreSQL too when it answers (CI=true requires it).
test: install lint
	@if $(BIN)/python -m tests.support.pgcheck "$(PG_URL)"; then \
	  LMS_TEST_POSTGRES_URL="$(PG_URL)" $(BIN)/pytest -p no:cacheprovider; \
	else \
	  $(BIN)/pytest -p no:cacheprovider; \
	fi

test-nightly: install
	LMS_NIGHTLY=1 $(BIN)/pytest -p no:cacheprovider -m nightly

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
