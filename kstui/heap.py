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

import contextlib
import contextvars
import gc
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded by the caller's loop: the start pauses the collector before it loads
    import asyncio

BIG_LOAD = 1000
"""Rows from which a load is worth settling the heap for."""
FLOOD_THRESHOLD = 10_000
"""The youngest generation's threshold while something floods (a log view taking thousands of
lines a second): the default 700 collected ~130 times a second, and what a flood holds for a
moment (a tick's lines, the rows drawn) outlived two of them, reached the old generation and
made a full collection of it about once a second. At 10,000 a young collection comes every
few ticks (a few ms) and a short-lived object dies before one sees it; the garbage it waits
for is at most that many objects."""

FULL_EVERY = 100
"""Collections of the middle generation between two automatic full ones once the heap was
settled (CPython's default is 10). A full collection also waits until the long-lived objects grew
by a quarter since the last one counted them, but that count leaves out the frozen heap, so with
a big list frozen it was nearly always due: under a watch's churn a 20-100 ms full collection
came every few seconds, inside keystrokes (issue 18: several per modal opened). Instead the
full collection CPython would have made is made when no key came for IDLE_SECONDS (checked
every second); the automatic one, rarer, only catches up when keys never stop."""
FULL_DUE = 10
"""Middle collections after which the idle check makes a full one (CPython's own schedule)."""
IDLE_SECONDS = 0.5


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No collection meanwhile (and the collector as it was after): building or decoding
    thousands of objects at once allocates fast, and collections would rescan them all."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Heap:
    def __init__(self, delay: float = 1.0, again: float = 10.0) -> None:
        self.delay = delay
        """Seconds from a release to the settle: a closed screen is removed, its workers end and
        its subscription closes meanwhile, and several releases share one collection."""
        self.again = again
        """Seconds to a second settle: a dropped screen may stay reachable a while longer (a
        cancelled timer or an idle task still holds a context that names it), and the first
        settle then froze it again."""
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.before_settle: list[Callable[[], None]] = []
        """Caches that would keep dropped objects alive (the app adds the toolkit's)."""
        self.settles = 0
        self.idle_collections = 0
        self.last_input = 0.0
        """time.monotonic() of the last key (the app reports each one)."""
        self._idle_check: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None
        self.slowest = 0.0
        """Seconds of the slowest settle (bench/memory.py reports it)."""
        self._floods: set[int] = set()
        self._thresholds: tuple[int, int, int] | None = None
        self._paused_for_start: bool | None = None
        """While the start pauses the collector: whether it was enabled before."""
        self.settled_since_start = False
        """What the start froze (modules, classes, the app) is alive for good and pins nothing;
        only a settle freezes what may be dropped later."""

    def pause_for_start(self) -> None:
        """From here to the first frame no collection runs: the modules imported and the first
        screen make ~300,000 objects and hardly any garbage, and a score of collections would
        walk them for nothing (~3 ms of the first frame). `started` ends the pause."""
        if self._paused_for_start is None:
            self._paused_for_start = gc.isenabled()
            gc.disable()

    def started(self) -> None:
        """The first frame is drawn: what the start made is frozen, so that the collections
        after it walk only what is new, and the collector runs again. Once; nothing without
        `pause_for_start` (an app run in a test)."""
        if self._paused_for_start is None:
            return
        enabled, self._paused_for_start = self._paused_for_start, None
        gc.freeze()  # not counted: gc.get_freeze_count() walks every frozen object (~3 ms)
        if enabled:
            gc.enable()

    def input(self) -> None:
        """A key arrived: a full collection now would land in its frame."""
        self.last_input = time.monotonic()

    def _check_idle_soon(self) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._idle_check is not None and self._idle_check[0] is loop:
            return
        handle = loop.call_later(1.0, self._idle, context=contextvars.Context())
        self._idle_check = (loop, handle)

    def _idle(self) -> None:
        """Every second once settled: the full collection that is due, if no key is coming."""
        self._idle_check = None
        idle = time.monotonic() - self.last_input >= IDLE_SECONDS
        if idle and gc.get_count()[2] >= FULL_DUE:
            gc.collect(2)  # not the frozen heap: what was allocated since the settle
            self.idle_collections += 1
        self._check_idle_soon()

    def loaded(self, rows: int) -> None:
        """A list finished loading: move it (and what it left behind) out of the way."""
        if rows >= BIG_LOAD:
            self.settle()

    def released(self) -> None:
        """Something that may be frozen was dropped: settle soon, and once more later. No settle
        since the start, nothing frozen to let go: the collector finds the garbage on its own."""
        if "soon" in self._timers or not self.settled_since_start:
            return
        self._later("soon", self.delay)

    def flooding(self, owner: object, flooding: bool = True) -> None:
        """`owner` (by id: never kept alive) takes a flood in, or no longer: while any does,
        young collections wait for FLOOD_THRESHOLD allocations; the thresholds come back
        when the last is done."""
        if flooding:
            if not self._floods:
                self._thresholds = gc.get_threshold()
                young, *older = self._thresholds
                gc.set_threshold(max(young, FLOOD_THRESHOLD), *older)
            self._floods.add(id(owner))
            return
        self._floods.discard(id(owner))
        if not self._floods and self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def _later(self, name: str, delay: float) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.settle()
            return
        # A fresh context: the caller's (a screen's message pump) would keep that screen alive.
        self._timers[name] = loop.call_later(delay, self._due, name, context=contextvars.Context())

    def _due(self, name: str) -> None:
        self._timers.pop(name, None)
        if name == "soon":
            timer = self._timers.pop("again", None)
            if timer is not None:
                timer.cancel()
            self._later("again", self.again)
        self.settle()

    def settle(self) -> None:
        """Unfreeze, collect, freeze: what is alive goes out of the collector's way again, what
        was dropped since the last settle is freed."""
        timer = self._timers.pop("soon", None)
        if timer is not None:
            timer.cancel()
        started = time.perf_counter()
        for forget in self.before_settle:
            forget()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.settled_since_start = True
        young, middle, full = gc.get_threshold()
        if full < FULL_EVERY:
            gc.set_threshold(young, middle, FULL_EVERY)
        self._check_idle_soon()
        self.settles += 1
        self.slowest = max(self.slowest, time.perf_counter() - started)


HEAP = Heap()
"""The process has one collector, so one Heap."""
