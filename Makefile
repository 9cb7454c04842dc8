# Stadtkalender: `make run` for a local demo, `make test` for the whole suite, `make bench`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PYTHON ?= python3
HOST ?= 127.0.0.1
# The app refuses to start without it; a local run is development unless the caller says otherwise.
export STADTKALENDER_ENV ?= development
PORT ?= 5000

.PHONY: install assets translations db run test test-fast bench lint format extract-messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	mkdir -p app/static/vendor/kern app/static/vendor/htmx
	cp -r node_modules/@kern-ux/native/dist/. app/static/vendor/kern/
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx/

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d app/translations

install: $(VENV)/.installed assets translations

db: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo seed

run: db
	@echo "Stadtkalender: http://$(HOST):$(PORT)"
	@echo "Caught mails: http://$(HOST):$(PORT)/dev/mail as admin@stadt.example (mail catcher on 127.0.0.1:8025, one delivery worker, inbound replies on 127.0.0.1:2525)"
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' EXIT; \
	$(FLASK) mail catcher & \
	$(FLASK) mail deliver & \
	$(FLASK) mail inbound --host 127.0.0.1 --port 2525 & \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest

test-fast: install
	TEST_DATABASES=sqlite $(PY) -m pytest -m "not browser"

bench: install
	$(PY) bench/run_all.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

extract-messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg --ignore-dirs=".venv node_modules" -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules app/static/vendor instance
