# Mina: `make run` serves it embedded; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Debug mode on a loopback address only (the settings refuse it for any other). Anywhere
# else Mina is in production: SECRET_KEY, ALLOWED_HOSTS and collected static files.
DEBUG ?= $(if $(filter 127.% localhost ::1,$(HOST)),1,0)

.PHONY: install run test lint migrate static worker beat clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $(VENV)/.base-installed $@

# The virtual environment with the runtime requirements only (a server).
install: $(VENV)/.base-installed

migrate: $(VENV)/.base-installed
	DEBUG=$(DEBUG) $(PY) manage.py migrate --noinput

# With DEBUG off pages link static files by their hashed names, from STATIC_ROOT.
static: $(VENV)/.base-installed
	DEBUG=$(DEBUG) $(PY) manage.py collectstatic --noinput --verbosity 0

run: migrate $(if $(filter 0,$(DEBUG)),static)
	DEBUG=$(DEBUG) HOST=$(HOST) PORT=$(PORT) $(PY) manage.py serve

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check . --output-format concise
	$(VENV)/bin/mypy .
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

worker: $(VENV)/.base-installed
	$(VENV)/bin/celery -A mina worker -Q default,realtime,outbound -l INFO

beat: $(VENV)/.base-installed
	$(VENV)/bin/celery -A mina beat -l INFO

clean:
	rm -rf $(VENV) .test-media .test-db.sqlite3*
