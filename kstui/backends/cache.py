"""WatchCache: a live, memory-lean copy of one list (server-side Table rows), shared by screens.

list (paged, applied page by page) → watch from the list's resourceVersion → resume from the last
seen resourceVersion when a stream ends → relist on 410 Gone, on a resourceVersion the server
says is too large (it restarted or was restored), after a watch silent for `quiet_relist` (no
event, no bookmark) and when a GET of a listed row answers 404; backoff with jitter on transient
errors. A silent watch is probed after `probe_after`: a server that does not answer marks the
rows stale (kept, flagged) instead of letting them pass for live.
Rows keep only what a table shows (cells, identity, controller owner): 10k decoded pods
cost 249 MiB, these rows a few MiB. The UI fetches the full object when the user opens one.
Subscribers get coalesced deltas (newest state only, at most one per interval).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

from kstui.backends import errors
from kstui.backends.cache_liveness import (
    LIST_TIMEOUT,
    PROBE_AFTER,
    PROBE_TIMEOUT,
    QUIET_RELIST,
    keeps_expiring,
    not_answering,
    pages_in_time,
    probe,
    split_path,
    too_large,
)
from kstui.backends.cache_rows import (
    CacheDelta,
    CachedRow,
    CacheState,
    TableColumn,
    cached_row,
    table_columns,
    table_rows,
)
from kstui.backends.cache_subscription import SETTLE, Subscription
from kstui.backends.errors import KstuiError
from kstui.backends.kube import TABLE_ACCEPT, KubeClient
from kstui.heap import gc_paused

__all__ = [
    "SETTLE",
    "CacheDelta",
    "CacheState",
    "CachedRow",
    "Subscription",
    "TableColumn",
    "WatchCache",
]

FATAL_ERRORS = (
    errors.Unauthorized,
    errors.Forbidden,
    errors.NotFound,
    errors.BadRequest,
    errors.Invalid,
    errors.KubeconfigError,
)
"""Retrying soon cannot help: the user has to act (log in, get access, fix the path)."""
HEALTHY_WATCH = 1.0
"""A watch open this long (or that delivered an event) made progress: a drop resumes at once."""


class WatchCache:
    """The rows of one list path (`/api/v1/pods`, `/apis/apps/v1/namespaces/x/deployments`)
    with optional selectors, kept live by `run()` (one task; cancel it to stop)."""

    def __init__(
        self,
        client: KubeClient,
        path: str,
        *,
        label_selector: str = "",
        field_selector: str = "",
        page_size: int = 500,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        watch_timeout: int = 300,
        probe_after: float = PROBE_AFTER,
        probe_timeout: float = PROBE_TIMEOUT,
        list_timeout: float = LIST_TIMEOUT,
        quiet_relist: float = QUIET_RELIST,
    ) -> None:
        self.client = client
        self.path = path
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.page_size = page_size
        self.min_backoff = min_backoff
        self.max_backoff = max(max_backoff, min_backoff)
        self.watch_timeout = watch_timeout
        self.probe_after = probe_after
        self.probe_timeout = probe_timeout
        self.list_timeout = list_timeout
        self.quiet_relist = quiet_relist
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
        self._answered_at = time.time()  # wall clock of the last answer: "not answering since"
        self._watch_scope: asyncio.Timeout | None = None  # cut short to force a relist

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def subscribe(self) -> Subscription:
        """A new consumer; its first delta carries every current row. Close it when done."""
        subscription = Subscription(self)
        self._subscriptions.add(subscription)
        return subscription

    def retry_now(self) -> None:
        """Cut a backoff short (a user asked to retry, or a new screen wants these rows)."""
        self._retry_now.set()

    def resync(self) -> None:
        """Relist now: what the watch delivered can no longer be trusted."""
        self._need_list = True
        scope = self._watch_scope
        if scope is not None and not scope.expired():
            scope.reschedule(asyncio.get_running_loop().time())
        self._retry_now.set()

    def object_missing(self, path: str) -> bool:
        """A GET of `path` answered 404: if it is one of these rows, drop it and relist (the
        watch missed its deletion, so it may have missed more). True if it was listed."""
        prefix, namespace, resource, name = split_path(path)
        mine = split_path(self.path)
        if (
            not name
            or (prefix, resource) != (mine[0], mine[2])
            or (mine[1] and mine[1] != namespace)
        ):
            return False
        key = next(
            (
                key
                for key, row in self.rows.items()
                if row.name == name and row.namespace == namespace
            ),
            None,
        )
        if key is None:
            return False
        self._delete(key)
        self._notify()
        self.resync()
        return True

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
        error: KstuiError | None = None
        gone, listing = False, False
        try:
            if self._need_list:
                listing, self._need_list = True, False
                await self._list()
                listing = False
                self._failures = 0
            await self._watch()  # returns when the server ends the stream cleanly
        except errors.Gone as exc:
            gone, error = True, exc
        except KstuiError as exc:
            if too_large(exc):  # the server is behind us: restarted, restored or failed over
                gone = True
            error = exc
        except Exception as exc:  # an answer we could not read: report it, retry slowly
            error = KstuiError(
                f"unexpected answer while watching {self.path}",
                f"{type(exc).__name__}: {exc}",
                "kstui keeps retrying",
            )
        if self._watch_progressed():
            self._failures = self._gone_streak = 0
            if not gone and (error is None or isinstance(error, errors.Unreachable)):
                return 0.0  # a healthy stream ended or dropped: resume where it stopped
        if listing:
            self._need_list = True
        if gone:
            self._need_list = True
            self._gone_streak += 1  # lists that keep expiring must not relist in a tight loop
            if listing or self._gone_streak > 1:  # not the routine relist after a resume
                self._set_status(CacheState.RETRYING, keeps_expiring(self.path, error))
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
            self._watch_events > 0 or time.monotonic() - opened >= HEALTHY_WATCH
        )

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
        pages = self.client.list_pages(
            self.path, self._params(), accept=TABLE_ACCEPT, limit=self.page_size
        )
        async for page in pages_in_time(pages, self.list_timeout, lambda: self._answered_at):
            self._answered_at = time.time()
            if reshaped is None:
                columns = table_columns(page)
                reshaped = columns != self.columns
                if reshaped:
                    self.columns = columns
                    for subscription in self._subscriptions:
                        subscription.reshaped()
            with gc_paused():
                for table_row in table_rows(page):
                    row = cached_row(table_row)
                    seen.add(row.key)
                    old = self.rows.get(row.key)
                    # Same resourceVersion, same object: keep the row, the table repaints nothing.
                    if (
                        reshaped
                        or old is None
                        or not old.resource_version
                        or old.resource_version != row.resource_version
                    ):
                        self._upsert(row)
            resource_version = str((page.get("metadata") or {}).get("resourceVersion") or "")
            self._notify()
        for key in [key for key in self.rows if key not in seen]:
            self._delete(key)
        self.resource_version = resource_version
        self.loaded = True
        self._heard()
        self._set_status(CacheState.LIVE, None)
        self._notify()

    def _heard(self) -> None:
        self.synced_at = time.monotonic()
        self._answered_at = time.time()

    async def _watchdog(self, scope: asyncio.Timeout) -> None:
        """While a watch runs: probe a silent server, flag one that does not answer, and cut a
        watch with no event or bookmark for `quiet_relist` short, so the list is read afresh."""
        checked = time.monotonic()
        flagged: KstuiError | None = None
        while True:
            heard = self.synced_at or checked
            now = time.monotonic()
            if now - heard >= self.quiet_relist:
                self._need_list = True
                scope.reschedule(asyncio.get_running_loop().time())
                return
            checked = max(checked, heard)
            if now - checked < self.probe_after:
                await asyncio.sleep(
                    min(self.probe_after - (now - checked), self.quiet_relist - (now - heard))
                )
                continue
            answered = await probe(self.client, self.path, self.probe_timeout)
            checked = time.monotonic()
            if answered:
                self._answered_at = time.time()
                if flagged is not None and self.error is flagged:
                    self._set_status(CacheState.LIVE, None)  # it answers; the watch is quiet
            else:
                flagged = not_answering(
                    self._answered_at,
                    f"a watch silent for "
                    f"{checked - heard:.0f}s, a {self.probe_timeout:g}s "
                    "probe unanswered",
                )
                self._set_status(CacheState.RETRYING, flagged)

    async def _watch(self) -> None:
        client = self.client
        params = self._params()
        if self.resource_version:
            params["resourceVersion"] = self.resource_version
        self._watch_events = 0

        def opened() -> None:
            self._heard()
            self._watch_opened_at = self.synced_at
            self.watches_started += 1
            self._set_status(CacheState.LIVE, None)
            self._notify()

        if self._need_list:
            return  # a resync was asked for while listing
        try:
            async with asyncio.timeout(None) as scope:
                self._watch_scope = scope
                watchdog = asyncio.create_task(self._watchdog(scope))
                try:
                    async for event in client.watch(
                        self.path,
                        params,
                        accept=TABLE_ACCEPT,
                        timeout_seconds=self.watch_timeout,
                        on_open=opened,
                    ):
                        self._apply_event(event)
                finally:
                    self._watch_scope = None
                    watchdog.cancel()
        except TimeoutError:
            if not scope.expired():
                raise
            self._need_list = True  # resync() or the watchdog: relist now

    def _apply_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            raise errors.api_error(
                int(obj.get("code") or 500),
                obj,
                f"WATCH {self.path} on {self.client.connection.context_name}",
            )
        resource_version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if kind != "BOOKMARK":
            for table_row in table_rows(obj):
                row = cached_row(table_row)
                if kind == "DELETED":
                    self._delete(row.key)
                else:
                    self._upsert(row)
                resource_version = row.resource_version or resource_version
        if resource_version:
            self.resource_version = resource_version
        self._watch_events += 1
        self._heard()
        if self.state is not CacheState.LIVE:
            self._set_status(CacheState.LIVE, None)  # a probe had flagged a silent server
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
            subscription.changed(key)

    def _notify(self) -> None:
        for subscription in self._subscriptions:
            subscription.wake()

    def _set_status(self, state: CacheState, error: KstuiError | None) -> None:
        if state is not self.state or error is not self.error:
            self.state = state
            self.error = error
            self._notify()
