# MultiChat Webhook — `make run` sobe tudo; `make test` roda a suíte inteira.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum < requirements_webhook.txt | cut -d' ' -f1)
FLASK_PORT  ?= 5000
DJANGO_PORT ?= 8000

.PHONY: install setup run test lint bench clean

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

test: install
	$(PY) -m pytest

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) bench/run.py
	$(PY) bench/media.py
	$(PY) bench/console.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
