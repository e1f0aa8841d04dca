# Stage 13 — Production. `make lab` to study, `make test` to check everything.
# Set-up is shared by every target and is a no-op once done (a stamp file tracks the lock).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Inside the conda/Binder environment made from environment.yml (it sets LABKIT_ENV=conda)
# use that environment's python; otherwise a project-local .venv.
ifeq ($(LABKIT_ENV),conda)
  PY := python
  STAMP := $(CONDA_PREFIX)/.labkit-installed
  MAKE_ENV :=
else
  PY := .venv/bin/python
  STAMP := .venv/.labkit-installed
  MAKE_ENV := .venv/bin/python
endif

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export TOKENIZERS_PARALLELISM := false
# torch's OpenMP workers otherwise spin on the two cores the model server needs.
export OMP_WAIT_POLICY := PASSIVE
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# make test runs each exercise's reference solution through its auto-check.
test test-notebooks test-portable run: export LABKIT_SOLUTIONS := 1

PYTEST_ARGS ?= --durations=10
NBVAL := -m pytest --nbval-lax -p no:cacheprovider $(PYTEST_ARGS)
# Every notebook runs behind a proxy that refuses what the OpenAI API refuses (tools/portable.py);
# the ones whose path depends on the backend (llm.backend/server/capabilities) also run directly.
PORTABLE := $(PY) tools/portable.py -- $(PY) $(NBVAL) notebooks
BACKEND_SPECIFIC = $(shell $(PY) tools/portable.py --backend-specific notebooks)

.PHONY: help setup lab test test-code test-notebooks test-portable lint run site test-colab-like bench doctor lock check-lock clean drift-tools

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

.venv/bin/python:
	python3 -m venv .venv

# tools/setup_env.py: torch from the source that fits this machine (a local wheel, PyTorch's CPU index on
# Linux without a GPU, else PyPI's build with its dependencies) and checked to import, then the lock.
$(STAMP): requirements.lock pyproject.toml tools/setup_env.py $(MAKE_ENV)
	$(PY) tools/setup_env.py
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (Stage 13)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv (if needed) and install the pinned stack + labkit (no-op when done)

lab: setup  ## open JupyterLab on notebooks/
	$(PY) -m jupyter lab notebooks/

doctor: setup  ## check the environment and that the local model answers offline
	$(PY) -m labkit.cli doctor

test: setup lint test-code test-notebooks  ## lint, labkit's tests, then every notebook (LABKIT_SOLUTIONS=1)

test-code: setup  ## labkit's tests only
	$(PY) -m pytest tests -p no:cacheprovider $(PYTEST_ARGS)

test-notebooks: setup  ## every notebook behind the strict OpenAI-API proxy; backend-specific ones also directly
	$(PORTABLE)
	$(if $(BACKEND_SPECIFIC),$(PY) $(NBVAL) $(BACKEND_SPECIFIC))

test-portable: setup  ## every notebook with OPENAI_BASE_URL at a strict OpenAI-API proxy (embedded model behind it)
	$(PORTABLE)

lint: setup  ## notebook conventions, ruff and mypy
	$(PY) tools/nblint.py notebooks
	$(PY) -m ruff check .
	$(PY) -m mypy labkit

run: setup  ## execute every notebook headless; writes reports/course_run.md
	$(PY) tools/courserun.py notebooks --out reports

site: setup  ## static HTML book from the notebooks `make run` executed (site/index.html); works offline
	$(PY) tools/build_site.py

test-colab-like:  ## a fresh venv with Colab's torch/transformers/numpy/pandas, the Colab cell's set-up, notebooks 00 and 01
	python3 tools/colab_like.py

bench: setup  ## run the benchmarks; numbers go to bench/results/*.json
	$(PY) bench/run.py

# Evidently and alibi-detect (notebook 02) in their own pinned environment: alibi-detect needs numpy < 2.
# torch first (PyTorch's CPU index where it answers, else pip's own sources), then the environment's lock.
DRIFT_TOOLS := envs/drift_tools/.venv
$(DRIFT_TOOLS)/.installed: envs/drift_tools/requirements.lock
	python3 -m venv $(DRIFT_TOOLS)
	$(DRIFT_TOOLS)/bin/python -m pip install -q --retries 0 --timeout 20 --extra-index-url https://download.pytorch.org/whl/cpu \
	  "$$(grep '^torch==' envs/drift_tools/requirements.lock)"
	$(DRIFT_TOOLS)/bin/python -m pip install -q -r envs/drift_tools/requirements.lock
	@touch $@

drift-tools: $(DRIFT_TOOLS)/.installed  ## the Evidently + alibi-detect environment notebook 02 compares with (no-op when done)

check-lock:  ## check requirements.lock installs from PyPI alone on Linux x86_64/aarch64, macOS arm64, Windows x86_64
	python3 tools/check_lock.py

lock: setup  ## rewrite requirements.lock from the current environment (after changing a pin)
	{ grep '^#' requirements.lock; $(PY) -m pip freeze --all --exclude-editable --exclude pip \
	  | grep -v -E '^(nvidia|cuda)-|^triton==' | sed 's/+cpu$$//' | LC_ALL=C sort -f; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:  ## remove the venv and caches
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
