# The two commands a new user needs: `make report` and `make test`.
# Both create .venv on first use, install the package and its dependencies,
# and install the few system packages the report needs (CJK font, Chromium).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WAVE   ?= surveys/demo-2022
PYTEST_ARGS ?= -n 2

.PHONY: help venv sysdeps test lint report clean-wave reference bench synth clean fuzz lab

help:
	@echo "make report     build the report for $(WAVE) into reports/"
	@echo "make lab        JupyterLab with jupytext: the .py chapter notebooks open as notebooks"
	@echo "make test       lint (ruff, mypy) + full test suite"
	@echo "make reference  regenerate R survey reference values (needs R)"
	@echo "make bench      speed benchmark vs peers into reports/bench/"
	@echo "make fuzz       10,000 mutated exports through ingest + clean (failures in .fuzz/)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

venv: $(STAMP)

sysdeps:
	@sh .ci/sysdeps.sh

lint: $(STAMP)
	$(BIN)/ruff check analysis tests notebooks
	$(BIN)/mypy

test: $(STAMP) sysdeps lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

report: $(STAMP) sysdeps
	$(BIN)/greensurvey report $(WAVE)

# JupyterLab with jupytext (pyproject's `lab` extra): notebooks/*.py and a wave's own copies
# (greensurvey notebooks surveys/<wave>) open as notebooks, paired with .ipynb (jupytext.toml).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	@mkdir -p $(LAB_SETTINGS)
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' \
		> $(LAB_SETTINGS)/overrides.json
	$(BIN)/jupyter lab --notebook-dir=.

clean-wave: $(STAMP)
	$(BIN)/greensurvey clean $(WAVE)

synth: $(STAMP)
	$(BIN)/python -m analysis.synth $(WAVE)

reference:
	@sh .ci/sysdeps.sh r
	Rscript tests/reference/make_reference.R

bench: $(STAMP) sysdeps
	@sh .ci/sysdeps.sh r
	$(BIN)/python -m tests.bench.run --out reports/bench --repeat 3
	$(BIN)/python -m tests.bench.ingest --out reports/bench --repeat 3
	$(BIN)/python -m tests.bench.report_timing --out reports/bench --repeat 3

# Mutated real exports through load + clean; each failing case is saved under .fuzz/
# for replay (GREENSURVEY_FUZZ_REPLAY=.fuzz/<case> pytest tests/test_fuzz.py -k replay).
FUZZ_CASES ?= 10000
FUZZ_SEED  ?= 11
fuzz: $(STAMP)
	GREENSURVEY_FUZZ_CASES=$(FUZZ_CASES) GREENSURVEY_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest $(PYTEST_ARGS) tests/test_fuzz.py -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
