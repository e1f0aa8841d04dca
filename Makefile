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
test test-notebooks test-portable test-notebooks-direct run: export LABKIT_SOLUTIONS := 1

PYTEST_ARGS ?= --durations=10
# Each pytest run leaves a JUnit file here; `make test` reads them back for its closing summary.
TEST_OUT ?= .test-reports
NBVAL := -m pytest --nbval-lax -p no:cacheprovider $(PYTEST_ARGS)
# Every notebook runs behind a proxy that refuses what the OpenAI API refuses (tools/portable.py);
# the ones whose path depends on the backend (llm.backend/server/capabilities) also run directly.
# Where Chromium is installed the demos' run behind the proxy is tests/test_demos_browser.py (all cells
# in JupyterLab, then a widget moved), so nbval leaves them out rather than run each demo twice.
CHROMIUM := $(shell command -v chromium || command -v chromium-browser)
PORTABLE := $(PY) tools/portable.py -- $(PY) $(NBVAL) --junitxml=$(TEST_OUT)/notebooks-portable.xml notebooks \
	$(if $(CHROMIUM),--ignore=notebooks/demos)
BACKEND_SPECIFIC = $(shell $(PY) tools/portable.py --backend-specific notebooks)

.PHONY: help setup litellm-env evals-env promptfoo promptfoo-config lab test test-code test-notebooks test-portable \
        test-notebooks-direct lint run site test-colab-like bench doctor lock \
        check-lock clean phoenix-env phoenix-lock drift-tools

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

# A tool whose dependencies clash with the course's lock gets its own venv from its own lock (envs/NAME), installed
# by the same set-up script (uv from its cache, pip as the fallback; torch first where the lock pins it).
# $(call tool_env,VENV,LOCK[,--no-deps])
define tool_env
	python3 -m venv $(1)
	$(1)/bin/python tools/setup_env.py --tool-env --lock $(2) $(3)
	@touch $(1)/.installed
endef

# The eval tools (inspect_ai, MLflow) clash with the course's lock: their own venv from their own lock.
.venv-evals/.installed: envs/evals/requirements.lock tools/setup_env.py
	$(call tool_env,.venv-evals,envs/evals/requirements.lock)

evals-env: .venv-evals/.installed  ## inspect_ai and MLflow in their own pinned environment (.venv-evals), for 05 §9

setup: $(STAMP)  ## create .venv (if needed) and install the pinned stack + labkit (no-op when done)

# promptfoo without its optional provider SDKs and install scripts (~270 MB, ~40 s, where everything is ~1.4 GB
# and ~4.5 min); only libsql's native build for this platform is added back (its result store needs it).
NPM_LEAN := --omit=optional --ignore-scripts --no-audit --no-fund --prefix evals_interop
evals_interop/node_modules/.installed: evals_interop/package-lock.json evals_interop/libsql_native.js
	npm ci $(NPM_LEAN)
	npm install --no-save $(NPM_LEAN) "$$(node evals_interop/libsql_native.js)"
	@touch $@

promptfoo: evals_interop/node_modules/.installed  ## promptfoo (pinned by evals_interop/package-lock.json) for 05 §9 and its test

promptfoo-config: setup  ## rewrite evals_interop/promptfooconfig.yaml from the golden sample (after a prompt change)
	$(PY) -c "from labkit.evals import export; print('wrote', export.write_golden_promptfoo())"

# LiteLLM clashes with the course's lock, so it gets its own pinned environment; notebooks 01 and 03 drive it
# as a subprocess (labkit/routing/litellm_worker.py) and skip the comparison where it is missing.
.venv-litellm/.installed: envs/litellm/requirements.lock tools/setup_env.py
	$(call tool_env,.venv-litellm,envs/litellm/requirements.lock,--no-deps)

litellm-env: .venv-litellm/.installed  ## LiteLLM's own pinned environment (.venv-litellm), for the side-by-side cells

# As root (a container, a cloud VM) Jupyter refuses to start without --allow-root.
lab: setup  ## open JupyterLab on notebooks/
	$(PY) -m jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

doctor: setup  ## check the environment and that the local model answers offline
	$(PY) -m labkit.cli doctor

# The two cores run two lanes at once (tools/test_lanes.py), about equally long: labkit's tests, then the
# backend-specific notebooks directly; every notebook behind the proxy, then lint. Each lane's log is printed
# whole at the end, then a summary.
test: setup  ## lint, labkit's tests and every notebook, in two parallel lanes (LABKIT_SOLUTIONS=1)
	+MAKE="$(MAKE)" $(PY) tools/test_lanes.py --out $(TEST_OUT) "test-code test-notebooks-direct" "test-portable lint"

test-code: setup  ## labkit's tests only
	$(PY) -m pytest tests -p no:cacheprovider $(PYTEST_ARGS) --junitxml=$(TEST_OUT)/code.xml

test-notebooks: test-portable test-notebooks-direct  ## every notebook behind the strict OpenAI-API proxy; backend-specific ones also directly

test-notebooks-direct: setup  ## the notebooks whose path depends on the backend, against the embedded server directly
	$(PY) $(NBVAL) --junitxml=$(TEST_OUT)/notebooks-direct.xml $(BACKEND_SPECIFIC)

test-portable: setup  ## every notebook with OPENAI_BASE_URL at a strict OpenAI-API proxy (embedded model behind it)
	$(PORTABLE)

lint: setup  ## notebook conventions, ruff and mypy
	$(PY) tools/nblint.py notebooks
	$(PY) -m ruff check .
	$(PY) -m mypy labkit

# drift-tools: notebook 02 compares its detectors with Evidently and alibi-detect, which live in that environment.
run: setup drift-tools  ## execute every notebook headless; writes reports/course_run.md
	$(PY) tools/courserun.py notebooks --out reports

site: setup  ## static HTML book from the notebooks `make run` executed (site/index.html); works offline
	$(PY) tools/build_site.py

test-colab-like:  ## a fresh venv with Colab's torch/transformers/numpy/pandas, the Colab cell's set-up, notebooks 00 and 01
	python3 tools/colab_like.py

bench: setup  ## run the benchmarks; numbers go to bench/results/*.json
	$(PY) bench/run.py

# Evidently and alibi-detect (notebook 02) in their own pinned environment: alibi-detect needs numpy < 2.
# torch first, from the same sources as the course's (a local wheel, PyTorch's CPU index, PyPI), then the lock.
DRIFT_TOOLS := envs/drift_tools/.venv
$(DRIFT_TOOLS)/.installed: envs/drift_tools/requirements.lock tools/setup_env.py
	$(call tool_env,$(DRIFT_TOOLS),envs/drift_tools/requirements.lock)

drift-tools: $(DRIFT_TOOLS)/.installed  ## the Evidently + alibi-detect environment notebook 02 compares with (no-op when done)

check-lock:  ## check requirements.lock installs from PyPI alone on Linux x86_64/aarch64, macOS arm64, Windows x86_64, and envs/*/requirements.lock on Linux x86_64
	python3 tools/check_lock.py
	python3 tools/check_lock.py --envs

lock: setup  ## rewrite requirements.lock from the current environment (after changing a pin)
	{ grep '^#' requirements.lock; $(PY) -m pip freeze --all --exclude-editable --exclude pip \
	  | grep -v -E '^(nvidia|cuda)-|^triton==' | sed 's/+cpu$$//' | LC_ALL=C sort -f; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

# Phoenix (the trace UI) lives in its own environment with its own lock: its ~140 dependencies stay out of
# requirements.lock. labkit starts it as a subprocess (labkit/tracing/phoenix.py); tests/test_phoenix.py needs it.
PHOENIX_VENV := .venv-phoenix
PHOENIX_LOCK := envs/phoenix/requirements.lock

$(PHOENIX_VENV)/.installed: $(PHOENIX_LOCK) tools/setup_env.py
	$(call tool_env,$(PHOENIX_VENV),$(PHOENIX_LOCK))

phoenix-env: $(PHOENIX_VENV)/.installed  ## Phoenix's own pinned environment in .venv-phoenix (no-op when done)

phoenix-lock: phoenix-env  ## rewrite envs/phoenix/requirements.lock from .venv-phoenix (after changing the pin)
	{ grep '^#' $(PHOENIX_LOCK); $(PHOENIX_VENV)/bin/python -m pip freeze --all \
	  | grep -v -E '^(pip|setuptools|uv)==' | LC_ALL=C sort -f; } > $(PHOENIX_LOCK).new
	mv $(PHOENIX_LOCK).new $(PHOENIX_LOCK)

clean:  ## remove the venv and caches
	rm -rf .venv .venv-litellm .venv-evals $(PHOENIX_VENV) $(DRIFT_TOOLS) .pytest_cache .mypy_cache .ruff_cache $(TEST_OUT)
