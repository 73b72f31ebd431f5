# The two commands: `make run` (set up, migrate, seed the demo, serve) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run in parallel, one database per worker; tests marked as one xdist group (the accessibility sweep of one
# width) run on one worker.
PYTEST_WORKERS ?= auto

.PHONY: install i18n run serve migrate seed test lint format bench bench-insights bench-topology clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Chorus needs Python 3.11 or newer: run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The compiled catalogues, from the .po files in the repository (make i18n updates those).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard app/locales/*/LC_MESSAGES/messages.po))

app/locales/%/LC_MESSAGES/messages.mo: app/locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --domain messages --locale $* --input-file $< --output-file $@

install: $(STAMP) $(MO_FILES)

# Extract every translatable string of the code and templates, merge the catalogues (English, Spanish, German),
# fill English with the source texts, compile. New entries are empty: translate them (the suite fails on any empty
# or fuzzy Spanish or German entry).
i18n: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords N_ --keywords pgettext:1c,2 --keywords npgettext:1c,2,3 \
		--add-location file --sort-by-file --width 120 --project Chorus --copyright-holder "Chorus contributors" \
		--output-file app/locales/messages.pot .
	$(BIN)/pybabel update --domain messages --input-file app/locales/messages.pot --output-dir app/locales \
		--no-fuzzy-matching --ignore-obsolete --width 120
	$(BIN)/python -m app.i18n.catalogues english
	$(BIN)/pybabel compile --domain messages --directory app/locales --statistics

migrate: install
	$(BIN)/chorus migrate

seed: migrate
	$(BIN)/chorus seed --demo

run: seed
	@echo "Chorus on http://$(HOST):$(PORT)  (demo logins in README.md)"
	$(BIN)/chorus serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/chorus serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check app seed tests bench migrations
	$(BIN)/ruff format --check app seed tests bench
	$(BIN)/mypy app seed

format: install
	$(BIN)/ruff check --fix app seed tests bench
	$(BIN)/ruff format app seed tests bench

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.upload
	$(BIN)/python -m bench.challenges

# Campaign insights at 100,000 and 1,000,000 responses, on SQLite and on PostgreSQL (POSTGRES_URL; a schema of its
# own, dropped afterwards): about 20 minutes, most of it generating the data (bench/README.md).
POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
bench-insights: install
	$(BIN)/python -m bench.insights --database both --postgres-url '$(POSTGRES_URL)'

# The production topology's measurements on PostgreSQL (bench/README.md): scoring with one and two web processes,
# then the campaign dashboard at Vocalpoint scale (600,000 connectors, 1,000,000 responses: generating takes
# about 20 minutes on a busy machine).
bench-topology: install
	$(BIN)/python -m bench.challenges --database postgresql --postgres-url '$(POSTGRES_URL)' --only scoring --workers 1,2
	$(BIN)/python -m bench.vocalpoint --postgres-url '$(POSTGRES_URL)' --requests 3

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
