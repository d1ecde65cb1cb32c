"""WatchCache never shows rows the server no longer has as live: a server restarted with its
resourceVersion gone back, a quiet watch with no bookmark, a list answering 410, a hung server
and a 404 on a listed row, each against the real sandbox over HTTPS."""

from __future__ import annotations

import asyncio
import time

import pytest

from kstui.backends import cache as cache_module
from kstui.backends.cache import CacheState
from kstui.backends.cache_manager import CacheManager
from kstui.backends.errors import Gone, NotFound, Unreachable
from tests.backends.test_cache import (
    CONFIGMAPS,
    Consumer,
    Fresh,
    configmap,
    delete,
    live_cache,
    store_write,
)
from tests.connections import sandbox_client


def mute_watches(cluster: object) -> None:
    cluster.faults.mute_watches()  # type: ignore[attr-defined]


async def test_a_restart_with_an_older_resource_version_drops_the_rows_it_lost(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(CONFIGMAPS, configmap("phantom", a="1"))
    for n in range(20):  # the old server's version runs well ahead of a fresh one
        await admin.patch(f"{CONFIGMAPS}/phantom", {"data": {"a": str(n)}})
    await admin.aclose()
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_interval=0.01, min_backoff=0.1, max_backoff=0.5
    ) as (cache, seen):
        await seen.until(lambda: seen.by_name("phantom"), "the configmap")
        ahead = int(cache.resource_version)
        running.stop()
        await seen.until(lambda: cache.state is CacheState.RETRYING, "the outage flagged", 15)
        assert seen.by_name("phantom") is not None  # kept, but not shown as live
        running.restart()  # same port, CA and token; a fresh store behind the old version
        await seen.until(lambda: seen.by_name("phantom") is None, "the phantom dropped", 30)
        await seen.until(lambda: cache.state is CacheState.LIVE, "LIVE again", 10)
        assert int(cache.resource_version) < ahead
        assert cache.lists_started == 2
        assert seen.by_name("kube-root-ca.crt") is not None
        # Watching the new server from the new list: its changes arrive.
        fresh = sandbox_client(running)
        await fresh.create(CONFIGMAPS, configmap("after", a="1"))
        await fresh.aclose()
        await seen.until(lambda: seen.by_name("after"), "a change on the new server")


async def test_a_quiet_watch_without_bookmarks_relists_within_the_bound(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    admin = sandbox_client(running)
    await admin.create(CONFIGMAPS, configmap("ghost", a="1"))
    await admin.aclose()
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, quiet_relist=2.0, probe_after=30.0
    ) as (cache, seen):
        await seen.until(lambda: seen.by_name("ghost"), "the configmap")
        # The watch stays open but says nothing, not even a bookmark: the deletion is lost.
        store_write(running, mute_watches, delete("default", "ghost"))
        began = time.monotonic()
        await seen.until(lambda: seen.by_name("ghost") is None, "the relist", 15)
        assert 1.5 <= time.monotonic() - began < 10
        assert cache.lists_started >= 2
        assert cache.state is CacheState.LIVE


async def test_bookmarks_keep_a_quiet_watch_from_relisting(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    running.cluster().bookmark_interval = 0.3
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, quiet_relist=1.5, probe_after=30.0
    ) as (cache, _seen):
        await _seen.until(lambda: cache.watches_started, "the watch")
        opened = cache.synced_at
        await asyncio.sleep(4.0)  # more than twice the bound, with only bookmarks
        assert cache.lists_started == 1
        assert cache.watches_started == 1
        assert cache.synced_at is not None
        assert opened is not None
        assert cache.synced_at > opened


async def test_a_list_that_keeps_answering_410_is_flagged_then_recovers(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    store_write(running, lambda c: c.faults.fail_next(4, 410, CONFIGMAPS))
    async with live_cache(
        sandbox_client(running), CONFIGMAPS, min_interval=0.01, min_backoff=0.1, max_backoff=0.3
    ) as (cache, seen):
        await seen.until(lambda: cache.state is CacheState.RETRYING, "the flag", 10)
        assert isinstance(cache.error, Gone)
        assert "410" in cache.error.title
        await seen.until(lambda: cache.loaded and cache.state is CacheState.LIVE, "LIVE", 15)
        assert cache.error is None
        await seen.until(lambda: seen.by_name("kube-root-ca.crt"), "the rows")
        assert cache.lists_started == 5
        assert CacheState.RETRYING in seen.states()


def test_the_default_bounds_flag_a_hung_server_within_30_seconds() -> None:
    assert cache_module.PROBE_AFTER + cache_module.PROBE_TIMEOUT <= 30
    assert cache_module.LIST_TIMEOUT <= 30
    # Above kube-apiserver's bookmark interval (a minute): a healthy quiet list never relists.
    assert cache_module.QUIET_RELIST > 60


async def test_a_hung_server_is_flagged_while_watching_and_the_rows_are_kept(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    async with live_cache(
        sandbox_client(running),
        CONFIGMAPS,
        min_interval=0.01,
        probe_after=1.0,
        probe_timeout=1.0,
        list_timeout=1.0,
        quiet_relist=60.0,
    ) as (cache, seen):
        await seen.until(lambda: seen.by_name("kube-root-ca.crt"), "the list")
        rows = dict(seen.rows)
        began = time.monotonic()
        store_write(running, lambda c: c.faults.hang())
        await seen.until(lambda: cache.state is CacheState.RETRYING, "the flag", 10)
        assert time.monotonic() - began < 4.5
        assert isinstance(cache.error, Unreachable)
        assert cache.error.title.startswith("server not answering since ")
        assert seen.rows == rows
        await seen.until(lambda: seen.deltas[-1].error is cache.error, "the flag delivered")
        store_write(running, lambda c: c.faults.clear())
        await seen.until(lambda: cache.state is CacheState.LIVE, "LIVE again", 10)
        assert cache.error is None


async def test_a_server_hung_before_the_list_is_flagged_within_the_list_timeout(
    fresh_sandbox: Fresh,
) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    store_write(running, lambda c: c.faults.hang())
    began = time.monotonic()
    async with live_cache(
        sandbox_client(running),
        CONFIGMAPS,
        min_interval=0.01,
        list_timeout=1.5,
        min_backoff=0.2,
        max_backoff=0.5,
    ) as (cache, seen):
        await seen.until(lambda: cache.state is CacheState.RETRYING, "the flag", 10)
        assert time.monotonic() - began < 5
        assert isinstance(cache.error, Unreachable)
        assert "not answering" in cache.error.title
        assert not cache.loaded
        store_write(running, lambda c: c.faults.clear())
        await seen.until(lambda: cache.loaded and cache.state is CacheState.LIVE, "LIVE", 10)


async def test_a_404_on_a_listed_row_drops_it_and_relists(fresh_sandbox: Fresh) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    client = sandbox_client(running)
    await client.create(CONFIGMAPS, configmap("ghost", a="1"))
    await client.create(CONFIGMAPS, configmap("other", a="1"))
    manager = CacheManager(client, grace=1.0)
    try:
        async with (
            manager.subscribe(CONFIGMAPS) as subscription,
            manager.subscribe("/api/v1/configmaps") as everywhere,
        ):
            seen, all_seen = Consumer(subscription, 0.01), Consumer(everywhere, 0.01)
            try:
                await seen.until(lambda: seen.by_name("ghost"), "the configmap")
                await all_seen.until(lambda: all_seen.by_name("ghost"), "the configmap")
                store_write(
                    running,
                    mute_watches,
                    delete("default", "ghost"),
                    lambda c: c.store.create(
                        c.kind("", "v1", "configmaps"),
                        {
                            "apiVersion": "v1",
                            "kind": "ConfigMap",
                            "metadata": {"name": "new", "namespace": "default"},
                        },
                    ),
                )
                with pytest.raises(NotFound):  # as `d` on the row does
                    await client.get(f"{CONFIGMAPS}/ghost")
                for consumer in (seen, all_seen):
                    await consumer.until(
                        lambda c=consumer: c.by_name("ghost") is None, "the row dropped", 5
                    )
                    # The relist also brings what the silent watch missed.
                    await consumer.until(lambda c=consumer: c.by_name("new"), "the relist", 10)
                assert subscription.cache.lists_started == 2
                assert seen.by_name("other") is not None
                # A 404 for something not listed, or a subresource, leaves the caches alone.
                for path in (f"{CONFIGMAPS}/never-was", f"{CONFIGMAPS}/other/status"):
                    with pytest.raises(NotFound):
                        await client.get(path)
                assert subscription.cache.lists_started == 2
            finally:
                await seen.stop()
                await all_seen.stop()
    finally:
        store_write(running, lambda c: c.faults.clear())
        await manager.aclose()
        await client.aclose()
