.PHONY: setup test demo sandbox bench snapshots

setup:
	python3 -m pip install -e ".[dev]"

test:
	python3 -m pytest -q

demo:
	kstui demo

sandbox:
	kstui sandbox --kubeconfig /tmp/kstui-sandbox.kubeconfig

bench:
	python3 bench/sandbox.py

snapshots:
	python3 -m pytest tests/visual --snapshot-update
