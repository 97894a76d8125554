# The two commands: `make run` (install, migrate, demo content, site + worker) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# `make test`: the tests without a browser on TEST_WORKERS processes side by side (pytest-xdist, one
# database each), then the browser tests in one process (BROWSER_TESTS=0 leaves them out). xdist's
# default scheduling hands each process its tests in collection order, so pytest-django's rule (the
# tests that flush the database run last) holds in each; `--dist loadfile` would break it.
TEST_WORKERS ?= 2
BROWSER_TESTS ?= 1

.PHONY: run test install install-test lint serve worker messages clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -r requirements.txt

install-test: $(PY)
	$(PY) -m pip install --quiet -r requirements-test.txt

# PORT goes to the commands too: website/settings/dev.py makes BASE_URL (and so the Site) follow it.
run: export PORT := $(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py ensure_admin
	@echo "Site: http://localhost:$(PORT)/  Admin: http://localhost:$(PORT)/admin/"
	$(PY) manage.py run_with_worker --port $(PORT)

test: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) $(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run --settings=website.settings.test
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not browser" $(PYTEST_ARGS)
ifneq ($(BROWSER_TESTS),0)
	$(PY) -m pytest -m browser $(PYTEST_ARGS)
endif

lint: install-test
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) $(VENV)/bin/lint-imports --no-cache

messages: $(PY)
	cd $(CURDIR) && $(PY) manage.py makemessages -l nl --no-obsolete --ignore=.venv --ignore=tests --ignore=test-artifacts && $(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
