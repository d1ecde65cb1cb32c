"""Two ways Textual keeps removed widgets alive, undone. Each step of the history (a screen
opened and closed) left both behind; bench/memory.py counts what survives."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """Textual's Footer recomposes whenever the screen's bindings change (a screen coming back,
    the prompt taking focus) and binds each new key to its `compact` reactive. The removed keys
    stay in that reactive's watcher list until `compact` changes, which here is never: about 30
    widgets per recompose, for the life of the screen. Drop them before composing new ones."""

    def compose(self) -> ComposeResult:
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [
                (node, callback)
                for node, callback in watchers
                if not (node._closing or node._closed)
            ]
        yield from super().compose()


def forget_styles_of_removed_widgets() -> None:
    """StylesCache.get_inner_outer is an lru_cache (1,024 entries) keyed by each widget's
    StylesCache, which holds the widget's last rendered lines: a closed list's table stays there
    until 1,024 newer entries push it out. Cheap to refill; cleared when the heap settles."""
    from textual._styles_cache import StylesCache

    clear = getattr(StylesCache.get_inner_outer, "cache_clear", None)
    if clear is not None:
        clear()
