# The README's two commands: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run test test-fast lint bench kafka-start kafka-stop clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/pmo run

test: setup
	bash scripts/test.sh

# Unit and service tests only: no Kafka, no PostgreSQL, seconds.
test-fast: setup
	$(BIN)/pytest -q tests/unit tests/service

lint: setup
	$(BIN)/lint-imports

# Benchmarks (not in CI): each prints its numbers beside a baseline from the same run.
bench: setup
	@command -v wrk >/dev/null || { echo "wrk is needed: sudo apt-get install -y wrk"; exit 1; }
	$(BIN)/python -m bench

kafka-start: setup
	$(BIN)/pmo kafka start

kafka-stop: setup
	$(BIN)/pmo kafka stop

clean:
	rm -rf var .pytest_cache test-artifacts
