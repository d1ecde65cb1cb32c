"""The heap settle's effect on the collector's schedule."""

from __future__ import annotations

import gc

from kstui.heap import FULL_EVERY, Heap


def test_a_settled_heap_makes_full_collections_rarer() -> None:
    """Frozen, the heap no longer counts towards CPython's "a quarter more long-lived objects"
    rule, so full collections would come every 10 middle ones: the settle spaces them."""
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        Heap().settle()
        assert gc.get_threshold() == (700, 10, FULL_EVERY)
        gc.set_threshold(700, 10, 5 * FULL_EVERY)  # a rarer schedule set elsewhere stays
        Heap().settle()
        assert gc.get_threshold() == (700, 10, 5 * FULL_EVERY)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
