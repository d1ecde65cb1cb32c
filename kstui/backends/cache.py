"""WatchCache: a live, memory-lean copy of one list (server-side Table rows), shared by screens.

list (paged, applied page by page) → watch from the list's resourceVersion → resume from the last
seen resourceVersion when a stream ends → relist on 410 Gone; backoff with jitter on transient
errors. Rows keep only what a table shows (cells, identity, controller owner): 10k decoded pods
cost 249 MiB, these rows a few MiB. The UI fetches the full object when the user opens one.
Subscribers get coalesced deltas (newest state only, at most one per interval).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from kstui.backends import errors
from kstui.backends.errors import KstuiError
from kstui.backends.kube import TABLE_ACCEPT, KubeClient

FATAL_ERRORS = (errors.Unauthorized, errors.Forbidden, errors.NotFound, errors.BadRequest,
                errors.Invalid, errors.KubeconfigError)
"""Retrying soon cannot help: the user has to act (log in, get access, fix the path)."""
HEALTHY_WATCH = 1.0
"""A watch open this long (or that delivered an event) made progress: a drop resumes at once."""
SETTLE = 0.02
"""Seconds a delta waits after the first change, so a burst arriving together goes out together."""
_FALLBACK_COLUMNS = ({"name": "Name", "type": "string", "format": "name"},
                     {"name": "Created At", "type": "date"})


class CacheState(Enum):
    LOADING = "loading"
    LIVE = "live"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TableColumn:
    name: str
    type: str = "string"
    format: str = ""
    priority: int = 0
    description: str = ""


@dataclass(frozen=True, slots=True)
class CachedRow:
    key: str
    """The uid, or `namespace/name` when the server sent none."""
    namespace: str
    name: str
    uid: str
    created: str
    """metadata.creationTimestamp as sent (RFC 3339): ages are formatted at render time."""
    resource_version: str
    cells: tuple[str, ...]
    owner: tuple[str, str] | None
    """(kind, name) of the controller ownerReference."""


@dataclass(frozen=True, slots=True)
class CacheDelta:
    reset: bool
    """Replace everything shown with `upserted` (first delta, or the columns changed)."""
    columns: tuple[TableColumn, ...]
    upserted: list[CachedRow]
    deleted: list[str]
    version: int
    state: CacheState
    error: KstuiError | None
    synced_at: float | None
    loaded: bool


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Building thousands of rows allocates fast; collections would rescan them all (kube.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _cell(value: Any) -> str:
    # Interned: "Running", "1/1", node and image names repeat across thousands of rows.
    if value is None:
        return ""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return sys.intern(str(value))
    return sys.intern(orjson.dumps(value).decode())


def _table_rows(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows; a server that ignored as=Table sent a plain object or list: name and age."""
    if obj.get("kind") == "Table":
        return obj.get("rows") or []
    items = obj.get("items", [obj])
    return [{"cells": [(item.get("metadata") or {}).get("name", ""),
                       (item.get("metadata") or {}).get("creationTimestamp", "")],
             "object": item} for item in items]


def _columns(table: dict[str, Any]) -> tuple[TableColumn, ...]:
    definitions = table.get("columnDefinitions") if table.get("kind") == "Table" \
        else _FALLBACK_COLUMNS
    return tuple(TableColumn(str(d.get("name", "")), str(d.get("type", "string")),
                             str(d.get("format", "")), int(d.get("priority") or 0),
                             str(d.get("description", ""))) for d in definitions or ())


def _row(table_row: dict[str, Any]) -> CachedRow:
    meta = (table_row.get("object") or {}).get("metadata") or {}
    cells = tuple(map(_cell, table_row.get("cells") or ()))
    name = meta.get("name") or (cells[0] if cells else "")
    if cells and cells[0] == name:
        name = cells[0]  # one string for both
    namespace = sys.intern(meta.get("namespace") or "")
    uid = meta.get("uid") or ""
    owner = None
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            owner = (sys.intern(ref.get("kind") or ""), sys.intern(ref.get("name") or ""))
            break
    return CachedRow(uid or f"{namespace}/{name}", namespace, name, uid,
                     sys.intern(meta.get("creationTimestamp") or ""),
                     meta.get("resourceVersion") or "", cells, owner)


class Subscription:
    """One consumer's view of a cache: its own dirty keys, drained by `changes()`."""

    def __init__(self, cache: WatchCache) -> None:
        self.cache = cache
        self._dirty: set[str] = set()
        self._reset = True
        self._wake = asyncio.Event()
        self._wake.set()
        self._closed = False
        self._delivered: tuple[Any, ...] | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True
        self.cache._subscriptions.discard(self)
        self._dirty.clear()
        self._wake.set()

    async def changes(self, min_interval: float = 0.1) -> AsyncIterator[CacheDelta]:
        """Deltas until close(): the first at once with every row (reset), then at most one per
        `min_interval` for row changes and for state, error or sync-time changes. One consumer."""
        last_yield = -1e9
        while not self._closed:
            await self._wake.wait()
            if self._closed:
                return
            if self._delivered is not None:
                await asyncio.sleep(max(last_yield + min_interval - time.monotonic(),
                                        min(SETTLE, min_interval)))
            self._wake.clear()
            delta = self._take()
            if delta is not None:
                last_yield = time.monotonic()
                yield delta

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
        return CacheDelta(reset, cache.columns, upserted, deleted, cache.version, *status)


class WatchCache:
    """The rows of one list path (`/api/v1/pods`, `/apis/apps/v1/namespaces/x/deployments`)
    with optional selectors, kept live by `run()` (one task; cancel it to stop)."""

    def __init__(self, client: KubeClient, path: str, *, label_selector: str = "",
                 field_selector: str = "", page_size: int = 500, min_backoff: float = 0.5,
                 max_backoff: float = 30.0, watch_timeout: int = 300) -> None:
        self.client = client
        self.path = path
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.page_size = page_size
        self.min_backoff = min_backoff
        self.max_backoff = max(max_backoff, min_backoff)
        self.watch_timeout = watch_timeout
        self.columns: tuple[TableColumn, ...] = ()
        self.rows: dict[str, CachedRow] = {}
        self.version = 0
        self.state = CacheState.LOADING
        self.error: KstuiError | None = None
        self.synced_at: float | None = None
        """time.monotonic() of the last list, watch (re)open, event or bookmark."""
        self.loaded = False
        """The first list completed (stays True through relists and errors)."""
        self.resource_version = ""
        self.lists_started = 0
        """How many (re)lists began: 1 while no 410 or failure forced another."""
        self.watches_started = 0
        self.running = False
        self._subscriptions: set[Subscription] = set()
        self._retry_now = asyncio.Event()
        self._watch_opened_at: float | None = None
        self._watch_events = 0
        self._need_list = True
        self._failures = 0  # attempts in a row without progress, for the backoff
        self._gone_streak = 0  # 410s in a row without a watch making progress in between

    def subscribe(self) -> Subscription:
        """A new consumer; its first delta carries every current row. Close it when done."""
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def retry_now(self) -> None:
        """Cut a backoff short (a user asked to retry, or a new screen wants these rows)."""
        self._retry_now.set()

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """List, watch, resume, relist, back off: until cancelled."""
        self.running = True
        try:
            while True:
                delay = await self._attempt()
                if delay:
                    await self._pause(delay)
        finally:
            self.running = False

    async def _attempt(self) -> float:
        """List if needed, then watch until the stream ends: seconds to wait before the next."""
        self._watch_opened_at = None
        gone, error = False, None
        try:
            if self._need_list:
                await self._list()
                self._need_list = False
                self._failures = 0
            await self._watch()  # returns when the server ends the stream cleanly
        except errors.Gone:
            gone = True
        except KstuiError as exc:
            error = exc
        except Exception as exc:  # an answer we could not read: report it, retry slowly
            error = KstuiError(f"unexpected answer while watching {self.path}",
                               f"{type(exc).__name__}: {exc}", "kstui keeps retrying")
        if self._watch_progressed():
            self._failures = self._gone_streak = 0
            if not gone and (error is None or isinstance(error, errors.Unreachable)):
                return 0.0  # a healthy stream ended or dropped: resume where it stopped
        if gone:
            self._need_list = True
            self._gone_streak += 1  # lists that keep expiring must not relist in a tight loop
            return self._backoff(self._gone_streak - 1) if self._gone_streak > 1 else 0.0
        self._failures += 1
        if error is None or (isinstance(error, errors.Unreachable) and self._watch_opened_at):
            # Streams that open, then end with nothing: resume once at once, then back off.
            if self._failures == 1:
                return 0.0
            if error is not None:
                self._set_status(CacheState.RETRYING, error)
            return self._backoff(self._failures - 1)
        if isinstance(error, FATAL_ERRORS) or type(error) is KstuiError:
            self._set_status(CacheState.FAILED, error)
            self._need_list = True  # access or the path changed: start over when it works
            return random.uniform(self.max_backoff / 2, self.max_backoff)  # slowly, not in step
        self._set_status(CacheState.RETRYING, error)
        delay = self._backoff(self._failures)
        if isinstance(error, errors.TooManyRequests):
            delay = max(delay, error.retry_after)  # the server said when
        return delay

    def _backoff(self, failures: int) -> float:
        """Full jitter: uniform between min_backoff and a cap doubling up to max_backoff."""
        cap = min(self.max_backoff, self.min_backoff * 2 ** max(failures - 1, 0))
        return random.uniform(self.min_backoff, cap)

    async def _pause(self, seconds: float) -> None:
        self._retry_now.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._retry_now.wait(), seconds)

    def _watch_progressed(self) -> bool:
        opened = self._watch_opened_at
        return opened is not None and (
            self._watch_events > 0 or time.monotonic() - opened >= HEALTHY_WATCH)

    def _params(self) -> dict[str, str]:
        params = {"includeObject": "Metadata"}
        if self.label_selector:
            params["labelSelector"] = self.label_selector
        if self.field_selector:
            params["fieldSelector"] = self.field_selector
        return params

    async def _list(self) -> None:
        """Pages are applied as they arrive; rows the new list lacks go only at its end."""
        self.lists_started += 1
        seen: set[str] = set()
        resource_version = ""
        reshaped: bool | None = None  # the columns changed: every row must be replaced
        async for page in self.client.list_pages(self.path, self._params(), accept=TABLE_ACCEPT,
                                                 limit=self.page_size):
            if reshaped is None:
                columns = _columns(page)
                reshaped = columns != self.columns
                if reshaped:
                    self.columns = columns
                    for subscription in self._subscriptions:
                        subscription._reset = True
                        subscription._dirty.clear()
            with _gc_paused():
                for table_row in _table_rows(page):
                    row = _row(table_row)
                    seen.add(row.key)
                    old = self.rows.get(row.key)
                    # Same resourceVersion, same object: keep the row, the table repaints nothing.
                    if reshaped or old is None or not old.resource_version \
                            or old.resource_version != row.resource_version:
                        self._upsert(row)
            resource_version = str((page.get("metadata") or {}).get("resourceVersion") or "")
            self._notify()
        for key in [key for key in self.rows if key not in seen]:
            self._delete(key)
        self.resource_version = resource_version
        self.loaded = True
        self.synced_at = time.monotonic()
        self._set_status(CacheState.LIVE, None)
        self._notify()

    async def _watch(self) -> None:
        client = self.client
        params = self._params()
        if self.resource_version:
            params["resourceVersion"] = self.resource_version
        self._watch_events = 0

        def opened() -> None:
            self._watch_opened_at = self.synced_at = time.monotonic()
            self.watches_started += 1
            self._set_status(CacheState.LIVE, None)
            self._notify()

        async for event in client.watch(self.path, params, accept=TABLE_ACCEPT,
                                        timeout_seconds=self.watch_timeout, on_open=opened):
            self._apply_event(event)

    def _apply_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            raise errors.api_error(int(obj.get("code") or 500), obj,
                            f"WATCH {self.path} on {self.client.connection.context_name}")
        resource_version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if kind != "BOOKMARK":
            for table_row in _table_rows(obj):
                row = _row(table_row)
                if kind == "DELETED":
                    self._delete(row.key)
                else:
                    self._upsert(row)
                resource_version = row.resource_version or resource_version
        if resource_version:
            self.resource_version = resource_version
        self._watch_events += 1
        self.synced_at = time.monotonic()
        self._notify()

    # ------------------------------------------------------------------ changes

    def _upsert(self, row: CachedRow) -> None:
        self.rows[row.key] = row
        self._changed(row.key)

    def _delete(self, key: str) -> None:
        if self.rows.pop(key, None) is not None:
            self._changed(key)

    def _changed(self, key: str) -> None:
        self.version += 1
        for subscription in self._subscriptions:
            if not subscription._reset:
                subscription._dirty.add(key)

    def _notify(self) -> None:
        for subscription in self._subscriptions:
            subscription._wake.set()

    def _set_status(self, state: CacheState, error: KstuiError | None) -> None:
        if state is not self.state or error is not self.error:
            self.state = state
            self.error = error
            self._notify()
