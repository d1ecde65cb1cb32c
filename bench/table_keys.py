#!/usr/bin/env python
"""Sort and filter keys in a ResourceTable app at 150,000 pod rows: CPU ms from key to frame.

    python bench/table_keys.py                      # 150,000 rows
    python bench/table_keys.py --rows 50000
    PYTHONPATH=/tmp/before python bench/table_keys.py   # the same figures for another tree

A report, not a test. Between bench/table_store.py (the store alone) and bench/tui.py (the whole
app against a sandbox, minutes to start): the table alone in a headless app (bench/table.py's
TableApp, 160x48), fed bench/table.py's pod rows with their cells interned (as the backend
interns them), the heap settled after the load as the app settles it (kstui.heap). Each sort
(through every column, `=` once) and each filter keystroke (typing and erasing words) is timed
from the call to the end of the frame showing it; the figure is this process's CPU time over
that span (robust on a shared machine), and the work a key leaves for after its frame is not
in it. The collector's young collections set off by a frame are in it, as a user feels them.
Sorts come once the table is idle (a user reads the rows first): by then it has made each
column's order (TableStore.tend), which a sort key reads. The rows are loaded in one reset,
so their search texts lie in memory in NAME order; filters
here run after the sorts, in NAMESPACE order, as in a table re-sorted since its load (the app's
streamed load lays the texts out in the server's order, NAMESPACE's, and scans them faster).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import COLUMNS, NOW, FrameClock, TableApp, pod_rows

import kstui.widgets.table_store as table_store
from kstui.heap import HEAP
from kstui.model import Row
from kstui.widgets.resource_table import ResourceTable

WORDS = ["apps-0", "running", "crash"]


async def run(count: int) -> None:
    rows = [Row(row.key, tuple(map(sys.intern, row.cells)), row.tone) for row in pod_rows(count)]
    app = TableApp()
    async with app.run_test(size=(160, 48)) as pilot:
        clock = FrameClock(app)
        clock.timeout = 120
        table = app.query_one(ResourceTable)
        table.freeze_time(NOW)
        table.set_columns(COLUMNS)
        table.focus()
        await pilot.pause()
        await clock.time(
            lambda: table.apply(rows, reset=True), lambda: table.visible_count == count
        )
        await pilot.pause()
        HEAP.settle()
        print(f"TableStore from {table_store.__file__}, {count:,} rows (CPU ms, key to frame)")
        store = table._store
        if hasattr(store, "tending"):  # idle time makes the kept orders: keys come after it
            started, cpu = time.perf_counter(), time.process_time()
            # a poll: the store is toolkit-free and posts no event when done
            while store.tending:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            print(
                f"  kept orders made when idle in {time.perf_counter() - started:.1f} s"
                f" ({(time.process_time() - cpu) * 1000:.0f} ms CPU)"
            )

        async def key(label: str, act: object, done: object) -> None:
            await clock.time(act, done)  # type: ignore[arg-type]
            print(f"  {label:<24}{clock.last_cpu:7.1f}")
            await asyncio.sleep(0.05)  # what a key leaves for after its frame is done

        for column in (1, 2, 3, 3, *range(4, len(COLUMNS)), 0):
            flip = column == table.sort_column
            want = (column, not table.sort_reverse if flip else False)
            name = "=" if flip else f"sort by {COLUMNS[column].name}"
            await key(
                name,
                lambda want=want: table.sort_by(*want),
                lambda want=want: (table.sort_column, table.sort_reverse) == want,
            )
        typed = ""
        for word in WORDS:
            for step in [*word, *[""] * len(word)]:
                typed = typed + step if step else typed[:-1]
                await key(
                    f"filter {typed!r}",
                    lambda text=typed: table.set_filter(text),
                    lambda text=typed: table.filter_text == text,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=150_000)
    asyncio.run(run(parser.parse_args().rows))


if __name__ == "__main__":
    main()
