"""The keys that move through a long text (describe, YAML, help): the same keys, and the same
meanings, as moving through a table."""

from __future__ import annotations

from textual.binding import Binding


def scroll_bindings(scope: str) -> list[Binding]:
    """Bindings for `action_scroll(where)`, with ids `<scope>.down`, `<scope>.first`, …"""
    return [
        Binding("j,down", "scroll('down')", "down", show=False, id=f"{scope}.down"),
        Binding("k,up", "scroll('up')", "up", show=False, id=f"{scope}.up"),
        Binding(
            "space,pagedown,ctrl+f",
            "scroll('page_down')",
            "page down",
            show=False,
            id=f"{scope}.page_down",
        ),
        Binding("pageup,ctrl+b", "scroll('page_up')", "page up", show=False, id=f"{scope}.page_up"),
        Binding("g,home", "scroll('home')", "first line", show=False, id=f"{scope}.first"),
        Binding("G,end", "scroll('end')", "last line", show=False, id=f"{scope}.last"),
    ]
