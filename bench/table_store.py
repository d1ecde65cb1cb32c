#!/usr/bin/env python
"""TableStore alone at 150,000 pod rows: CPU milliseconds per keystroke's store work.

    python bench/table_store.py                       # 150,000 rows
    python bench/table_store.py --rows 50000
    PYTHONPATH=/tmp/before python bench/table_store.py   # the same figures for another tree

A report, not a test. CPU time (time.process_time), not wall time: on a machine shared by
several jobs it is the figure that compares two trees. What each line does is what a key (or a
watch batch) asks of the store: sort by each column (`>`), reverse it (`=`), type and erase a
filter (`/`), cursor to the last row (`G`), and 200 pod updates/s in 20-row batches, also sorted
by STATUS and under a filter. The rows are pod-shaped (8 columns, 100 namespaces, 40 nodes);
the heap is frozen after the load, as the app does; cells are interned, as the app's backend
does (cache_rows.intern_cell). A sort or filter key leaves some work for after its frame
(`TableStore.settle`): its CPU is printed apart, in the last column.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from kstui.model import Column, Row
from kstui.widgets.table_store import TableStore

COLUMNS = [
    Column("NAMESPACE"),
    Column("NAME"),
    Column("READY"),
    Column("STATUS"),
    Column("RESTARTS", numeric=True),
    Column("AGE", age=True),
    Column("IP"),
    Column("NODE"),
]
STATUSES = ["Running"] * 8 + ["Pending", "CrashLoopBackOff"]


def pod_rows(count: int, rng: random.Random) -> list[Row]:
    return [
        Row(
            f"{rng.getrandbits(128):032x}",
            tuple(map(sys.intern, cells)),
        )
        for cells in pod_cells(count, rng)
    ]


def pod_cells(count: int, rng: random.Random) -> list[tuple[str, ...]]:
    return [
        (
            f"apps-{i % 100:03d}",
            f"api-{rng.getrandbits(40):010x}",
            "1/1",
            rng.choice(STATUSES),
            rng.choice(["0", "0", "1", "3 (5m ago)"]),
            f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
            f"node-{i % 40}",
        )
        for i in range(count)
    ]


def cpu_ms(action: Callable[[], Any]) -> float:
    started = time.process_time()
    action()
    return (time.process_time() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=150_000)
    args = parser.parse_args()
    rng = random.Random(1)
    rows = pod_rows(args.rows, rng)
    store = TableStore()
    store.set_columns(COLUMNS)
    print(f"TableStore from {sys.modules[TableStore.__module__].__file__}, {args.rows:,} rows")
    print(f"load (replace_all)            {cpu_ms(lambda: store.replace_all(rows)):8.1f} ms CPU")
    gc.collect()
    gc.freeze()
    figures: dict[str, float] = {}
    after: dict[str, float] = {}

    def tended() -> str:
        """The store's idle work (kept orders: TableStore.tend) done: CPU in all, slowest call."""
        if not hasattr(store, "tend"):
            return "(no idle work in this tree)"
        calls, slowest, total = 0, 0.0, 0.0
        while True:
            spent = cpu_ms(lambda: figures.__setitem__("_more", store.tend()))
            calls, slowest, total = calls + 1, max(slowest, spent), total + spent
            if not figures.pop("_more"):
                return f"{total:8.1f} ms CPU in {calls} calls, slowest {slowest:.1f} ms"

    print(f"idle work after the load      {tended()}")

    def key(label: str, action: Callable[[], Any]) -> None:
        spent, settled = cpu_ms(action), cpu_ms(getattr(store, "settle", lambda: None))
        if spent >= figures.get(label, 0.0):
            figures[label], after[label] = spent, settled

    for column in (*range(1, len(COLUMNS)), 0):
        key(f"sort by {COLUMNS[column].name}", lambda c=column: store.sort_by(c))
        if column == 3:
            key("reverse (=)", lambda: store.sort_by(3))
            store.sort_by(3)
    typed = ""
    for step in [*"apps-0", *["backspace"] * 6, *"crash", *["backspace"] * 5]:
        typed = typed[:-1] if step == "backspace" else typed + step
        label = "filter erase" if step == "backspace" else "filter type"
        key(label, lambda text=typed: store.set_filter(text))
    figures["last row (G)"] = cpu_ms(lambda: store.move_cursor(store.visible_count - 1))
    keys = list(store.rows)

    def status_updates(count: int) -> list[Row]:
        batch = []
        for key in rng.sample(keys, count):
            cells = list(store.rows[key].cells)
            cells[3] = rng.choice(STATUSES)
            batch.append(Row(key, tuple(cells)))
        return batch

    def batches(count: int = 10) -> None:
        for _ in range(count):
            store.apply(status_updates(20))

    def mixed(count: int = 10) -> None:  # 40 updates, 5 new rows, 5 deleted
        for _ in range(count):
            batch = status_updates(40)
            gone = rng.sample(keys, 5)
            born = pod_rows(5, rng)
            store.apply([*batch, *born], gone)
            keys[:] = [key for key in keys if key not in gone] + [row.key for row in born]

    figures["churn batch (20 rows)"] = cpu_ms(batches) / 10
    figures["batch of 50 (5 new, 5 deleted)"] = cpu_ms(mixed) / 10
    key("sort by AGE after the batches", lambda: store.sort_by(5))
    key("sort by IP after the batches", lambda: store.sort_by(6))
    store.sort_by(0)
    store.settle()
    mixed()
    print(f"idle work after 10 batches    {tended()}")
    store.sort_by(3)
    figures["churn batch, sorted by STATUS"] = cpu_ms(batches) / 10
    store.set_filter("runn")
    figures["churn batch, by STATUS, filtered"] = cpu_ms(batches) / 10
    figures["delete 3 rows, filtered"] = cpu_ms(lambda: store.apply((), keys[:3]))
    store.set_filter("")
    print(f"{'':<33}{'key':>8}      {'after its frame':>15}")
    for label, value in figures.items():
        later = f"{after[label]:8.1f} ms" if label in after else ""
        print(f"{label:<33}{value:8.1f} ms CPU {later}")


if __name__ == "__main__":
    main()
