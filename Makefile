# MultiChat Webhook — `make run` sobe tudo; `make test` roda a suíte inteira.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < requirements_webhook.txt | cut -d' ' -f1)
FLASK_PORT  ?= 5000
DJANGO_PORT ?= 8000
# The queue mode (`make run-queue`): PostgreSQL and RabbitMQ on this machine unless told otherwise.
# (the broker: CELERY_BROKER_URL, default amqp://guest:guest@127.0.0.1:5672//, from .env or here).
QUEUE_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/multichat)

.PHONY: install setup run run-queue test lint bench clean

$(STAMP): requirements_webhook.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements_webhook.txt
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

setup: install
	$(PY) setup_webhook.py --no-input

run: setup
	@echo "Subindo Flask em :$(FLASK_PORT) e Django em :$(DJANGO_PORT) — Ctrl+C para parar os dois."
	@trap 'trap - INT TERM; kill 0' INT TERM; \
	$(PY) servidor_webhook_local.py --port $(FLASK_PORT) & \
	$(PY) manage.py webhook_serve --port $(DJANGO_PORT) & \
	wait

# 2 receivers (:5000 and :5001), Django (:8000), 2 Celery workers (queues apply and media) and
# beat, through honcho (Procfile.queue). Creates the database if missing and migrates first.
run-queue: install
	@DATABASE_URL="$(QUEUE_DATABASE_URL)" $(PY) manage.py webhook_createdb
	@DATABASE_URL="$(QUEUE_DATABASE_URL)" $(PY) setup_webhook.py --no-input --quiet
	@echo "Modo fila: receptores em :$(FLASK_PORT) e :$$(($(FLASK_PORT)+1)), Django em :$(DJANGO_PORT), workers e beat — Ctrl+C para parar tudo."
	@DATABASE_URL="$(QUEUE_DATABASE_URL)" WEBHOOK_PROCESSING=celery FLASK_PORT=$(FLASK_PORT) FLASK_PORT2=$$(($(FLASK_PORT)+1)) \
	DJANGO_PORT=$(DJANGO_PORT) $(VENV)/bin/honcho --env /dev/null -f Procfile.queue start || test $$? -eq 130

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) bench/run.py
	$(PY) bench/media.py
	$(PY) bench/console.py
	$(PY) bench/queue_mode.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
