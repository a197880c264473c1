# multigrade: `make reproduce` and `make test` set up .venv first when it is missing.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= quick
ONLY    ?=
OUT     ?= outputs/reproduce
ARGS    ?=
BENCH_OUT ?= outputs/bench
SIZE    ?=
RUNS    ?= outputs
LOIHI_VENV ?= .venv-loihi
# Python 3.10 for the Loihi environment: python3.10 on the PATH, or pyenv's (lava accepts nothing newer)
PYTHON310  ?= $(shell for p in python3.10 $$(pyenv root 2>/dev/null)/versions/3.10*/bin/python; do \
                $$p -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { command -v $$p; break; }; done)
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install ngspice loihi-env loihi-env-if-possible reproduce bench sync-wandb test lint clean

# The targets' descriptions are the `## ` comments below, printed as written (variables
# named in plain words); the variables' lines print their values.
help: ## list the targets and variables
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables (value now):"
	@echo "    reproduce:  PROFILE=smoke|quick|paper ($(PROFILE)), OUT=<dir> ($(OUT)),"
	@echo "                ONLY=<comma-separated experiment prefixes or names> ($(or $(ONLY),unset: the default selection)),"
	@echo "                ARGS=<Hydra overrides for every run, --force to rerun finished runs> ($(or $(ARGS),unset))"
	@echo "    bench:      SIZE=smoke|cpu|paper ($(or $(SIZE),unset: paper on a GPU; cpu without)), BENCH_OUT=<dir> ($(BENCH_OUT))"
	@echo "    sync-wandb: RUNS=<dir> ($(RUNS))"
	@echo "    test:       PYTEST_ARGS=<pytest arguments> ($(or $(PYTEST_ARGS),unset))"
	@echo "    setup:      PYTHON=<Python 3.11 or newer> ($(PYTHON)), VENV=<dir> ($(VENV)),"
	@echo "                PYTHON310=<Python 3.10, for the Loihi environment> ($(or $(PYTHON310),none found)),"
	@echo "                LOIHI_VENV=<dir> ($(LOIHI_VENV))"

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "multigrade needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ngspice ## create .venv with the package and its test tools (and ngspice)

# ngspice checks the side-channel neuron model against its transistor netlist; without it
# that check skips and everything else runs.
ngspice: ## install the Debian package ngspice when it is missing (root or sudo)
	@command -v ngspice >/dev/null || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get install -y -q ngspice >/dev/null 2>&1 || { $$sudo apt-get update -q >/dev/null 2>&1 && $$sudo apt-get install -y -q ngspice >/dev/null 2>&1; } \
	  || echo "warning: could not install ngspice (Debian: apt-get install ngspice); its circuit check will skip"; }

$(LOIHI_VENV)/.installed: loihi/requirements.txt
	@test -n "$(PYTHON310)" || { echo "make loihi-env needs Python 3.10 (python3.10, or pyenv install 3.10); set PYTHON310=<path>"; exit 1; }
	$(PYTHON310) -m venv $(LOIHI_VENV)
	$(LOIHI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOIHI_VENV)/bin/python -m pip install --quiet -r loihi/requirements.txt
	@touch $@

loihi-env: $(LOIHI_VENV)/.installed ## create .venv-loihi (Python 3.10, lava-dl, lava-nc) for target=loihi

# make test and make reproduce build the Loihi environment where Python 3.10 is installed
loihi-env-if-possible:
	@if [ -z "$(PYTHON310)" ]; then echo "note: no Python 3.10, so no Loihi environment: the Loihi tests and section are skipped"; \
	else $(MAKE) --no-print-directory loihi-env || { rm -rf $(LOIHI_VENV); \
	  echo "warning: building $(LOIHI_VENV) failed (see above; make loihi-env tries again): Loihi deployment is unavailable"; }; fi

reproduce: $(VENV)/.installed loihi-env-if-possible ## run the papers' experiments (PROFILE, ONLY, ARGS) and write REPORT.md into OUT
	$(PY) -m multigrade.reproduce --profile $(PROFILE) --out $(OUT) $(if $(ONLY),--only $(ONLY)) $(ARGS)

bench: $(VENV)/.installed ## time grade training: framework vs raw PyTorch (and CUDA graph) -> bench.json in BENCH_OUT
	$(PY) -m multigrade.bench --out $(BENCH_OUT) $(if $(SIZE),--size $(SIZE))

sync-wandb: $(VENV)/.installed ## publish the offline W&B runs under RUNS
	@runs="$$(find $(RUNS) -type d -name 'offline-run-*' 2>/dev/null)"; \
	if [ -z "$$runs" ]; then echo "no offline W&B runs under $(RUNS) (logger=wandb writes them)"; exit 1; fi; \
	$(VENV)/bin/wandb sync $$runs

test: $(VENV)/.installed ngspice loihi-env-if-possible ## run the test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed ## compile-check every module
	$(PY) -m compileall -q src tests examples

clean: ## remove outputs and caches (keeps .venv and .venv-loihi)
	rm -rf outputs .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
