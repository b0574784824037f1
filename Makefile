# Two commands for a fresh machine:
#   make demo   install, migrate, load demo data and serve it (SQLite, no Redis)
#   make test   the whole test suite (PostgreSQL and Redis, see README)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo data ends on 2025-12-31; its KPIs are read as of that day.
DEMO_AS_OF ?= 2025-12-31
# The suite runs on PostgreSQL; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kpi
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: demo test install lint check migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py sync_schedules

demo: migrate
	KPI_AS_OF=$(DEMO_AS_OF) $(BIN)/python manage.py seed_demo
	@echo
	@echo "  Territory KPI demo: http://$(HOST):$(PORT)/   (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Logins (password demo): admin, manager, rep"
	@echo
	KPI_AS_OF=$(DEMO_AS_OF) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} TEST_REDIS_URL=$${TEST_REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=false SECRET_KEY=check-deploy-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
		DJANGO_ALLOWED_HOSTS=kpi.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
