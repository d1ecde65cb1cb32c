"""A way Textual keeps removed widgets alive, undone (the other is kstui's Footer,
widgets/footer.py). Each step of the history (a screen opened and closed) left both behind;
bench/memory.py counts what survives."""

from __future__ import annotations


def forget_styles_of_removed_widgets() -> None:
    """StylesCache.get_inner_outer is an lru_cache (1,024 entries) keyed by each widget's
    StylesCache, which holds the widget's last rendered lines: a closed list's table stays there
    until 1,024 newer entries push it out. Cheap to refill; cleared when the heap settles."""
    from textual._styles_cache import StylesCache

    clear = getattr(StylesCache.get_inner_outer, "cache_clear", None)
    if clear is not None:
        clear()
