"""WatchCache and CacheManager against the real sandbox: paged list, live changes, coalescing,
resume after drops, relist after 410, backoff, Forbidden, sharing and the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from kstui.backends.cache import CacheDelta, CachedRow, CacheState, Subscription, WatchCache
from kstui.backends.cache_manager import CacheManager
from kstui.backends.errors import Forbidden, ServerError, TooManyRequests
from kstui.backends.kube import TABLE_ACCEPT, KubeClient
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client

Fresh = Callable[..., RunningSandbox]
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
log = logging.getLogger(__name__)
EMPTY = CachedRow("", "", "", "", "", "", ("", ""), None)


class Consumer:
    """Drains a subscription like a screen would, keeping the rows the deltas describe."""

    def __init__(self, subscription: Subscription, min_interval: float = 0.05) -> None:
        self.subscription = subscription
        self.deltas: list[CacheDelta] = []
        self.rows: dict[str, CachedRow] = {}
        self._task = asyncio.create_task(self._drain(min_interval))

    async def _drain(self, min_interval: float) -> None:
        async for delta in self.subscription.changes(min_interval):
            self.deltas.append(delta)
            if delta.reset:
                self.rows = {}
            for row in delta.upserted:
                self.rows[row.key] = row
            for key in delta.deleted:
                self.rows.pop(key, None)

    def by_name(self, name: str) -> CachedRow | None:
        return next((row for row in self.rows.values() if row.name == name), None)

    def states(self) -> list[CacheState]:
        seen: list[CacheState] = []
        for delta in self.deltas:
            if not seen or seen[-1] is not delta.state:
                seen.append(delta.state)
        return seen

    async def until(self, check: Callable[[], object], what: str, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not check():
            if self._task.done():
                self._task.result()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}; last deltas: "
                    f"{[(d.state, len(d.upserted)) for d in self.deltas[-5:]]}"
                )
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@contextlib.asynccontextmanager
async def live_cache(
    client: KubeClient, path: str, min_interval: float = 0.05, **options: Any
) -> AsyncIterator[tuple[WatchCache, Consumer]]:
    cache = WatchCache(client, path, **options)
    consumer = Consumer(cache.subscribe(), min_interval)
    task = asyncio.create_task(cache.run())
    try:
        yield cache, consumer
    finally:
        await consumer.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert not cache.running
        await client.aclose()


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def store_write(running: RunningSandbox, *writes: Callable[[Any], object]) -> None:
    """Sandbox-side changes in one call on its loop: no watch stream runs in between."""
    cluster = running.cluster()

    def apply() -> None:
        for write in writes:
            write(cluster)

    running.call(apply)


def set_data(namespace: str, name: str, **data: str) -> Callable[[Any], object]:
    def write(cluster: Any) -> object:
        kind = cluster.kind("", "v1", "configmaps")
        obj = cluster.store.get(kind.storage_key, namespace, name)
        obj["data"] = data
        return cluster.store.update(kind, obj, check_rv=False)

    return write


def delete(namespace: str, name: str) -> Callable[[Any], object]:
    def write(cluster: Any) -> object:
        return cluster.store.delete(cluster.kind("", "v1", "configmaps"), namespace, name)

    return write


def faults(**values: Any) -> Callable[[Any], object]:
    def write(cluster: Any) -> None:
        for name, value in values.items():
            setattr(cluster.faults, name, value)

    return write


def watches_end_at_once(cluster: Any) -> None:
    """Every open and future watch ends cleanly before sending a single event."""
    cluster.faults.drop_watches(abrupt=False)
    cluster.faults.drop_watches_after = 0


# ---------------------------------------------------------------------- list and watch


async def test_a_paged_list_equals_the_servers_list(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=60, frozen=True)  # a frozen clock: ages and pods hold still
    server = await sandbox_client(running).list(
        "/api/v1/pods", {"includeObject": "Metadata"}, accept=TABLE_ACCEPT, limit=0
    )
    async with live_cache(sandbox_client(running), "/api/v1/pods", page_size=7) as (cache, seen):
        await seen.until(lambda: cache.loaded, "the list")
        assert len(server["rows"]) > 7 * 5
        expected = {}
        for row in server["rows"]:
            meta = row["object"]["metadata"]
            owner = next(
                (
                    (ref["kind"], ref["name"])
                    for ref in meta.get("ownerReferences", [])
                    if ref.get("controller")
                ),
                None,
            )
            cells = tuple("" if c is None else str(c) for c in row["cells"])
            expected[meta["uid"]] = CachedRow(
                meta["uid"],
                meta["namespace"],
                meta["name"],
                meta["uid"],
                meta["creationTimestamp"],
                meta["resourceVersion"],
                cells,
                owner,
            )
        assert cache.rows == expected
        assert any(row.owner and row.owner[0] == "ReplicaSet" for row in cache.rows.values())
        assert [c.name for c in cache.columns] == [c["name"] for c in server["columnDefinitions"]]
        assert cache.columns[0].format == "name"
        assert cache.columns[0].description
        assert cache.resource_version == server["metadata"]["resourceVersion"]
        assert (cache.state, cache.error, cache.lists_started) == (CacheState.LIVE, None, 1)
        await seen.until(lambda: seen.rows == cache.rows, "the deltas to carry every row")


async def test_the_first_rows_arrive_before_the_list_completes(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=60, kubesphere=False)
    running.call(running.cluster().faults.slow, 0.15, "/api/v1/pods")
    async with live_cache(sandbox_client(running), "/api/v1/pods", page_size=10) as (cache, seen):
        await seen.until(lambda: cache.loaded, "the list")
        partial = [d for d in seen.deltas if d.upserted and not d.loaded]
        assert partial, "no delta before the list completed"
        assert partial[0].state is CacheState.LOADING
        assert partial[0].reset
        assert 0 < len(partial[0].upserted) < len(cache.rows)
        assert seen.deltas[0].reset  # the first delta, at once, before any row
        assert seen.deltas[0].upserted == []
        await seen.until(lambda: seen.rows == cache.rows, "every row")


async def test_created_patched_and_deleted_pods_arrive_as_upserts_and_deletes(
    sandbox: RunningSandbox,
) -> None:
    admin = sandbox_client(sandbox)
    await admin.create("/api/v1/namespaces", {"metadata": {"name": "cache-crud"}})
    pods = "/api/v1/namespaces/cache-crud/pods"
    async with live_cache(sandbox_client(sandbox), pods) as (cache, seen):
        await seen.until(lambda: cache.loaded, "the (empty) list")
        assert cache.rows == {}
        web = await admin.create(
            pods,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "web",
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": "web-rs",
                            "uid": "0f0f0f0f-0000-4000-8000-000000000001",
                            "controller": True,
                        }
                    ],
                },
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        )
        await seen.until(lambda: seen.by_name("web"), "the new pod")
        row = seen.by_name("web")
        assert row is not None
        uid = web["metadata"]["uid"]
        assert (row.key, row.uid, row.namespace) == (uid, uid, "cache-crud")
        assert row.owner == ("ReplicaSet", "web-rs")
        assert row.cells[0] == "web"
        assert row.created == web["metadata"]["creationTimestamp"]

        patched = await admin.patch(f"{pods}/web", {"metadata": {"labels": {"tier": "front"}}})
        rv = patched["metadata"]["resourceVersion"]
        await seen.until(lambda: int(seen.rows[uid].resource_version) >= int(rv), "the patch")

        await admin.delete(f"{pods}/web")
        await seen.until(lambda: uid not in seen.rows, "the deletion")
        assert any(uid in d.deleted for d in seen.deltas)
        assert uid not in cache.rows
        assert [d.reset for d in seen.deltas].count(True) == 2  # first delta, then the columns
    await admin.delete("/api/v1/namespaces/cache-crud")
    await admin.aclose()


async def test_a_burst_of_1000_changes_becomes_a_few_deltas_with_the_newest_state(
    sandbox: RunningSandbox,
) -> None:
    admin = sandbox_client(sandbox)
    await admin.create("/api/v1/namespaces", {"metadata": {"name": "cache-burst"}})
    names = [f"cm-{i}" for i in range(5)]
    for name in names:
        await admin.create("/api/v1/namespaces/cache-burst/configmaps", configmap(name))
    async with live_cache(
        sandbox_client(sandbox), "/api/v1/namespaces/cache-burst/configmaps", min_interval=0.1
    ) as (cache, seen):
        await seen.until(lambda: all(map(seen.by_name, names)), "the configmaps")
        before = len(seen.deltas)
        # 200 writes per configmap; the DATA column counts keys, the last write leaves i + 1.
        writes = [
            set_data("cache-burst", name, **{f"k{k}": "v" for k in range((n % 7) + 1)})
            for n in range(195)
            for name in names
        ]
        writes += [
            set_data("cache-burst", name, **{f"k{k}": "v" for k in range(i + 1)})
            for i, name in enumerate(names)
        ]
        started = time.monotonic()
        store_write(sandbox, *writes)
        final = {name: str(i + 1) for i, name in enumerate(names)}

        def settled() -> bool:
            rows = {name: seen.by_name(name) for name in final}
            return all(row and row.cells[1] == final[name] for name, row in rows.items())

        await seen.until(settled, "the final state")
        elapsed = time.monotonic() - started
        burst = seen.deltas[before:]
        assert 1 <= len(burst) <= 5, [len(d.upserted) for d in burst]
        assert all(len(d.upserted) == len({r.key for r in d.upserted}) <= 5 for d in burst)
        assert not any(d.reset for d in burst)
        for name in names:
            stored: Any = sandbox.stored(("", "configmaps"), "cache-burst", name)
            row = seen.by_name(name) or EMPTY
            assert cache.rows[row.key] == row
            assert row.resource_version == stored["metadata"]["resourceVersion"]
        log.info(
            "1000-event burst: %d deltas, final state after %.0f ms", len(burst), elapsed * 1000
        )
    await admin.delete("/api/v1/namespaces/cache-burst")
    await admin.aclose()


# ---------------------------------------------------------------------- drops and 410


async def watch_delivers(admin: KubeClient, seen: Consumer) -> None:
    """A change through the watch: from here on the stream is a healthy one."""
    patched = await admin.patch(f"{CONFIGMAPS}/app", {"data": {"mode": "b"}})
    version = patched["metadata"]["resourceVersion"]
    await seen.until(
        lambda: (seen.by_name("app") or EMPTY).resource_version == version, "a watch event"
    )


async def test_a_clean_drop_resumes_from_the_last_version_without_a_relist(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(CONFIGMAPS, configmap("app", mode="a"))
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_backoff=0.05, max_backoff=0.2
    ) as (cache, seen):
        await seen.until(lambda: seen.by_name("app"), "the configmap")
        await watch_delivers(admin, seen)
        opened = cache.watches_started
        # The watch ends cleanly, and so does every resume, while the configmap changes.
        store_write(running, watches_end_at_once, set_data("default", "app", a="1", b="2"))
        await seen.until(lambda: cache.watches_started >= opened + 3, "resumes")
        assert seen.by_name("app").cells[1] == "1"  # type: ignore[union-attr]
        assert cache.state is CacheState.LIVE
        store_write(running, faults(drop_watches_after=None))
        await seen.until(
            lambda: seen.by_name("app").cells[1] == "2",  # type: ignore[union-attr]
            "the change made while the watch was down",
        )
        assert cache.lists_started == 1
        assert [d.reset for d in seen.deltas].count(True) == 2  # first delta, then the columns
        assert CacheState.RETRYING not in seen.states()
    await admin.aclose()


async def test_an_abrupt_drop_of_a_healthy_watch_resumes_at_once(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(CONFIGMAPS, configmap("app", mode="a"))
    async with live_cache(sandbox_client(running), CONFIGMAPS, min_backoff=5, max_backoff=5) as (
        cache,
        seen,
    ):
        await seen.until(lambda: seen.by_name("app"), "the configmap")
        await watch_delivers(admin, seen)
        opened = cache.watches_started
        running.call(running.cluster().faults.drop_watches, True)
        await seen.until(lambda: cache.watches_started > opened, "a new watch")
        await admin.patch(f"{CONFIGMAPS}/app", {"data": {"x": "1"}})
        await seen.until(
            lambda: seen.by_name("app").cells[1] == "2",  # type: ignore[union-attr]
            "the change",
            within=3,
        )  # well before a 5 s backoff
        assert cache.lists_started == 1
        assert CacheState.RETRYING not in seen.states()
    await admin.aclose()


async def test_abrupt_drops_that_keep_failing_retry_with_backoff_and_lose_nothing(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(CONFIGMAPS, configmap("app", mode="a"))
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_interval=0.01, min_backoff=0.05, max_backoff=0.2
    ) as (cache, seen):
        await seen.until(lambda: seen.by_name("app"), "the configmap")
        # Every watch is reset right after its headers while the configmap changes.
        store_write(
            running,
            faults(abrupt_drop=True, drop_watches_after=0),
            lambda cluster: cluster.faults.drop_watches(abrupt=True),
            set_data("default", "app", a="1", b="2"),
        )
        await seen.until(lambda: seen.deltas[-1].state is CacheState.RETRYING, "RETRYING")
        assert "cannot reach" in cache.error.title or "did not answer" in cache.error.title  # type: ignore[union-attr]
        store_write(running, faults(drop_watches_after=None))
        await seen.until(
            lambda: seen.by_name("app").cells[1] == "2",  # type: ignore[union-attr]
            "the change made while the watch was down",
        )
        await seen.until(lambda: seen.deltas[-1].state is CacheState.LIVE, "LIVE again")
        assert seen.deltas[-1].error is None
        assert cache.lists_started == 1
    await admin.aclose()


async def test_a_compacted_log_410_relists_and_drops_what_was_deleted_meanwhile(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    admin = sandbox_client(running)
    for name in ("keep", "gone"):
        await admin.create(CONFIGMAPS, configmap(name, a="1"))
    async with live_cache(sandbox_client(running), CONFIGMAPS) as (cache, seen):
        await seen.until(lambda: seen.by_name("gone") and seen.by_name("keep"), "configmaps")
        gone_key = seen.by_name("gone").key  # type: ignore[union-attr]
        # The deletion and the compaction land together: the watch sees only the 410 ERROR.
        store_write(running, delete("default", "gone"), lambda c: c.store.compact())
        await seen.until(lambda: gone_key not in seen.rows, "the relist to drop it")
        assert cache.lists_started == 2
        assert seen.by_name("keep") is not None
        assert any(gone_key in d.deleted for d in seen.deltas)
        assert cache.state is CacheState.LIVE
        assert [d.reset for d in seen.deltas].count(True) == 2  # same columns: no reset
    await admin.aclose()


async def test_an_http_410_on_resume_relists(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    admin = sandbox_client(running)
    for name in ("keep", "gone"):
        await admin.create(CONFIGMAPS, configmap(name, a="1"))
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_backoff=0.05, max_backoff=0.2
    ) as (cache, seen):
        await seen.until(lambda: seen.by_name("gone"), "configmaps")
        gone_key = seen.by_name("gone").key  # type: ignore[union-attr]
        store_write(
            running,
            watches_end_at_once,
            delete("default", "gone"),
            lambda c: c.faults.fail_next(1, 410, CONFIGMAPS),
        )
        await seen.until(lambda: gone_key not in seen.rows, "the relist to drop it")
        assert cache.lists_started == 2
        assert seen.by_name("keep") is not None
        store_write(running, faults(drop_watches_after=None))
        await admin.patch(f"{CONFIGMAPS}/keep", {"data": {"b": "2"}})
        await seen.until(
            lambda: seen.by_name("keep").cells[1] == "2",  # type: ignore[union-attr]
            "watching again from the new list",
        )
    await admin.aclose()


# ---------------------------------------------------------------------- errors


async def test_server_errors_back_off_as_retrying_then_recover_live(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_interval=0.01, min_backoff=0.1, max_backoff=0.4
    ) as (cache, seen):
        await seen.until(lambda: cache.loaded, "the list")
        started = time.monotonic()
        store_write(
            running,
            lambda c: c.faults.fail_next(4, 500, CONFIGMAPS),
            lambda c: c.faults.drop_watches(abrupt=False),
        )
        await seen.until(lambda: seen.deltas[-1].state is CacheState.RETRYING, "RETRYING")
        assert isinstance(cache.error, ServerError)
        assert cache.error.status_code == 500
        await seen.until(lambda: seen.deltas[-1].state is CacheState.LIVE, "LIVE again")
        assert time.monotonic() - started >= 0.1 + 0.1 + 0.1  # three backoffs of at least 0.1 s
        retrying = [d for d in seen.deltas if d.state is CacheState.RETRYING]
        assert retrying
        assert all(isinstance(d.error, ServerError) for d in retrying)
        assert seen.states()[-2:] == [CacheState.RETRYING, CacheState.LIVE]
        assert seen.deltas[-1].error is None
        assert cache.lists_started == 1


async def test_too_many_requests_waits_at_least_retry_after(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=5, kubesphere=False)
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_interval=0.01, min_backoff=0.01, max_backoff=0.05
    ) as (cache, seen):
        await seen.until(lambda: cache.loaded, "the list")
        store_write(
            running,
            lambda c: c.faults.fail_next(1, 429, CONFIGMAPS, retry_after=1),
            lambda c: c.faults.drop_watches(abrupt=False),
        )
        await seen.until(lambda: cache.state is CacheState.RETRYING, "RETRYING")
        throttled = time.monotonic()
        assert isinstance(cache.error, TooManyRequests)
        await seen.until(lambda: cache.state is CacheState.LIVE, "LIVE again")
        assert time.monotonic() - throttled >= 0.9


async def test_forbidden_fails_and_retries_only_slowly(sandbox: RunningSandbox) -> None:
    alice = sandbox_client(sandbox, "host", "alice")
    async with live_cache(
        alice, "/api/v1/namespaces/kube-system/pods", min_backoff=0.01, max_backoff=60
    ) as (cache, seen):
        await seen.until(
            lambda: seen.deltas and seen.deltas[-1].state is CacheState.FAILED, "FAILED"
        )
        assert isinstance(seen.deltas[-1].error, Forbidden)
        assert 'User "alice" cannot list resource "pods"' in cache.error.detail  # type: ignore[union-attr]
        assert cache.error.hint  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
        assert cache.lists_started == 1
        assert not cache.loaded
        assert cache.rows == {}
        cache.retry_now()  # what a new subscriber or a "retry" key does
        await seen.until(lambda: cache.lists_started == 2, "a retry on demand", within=2)
        assert cache.state is CacheState.FAILED


# ---------------------------------------------------------------------- sharing


async def test_subscribers_share_one_cache_that_outlives_them_by_the_grace(
    sandbox: RunningSandbox,
) -> None:
    client = sandbox_client(sandbox)
    manager = CacheManager(client, grace=0.5)
    path = "/api/v1/namespaces/shop-prod/pods"
    try:
        async with manager.subscribe(path) as first, manager.subscribe(path) as second:
            assert first is not second
            assert first.cache is second.cache
            a, b = Consumer(first), Consumer(second)
            await a.until(lambda: a.rows and b.rows and a.rows == b.rows, "rows for both")
            [cache] = manager.caches()
            assert cache.lists_started == 1
            assert cache.running
            tasks = [t for t in asyncio.all_tasks() if t.get_name() == f"kstui watch {path}"]
            assert len(tasks) == 1
            await a.stop()
            await b.stop()
        assert manager.caches() == [cache]  # within the grace period
        assert cache.running

        async with manager.subscribe(path) as again:
            assert again.cache is cache
            started = time.monotonic()
            delta = await anext(aiter(again.changes()))
            assert time.monotonic() - started < 0.05
            assert delta.reset
            assert delta.loaded
            assert delta.state is CacheState.LIVE
            assert cache.rows
            assert {r.key for r in delta.upserted} == set(cache.rows)
            assert cache.lists_started == 1
        await asyncio.sleep(0.8)
        assert manager.caches() == []
        assert not cache.running

        async with manager.subscribe(path) as fresh:
            assert fresh.cache is not cache
            await Consumer(fresh).until(lambda: fresh.cache.loaded, "a new list")
            assert fresh.cache.lists_started == 1
        await manager.aclose()
        assert not fresh.cache.running
        assert manager.caches() == []
    finally:
        await manager.aclose()
        await client.aclose()


async def test_a_selector_makes_a_separate_cache(sandbox: RunningSandbox) -> None:
    client = sandbox_client(sandbox)
    manager = CacheManager(client, grace=0)
    path = "/api/v1/namespaces/shop-prod/pods"
    try:
        async with (
            manager.subscribe(path) as every,
            manager.subscribe(path, label_selector="app=shop-worker") as workers,
        ):
            assert every.cache is not workers.cache
            assert len(manager.caches()) == 2
            all_rows, some_rows = Consumer(every), Consumer(workers)
            await all_rows.until(lambda: every.cache.loaded and workers.cache.loaded, "lists")
            assert 0 < len(workers.cache.rows) < len(every.cache.rows)
            assert set(workers.cache.rows) < set(every.cache.rows)
            await all_rows.stop()
            await some_rows.stop()
        await asyncio.sleep(0.05)
        assert manager.caches() == []
    finally:
        await manager.aclose()
        await client.aclose()


# ---------------------------------------------------------------------- 10k pods


def retained_bytes(rows: dict[str, CachedRow]) -> int:
    """Everything the rows keep alive, each object counted once (interned cells are shared)."""
    seen: set[int] = set()
    total = sys.getsizeof(rows)

    def add(obj: object) -> int:
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        return sys.getsizeof(obj)

    for key, row in rows.items():
        total += add(key) + add(row) + add(row.cells) + add(row.owner)
        for value in (
            row.namespace,
            row.name,
            row.uid,
            row.created,
            row.resource_version,
            *row.cells,
            *(row.owner or ()),
        ):
            total += add(value)
    return total


@pytest.mark.slow
async def test_ten_thousand_pods_load_fast_and_stay_small(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=10_000, kubesphere=False)
    started = time.monotonic()
    async with live_cache(sandbox_client(running), "/api/v1/pods", min_interval=0.1) as (
        cache,
        seen,
    ):
        await seen.until(lambda: any(d.upserted for d in seen.deltas), "a first page", within=30)
        first_page = time.monotonic() - started
        await seen.until(lambda: cache.loaded, "the whole list", within=60)
        loaded = time.monotonic() - started
        assert len(cache.rows) >= 10_000
        await seen.until(lambda: len(seen.rows) == len(cache.rows), "every row", within=10)

        # A burst of 1,000 pod changes: how long until one delta has them all?
        pods = list(cache.rows.values())[:1000]

        def burst(cluster: Any) -> None:
            kind = cluster.kind("", "v1", "pods")
            for row in pods:
                obj = cluster.store.get(kind.storage_key, row.namespace, row.name)
                obj["metadata"].setdefault("labels", {})["burst"] = "1"
                cluster.store.update(kind, obj, check_rv=False)

        before = len(seen.deltas)
        old_versions = {row.key: row.resource_version for row in pods}
        burst_at = time.monotonic()
        store_write(running, burst)
        await seen.until(
            lambda: all(seen.rows[k].resource_version != v for k, v in old_versions.items()),
            "the burst",
            within=10,
        )
        burst_delay = time.monotonic() - burst_at
        burst_deltas = len(seen.deltas) - before
        kept = retained_bytes(cache.rows)

    # Memory: what a second cache allocates and keeps for the same list, traced.
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    async with live_cache(sandbox_client(running), "/api/v1/pods") as (second, seen):
        await seen.until(lambda: second.loaded, "the second list", within=120)
        await seen.stop()
        seen.rows = {}
        seen.deltas = []
        gc.collect()
        traced, peak = tracemalloc.get_traced_memory()
        traced -= baseline
    tracemalloc.stop()
    log.info(
        "10k pods: first page %.0f ms, loaded %.0f ms; rows retain %.1f MiB (traced "
        "%.1f MiB, peak %.1f MiB); 1,000-event burst: %d delta(s), applied after %.0f ms",
        first_page * 1000,
        loaded * 1000,
        kept / 2**20,
        traced / 2**20,
        (peak - baseline) / 2**20,
        burst_deltas,
        burst_delay * 1000,
    )
    assert kept < 12 * 2**20
    assert traced < 16 * 2**20
    assert first_page < loaded
    assert burst_deltas <= 5
