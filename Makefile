# make run  — set up everything and serve http://127.0.0.1:5000 on SQLite
# make test — run the whole test suite (SQLite, PostgreSQL, browser)
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
# The shared data folder beside the checkout, when present, serves offline development and tests.
OUTREACH_DATA_DIR ?= $(wildcard $(abspath ../shared/data))
export OUTREACH_DATA_DIR

.PHONY: run test test-sqlite test-postgres translations messages clean

$(BIN)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

translations: $(BIN)/.installed
	$(BIN)/pybabel compile -d outreach/translations

run: $(BIN)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) outreach sync --if-older-than 24
	$(FLASK) outreach seed
	$(FLASK) run --host 127.0.0.1 --port 5000

test: test-sqlite test-postgres

test-sqlite: $(BIN)/.installed translations
	$(BIN)/python -m pytest

test-postgres: $(BIN)/.installed translations
	$(BIN)/python -m pytest --backend=postgresql -m "not browser"

# Refresh the message catalogue after changing user-facing strings.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o outreach/translations/messages.pot .
	$(BIN)/pybabel update -i outreach/translations/messages.pot -d outreach/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
