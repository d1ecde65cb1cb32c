"""Time for the sandbox: the wall clock, or a manual clock that tests advance by hand.

Everything time-driven in the sandbox (timestamps, controllers' delays, log lines, usage) reads
one Clock, so a frozen clock makes a whole cluster deterministic.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """Wall-clock time; `call_later` and `sleep` use the event loop."""

    manual = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        handle = asyncio.get_running_loop().call_later(max(delay, 0.0), callback)
        return handle.cancel

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(order=True)
class _Timer:
    """A pending timer; ordered by due time, then by the order it was set."""

    due: datetime
    seq: int
    callback: Callable[[], None] = field(compare=False)


class ManualClock(Clock):
    """A clock that stands still until `advance()` moves it; timers fire in order as it moves."""

    manual = True

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._timers: list[_Timer] = []
        self._counter = itertools.count()
        self._moved: asyncio.Event | None = None

    def now(self) -> datetime:
        return self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> Callable[[], None]:
        timer = _Timer(
            self._now + timedelta(seconds=max(delay, 0.0)), next(self._counter), callback
        )
        heapq.heappush(self._timers, timer)

        def cancel() -> None:
            timer.callback = _noop

        return cancel

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer that falls due, in time order."""
        target = self._now + timedelta(seconds=seconds)
        while self._timers and self._timers[0].due <= target:
            timer = heapq.heappop(self._timers)
            self._now = max(self._now, timer.due)
            timer.callback()
        self._now = target
        if self._moved is not None:
            self._moved.set()
            self._moved = None

    async def sleep(self, seconds: float) -> None:
        wake_at = self._now + timedelta(seconds=seconds)
        while self._now < wake_at:
            if self._moved is None:
                self._moved = asyncio.Event()
            await self._moved.wait()


def _noop() -> None:
    return None
