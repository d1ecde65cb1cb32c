.PHONY: venv setup test demo sandbox bench snapshots test-binaries

# The README's two commands; each makes its own virtual environment in .venv.
demo:
	python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/kstui demo

test:
	python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]" && .venv/bin/python -m pytest -q

setup:
	python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]"

sandbox: setup
	.venv/bin/kstui sandbox --kubeconfig /tmp/kstui-sandbox.kubeconfig

bench: setup
	.venv/bin/python bench/sandbox.py

snapshots: setup
	.venv/bin/python -m pytest tests/visual --snapshot-update

# Real kubectl 1.35/1.32 and Helm 4/3 for the client tests, in ~/.cache/kstui-test-bin
# (or $KSTUI_TEST_BIN).
test-binaries:
	tools/install-test-binaries.sh
