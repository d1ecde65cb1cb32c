#!/usr/bin/env python
"""Observe section: the time to open each level of the trees at 10,000 pods.

    python bench/observe.py                    # 1 cluster, 10,000 pods (history: none)
    python bench/observe.py --pods 2000 --prometheus

A report, not a test: it always exits 0. The sandbox runs in its own process (`kstui sandbox`,
https, token auth), as a real kube-apiserver does: in this process it would compete with the
client for the GIL; the client is kstui's own ObserveService (kstui/backends/observe_service.py),
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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch import SandboxProcess

from kstui.backends.errors import KstuiError
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.observe_place import Place, child
from kstui.backends.observe_service import ObserveService
from kstui.backends.session import BackendSettings, Session
from kstui.sandbox import prometheus as sandbox_prometheus
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


def start_sandbox(pods: int, prometheus: bool, workdir: Path) -> SandboxProcess:
    """`kstui sandbox` in its own process; back once it serves (and, with Prometheus, once
    its history is in)."""
    sandbox = SandboxProcess(
        pods,
        0.0,
        workdir,
        "--prometheus" if prometheus else "--no-prometheus",
        "--state-dir",
        str(workdir / "state"),
        ready="prometheus:" if prometheus else "ready in",
        timeout=3600 if prometheus else 300,  # a loaded machine: slow
    )
    if prometheus:
        log = sandbox.log.read_text().splitlines()
        said = next(line for line in log if "prometheus:" in line)
        print(said if "ready in" in said else f"Prometheus not ready: {said}")
    return sandbox


async def _warm(kubeconfig: Path) -> None:
    """What a running API server has done before anyone opens Observe: served these lists once
    (the sandbox makes some things on first use). Asked from another process, so this one's
    client starts cold, as kstui's does."""
    config = load_kubeconfig(str(kubeconfig))
    session = Session(config, "host", "default", settings=BackendSettings(cache_dir=None))
    try:
        client = await session.backend("host").open(discover=False)
        await client.whoami()
        for path in ("/api/v1/pods", "/api/v1/nodes", "/apis/metrics.k8s.io/v1beta1/nodes"):
            await client.list(path)
    finally:
        await session.aclose()


def warm(kubeconfig: Path) -> None:
    subprocess.run([sys.executable, __file__, "--warm", str(kubeconfig)], check=True)


def main() -> int:
    if sys.argv[1:2] == ["--warm"]:
        asyncio.run(_warm(Path(sys.argv[2])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument(
        "--prometheus",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="with a real Prometheus (24 h backfill: minutes at 10,000 pods; its live scrapes "
        "then load the sandbox's own loop)",
    )
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="have another process read the lists once first: the server warm, as a running "
        "cluster's is (the sandbox makes some things on first use); this client still cold",
    )
    args = parser.parse_args()
    prometheus = args.prometheus and sandbox_prometheus.binaries() is not None
    if args.prometheus and not prometheus:
        print(f"without Prometheus: {sandbox_prometheus.MISSING}")
    workdir = Path(tempfile.mkdtemp(prefix="kstui-bench-observe-"))
    started = time.perf_counter()
    sandbox = start_sandbox(args.pods, prometheus, workdir)
    try:
        took = time.perf_counter() - started
        print(f"sandbox: 1 cluster, {args.pods:,} pods, ready in {took:.1f}s", flush=True)
        if args.warm:
            warm(workdir / "kubeconfig")
        asyncio.run(_walk(workdir / "kubeconfig", workdir / "cache"))
    finally:
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # its kubeconfig holds the sandbox's tokens
    return 0


if __name__ == "__main__":
    sys.exit(main())
