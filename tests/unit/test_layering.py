"""The layering rules of docs/architecture.md, checked on the source (like import-linter)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.fresh_python import fresh_python
from tests.source_tree import parse_source

PACKAGE = Path(__file__).resolve().parents[2] / "kstui"


def imports_of(path: Path) -> set[str]:
    tree = parse_source(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py")) if folder else [PACKAGE / "model.py"]


@pytest.mark.parametrize("folder", ["backends", "sandbox", ""])
def test_backends_model_and_sandbox_never_import_the_toolkit(folder: str) -> None:
    for path in modules(folder):
        bad = {m for m in imports_of(path) if m.split(".")[0] in ("textual", "rich")}
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"


def test_widgets_never_import_backends_and_screens_never_import_the_app() -> None:
    for path in modules("widgets"):
        bad = {m for m in imports_of(path) if m.startswith(("kstui.backends", "kstui.screens"))}
        assert not bad, f"{path.name} imports {sorted(bad)}"
    for path in modules("screens"):
        bad = {m for m in imports_of(path) if m in ("kstui.app", "kstui.__main__")}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_startup_imports_no_network_stack() -> None:
    """The first frame must not wait for httpx, ssl contexts or the kubernetes package."""
    code = (
        "import sys, kstui.app, kstui.__main__; "
        "print(','.join(m for m in ('httpx', 'kubernetes') if m in sys.modules))"
    )
    printed = fresh_python(code)
    assert printed.strip() == ""
