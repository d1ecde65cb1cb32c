"""The sandbox's Prometheus side without a Prometheus: what the exporter writes, and what
`kstui sandbox` says when the package is missing."""

from __future__ import annotations

import io
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import service_for
from kstui.sandbox import prometheus
from kstui.sandbox.exporter import snapshot
from kstui.sandbox.exposition import Counters, Memo, write_openmetrics
from kstui.sandbox.runtime import Sandbox, SandboxOptions
from tests.sandbox.scrape_text import samples

ROOT = Path(__file__).resolve().parents[2]


def test_live_counters_go_on_from_the_history_never_back() -> None:
    sandbox = Sandbox(SandboxOptions(clusters=1, pods=5))
    sandbox.populate()
    cluster = sandbox.cluster()
    end = time.time() // 60 * 60 - 60
    counters = Counters()
    history = io.StringIO()
    snap = snapshot(cluster.store)
    written = write_openmetrics(
        history,
        prometheus.all_families(snap, Memo(), live=False),
        counters,
        prometheus.history_times(end),
    )
    assert written > 0
    assert history.getvalue().endswith("# EOF\n")
    last: dict[str, float] = {}
    for line in history.getvalue().splitlines():
        if line.startswith("container_cpu_usage_seconds_total{"):
            series, value, _t = line.rsplit(" ", 2)
            last[series] = float(value)
    exporter = prometheus.LiveExporter(cluster)
    exporter.counters = counters
    live = samples(exporter.render(end + 30))
    assert last
    for series, value in last.items():
        assert live[series] > value  # integrated on from where the history stopped
    assert re.search(
        r'^kube_pod_status_phase\{.*phase="Running"\} 1\.0 \d+$', exporter.render(end + 31), re.M
    )


def test_the_history_samples_steady_series_within_the_lookback() -> None:
    times = prometheus.history_times(1_796_288_460.0)
    assert times[-1] == 1_796_288_460.0
    assert times[0] >= 1_796_288_460.0 - 86_400
    steady = [t for t in times if int(t) % 240 == 0]
    assert max(b - a for a, b in itertools.pairwise(steady)) <= 240
    assert max(b - a for a, b in itertools.pairwise(times)) <= 120


def test_the_services_are_where_the_backend_looks() -> None:
    assert (
        service_for(Flavor.V4).namespace,
        service_for(Flavor.V4).name,
    ) == (prometheus.MONITORING_NAMESPACE, prometheus.SERVICE)
    assert service_for(Flavor.V3) == service_for(Flavor.V4)
    assert service_for(Flavor.VANILLA).namespace == prometheus.VANILLA_NAMESPACE


def test_without_the_package_the_sandbox_says_once_and_serves(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "empty"), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kstui",
            "sandbox",
            "--clusters",
            "1",
            "--pods",
            "3",
            "--no-tls",
            "--kubeconfig",
            str(tmp_path / "kubeconfig"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while not any("ready in" in line for line in lines):
            assert time.monotonic() < deadline, lines
            lines.append(process.stdout.readline())
        said = "".join(lines)
        assert said.count("history needs the `prometheus` package") == 1
        assert (tmp_path / "kubeconfig").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def test_restarts_are_the_pods_restart_counts_and_grow_through_the_history() -> None:
    sandbox = Sandbox(SandboxOptions(clusters=1, pods=120))
    sandbox.populate()
    cluster = sandbox.cluster()
    counts = {
        (p["metadata"]["namespace"], p["metadata"]["name"], s["name"]): s["restartCount"]
        for p in cluster.store.objects(("", "pods"))
        for s in (p.get("status") or {}).get("containerStatuses") or []
    }
    assert max(counts.values()) > 0, "no crash-looping pod to look at"
    exporter = prometheus.LiveExporter(cluster)
    live = samples(exporter.render(time.time()))
    for (namespace, pod, container), count in counts.items():
        series = next(
            k
            for k in live
            if k.startswith("kube_pod_container_status_restarts_total{")
            and f'namespace="{namespace}",pod="{pod}",' in k
            and f'container="{container}"' in k
        )
        assert live[series] == count
    end = time.time() // 60 * 60 - 60
    history = io.StringIO()
    write_openmetrics(
        history,
        prometheus.all_families(
            snapshot(cluster.store), Memo(), live=False, span=(end - 86_400, end)
        ),
        Counters(),
        prometheus.history_times(end),
    )
    crashing = max(counts, key=lambda k: counts[k])
    values = [
        float(line.rsplit(" ", 2)[1])
        for line in history.getvalue().splitlines()
        if line.startswith("kube_pod_container_status_restarts_total{")
        and f'pod="{crashing[1]}"' in line
        and f'container="{crashing[2]}"' in line
    ]
    assert values == sorted(values)
    assert values[0] < values[-1] == counts[crashing]
