"""Subscription: one consumer's coalesced view of a WatchCache (cache.py): its own dirty keys,
drained by `changes()` as CacheDeltas, newest state only, at most one per interval."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

from kstui.backends.cache_rows import CacheDelta, CachedRow, CacheState, TableColumn
from kstui.backends.errors import KstuiError

SETTLE = 0.02
"""Seconds a delta waits after the first change, so a burst arriving together goes out together."""


class SubscribedCache(Protocol):
    """What a subscription reads of its cache (WatchCache)."""

    rows: dict[str, CachedRow]
    columns: tuple[TableColumn, ...]
    version: int
    state: CacheState
    error: KstuiError | None
    synced_at: float | None
    loaded: bool

    def unsubscribe(self, subscription: Subscription) -> None: ...


class Subscription:
    """One consumer's view of a cache: its own dirty keys, drained by `changes()`."""

    def __init__(self, cache: SubscribedCache) -> None:
        self.cache = cache
        self._dirty: set[str] = set()
        self._reset = True
        self._wake = asyncio.Event()
        self._wake.set()
        self._urgent = asyncio.Event()
        """Set when the consumer is owed its first rows or the end of the first list: these
        wait for no interval."""
        self._shown_rows = False
        self._closed = False
        self._delivered: tuple[Any, ...] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        self.cache.unsubscribe(self)
        self._dirty.clear()
        self._wake.set()

    async def changes(self, min_interval: float = 0.1) -> AsyncIterator[CacheDelta]:
        """Deltas until close(): the first at once with every row (reset), then at most one per
        `min_interval` for row changes and for state, error or sync-time changes; the first rows
        (a list's first page) and the delta that completes the first list go out at once. One
        consumer."""
        last_yield = -1e9
        while not self._closed:
            await self._wake.wait()
            if self._closed:
                return
            if self._delivered is not None and not self._urgent_now():
                self._urgent.clear()
                delay = max(last_yield + min_interval - time.monotonic(), min(SETTLE, min_interval))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._urgent.wait()
            self._wake.clear()
            delta = self._take()
            if delta is not None:
                last_yield = time.monotonic()
                yield delta

    # ------------------------------------------------------------------ from the cache

    def changed(self, key: str) -> None:
        """A row changed (upserted or deleted); a pending reset covers it already."""
        if not self._reset:
            self._dirty.add(key)

    def reshaped(self) -> None:
        """The columns changed: the next delta replaces every row."""
        self._reset = True
        self._dirty.clear()

    def wake(self) -> None:
        self._wake.set()
        if self._urgent_now():
            self._urgent.set()

    def _urgent_now(self) -> bool:
        """The consumer has been shown no row and the cache has some (the first page), or the
        cache has its first whole list and the consumer has not been told yet."""
        cache = self.cache
        if not self._shown_rows and cache.rows:
            return True
        return cache.loaded and not (self._delivered is not None and self._delivered[3])

    def _take(self) -> CacheDelta | None:
        cache = self.cache
        status = (cache.state, cache.error, cache.synced_at, cache.loaded)
        upserted: list[CachedRow] = []
        deleted: list[str] = []
        reset = self._reset
        if reset:
            upserted = list(cache.rows.values())
        elif self._dirty:
            rows = cache.rows
            for key in self._dirty:
                row = rows.get(key)
                if row is None:
                    deleted.append(key)  # may be a row this consumer never saw: ignore it
                else:
                    upserted.append(row)
        elif status == self._delivered:
            return None
        self._reset = False
        self._dirty = set()
        self._delivered = status
        self._shown_rows = self._shown_rows or bool(upserted)
        return CacheDelta(reset, cache.columns, upserted, deleted, cache.version, *status)
