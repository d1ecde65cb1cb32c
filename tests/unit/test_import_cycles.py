"""No import cycle among kstui's modules (the sandbox aside): each module's imports, read from
the source, form an acyclic graph. Imports inside functions count (a cycle deferred to call
time is still a cycle), and so do those under `if TYPE_CHECKING:`: two modules that need each
other's types are one concern split in two (WorkspaceService and TenancyWrites were)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.source_tree import parse_source

PACKAGE = Path(__file__).resolve().parents[2] / "kstui"
SKIPPED = ("kstui.sandbox",)
KNOWN: set[tuple[str, str]] = set()
"""Edges allowed to close a cycle: none (the palette names what it needs of the app by a
Protocol, and the sections come from their registry)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The kstui modules a module imports, at any depth."""
    found: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            # `from kstui.backends import errors` imports the module kstui.backends.errors
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {module for module in found if module in known and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
    paths = {name: path for name, path in paths.items() if not name.startswith(SKIPPED)}
    known = set(paths)
    return {
        name: imported(parse_source(path.read_text()), name, path.name == "__init__.py", known)
        for name, path in paths.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle as [a, b, ..., a], or [] if the graph is acyclic (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_cycle_finder_finds_a_cycle_and_passes_a_tree() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_imports_are_read_at_any_depth() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "if TYPE_CHECKING:\n    from kstui.x import c\n"
        "def f():\n    import kstui.x.d\n"
    )
    known = {"kstui.x.a", "kstui.x.b", "kstui.x.c", "kstui.x.d"}
    assert imported(parse_source(source), "kstui.x.a", False, known) == {
        "kstui.x.b",
        "kstui.x.c",
        "kstui.x.d",
    }


def test_kstui_has_no_import_cycle() -> None:
    graph = import_graph()
    for importer, imported_module in KNOWN:
        graph[importer].discard(imported_module)
    assert "kstui.backends.workspaces" in graph  # the graph is the real one
    assert "kstui.backends.tenancy_writes" in graph["kstui.backends.workspaces"]
    cycle = find_cycle(graph)
    assert not cycle, "import cycle: " + " -> ".join(cycle)
