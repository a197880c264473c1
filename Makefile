# multigrade: `make reproduce` and `make test` set up .venv first when it is missing.
PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= quick
ONLY    ?=
OUT     ?= outputs/reproduce
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install reproduce test lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=smoke|quick|paper (reproduce), ONLY=<experiment prefixes>, OUT=<dir>"

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "multigrade needs Python >= 3.11; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## create .venv with the package and its test tools

reproduce: $(VENV)/.installed ## run the papers' experiments (PROFILE, ONLY) and write $(OUT)/REPORT.md
	$(PY) -m multigrade.reproduce --profile $(PROFILE) --out $(OUT) $(if $(ONLY),--only $(ONLY))

test: $(VENV)/.installed ## run the test suite
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed ## compile-check every module
	$(PY) -m compileall -q src tests

clean: ## remove outputs and caches (keeps .venv)
	rm -rf outputs .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
