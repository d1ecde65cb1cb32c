"""A workload told to spike (`sandbox.kstui.io/spike`, set with kubectl annotate): its pods'
usage jumps in metrics.k8s.io and in the exported series alike, at the same moment, and ends
when it says; the seeded demo workload spikes every hour, so the history shows it."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kstui.sandbox import prometheus
from kstui.sandbox.exporter import snapshot
from kstui.sandbox.exposition import Counters, Memo, write_openmetrics
from kstui.sandbox.runtime import FROZEN_AT, Sandbox, SandboxOptions
from kstui.sandbox.spikes import Spike, parse_spike
from kstui.sandbox.usage import container_usage, cpu_nanocores, memory_bytes
from tests.connections import sandbox_client
from tests.sandbox.scrape_text import samples

NS, DEPLOYMENT = "shop-prod", "reviews-v1"


def test_the_annotation_says_what_spikes_and_when() -> None:
    assert parse_spike("cpu") == Spike(cpu=True, memory=False)
    assert parse_spike("memory,cpu") == Spike(cpu=True, memory=True)
    until = parse_spike("memory until=2026-01-15T12:05:00Z")
    assert until is not None
    assert until.until == FROZEN_AT.timestamp() + 300
    hourly = parse_spike("cpu every=1h for=5m at=30m")
    assert hourly == Spike(True, False, None, 3600.0, 300.0, 1800.0)
    noon = FROZEN_AT.timestamp()
    assert not hourly.active(noon)
    assert hourly.active(noon + 1800)
    assert hourly.active(noon + 2099)
    assert not hourly.active(noon + 2100)
    for bad in ("", "disk", "cpu for=5m", "cpu until=soon", "cpu every=1h for=x", "cpu x=1"):
        assert parse_spike(bad) is None, bad


def _exported(scraped: dict[str, float], name: str, pod: str, container: str) -> float:
    return next(
        value
        for series, value in scraped.items()
        if series.startswith(name + "{")
        and f'pod="{pod}"' in series
        and f'container="{container}"' in series
    )


async def _metrics(client: Any, pods: list[str]) -> dict[tuple[str, str], tuple[int, int]]:
    listed = await client.get(f"/apis/metrics.k8s.io/v1beta1/namespaces/{NS}/pods")
    return {
        (item["metadata"]["name"], c["name"]): (
            cpu_nanocores(c["usage"]["cpu"]),
            memory_bytes(c["usage"]["memory"]),
        )
        for item in listed["items"]
        if item["metadata"]["name"] in pods
        for c in item["containers"]
    }


def _kubectl(running: Any, tmp_path: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env |= {
        "KUBECONFIG": str(running.kubeconfig),
        "KUBECACHEDIR": str(tmp_path),
        "HOME": str(tmp_path),
    }
    subprocess.run(["kubectl", *args], check=True, env=env, capture_output=True, timeout=60)


async def test_a_spike_raises_usage_in_metrics_and_exported_series_and_ends(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    running = fresh_sandbox(frozen=True)
    cluster = running.cluster()
    client = sandbox_client(running)
    try:
        listed = await client.list(
            f"/api/v1/namespaces/{NS}/pods", {"labelSelector": "app=reviews,version=v1"}
        )
        pods = {p["metadata"]["name"]: p for p in listed["items"]}
        assert pods
        before = await _metrics(client, list(pods))
        until = FROZEN_AT + timedelta(minutes=2)
        _kubectl(
            running,
            tmp_path,
            "annotate",
            "-n",
            NS,
            f"deployment/{DEPLOYMENT}",
            f"sandbox.kstui.io/spike=cpu,memory until={until:%Y-%m-%dT%H:%M:%SZ}",
        )
        during = await _metrics(client, list(pods))
        now = cluster.clock.now().timestamp()
        exporter = prometheus.LiveExporter(cluster)
        first = samples(running.call(exporter.render, now))
        second = samples(running.call(exporter.render, now + 15))
        for (pod, container), (cpu, memory) in during.items():
            spec = next(c for c in pods[pod]["spec"]["containers"] if c["name"] == container)
            limits = (spec.get("resources") or {}).get("limits") or {}
            old_cpu, old_memory = before[(pod, container)]
            assert cpu > old_cpu, (pod, container)
            assert memory > old_memory, (pod, container)
            if "cpu" in limits:
                assert cpu >= 0.9 * cpu_nanocores(limits["cpu"])
            # the exported series say the same at the same moment
            wss = "container_memory_working_set_bytes"
            assert _exported(first, wss, pod, container) == memory
            counter = "container_cpu_usage_seconds_total"
            rate = (
                _exported(second, counter, pod, container)
                - _exported(first, counter, pod, container)
            ) / 15
            assert abs(rate - cpu / 1e9) < 1e-6, (pod, container, rate, cpu)

        running.call(cluster.clock.advance, 180)  # past `until`: the spike is over
        after = await _metrics(client, list(pods))
        at = datetime.fromtimestamp(cluster.clock.now().timestamp() // 15 * 15, tz=UTC)
        for (pod, container), (cpu, memory) in after.items():
            spec = next(c for c in pods[pod]["spec"]["containers"] if c["name"] == container)
            resources = spec.get("resources") or {}
            usual = container_usage(
                NS, pod, container, at, resources.get("requests"), resources.get("limits")
            )
            assert (cpu, memory) == usual
            assert cpu < during[(pod, container)][0]
    finally:
        await client.aclose()


def test_the_seeded_demo_workload_spikes_every_hour_in_the_history() -> None:
    sandbox = Sandbox(SandboxOptions(clusters=1, pods=5))
    sandbox.populate()
    snap = snapshot(sandbox.cluster().store)
    demo = next(p for p in snap.pods if p.name.startswith("reviews-v2-"))
    assert demo.spike is not None
    assert demo.spike.every == 3600
    assert all(p.spike is None for p in snap.pods if not p.name.startswith("reviews-v2-"))
    end = datetime.now(UTC).timestamp() // 60 * 60
    history = io.StringIO()
    write_openmetrics(
        history,
        prometheus.all_families(snap, Memo(), live=False),
        Counters(),
        prometheus.history_times(end),
    )
    memory = {
        float(stamp): float(value)
        for line in history.getvalue().splitlines()
        if line.startswith("container_memory_working_set_bytes{") and f'pod="{demo.name}"' in line
        for _series, value, stamp in [line.rsplit(" ", 2)]
    }
    spiking = [v for t, v in memory.items() if demo.spike.active(t)]
    quiet = [v for t, v in memory.items() if not demo.spike.active(t)]
    assert len(spiking) >= 20  # every hour of the 24
    assert min(spiking) > max(quiet)
