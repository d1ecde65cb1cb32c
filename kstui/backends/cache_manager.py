"""CacheManager: the WatchCaches of one client, shared by (path, selectors) and reference-counted.

Screens subscribe through it, so two screens on the same list share one list+watch; when the last
subscriber leaves, the cache keeps running for a grace period, so going back shows rows at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from kstui.backends.cache import CacheState, Subscription, WatchCache
from kstui.backends.kube import KubeClient
from kstui.heap import HEAP


@dataclass(slots=True)
class _Shared:
    cache: WatchCache
    task: asyncio.Task[None]
    users: int = 0
    stop_timer: asyncio.TimerHandle | None = None


class CacheManager:
    """Caches shared by (path, selectors) and reference-counted; an unused one keeps running for
    `grace` seconds, so going back to a screen shows its rows at once."""

    def __init__(
        self,
        client: KubeClient,
        grace: float = 30.0,
        *,
        page_size: int = 500,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        watch_bounds: Iterable[tuple[str, float]] = (),
    ) -> None:
        """`watch_bounds`: WatchCache's liveness bounds by name (probe_after, probe_timeout,
        list_timeout, quiet_relist)."""
        self.client = client
        self.grace = grace
        self._options: dict[str, Any] = {
            "page_size": page_size,
            "min_backoff": min_backoff,
            "max_backoff": max_backoff,
            **dict(watch_bounds),
        }
        self._shared: dict[tuple[str, str, str], _Shared] = {}
        self._stopping: set[asyncio.Task[None]] = set()
        self._closed = False
        client.not_found_listeners.append(self._not_found)

    def _not_found(self, path: str) -> None:
        """A GET answered 404: a cache still listing that object drops it and relists."""
        for shared in list(self._shared.values()):
            shared.cache.object_missing(path)

    def caches(self) -> list[WatchCache]:
        return [shared.cache for shared in self._shared.values()]

    @contextlib.asynccontextmanager
    async def subscribe(
        self, path: str, label_selector: str = "", field_selector: str = ""
    ) -> AsyncIterator[Subscription]:
        if self._closed:
            raise RuntimeError("CacheManager is closed")
        key = (path, label_selector, field_selector)
        shared = self._shared.get(key)
        if shared is None or shared.task.done():
            cache = WatchCache(
                self.client,
                path,
                label_selector=label_selector,
                field_selector=field_selector,
                **self._options,
            )
            # A fresh context: the subscriber's would hold its worker, and through it its
            # screen, for as long as the cache runs (or the timer below waits).
            task = asyncio.create_task(
                cache.run(), name=f"kstui watch {path}", context=contextvars.Context()
            )
            shared = self._shared[key] = _Shared(cache, task)
        if shared.stop_timer is not None:
            shared.stop_timer.cancel()
            shared.stop_timer = None
        if shared.cache.state is CacheState.FAILED:
            shared.cache.retry_now()
        shared.users += 1
        subscription = shared.cache.subscribe()
        try:
            yield subscription
        finally:
            subscription.close()
            shared.users -= 1
            if shared.users == 0 and self._shared.get(key) is shared and not self._closed:
                shared.stop_timer = asyncio.get_running_loop().call_later(
                    self.grace, self._stop, key, shared, context=contextvars.Context()
                )

    def _stop(self, key: tuple[str, str, str], shared: _Shared) -> None:
        if shared.users or self._shared.get(key) is not shared:
            return
        del self._shared[key]
        shared.task.cancel()
        self._stopping.add(shared.task)
        shared.task.add_done_callback(self._stopping.discard)
        # Its rows may have been frozen with a big list (kstui/heap.py): let them go.
        shared.task.add_done_callback(lambda _task: HEAP.released())

    async def aclose(self) -> None:
        self._closed = True
        with contextlib.suppress(ValueError):
            self.client.not_found_listeners.remove(self._not_found)
        tasks = list(self._stopping)
        for shared in self._shared.values():
            if shared.stop_timer is not None:
                shared.stop_timer.cancel()
            shared.task.cancel()
            tasks.append(shared.task)
        self._shared.clear()
        await asyncio.gather(*tasks, return_exceptions=True)
