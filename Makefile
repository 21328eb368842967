# Two commands on a fresh machine: `make` builds the books, `make test` runs the tests.
# Each sets up what it needs: a virtual environment with pinned packages, and for
# the tests the checkers (poppler-utils, Java, the Nu HTML checker).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TOOLS := .tools/.installed
PYTEST_ARGS ?=

.PHONY: all books bytecode test test-fast check-tools bench clean

all: books

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

# folio's own modules compiled, as pip compiles what it installs (an editable install
# is not, and where PYTHONDONTWRITEBYTECODE is set Python never writes them): every
# build's process would compile them again, 0.2 s. Only what changed is compiled.
bytecode: $(STAMP)
	@$(PY) -m compileall -q folio

books: $(STAMP) bytecode
	@echo "Building every book in content/. The German article is kept as its author"
	@echo "delivered it, flaws included: its warnings below are expected."
	$(PY) build.py --edition kobo

$(TOOLS): tests/install-tools.sh
	bash tests/install-tools.sh
	mkdir -p .tools && touch $@

test: $(STAMP) $(TOOLS) bytecode
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

# The quick loop: unit tests of the stages and the house rules, in seconds, without
# Java, Chromium or a PDF layout. `make test` runs them too.
test-fast: $(STAMP) bytecode
	$(PY) -m pytest -q tests/unit $(PYTEST_ARGS)

bench: $(STAMP) bytecode
	$(PY) bench/bench.py

clean:
	rm -rf dist .pytest_cache
