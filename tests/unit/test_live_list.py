"""LiveList on deltas as the watch cache hands them out: names and tones follow upserts,
deletes and resets; echoed writes leave the pending set; the first complete list is announced
once and puts the cursor where asked; an empty table says why (in a tiny host app)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import App, ComposeResult

from kstui.backends.cache_rows import CacheDelta, CachedRow, CacheState, TableColumn
from kstui.backends.errors import KstuiError
from kstui.model import Tone
from kstui.screens.live_list import LiveList
from kstui.widgets.resource_table import ResourceTable

COLUMNS = (TableColumn("Name", format="name"), TableColumn("Status"))


def cached(name: str, status: str = "Running") -> CachedRow:
    return CachedRow(f"uid-{name}", "shop", name, f"uid-{name}", "", "1", (name, status), None)


def delta(
    upserted: Sequence[CachedRow] = (),
    deleted: Sequence[str] = (),
    *,
    reset: bool = False,
    loaded: bool = True,
    error: KstuiError | None = None,
) -> CacheDelta:
    state = CacheState.RETRYING if error else CacheState.LIVE
    return CacheDelta(reset, COLUMNS, list(upserted), list(deleted), 1, state, error, 1.0, loaded)


def test_names_tones_pending_and_loaded_follow_the_deltas() -> None:
    announced: list[int] = []
    shown: list[set[str]] = []
    live = LiveList(pending={"uid-web"}, on_loaded=lambda: announced.append(1))
    live.show_pending = lambda: shown.append(set(live.pending))
    live.apply(delta([cached("web"), cached("db", "CrashLoopBackOff")], reset=True, loaded=False))
    assert live.names == {"uid-web": ("shop", "web"), "uid-db": ("shop", "db")}
    assert live.tones["uid-db"] is Tone.ERROR
    assert shown == [set()]  # web's write came back with the list
    assert not live.loaded
    assert announced == []
    live.apply(delta([], ["uid-db"]))
    assert live.names == {"uid-web": ("shop", "web")}
    assert "uid-db" not in live.tones
    assert live.loaded
    live.apply(delta([cached("api")]))
    assert announced == [1]  # once
    live.apply(delta([cached("cache")], reset=True))
    assert set(live.names) == {"uid-cache"}


def test_names_share_the_cached_rows_and_owners_are_shared_tuples() -> None:
    """At 150,000 rows every per-row object counts: the names map reads the cached rows it
    already holds (no (namespace, name) tuple per row), and pods of one owner share its
    (kind, name) tuple."""
    from kstui.backends.cache_rows import cached_row
    from tests.allocated import kept_by_kstui

    def table_row(name: str) -> dict[str, object]:
        owner = {"kind": "ReplicaSet", "name": "web-5d8f", "controller": True}
        meta = {"name": name, "namespace": "shop", "uid": f"uid-{name}", "resourceVersion": "7"}
        return {
            "cells": [name, "Running"],
            "object": {"metadata": meta | {"ownerReferences": [owner]}},
        }

    first, second = cached_row(table_row("web-1")), cached_row(table_row("web-2"))
    assert first.owner == ("ReplicaSet", "web-5d8f")
    assert first.owner is second.owner
    rows = [cached(f"pod-{i:05d}") for i in range(5000)]
    live = LiveList()
    grown = kept_by_kstui(lambda: live.apply(delta(rows, reset=True)))
    assert live.names["uid-pod-00042"] == ("shop", "pod-00042")
    assert grown / len(rows) < 80  # two key → row maps; a tuple per row came to ~115 B


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ResourceTable(id="table")


def empty_line(table: ResourceTable) -> str:
    return " ".join(
        t for y in range(1, table.size.height) if (t := table.render_line(y).text.strip())
    )


async def test_the_table_says_empty_failing_and_where_the_cursor_goes() -> None:
    async with Host().run_test(size=(80, 10)) as pilot:
        table = pilot.app.query_one(ResourceTable)
        live = LiveList(table, empty=lambda: "no pods in shop", hint=True)
        live.apply(delta([], reset=True))
        await pilot.pause()
        assert empty_line(table) == "no pods in shop"
        live.apply(delta(error=KstuiError("Forbidden: pods in shop", hint="ask for access")))
        await pilot.pause()
        assert empty_line(table) == "Forbidden: pods in shop ask for access"  # two lines
        again = LiveList(table)
        again.focus_name = "db"
        again.apply(delta([cached("api"), cached("db"), cached("web")], reset=True))
        assert table.cursor_key == "uid-db"
