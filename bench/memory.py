#!/usr/bin/env python
"""Memory over a session: open and close a 20,000-pod list again and again; RSS must stay flat.

    python bench/memory.py                   # 20,000 pods, 50 open/close cycles
    python bench/memory.py --cycles 10       # a quicker look at the trend
    python bench/memory.py --start default   # start on a small list: each cycle lists anew
    python bench/memory.py --grace 2         # short cache grace: closed lists' caches go too

A report, not a test: it prints the figures and always exits 0. The sandbox runs in its own
process (bench/tui.py's SandboxProcess, with a little churn), so only the app's memory is in this
process's RSS. The app runs headless in this process. By default it starts like `kstui -A` (all
pods listed, as in the session of issue 8 that went from 96 to 761 MB); with `--start default` it
starts on the pods of the default namespace (a small list), so every cycle makes, and after the
grace drops, a cache of its own. Each cycle types `:pods -A⏎`, waits until all rows are loaded,
then presses Esc and waits until the list's screen is gone. RSS (/proc/self/status) is read after
each close; the figures:

- before: the app on its first list, loaded, before the first cycle;
- after the first cycle, and after the last one; growth per cycle is the slope between them;
- after the grace period (the closed list's cache stopped) and a full collection.

Also shown after each cycle: gc.get_freeze_count() (objects the collector never looks at again)
and how many of the closed lists' screens, tables, stores (and their rows) and caches are still
alive, by weak references taken while each list was open.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch import SandboxProcess, rss_mib
from table import send_key

from kstui.app import AppSettings, KstuiApp
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config, RefreshSettings
from kstui.heap import HEAP
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

TARGET_MIB = 20.0


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Opened:
    """Weak references to what each opened list made: which of them outlive its closing.
    (gc.get_objects() cannot count them: it does not see frozen objects.)"""

    def __init__(self, shared: list[Any]) -> None:
        self.refs: list[tuple[str, weakref.ref[Any]]] = []
        self.shared = {id(cache) for cache in shared}
        """Caches the first list uses too: they stay, and are not counted."""

    def add(self, app: KstuiApp) -> None:
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        table = screen.query_one(ResourceTable)
        self.refs += [
            ("screens", weakref.ref(screen)),
            ("tables", weakref.ref(table)),
            ("stores", weakref.ref(table._store)),
        ]
        caches = screen.backend.caches.caches() if screen.backend.caches else []
        known = {id(ref()) for label, ref in self.refs if label == "caches"}
        self.refs += [
            ("caches", weakref.ref(cache))
            for cache in caches
            if id(cache) not in known | self.shared and len(cache.rows) >= 1000
        ]

    def live(self) -> dict[str, int]:
        counts = dict.fromkeys(("screens", "tables", "stores", "rows", "caches", "cached rows"), 0)
        for label, ref in self.refs:
            obj = ref()
            if obj is None:
                continue
            counts[label] += 1
            if label == "stores":
                counts["rows"] += obj.row_count
            elif label == "caches":
                counts["cached rows"] += len(obj.rows)
        return counts


async def wait_for(condition, within: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def session(
    kubeconfig: Path, pods: int, cycles: int, grace: float, start: str, cache_dir: Path
) -> None:
    config = Config(refresh=RefreshSettings(grace_seconds=grace))
    app = KstuiApp(
        AppSettings(
            load_kubeconfig(str(kubeconfig)),
            "host",
            "" if start == "all" else start,
            config=config,
            cache_dir=cache_dir,
        )
    )
    async with app.run_test(size=(160, 48)):
        base = app.screen

        def list_loaded() -> bool:
            screen = app.screen
            return (
                screen is not base
                and isinstance(screen, ResourcesScreen)
                and screen.loaded
                and screen.query_one(ResourceTable).row_count >= pods
            )

        base_rows = pods if start == "all" else 0
        await wait_for(
            lambda: (
                isinstance(base, ResourcesScreen)
                and base.loaded
                and base.query_one(ResourceTable).row_count >= base_rows
            ),
            300,
            "the first list",
        )
        await asyncio.sleep(1)
        before, blocks_before = rss_mib(os.getpid()), sys.getallocatedblocks()
        report(f"before: {before:.1f} MiB RSS, freeze count {gc.get_freeze_count():,}")
        opened = Opened(base.backend.caches.caches() if base.backend.caches else [])
        after_first = before
        started = time.perf_counter()
        for cycle in range(1, cycles + 1):
            # The rest of the line only once the prompt has the focus: keys sent with the `:`
            # in one burst can still reach the table on a busy app (issue 8, item 2).
            send_key(app, "colon", ":")
            await wait_for(lambda: isinstance(app.focused, Prompt), 30, "the prompt")
            for name, character in (
                ("p", "p"),
                ("o", "o"),
                ("space", " "),
                ("minus", "-"),
                ("A", "A"),
                ("enter", None),
            ):
                send_key(app, name, character)
            await wait_for(list_loaded, 300, f"{pods} rows (cycle {cycle})")
            opened.add(app)
            await asyncio.sleep(0.2)
            send_key(app, "escape")
            await wait_for(lambda: app.screen is base, 60, "the list to close")
            await asyncio.sleep(0.2)
            rss = rss_mib(os.getpid())
            if cycle == 1:
                after_first = rss
            counts = opened.live()
            report(
                f"cycle {cycle:3d}: {rss:7.1f} MiB RSS ({rss - before:+6.1f}), frozen "
                f"{gc.get_freeze_count():>9,}; still alive: {counts['screens']} screens, "
                f"{counts['tables']} tables, {counts['stores']} stores, "
                f"{counts['rows']:,} rows, {counts['caches']} caches"
            )
        elapsed = time.perf_counter() - started
        after, blocks_after = rss_mib(os.getpid()), sys.getallocatedblocks()
        # The closed list's cache stops after the grace period; the heap settles twice after.
        await asyncio.sleep(grace + HEAP.delay + HEAP.again + 1)
        gc.collect()
        settled, blocks_settled = rss_mib(os.getpid()), sys.getallocatedblocks()
        # What the freeze saves: a full collection over the heap as it stands (the collector
        # makes one, unasked, whenever the long-lived objects have grown by a quarter).
        listed = base.query_one(ResourceTable).row_count
        began = time.perf_counter()
        gc.collect()
        frozen_ms = (time.perf_counter() - began) * 1000
        gc.unfreeze()
        began = time.perf_counter()
        gc.collect()
        full_ms = (time.perf_counter() - began) * 1000
        HEAP.settle()
        counts = opened.live()
        await app.session.aclose()
    growth = after - before
    since_first = after - after_first
    slope = since_first / max(1, cycles - 1)

    def verdict(mib: float) -> str:
        return "pass" if mib <= TARGET_MIB else "MISS"

    report(f"\n{cycles} cycles of {pods:,} pods in {elapsed:.0f} s")
    report(
        f"RSS before {before:.1f} MiB, after the first cycle {after_first:.1f} MiB, "
        f"after {cycles} cycles {after:.1f} MiB"
    )
    report(
        f"growth over the session {growth:+.1f} MiB "
        f"(target <= {TARGET_MIB:.0f} MiB: {verdict(growth)})"
    )
    report(
        f"growth after the first cycle {since_first:+.1f} MiB, {slope:+.2f} MiB per cycle "
        f"(target <= {TARGET_MIB:.0f} MiB: {verdict(since_first)})"
    )
    report(
        f"python heap: {blocks_before:,} blocks before, {blocks_after:,} after {cycles} cycles "
        f"(the first list's peak stays in the allocator's arenas: RSS, not objects)"
    )
    report(f"heap settled {HEAP.settles} times, the slowest in {HEAP.slowest * 1000:.0f} ms")
    report(
        f"a full collection with {listed:,} rows listed: {full_ms:.0f} ms, "
        f"{frozen_ms:.0f} ms with the heap frozen"
    )
    report(
        f"after the {grace:g} s grace and the settles: {settled:.1f} MiB RSS "
        f"({settled - before:+.1f}), {blocks_settled:,} blocks; still alive: {counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=20_000, help="pods in the sandbox")
    parser.add_argument("--cycles", type=int, default=50, help="open/close cycles")
    parser.add_argument(
        "--start",
        default="all",
        help="the first list: all namespaces (default, like `kstui -A`) or a namespace",
    )
    parser.add_argument("--churn", type=float, default=50.0, help="pod updates/s (default 50)")
    parser.add_argument(
        "--grace",
        type=float,
        default=30.0,
        help="seconds a closed list's cache lingers (the app's default: 30)",
    )
    args = parser.parse_args()
    report(f"kstui bench/memory.py · python {sys.version.split()[0]} · {os.cpu_count()} cores")
    workdir = Path(tempfile.mkdtemp(prefix="kstui-memory-"))
    started = time.perf_counter()
    sandbox = SandboxProcess(args.pods, args.churn, workdir)
    report(
        f"sandbox: {args.pods:,} pods, churn {args.churn:g}/s, ready in "
        f"{time.perf_counter() - started:.1f} s; the app starts on "
        f"{'all pods' if args.start == 'all' else 'the pods of ' + args.start}"
    )
    try:
        asyncio.run(
            session(
                sandbox.kubeconfig,
                args.pods,
                args.cycles,
                args.grace,
                args.start,
                workdir / "cache",
            )
        )
    finally:
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds tokens


if __name__ == "__main__":
    main()
