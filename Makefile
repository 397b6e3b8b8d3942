# Two commands do all the set-up on a fresh machine with Python 3.11+ and make:
#   make demo   the simulated regional estate + the gateway with GraphiQL
#   make test   the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# npm tools the federation and codegen tests run (composition, router, another team's subgraph)
NODE_TOOLS := tests/federation/js
NODE_STAMP := $(NODE_TOOLS)/node_modules/.installed-stamp

.PHONY: demo test lint format bench clean

# Example region packages (docs/connectors.md), installed beside the gateway; their tests run too
EXAMPLES := examples/kss-xml

$(STAMP): pyproject.toml $(EXAMPLES:%=%/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed: set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	for example in $(EXAMPLES); do $(BIN)/python -m pip install --quiet --no-deps -e $$example || exit 1; done
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/offender-graph demo $(DEMO_ARGS)

$(NODE_STAMP): $(NODE_TOOLS)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the federation and codegen tests will skip"; fi

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m schema.changelog_rule

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/gateway_fanout.py
	$(BIN)/python benchmarks/resilience.py
	$(BIN)/python benchmarks/execution.py
	$(BIN)/python benchmarks/peer/run.py  # skips with a message without node, npm or wrk

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache *.egg-info
