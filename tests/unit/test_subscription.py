"""Subscription (cache_subscription.py) on a stand-in cache: deltas are coalesced to one per
interval, except the first rows and the one that completes the first list, which go out at
once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from kstui.backends.cache_rows import CacheDelta, CachedRow, CacheState, TableColumn
from kstui.backends.cache_subscription import Subscription
from kstui.backends.errors import KstuiError

LONG = 600.0
"""An interval no test waits out: a delta held back by it never arrives in the test's time."""


def row(name: str) -> CachedRow:
    return CachedRow(f"uid-{name}", "shop", name, f"uid-{name}", "", "1", (name,), None)


@dataclass
class StandIn:
    """What a subscription reads of its cache."""

    rows: dict[str, CachedRow] = field(default_factory=dict)
    columns: tuple[TableColumn, ...] = (TableColumn("Name", format="name"),)
    version: int = 0
    state: CacheState = CacheState.LOADING
    error: KstuiError | None = None
    synced_at: float | None = None
    loaded: bool = False

    def unsubscribe(self, subscription: Subscription) -> None:
        pass

    def add(self, subscription: Subscription, *names: str) -> None:
        for name in names:
            self.rows[f"uid-{name}"] = row(name)
            self.version += 1
            subscription.changed(f"uid-{name}")
        subscription.wake()


async def test_the_delta_that_completes_the_first_list_waits_for_no_interval() -> None:
    cache = StandIn()
    subscription = Subscription(cache)
    deltas = aiter(subscription.changes(LONG))
    cache.add(subscription, "a", "b")  # the first page
    first: CacheDelta = await asyncio.wait_for(anext(deltas), 5)
    assert first.reset
    assert not first.loaded
    assert {r.name for r in first.upserted} == {"a", "b"}

    following = asyncio.ensure_future(anext(deltas))
    cache.add(subscription, "c")  # the second page: coalesced, held back by the interval
    await asyncio.sleep(0.05)
    assert not following.done()
    cache.add(subscription, "d")  # the last page, and the list is complete
    cache.loaded, cache.state = True, CacheState.LIVE
    subscription.wake()
    last = await asyncio.wait_for(following, 5)
    assert last.loaded
    assert {r.name for r in last.upserted} == {"c", "d"}

    later = asyncio.ensure_future(anext(deltas))
    cache.add(subscription, "e")  # a watch event after the list: coalesced as before
    await asyncio.sleep(0.05)
    assert not later.done()
    later.cancel()
    subscription.close()


async def test_the_first_rows_after_an_empty_start_wait_for_no_interval() -> None:
    cache = StandIn()
    subscription = Subscription(cache)
    deltas = aiter(subscription.changes(LONG))
    empty = await asyncio.wait_for(anext(deltas), 5)  # subscribed before the list answered
    assert empty.reset
    assert empty.upserted == []

    first_rows = asyncio.ensure_future(anext(deltas))
    cache.add(subscription, "a", "b")  # the first page
    delta = await asyncio.wait_for(first_rows, 5)
    assert {r.name for r in delta.upserted} == {"a", "b"}

    following = asyncio.ensure_future(anext(deltas))
    cache.add(subscription, "c")  # the second page: coalesced as before
    await asyncio.sleep(0.05)
    assert not following.done()
    following.cancel()
    subscription.close()
