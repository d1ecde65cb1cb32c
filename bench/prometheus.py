#!/usr/bin/env python
"""Prometheus history: how long the sandbox takes to have it, and a 24 h range query through the
kube-apiserver service proxy against the same query sent to Prometheus directly.

    python bench/prometheus.py                 # 2 clusters, 120 pods each, 20 runs
    python bench/prometheus.py --pods 1000 --runs 50

A report, not a test: it always exits 0 (and says so when `prometheus` is not installed). The
sandbox runs in this process (a background thread, https, token auth); the client is kstui's
own backend (kstui.backends.prometheus), once through the proxy, once at the Prometheus URL.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import Prometheus, prometheus_for
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.prometheus_queries import Target
from kstui.sandbox import prometheus as sandbox_prometheus
from kstui.sandbox.runtime import SandboxOptions, SandboxThread
from tests.connections import sandbox_client


async def _time(client: Prometheus, target: Target, runs: int) -> list[float]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        await client.history("cpu", target, "24h")
        took.append((time.perf_counter() - started) * 1000)
    return took


def _line(name: str, took: list[float]) -> str:
    ordered = sorted(took)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"  {name:<28} median {statistics.median(took):6.1f} ms   p95 {p95:6.1f} ms   "
        f"(first {took[0]:.1f} ms)"
    )


async def _queries(thread: SandboxThread, runs: int) -> None:
    sandbox = thread.sandbox
    fleet = sandbox.prometheus
    assert fleet is not None

    class Running:  # what tests.connections.sandbox_client reads
        def url(self, cluster: str) -> str:
            return sandbox.url(cluster)

        def token(self, cluster: str, user: str) -> str:
            return sandbox.token(cluster, user)

        def __init__(self) -> None:
            self.sandbox = sandbox

    kube = sandbox_client(Running())
    direct = prometheus_for(
        "host", kube, Flavor.V4, PrometheusEndpoint(fleet.instances["host"].url)
    )
    proxied = prometheus_for("host", kube, Flavor.V4)
    for name, target in (
        ("cluster", Target("cluster")),
        ("namespace payments", Target("namespace", namespace="payments")),
    ):
        print(f"24 h of {name} CPU (145 points):")
        print(_line("through the service proxy", await _time(proxied, target, runs)))
        print(_line("Prometheus directly", await _time(direct, target, runs)))
    await kube.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=2)
    parser.add_argument("--pods", type=int, default=120)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if sandbox_prometheus.binaries() is None:
        print(f"not measured: {sandbox_prometheus.MISSING}")
        return 0
    started = time.perf_counter()
    thread = SandboxThread(SandboxOptions(clusters=args.clusters, pods=args.pods, prometheus=True))
    thread.start()
    up = time.perf_counter() - started
    error = thread.wait_prometheus(600)
    ready = time.perf_counter() - started
    try:
        if error:
            print(f"not measured: {error}")
            return 0
        print(f"sandbox: {args.clusters} cluster(s), {args.pods} pods each, serving in {up:.1f}s")
        print(f"prometheus: every cluster's 24 h of history queryable {ready - up:.1f}s later")
        fleet = thread.sandbox.prometheus
        assert fleet is not None
        for name, instance in fleet.instances.items():
            t = instance.timings
            print(
                f"  {name:<8} {int(t['samples']):>9,} samples: written {t['generate_s']:.1f}s, "
                f"backfilled {t['backfill_s']:.1f}s, Prometheus ready {t['start_s']:.2f}s"
            )
        asyncio.run(_queries(thread, args.runs))
    finally:
        thread.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
