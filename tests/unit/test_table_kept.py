"""A TableStore's kept orders: each column's order made when idle (`tend`), kept right through
batches, and read by a sort key instead of sorting."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

import kstui.widgets.table_kept as table_kept
import kstui.widgets.table_order as table_order
import kstui.widgets.table_store as table_store
from kstui.model import Column, Row
from kstui.widgets.table_store import TableStore

NOW = 1_700_000_000.0
COLUMNS = [
    Column("NAMESPACE"),
    Column("NAME"),
    Column("STATUS"),
    Column("RESTARTS", numeric=True),
    Column("AGE", age=True),
    Column("IP"),
]
NAMESPACE, NAME, STATUS, RESTARTS, AGE, IP = range(len(COLUMNS))
STATUSES = ["Running", "running", "Pending", "CrashLoopBackOff", ""]


def random_pod(rng: random.Random, key: str) -> Row:
    created = NOW - rng.randrange(3600 * 24 * 30)
    age = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if rng.random() < 0.03:
        age = rng.choice(["", "2024-05-01T10:00:00+00:00"])  # unknown, or not kube's shape
    cells = (
        key.split("/")[0],
        rng.choice(["api", "Web", "db"]) + f"-{rng.randrange(50)}",
        rng.choice(STATUSES),
        rng.choice(["0", "1", "10", "3 (5m ago)", "<none>"]),
        age,
        f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}",
    )
    return Row(key, cells)


def from_scratch(rows: dict[str, Row], column: int, reverse: bool, text: str = "") -> list[str]:
    """The view a new store (no kept orders) shows for these rows."""
    store = TableStore()
    store.set_columns(COLUMNS)
    store.replace_all(rows.values())
    store.sort_by(column, reverse)
    store.set_filter(text)
    return list(store.view)


def tend_all(store: TableStore) -> None:
    store.settle()
    while store.tend():
        store.settle()


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps and buckets of a few rows, so that a few hundred rows take many of them."""
    monkeypatch.setattr(table_kept, "CHUNK", 16)
    monkeypatch.setattr(table_kept, "BUCKET", 8)
    monkeypatch.setattr(table_kept, "SLICE_SECONDS", 0.0)  # one step a call


@pytest.mark.parametrize("few", [4096, 8])
@pytest.mark.parametrize("seed", range(4))
def test_kept_orders_stay_right_through_batches_made_meanwhile_and_after(
    seed: int, few: int, small_steps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders made in steps while batches add, delete and change rows (statuses, ages, IPs,
    names), then kept through more: every sort, either way, is what sorting afresh gives; and
    sorts by a column with a kept order read it."""
    monkeypatch.setattr(table_order, "FEW_VALUES", few)
    rng = random.Random(seed)
    keys = [f"ns-{i % 5}/pod-{i}" for i in range(500)]
    reference = {key: random_pod(rng, key) for key in keys[:300]}
    store = TableStore()
    store.set_columns(COLUMNS)
    store.replace_all(reference.values())
    for step in range(60):
        for _ in range(rng.choice([0, 1, 5, 40])):
            store.tend()
        upserts = [random_pod(rng, rng.choice(keys)) for _ in range(rng.choice([1, 3, 20, 90]))]
        for row in upserts[: len(upserts) // 2]:  # some change one cell only
            old = reference.get(row.key)
            if old is not None:
                index = rng.choice([STATUS, AGE, IP, NAME])
                cells = list(old.cells)
                cells[index] = row.cells[index]
                upserts.append(Row(row.key, tuple(cells)))
        deletes = rng.sample(sorted(reference), min(len(reference), rng.choice([0, 2, 30])))
        store.apply(upserts, deletes)
        for key in deletes:
            reference.pop(key, None)
        reference.update((row.key, row) for row in upserts)
        if step % 3 == 0:
            column, reverse = rng.randrange(len(COLUMNS)), rng.random() < 0.5
            used = store.kept_sorts
            kept = column in store._kept.orders and len(store._kept.noted[column]) <= 256
            flipped = column == store.sort_column and reverse != store.sort_reverse
            kept = kept and not flipped  # `=` reverses the order as it is
            store.sort_by(column, reverse)
            if rng.random() < 0.3:
                store.set_filter(rng.choice(["", "run", "10.1", "!api"]))
            assert store.kept_sorts == used + (kept and column != NAME)
            expected = from_scratch(reference, column, reverse, store.filter_text)
            assert list(store.view) == expected, f"step {step}"
            if store.cursor_key is not None:
                assert store.view[store.cursor_index] == store.cursor_key
    tend_all(store)
    assert set(store._kept.orders) == set(range(len(COLUMNS))) - {NAME}
    store.set_filter("")
    for column in (AGE, IP, STATUS):
        for reverse in (False, True):
            used = store.kept_sorts
            store.sort_by(column, reverse)
            assert store.kept_sorts == used + (not reverse)  # then `=`: reversed as it is
            assert list(store.view) == from_scratch(reference, column, reverse)


def rows_of(count: int, seed: int = 1) -> dict[str, Row]:
    rng = random.Random(seed)
    keys = (f"ns-{i % 7}/pod-{i}" for i in range(count))
    return {key: random_pod(rng, key) for key in keys}


def test_a_sort_by_a_kept_column_reads_its_order_and_sorts_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the orders made, a sort by AGE or IP (150,000 distinct values: 90-125 ms to sort)
    reads the kept order: nothing is sorted on the key."""
    reference = rows_of(3000)
    store = TableStore()
    store.set_columns(COLUMNS)
    store.replace_all(reference.values())
    tend_all(store)
    columns = (AGE, IP, STATUS, NAMESPACE, RESTARTS)
    expected = {(c, r): from_scratch(reference, c, r) for c in columns for r in (False, True)}

    def no_sorting(*_: object) -> list[int]:
        raise AssertionError("sorted on a key")

    monkeypatch.setattr(table_store, "sorted_places", no_sorting)
    for column in columns:
        for reverse in (False, True, False):
            store.sort_by(column, reverse)
            assert list(store.view) == expected[column, reverse]
            store.settle()


def test_a_status_update_leaves_the_age_and_ip_orders_alone() -> None:
    """A watch batch notes only the orders its rows may have moved in: a status update
    touches STATUS's order, not AGE's or IP's; an added or deleted row touches all."""
    reference = rows_of(1000)
    store = TableStore()
    store.set_columns(COLUMNS)
    store.replace_all(reference.values())
    tend_all(store)
    key, row = next(iter(reference.items()))
    cells = list(row.cells)
    cells[STATUS] = "Evicted"
    store.apply([Row(key, tuple(cells))])
    noted = {column: set(keys) for column, keys in store._kept.noted.items()}
    assert noted == {NAMESPACE: set(), STATUS: {key}, RESTARTS: set(), AGE: set(), IP: set()}
    store.apply([random_pod(random.Random(3), "ns-1/new")], ["ns-0/pod-7"])
    assert all(store._kept.noted[column].keys() >= {"ns-1/new", "ns-0/pod-7"} for column in noted)


def test_an_order_with_too_much_to_move_is_made_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A big batch (a load streamed in pages) after an order was made: moving its rows one by
    one would cost more than making the order again, so it is dropped, a sort meanwhile sorts,
    and idle time makes it again."""
    monkeypatch.setattr(table_kept, "DROP_AT", 50)
    reference = rows_of(400)
    store = TableStore()
    store.set_columns(COLUMNS)
    store.replace_all(list(reference.values())[:100])
    tend_all(store)
    store.apply(list(reference.values())[100:])
    assert AGE not in store._kept.orders
    used = store.kept_sorts
    store.sort_by(AGE)
    assert store.kept_sorts == used
    assert list(store.view) == from_scratch(reference, AGE, False)
    tend_all(store)
    assert AGE in store._kept.orders
    store.sort_by(IP, reverse=True)
    assert store.kept_sorts == used + 1
    assert list(store.view) == from_scratch(reference, IP, True)
