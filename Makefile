.PHONY: setup test test-fast demo sandbox bench snapshots test-binaries check lint format types contracts

PY := .venv/bin/python

# The README's two commands; each makes its own virtual environment in .venv.
demo:
	python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/kstui demo

test:
	python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]" && .venv/bin/python -m pytest -q -n auto --dist loadfile

setup:
	python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]"

# Everything a change must pass: lint, format, types, import contracts, then every test.
check: setup lint types contracts
	$(PY) -m pytest -q -n auto --dist loadfile

# The edit loop: pure functions, widgets and backends against the sandbox (under a minute).
test-fast: setup
	$(PY) -m pytest -q tests/unit tests/backends

lint:
	$(PY) -m ruff check kstui tests bench tools
	$(PY) -m ruff format --check kstui tests bench tools

format:
	$(PY) -m ruff format kstui tests bench tools

types:
	$(PY) -m mypy

contracts:
	.venv/bin/lint-imports

sandbox: setup
	.venv/bin/kstui sandbox --kubeconfig /tmp/kstui-sandbox.kubeconfig

bench: setup
	$(PY) bench/sandbox.py

snapshots: setup
	$(PY) -m pytest tests/visual --snapshot-update

# Real kubectl 1.35/1.32 and Helm 4/3 for the client tests, in ~/.cache/kstui-test-bin
# (or $KSTUI_TEST_BIN).
test-binaries:
	tools/install-test-binaries.sh
