#!/usr/bin/env python
"""Memory over a session: open and close a 20,000-pod list again and again; RSS must stay flat.

    python bench/memory.py                   # 20,000 pods, 50 open/close cycles
    python bench/memory.py --cycles 10       # a quicker look at the trend
    python bench/memory.py --grace 2         # short cache grace: closed lists' caches go too

A report, not a test: it prints the figures and always exits 0. The sandbox runs in its own
process (bench/tui.py's SandboxProcess, with a little churn), so only the app's memory is in this
process's RSS. The app runs headless in this process, on the pods of one namespace (a small list),
and each cycle types `:pods -A⏎`, waits until all rows are loaded, then presses Esc and waits
until the list's screen is gone. RSS (/proc/self/status) is read after each close; the figures:

- before: the app on its small list, before the first cycle;
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
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table import send_key
from tui import SandboxProcess, rss_mib

from kstui.app import AppSettings, KstuiApp
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config, RefreshSettings
from kstui.heap import HEAP
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.resource_table import ResourceTable

TARGET_MIB = 20.0


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Opened:
    """Weak references to what each opened list made: which of them outlive its closing.
    (gc.get_objects() cannot count them: it does not see frozen objects.)"""

    def __init__(self) -> None:
        self.refs: list[tuple[str, weakref.ref[Any]]] = []

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
            if id(cache) not in known and len(cache.rows) >= 1000
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


async def session(kubeconfig: Path, pods: int, cycles: int, grace: float, cache_dir: Path) -> None:
    config = Config(refresh=RefreshSettings(grace_seconds=grace))
    app = KstuiApp(
        AppSettings(
            load_kubeconfig(str(kubeconfig)), "host", "default", config=config, cache_dir=cache_dir
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

        await wait_for(lambda: isinstance(base, ResourcesScreen) and base.loaded, 120, "start")
        await asyncio.sleep(1)
        before = rss_mib(os.getpid())
        report(f"before: {before:.1f} MiB RSS, freeze count {gc.get_freeze_count():,}")
        opened = Opened()
        after_first = before
        started = time.perf_counter()
        for cycle in range(1, cycles + 1):
            for name, character in (
                ("colon", ":"),
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
        after = rss_mib(os.getpid())
        await asyncio.sleep(grace + 2)  # the closed list's cache stops after the grace period
        gc.collect()
        settled = rss_mib(os.getpid())
        counts = opened.live()
        await app.session.aclose()
    growth = after - before
    slope = (after - after_first) / max(1, cycles - 1)
    report(f"\n{cycles} cycles of {pods:,} pods in {elapsed:.0f} s")
    report(
        f"RSS before {before:.1f} MiB, after the first cycle {after_first:.1f} MiB, "
        f"after {cycles} cycles {after:.1f} MiB"
    )
    report(
        f"growth {growth:+.1f} MiB ({slope:+.2f} MiB per cycle after the first); "
        f"target <= {TARGET_MIB:.0f} MiB: {'pass' if growth <= TARGET_MIB else 'MISS'}"
    )
    report(f"heap settled {HEAP.settles} times, the slowest in {HEAP.slowest * 1000:.0f} ms")
    report(
        f"after the {grace:g} s grace and a collection: {settled:.1f} MiB "
        f"({settled - before:+.1f}); still alive: {counts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=20_000, help="pods in the sandbox")
    parser.add_argument("--cycles", type=int, default=50, help="open/close cycles")
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
        f"{time.perf_counter() - started:.1f} s"
    )
    try:
        asyncio.run(
            session(sandbox.kubeconfig, args.pods, args.cycles, args.grace, workdir / "cache")
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
