# multigrade: `make reproduce` and `make test` set up .venv first when it is missing.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= quick
ONLY    ?=
OUT     ?= outputs/reproduce
BENCH_OUT ?= outputs/bench
SIZE    ?=
RUNS    ?= outputs
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install ngspice reproduce bench sync-wandb test lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=smoke|quick|paper (reproduce), ONLY=<experiment prefixes>, OUT=<dir>;"
	@echo "             SIZE=smoke|cpu|paper, BENCH_OUT=<dir> (bench)"

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

reproduce: $(VENV)/.installed ngspice ## run the papers' experiments (PROFILE, ONLY) and write $(OUT)/REPORT.md
	$(PY) -m multigrade.reproduce --profile $(PROFILE) --out $(OUT) $(if $(ONLY),--only $(ONLY))

bench: $(VENV)/.installed ## time grade training: framework vs raw PyTorch (and CUDA graph) -> $(BENCH_OUT)/bench.json
	$(PY) -m multigrade.bench --out $(BENCH_OUT) $(if $(SIZE),--size $(SIZE))

sync-wandb: $(VENV)/.installed ## publish the offline W&B runs under $(RUNS)
	@runs="$$(find $(RUNS) -type d -name 'offline-run-*' 2>/dev/null)"; \
	if [ -z "$$runs" ]; then echo "no offline W&B runs under $(RUNS) (logger=wandb writes them)"; exit 1; fi; \
	$(VENV)/bin/wandb sync $$runs

test: $(VENV)/.installed ngspice ## run the test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed ## compile-check every module
	$(PY) -m compileall -q src tests

clean: ## remove outputs and caches (keeps .venv)
	rm -rf outputs .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
