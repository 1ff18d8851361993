# unlearnlab: `make figures` and `make test` are the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# 2 cores: one test worker per core
WORKERS ?= 2

.PHONY: help install figures plots test test-all bench bench-quick lint format report clean

help:
	@echo "make figures   create .venv, install, compute every figure (paper_figures/); a second run"
	@echo "               reuses what this machine computed for the same config and code version"
	@echo "make plots     re-plot every figure from the saved JSON (no computation)"
	@echo "make test      create .venv, install, run the quick test level"
	@echo "make test-all  also run tests marked slow"
	@echo "make bench     run the benchmarks (benchmarks/RESULTS.md)"
	@echo "make lint      ruff check + format check"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

# figures: compute every experiment unless this machine already computed it for the same config
# and code version (stamps in paper_figures/.cache/); FIGURE_FLAGS=--force recomputes regardless.
# JOBS experiments run at a time, each in its own process (longest first)
FIGURE_FLAGS ?=
JOBS ?= 2
figures: $(STAMP)
	$(PY) -m experiments all --jobs $(JOBS) --recompute $(FIGURE_FLAGS)

# plots: re-plot every figure from the saved JSON
plots: $(STAMP)
	$(PY) -m experiments all

report: $(STAMP)
	$(PY) -m experiments report

test: $(STAMP)
	$(PY) -m pytest -n $(WORKERS) -q

test-all: $(STAMP)
	$(PY) -m pytest -n $(WORKERS) -q -m ''

# netcal (binned-ECE peer): installed without its dependencies (pyro, gpytorch, tensorboard), which
# its metrics do not import; they need NumPy, SciPy and torch from the bench extra
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m pip install --quiet --no-deps 'netcal==1.4.0'
	$(PY) -m benchmarks

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# docs: the Sphinx site into docs/_build/html, warnings as errors, nitpicky cross-references,
# then an internal link check of the built HTML (links, images, anchors)
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

.PHONY: docs
docs: $(DOCS_STAMP)
	$(PY) -m sphinx -W --keep-going -n -q -b html docs docs/_build/html
	$(PY) docs/tools/check_links.py docs/_build/html

clean:
	rm -rf $(VENV) paper_figures/_quick paper_figures/.cache .pytest_cache
