# Two commands a newcomer needs (see README):
#   make run    - the whole system on the embedded defaults (SQLite, local Rasa)
#   make test   - every test
# Everything else here is what those two build on demand.

SHELL := /bin/bash
APP_PY := .venv/bin/python
RASA_PY := .venv-rasa/bin/python

.PHONY: run test app-env rasa-env model browser bench clean

run: app-env rasa-env
	.venv/bin/hotline run

test: app-env rasa-env browser
	.venv/bin/ruff check .
	.venv/bin/mypy
	.venv/bin/hotline train
	.venv/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

bench: app-env rasa-env
	for b in backoffice sweep scorecards gateway nlu_report faults; do .venv/bin/python -m bench $$b || exit 1; done

app-env: .venv/.installed node_modules/echarts
rasa-env: .venv-rasa/.installed
model: app-env rasa-env
	.venv/bin/hotline train

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[test]'
	touch $@

# Front-end libraries the app serves itself (ECharts for the dashboard), from npm.
node_modules/echarts: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

.venv-rasa/.installed: requirements-rasa.txt
	@py310=$$(scripts/find-python310) || exit 1; \
	"$$py310" -m venv .venv-rasa
	.venv-rasa/bin/pip install -q --upgrade pip wheel setuptools
	.venv-rasa/bin/pip install -q -r requirements-rasa.txt
	touch $@

# Debian's Chromium and a CJK font for the browser tests (Playwright drives /usr/bin/chromium).
browser:
	@scripts/install-browser

clean:
	rm -rf .venv .venv-rasa models var
