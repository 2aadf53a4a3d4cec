# The two set-up commands from README.md, and their plumbing.
#   make demo   builds every env the demo needs and runs the workflow on a generated clip
#   make test   builds the envs the tests use (snakemake test_envs) and runs the test suite (what CI runs)
SHELL := bash
PYTHON ?= python3
WORKFLOW_ENV := .venvs/workflow
SNAKEMAKE := $(WORKFLOW_ENV)/bin/snakemake
# Lets `--config asr.beam_size=3` through Snakemake's CLI and names a --configfile's YAML mistake
# (the file says how); beside rules/hooks.smk, under its version check; installed into both
# orchestrator envs.
SNAKEMAKE_CLI_HOOK := rules/snakemake_cli_hook.py
# The workflow's logger plugin, installed from envs/workflow.txt: a changed file reinstalls it.
LOGGER_PLUGIN := $(wildcard plugins/snakemake-logger-plugin-subtitles/pyproject.toml plugins/snakemake-logger-plugin-subtitles/src/*/*.py)

SLURM_ENV := .venvs/workflow-slurm
TEST_SITE := .venvs/test-site

.PHONY: demo test lint system-deps slurm-env rulegraph

demo: $(WORKFLOW_ENV)/ready system-deps
	$(WORKFLOW_ENV)/bin/python scripts/make_demo_media.py in/demo.mp4
	$(SNAKEMAKE) --cores all

test: $(WORKFLOW_ENV)/ready $(TEST_SITE)/ready
	scripts/install-system-deps.sh --tests
	$(SNAKEMAKE) --cores all test_envs
	$(WORKFLOW_ENV)/bin/python -m pytest

lint: $(WORKFLOW_ENV)/ready
	$(WORKFLOW_ENV)/bin/snakefmt --check .
	$(SNAKEMAKE) --lint

system-deps:
	scripts/install-system-deps.sh

# README.md's rule graph, redrawn after rules are added or rewired (tests/test_rulegraph.py).
rulegraph: $(WORKFLOW_ENV)/ready
	scripts/install-system-deps.sh --docs
	$(WORKFLOW_ENV)/bin/python docs/rulegraph.py

# The orchestrator env; stage envs are Snakemake targets (rules/envs.smk).
$(WORKFLOW_ENV)/ready: envs/workflow.txt $(SNAKEMAKE_CLI_HOOK) $(LOGGER_PLUGIN)
	$(PYTHON) -m venv $(WORKFLOW_ENV)
	$(WORKFLOW_ENV)/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(WORKFLOW_ENV)/bin/python -m uv pip install -q --compile-bytecode --python $(WORKFLOW_ENV)/bin/python -r envs/workflow.txt
	$(WORKFLOW_ENV)/bin/python $(SNAKEMAKE_CLI_HOOK)
	touch $@

# Test-only packages, on pytest's sys.path only (pytest.ini), never on Snakemake's.
$(TEST_SITE)/ready: $(WORKFLOW_ENV)/ready envs/tests.txt
	rm -rf $(TEST_SITE)
	$(WORKFLOW_ENV)/bin/python -m uv pip install -q --compile-bytecode --python $(WORKFLOW_ENV)/bin/python --target $(TEST_SITE) -r envs/tests.txt
	touch $@

# The cluster orchestrator: `make slurm-env`, then $(SLURM_ENV)/bin/snakemake --profile profiles/slurm
slurm-env: $(SLURM_ENV)/ready
$(SLURM_ENV)/ready: envs/workflow.txt envs/workflow-slurm.txt $(SNAKEMAKE_CLI_HOOK) $(LOGGER_PLUGIN)
	$(PYTHON) -m venv $(SLURM_ENV)
	$(SLURM_ENV)/bin/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(SLURM_ENV)/bin/python -m uv pip install -q --compile-bytecode --python $(SLURM_ENV)/bin/python -r envs/workflow-slurm.txt
	$(SLURM_ENV)/bin/python $(SNAKEMAKE_CLI_HOOK)
	touch $@
