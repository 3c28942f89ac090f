# Clusterwise: `make run` to try it, `make test` to check it. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VENDOR := clusterwise/core/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := config.settings

.PHONY: run test lint check-system assets messages migrate demo serve clean bench

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end files come from npm (package-lock.json), copied into static at build time.
# The observation pages' service worker (workbox-build) precaches these files by content
# hash, so it is rebuilt whenever one of them changes.
assets: $(VENDOR)/.copied
$(VENDOR)/.copied: node_modules/.installed clusterwise/observation/pwa/build-sw.mjs \
		$(wildcard clusterwise/core/static/core/*) \
		$(shell find clusterwise/observation/static -type f 2>/dev/null)
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx $(VENDOR)/dexie $(VENDOR)/workbox-window $(VENDOR)/leaflet
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/dexie/dist/dexie.min.js $(VENDOR)/dexie/
	cp node_modules/workbox-window/build/workbox-window.prod.umd.js $(VENDOR)/workbox-window/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images $(VENDOR)/leaflet/
	node clusterwise/observation/pwa/build-sw.mjs
	touch $@

messages: $(VENV)/.runtime
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput -v0

run: assets messages migrate
	$(PY) manage.py demo --scale small --if-empty
	@echo "Serving http://$(HOST):$(PORT)/ (logins: state, district, mf, coach, crc, head, teacher; password demo)"
	@$(PY) manage.py db_worker & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	CLUSTERWISE_DEBUG=$${CLUSTERWISE_DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT) --noreload

# Debian's chromium drives the browser tests, gettext compiles translations, WeasyPrint
# needs Pango for PDFs and the PDF tests read them back with poppler-utils; PostgreSQL
# is needed when DATABASE_URL points at one (CI starts a throwaway server).
check-system:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	ldconfig -p | grep -q libpangoft2 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p | grep -q libharfbuzz-subset || missing="$$missing libharfbuzz-subset0"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans Devanagari" || missing="$$missing fonts-noto-core"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "Missing:$$missing. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: check-system $(VENV)/.dev assets messages lint
	$(VENV)/bin/pytest

bench: $(VENV)/.dev
	$(PY) bench/home_pages.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var db.sqlite3*
