# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
PYTEST_ARGS ?=
# `make bench BENCH_ARGS="--scale 0.01"` for a quick run; needs a local PostgreSQL.
BENCH_ARGS ?= --scale 1.0
# `make loadtest LOADTEST_ARGS="--users-issuers 2 --users-investors 3 --seconds 8"`: a quick run.
LOADTEST_ARGS ?=

.PHONY: run test worker beat bench loadtest lint migrate demo check-deploy clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME): requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(RUNTIME) $@

migrate: $(RUNTIME)
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_templates
	$(PY) manage.py seed_demo

## Install, migrate, load demo data once, print the demo logins, serve on 127.0.0.1:8000.
run: demo
	$(PY) manage.py runserver 127.0.0.1:8000

## Install and run the whole suite (on DATABASE_URL when set, else SQLite).
test: $(DEV)
	$(PY) -m pytest $(PYTEST_ARGS)

## Real Celery: needs CELERY_BROKER_URL (Redis) and a shared database (DATABASE_URL).
worker: $(RUNTIME)
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat: $(RUNTIME)
	$(VENV)/bin/celery -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule

## Bulk load, search, indicators and market benchmarks on PostgreSQL; writes docs/benchmarks.md.
bench: $(DEV)
	$(PY) -m benchmarks.run $(BENCH_ARGS)

## Load test on 127.0.0.1 (gunicorn, PostgreSQL): 50 issuers filing, 200 investors searching, 60 s.
loadtest: $(DEV)
	$(PY) -m loadtest.run $(LOADTEST_ARGS)

lint: $(DEV)
	$(VENV)/bin/ruff check .

## Django's deployment checklist under production settings (throwaway secret and host).
check-deploy: $(RUNTIME)
	DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	DJANGO_ALLOWED_HOSTS=registry.example.org \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var/db.sqlite3* var/staticfiles
