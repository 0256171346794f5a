# Mina: `make run` serves it embedded; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate worker beat clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $(VENV)/.base-installed $@

migrate: $(VENV)/.base-installed
	$(PY) manage.py migrate --noinput

run: migrate
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py serve

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check . --output-format concise
	$(VENV)/bin/mypy .
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

worker: $(VENV)/.base-installed
	$(VENV)/bin/celery -A mina worker -Q default,realtime -l INFO

beat: $(VENV)/.base-installed
	$(VENV)/bin/celery -A mina beat -l INFO

clean:
	rm -rf $(VENV) .test-media .test-db.sqlite3*
