#!/usr/bin/env python
"""ResourceTable benchmark: load, cursor, page and filter latency at 10k and 50k pod rows.

    python bench/table.py                 # 10,000 and 50,000 rows, each in a fresh process
    python bench/table.py --rows 10000    # one size only
    python bench/table.py --samples 100   # fewer samples per figure (faster)
    python bench/table.py --gc-freeze     # gc.freeze() after loading, as the app should

A report, not a test: it always exits 0. The table is mounted alone in an app via
`run_test(size=(160, 48))` (the headless driver), fed pod-shaped rows (9 columns: namespace, name,
ready, status, restarts, age, ip, node, qos), then each interaction is timed:

- load+paint: `apply(rows, reset=True)` until the first frame that shows them;
- cursor down / page down: one key each, through the real input path;
- filter keystroke: `set_filter()` with one more (or one fewer) character, as a screen's Input
  handler would call it, typing and erasing several words;
- the same cursor and page keys while 200 row updates/s arrive in batches every 100 ms (random
  rows, mostly off screen), and again with every update on a visible row.

How a repaint is timed. `pilot.press()` + `pause()` sleeps ~84 ms on its own (PERFORMANCE.md), so
it is not used. Instead:

1. t0 is taken just before the key goes in. Keys are sent with `app._driver.send_message(Key)`,
   which is what the terminal driver does and what `pilot.press` does before its sleeps: the
   event goes through the app's queue, bindings and the table's action, like a real key.
2. `app._display(screen, update)` is wrapped. Textual calls it at the end of every compositor
   refresh (`Screen._compositor_refresh`), after the widgets' `render_line`s have produced the
   update. Headless, `_display` returns without producing terminal output, so the wrapper also
   calls `update.render_segments(console)` to pay for the escape sequences a real terminal
   would receive (only the final write is missing; PERFORMANCE.md found headless and pty agree
   within 2-5 ms).
3. t1 is the end of the first such frame at which the interaction's effect is visible in the
   widget's state (cursor index, filter text, row count). The state changes in the handler and the
   repaint is requested there, so that frame is the one that painted it. Any churn batch or other
   frame that came first is included in the latency, as a user would feel it.

Between samples the script waits a little (20 ms, like key repeat), so churn batches interleave.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

# kstui first: it sets Textual's frame cap (kstui/__init__.py), read when Textual is first
# imported; imported after Textual, the keys here were timed at Textual's 60 fps, not kstui's.
import kstui  # noqa: F401

# isort: split
from textual import events
from textual.app import App, ComposeResult

from kstui.model import Column, Row, Tone
from kstui.widgets.resource_table import ResourceTable

NOW = 1_700_000_000.0
COLUMNS = [
    Column("NAMESPACE"),
    Column("NAME"),
    Column("READY"),
    Column("STATUS"),
    Column("RESTARTS", numeric=True),
    Column("AGE", age=True),
    Column("IP"),
    Column("NODE"),
    Column("QOS"),
]
STATUSES = [("Running", Tone.NORMAL)] * 8 + [
    ("Pending", Tone.WARN),
    ("CrashLoopBackOff", Tone.ERROR),
    ("Completed", Tone.MUTED),
]
WORDS = ["payments", "crash", "node-3", "10.4.", "api-7", "!running", "web-[0-9]+"]
TARGETS = {"cursor_churn_p95": 30.0, "page_churn_p95": 30.0, "filter_p95": 50.0, "load": 100.0}


def pod_rows(count: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    namespaces = [f"apps-{i:03d}" for i in range(count // 100)] + ["payments", "storefront"]
    apps = ["api", "web", "worker", "cache", "db", "gateway", "auth", "search"]
    rows = []
    for index in range(count):
        namespace = rng.choice(namespaces)
        name = f"{rng.choice(apps)}-{rng.randrange(16**6):06x}-{index:05d}"
        rows.append(pod_row(rng, namespace, name, index))
    return rows


def pod_row(rng: random.Random, namespace: str, name: str, index: int) -> Row:
    status, tone = rng.choice(STATUSES)
    created = datetime.fromtimestamp(NOW - rng.randrange(86400 * 30), UTC)
    restarts = rng.choice(["0", "0", "1", f"{rng.randrange(50)} ({rng.randrange(60)}m ago)"])
    cells = (
        namespace,
        name,
        f"{1 if status == 'Running' else 0}/1",
        status,
        restarts,
        created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
        f"node-{rng.randrange(40)}",
        rng.choice(["BestEffort", "Burstable", "Guaranteed"]),
    )
    return Row(f"{namespace}/{name}", cells, tone)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResourceTable()


class FrameClock:
    """Resolves waiters at the end of the first compositor frame where their condition holds."""

    def __init__(self, app: App[Any]) -> None:
        self.waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        self.timeout = 10.0
        self.cpu_end = self.last_cpu = 0.0
        original = app._display

        def display(screen: Any, update: Any) -> None:
            original(screen, update)
            if update is not None:
                update.render_segments(app.console)  # what a terminal would have been sent
            now = time.perf_counter()
            cpu = time.process_time()
            for waiter in list(self.waiters):
                condition, future = waiter
                if condition() and not future.done():
                    future.set_result(now)
                    self.cpu_end = cpu
                    self.waiters.remove(waiter)

        app._display = display  # type: ignore[method-assign,assignment]

    async def time(self, act: Callable[[], object], condition: Callable[[], bool]) -> float:
        """Milliseconds from `act()` to the end of the frame that shows `condition`."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters.append((condition, future))
        start = time.perf_counter()
        cpu = time.process_time()
        act()
        end = await asyncio.wait_for(future, timeout=self.timeout)
        self.last_cpu = (self.cpu_end - cpu) * 1000
        """CPU milliseconds of this process over the same span (robust to a loaded machine)."""
        return (end - start) * 1000


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms  (n={len(ordered)})"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Churn:
    """200 updates/s as one `apply()` batch every 100 ms, like a coalesced watch."""

    def __init__(self, table: ResourceTable, rows: list[Row], on_screen: bool) -> None:
        self.table, self.rows, self.on_screen = table, rows, on_screen
        self.rng = random.Random(11)
        self.applied = 0

    def batch(self) -> None:
        top = round(self.table.scroll_y)
        visible = self.table.visible_keys[top : top + 46] if self.on_screen else ()
        if visible:
            keys = [self.rng.choice(visible) for _ in range(20)]
        else:
            keys = [self.rng.choice(self.rows).key for _ in range(20)]
        updates = []
        for key in keys:
            row = self.table.row(key)
            if row is None:
                continue
            fresh = pod_row(self.rng, row.cells[0], row.cells[1], self.rng.randrange(65536))
            updates.append(Row(key, (*fresh.cells[:5], row.cells[5], *fresh.cells[6:]), fresh.tone))
        self.table.apply(updates)
        self.applied += len(updates)


def send_key(app: App[Any], name: str, character: str | None = None) -> None:
    """A key through the driver's queue, as a terminal would send it (no pilot sleeps)."""
    driver = app._driver
    assert driver is not None
    event = events.Key(name, character)
    event.set_sender(app)
    driver.send_message(event)


async def press_series(
    app: App[Any], table: ResourceTable, clock: FrameClock, key: str, count: int
) -> list[float]:
    samples = []
    step = {"down": 1, "pagedown": table.scrollable_content_region.height - 1}[key]
    for _ in range(count):
        if table.cursor_index + step >= table.visible_count:
            table.action_cursor_first()
            await asyncio.sleep(0.02)
        expected = table.cursor_index + step

        def arrived(expected: int = expected) -> bool:
            return table.cursor_index == expected

        samples.append(await clock.time(partial(send_key, app, key), arrived))
        await asyncio.sleep(0.02)
    return samples


async def filter_series(table: ResourceTable, clock: FrameClock, limit: int) -> list[float]:
    samples: list[float] = []
    sequence: list[str] = []  # type each word, then erase it
    for word in WORDS:
        sequence += [word[:n] for n in range(1, len(word) + 1)]
        sequence += [word[:n] for n in range(len(word) - 1, -1, -1)]
    for text in sequence[:limit]:

        def applied(text: str = text) -> bool:
            return table.filter_text == text

        samples.append(await clock.time(partial(table.set_filter, text), applied))
        await asyncio.sleep(0.02)
    table.set_filter("")
    return samples


async def run(count: int, samples: int, freeze: bool) -> dict[str, float]:
    rows = pod_rows(count)
    gc.collect()
    app = TableApp()
    results: dict[str, float] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        clock = FrameClock(app)
        table = app.query_one(ResourceTable)
        table.freeze_time(NOW)
        table.set_columns(COLUMNS)
        table.focus()
        await pilot.pause()
        load_ms = await clock.time(
            lambda: table.apply(rows, reset=True), lambda: table.visible_count == count
        )
        report(f"\n== {count:,} rows, 160x48{', gc.freeze() after load' if freeze else ''} ==")
        report(f"load+paint {load_ms:7.1f} ms   (until the first frame with the rows)")
        started = time.perf_counter()
        table.apply(rows, reset=True)
        apply_ms = (time.perf_counter() - started) * 1000
        report(f"apply(reset=True) again, without paint {apply_ms:7.1f} ms")
        await pilot.pause()
        if freeze:
            gc.collect()
            gc.freeze()
        results["load"] = load_ms

        for label, key in (("cursor down", "down"), ("page down", "pagedown")):
            figures = await press_series(app, table, clock, key, samples)
            report(f"{label:<28}{percentiles(figures)}")
        filters = await filter_series(table, clock, samples)
        report(f"{'filter keystroke':<28}{percentiles(filters)}")
        results["filter_p95"] = p95(filters)

        for on_screen in (False, True):
            churn = Churn(table, rows, on_screen)
            timer = app.set_interval(0.1, churn.batch)
            await asyncio.sleep(0.3)
            where = "on screen" if on_screen else "random rows"
            cursor = await press_series(app, table, clock, "down", samples)
            page = await press_series(app, table, clock, "pagedown", samples)
            filters = await filter_series(table, clock, samples)
            timer.stop()
            report(f"-- churn 200 updates/s ({where}), {churn.applied} applied --")
            report(f"{'  cursor down':<28}{percentiles(cursor)}")
            report(f"{'  page down':<28}{percentiles(page)}")
            report(f"{'  filter keystroke':<28}{percentiles(filters)}")
            if not on_screen:
                results["cursor_churn_p95"] = p95(cursor)
                results["page_churn_p95"] = p95(page)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="row count (repeatable)")
    parser.add_argument("--samples", type=int, default=200, help="samples per figure")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after loading, as PERFORMANCE.md advises the app to do",
    )
    args = parser.parse_args()
    sizes = args.rows or [10_000, 50_000]
    if len(sizes) > 1:  # each size in a fresh process, so one run's garbage can't slow the next
        for size in sizes:
            command = [sys.executable, __file__, f"--rows={size}", f"--samples={args.samples}"]
            command += ["--gc-freeze"] if args.gc_freeze else []
            subprocess.run(command, check=False)
        return
    results = asyncio.run(run(sizes[0], args.samples, args.gc_freeze))
    if sizes[0] == 10_000:
        verdicts = [
            f"{name} {results[name]:.1f} ms {'ok' if results[name] <= limit else 'MISSED'} "
            f"(target <= {limit:.0f})"
            for name, limit in TARGETS.items()
        ]
        report("targets at 10k: " + "; ".join(verdicts))


if __name__ == "__main__":
    main()
