# AidLedger: two commands on a fresh machine.
#   make demo   set up, build a fresh SQLite ledger from sample_data/, write out/
#   make test   set up, run the whole test suite (SQLite and a throwaway PostgreSQL)
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: demo test setup system fonts lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
# our own bytecode too: with PYTHONDONTWRITEBYTECODE set every command would recompile it
	$(BIN)/python -m compileall -q ledger schemas reports cli.py
	rm -f $(VENV)/.installed-*
	touch $@

# System packages the tests need: PostgreSQL server binaries (for the throwaway cluster)
# and fonts with Japanese glyphs for the PDFs. Installed only when missing and we are root.
system:
	@bash scripts/system-deps.sh

# Only what the PDFs need (the demo's PDFs carry Japanese names: IPA Gothic).
fonts:
	@bash scripts/system-deps.sh pdf

demo: setup fonts
	$(BIN)/aidledger demo --out out

test: setup system
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks (not part of the tests): see benchmarks/README.md and benchmarks/RESULTS.md.
# `make bench SIZES=10k,100k,1M TIMEOUT=2400` for other sizes (1M: 20-50 min).
SIZES ?= 10k,100k,245k
TIMEOUT ?= 1800
bench: setup system
	$(BIN)/python benchmarks/run.py --sizes $(SIZES) --timeout $(TIMEOUT)

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis
