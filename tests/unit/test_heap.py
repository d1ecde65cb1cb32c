"""The heap settle's effect on the collector's schedule."""

from __future__ import annotations

import gc

from kstui.heap import FULL_DUE, FULL_EVERY, Heap


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


def test_the_due_full_collection_waits_for_a_pause_in_the_keys(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append(generation))
    monkeypatch.setattr(gc, "get_count", lambda: (5, 3, FULL_DUE))
    heap = Heap()
    heap.input()  # a key just came
    heap._idle()
    assert collected == []
    heap.last_input -= 1.0  # no key for a second
    heap._idle()
    assert collected == [2]
    monkeypatch.setattr(gc, "get_count", lambda: (5, 3, FULL_DUE - 1))
    heap._idle()  # idle, but CPython would not have made one yet
    assert collected == [2]
