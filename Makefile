# Two commands on a fresh clone: `make run` and `make test`. Nothing is installed by hand.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

export PARTICIPATION_ENV ?= development

.PHONY: run test install translations extract-messages update-messages migrate seed demo lint clean bench

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# .mo files are built, never committed.
translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

migrate: install
	$(BIN)/participation db upgrade

seed: migrate
	$(BIN)/participation strategy seed

# An open example round with ratings and comments, once (never in production).
demo: seed
	$(BIN)/participation demo

run: translations demo
	PORT=$(PORT) $(BIN)/participation run --host 127.0.0.1 --port $(PORT)

test: translations
	PARTICIPATION_ENV=testing $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Developers: after changing visible strings, refresh the catalogues and translate them.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python translations/fill_en.py

# Our pages against a bare Flask app under the same gunicorn (BENCH_DATABASE_URL: an EMPTY
# PostgreSQL database; default SQLite). Then the in-process page timings.
bench: translations
	$(BIN)/python benchmarks/ratio.py
	PARTICIPATION_ENV=testing $(BIN)/python benchmarks/pages.py

clean:
	rm -rf $(VENV) instance translations/*/LC_MESSAGES/*.mo
