"""Parsing kstui's own source in tests, safe from the garbage collector."""

from __future__ import annotations

import ast

from kstui.heap import gc_paused


def parse_source(text: str) -> ast.Module:
    """`ast.parse` with collection paused: on Python 3.11 the AST builder keeps one recursion
    counter for the whole interpreter, and a collection during a parse can run a finalizer that
    parses too (a task's unheard failure logged, its traceback's carets found with `ast.parse`),
    which breaks the outer parse with "SystemError: AST constructor recursion depth mismatch"."""
    with gc_paused():
        return ast.parse(text)
