"""The garbage collector and big lists: keep a big list out of its way, never pin a closed one.

A full collection walks every tracked object: with 20,000 rows listed it would land in the middle
of a keystroke, so after a big load the heap is frozen (gc.freeze) and the collector skips what
is there. Frozen objects are never collected, though, and a closed list's screen, table and rows
hang together in reference cycles: freezing after each load pinned every list closed since, about
9 MiB per 20,000-row list (bench/memory.py). So the heap is settled instead (unfrozen, collected
once, frozen again): after a big load, and shortly after something that may have been frozen is
dropped (a list's screen, a cache). The freeze count then tracks what is alive, not what was.

Stdlib only: screens and backends both report to it.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import time

BIG_LOAD = 1000
"""Rows from which a load is worth settling the heap for."""


class Heap:
    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        """Seconds between a release and the settle: a closed screen is removed, its workers
        cancelled and its subscription closed in the meantime, and several releases share one
        collection."""
        self._timer: asyncio.TimerHandle | None = None
        self.settles = 0
        self.slowest = 0.0
        """Seconds of the slowest settle (bench/memory.py reports it)."""

    def loaded(self, rows: int) -> None:
        """A list finished loading: move it (and what it left behind) out of the way."""
        if rows >= BIG_LOAD:
            self.settle()

    def released(self) -> None:
        """Something that may be frozen was dropped: settle soon. Nothing frozen, nothing to do:
        the collector finds the garbage on its own."""
        if self._timer is not None or not gc.get_freeze_count():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.settle()
            return
        # A fresh context: the caller's (a screen's message pump) would keep it alive.
        self._timer = loop.call_later(self.delay, self.settle, context=contextvars.Context())

    def settle(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.settles += 1
        self.slowest = max(self.slowest, time.perf_counter() - started)


HEAP = Heap()
"""The process has one collector, so one Heap."""
