#!/usr/bin/env python
"""Observe section: the time to open each level of the trees at 10,000 pods.

    python bench/observe.py                    # 1 cluster, 10,000 pods (history: none)
    python bench/observe.py --pods 2000 --prometheus

A report, not a test: it always exits 0. The sandbox runs in this process (a background thread,
https, token auth); the client is kstui's own ObserveService (kstui/backends/observe_service.py),
the section's backend: each level is read as the screen reads it (pods, metrics.k8s.io, nodes,
namespaces, and one Prometheus query per metric for the whole level), then made into the
table's rows. "usage now" is a level opened first until its rows can show (its lists read;
the screen shows them then), "+history" until their history and network are in too, "again"
the same level read again at once (a list younger than 4 s serves, as when drilling down;
Prometheus answers are kept until the window's step passes), "rows" the projection into table
rows. Each level opened is the biggest row of the level above.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kstui.backends.errors import KstuiError
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.observe_place import Place, child
from kstui.backends.observe_service import ObserveService
from kstui.backends.session import BackendSettings, Session
from kstui.sandbox import prometheus as sandbox_prometheus
from kstui.sandbox.runtime import SandboxOptions, SandboxThread
from kstui.screens.observe import level_row


async def _walk(kubeconfig: Path, cache: Path) -> None:
    config = load_kubeconfig(str(kubeconfig))
    session = Session(config, "host", "default", settings=BackendSettings(cache_dir=cache))
    service = ObserveService(session)
    print(
        f"{'level':<40} {'rows':>6} {'usage now':>9} {'+history':>9} {'again':>7} "
        f"{'rows':>6}  history"
    )
    try:
        for start in ("nodes", "workspaces"):
            place: Place | None = Place("clusters")
            path = [0, 0 if start == "nodes" else 1]
            depth = 0
            service.forget()  # each tree from a cold start
            while place is not None:
                try:
                    started = time.perf_counter()
                    level = await service.now(place)
                    rows_now = time.perf_counter() - started
                    level = await service.with_history(place, level)
                    opened = time.perf_counter() - started
                    started = time.perf_counter()
                    level = await service.level(place)
                    again = time.perf_counter() - started
                except KstuiError as error:
                    print(f"{place.level:<44} failed: {error.title}", flush=True)
                    break
                started = time.perf_counter()
                [level_row(place, row) for row in level.rows]
                projected = time.perf_counter() - started
                name = " › ".join(filter(None, (place.level, place.crumb)))[:40]
                print(
                    f"{name:<40} {len(level.rows):>6} {rows_now * 1000:>7.0f}ms "
                    f"{opened * 1000:>7.0f}ms {again * 1000:>5.0f}ms {projected * 1000:>4.0f}ms  "
                    f"{'Prometheus' if not level.history else level.history[:40]}",
                    flush=True,
                )
                if not level.rows or place.level == "pod":
                    break
                if depth < len(path):
                    rows = sorted(level.rows, key=lambda row: row.key)
                    chosen = rows[path[depth]] if place.level == "cluster" else rows[0]
                    if place.level == "cluster":
                        chosen = next(r for r in level.rows if r.key == start)
                else:
                    chosen = max(level.rows, key=lambda row: row.pods)
                depth += 1
                place = child(place, chosen)
            print()
    finally:
        await service.history.aclose()
        await session.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument(
        "--prometheus",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="with a real Prometheus (24 h backfill: minutes at 10,000 pods; its live scrapes "
        "then load the sandbox's own loop)",
    )
    args = parser.parse_args()
    prometheus = args.prometheus and sandbox_prometheus.binaries() is not None
    if args.prometheus and not prometheus:
        print(f"without Prometheus: {sandbox_prometheus.MISSING}")
    workdir = Path(f"/tmp/kstui-bench-observe-{time.time_ns()}")
    workdir.mkdir(parents=True)
    started = time.perf_counter()
    options = SandboxOptions(
        clusters=1, pods=args.pods, prometheus=prometheus, state_dir=str(workdir / "state")
    )
    thread = SandboxThread(options)
    sandbox = thread.start()
    kubeconfig = sandbox.write_kubeconfig(workdir / "kubeconfig")
    try:
        if prometheus:
            error = thread.wait_prometheus(900)
            if error:
                print(f"Prometheus not ready: {error}")
        took = time.perf_counter() - started
        print(f"sandbox: 1 cluster, {args.pods:,} pods, ready in {took:.1f}s", flush=True)
        asyncio.run(_walk(kubeconfig, workdir / "cache"))
    finally:
        thread.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds the sandbox's tokens
    return 0


if __name__ == "__main__":
    sys.exit(main())
