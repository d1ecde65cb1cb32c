"""Prometheus history against the sandbox's real Prometheus (backfilled 24 h, scraped live),
through the kube-apiserver service proxy and through a configured URL with a keyring secret.

Needs the `prometheus` package. Off CI a machine without it skips, saying so; under CI=true a
missing binary fails (.ci/run installs it)."""

from __future__ import annotations

import asyncio
import functools
import time

import pytest

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import (
    Prometheus,
    prometheus_for,
)
from kstui.backends.prometheus_queries import LEVELS, METRICS, Target
from tests.backends.conftest import (
    _running_pod,
    parse_quantity,
)
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client


async def test_history_through_the_service_proxy_has_24h_for_a_pod_and_a_node(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    client = prom_admin.transport.kube  # type: ignore[attr-defined]
    pod = await _running_pod(client)
    meta = pod["metadata"]
    end = time.time()
    for target in (
        Target("pod", namespace=meta["namespace"], pod=meta["name"]),
        Target("node", node=pod["spec"]["nodeName"]),
    ):
        for metric in METRICS:
            [series] = await prom_admin.history(metric, target, "24h", end)
            times = [t for t, _ in series.points]
            assert len(times) >= 140, (target, metric, len(times))
            assert times[0] <= end - 23.5 * 3600, (target, metric)
            assert times[-1] >= end - 900, (target, metric)
            assert all(v >= 0 for _, v in series.points)


async def test_every_level_answers_every_metric(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    client = prom_admin.transport.kube  # type: ignore[attr-defined]
    pod = await _running_pod(client)
    meta, spec = pod["metadata"], pod["spec"]
    owner = meta["ownerReferences"][0]
    workload = owner["name"].rsplit("-", 1)[0] if owner["kind"] == "ReplicaSet" else owner["name"]
    kind = "Deployment" if owner["kind"] == "ReplicaSet" else owner["kind"]
    shop = (await client.get("/api/v1/namespaces/shop-prod"))["metadata"]["labels"]
    workspace = shop["kubesphere.io/workspace"]  # acme-retail: shop-prod has running pods
    targets = {
        "cluster": Target("cluster"),
        "node": Target("node", node=spec["nodeName"]),
        "workspace": Target("workspace", workspace=workspace),
        "namespace": Target("namespace", namespace=meta["namespace"]),
        "workload": Target(
            "workload", namespace=meta["namespace"], workload_kind=kind, workload=workload
        ),
        "pod": Target("pod", namespace=meta["namespace"], pod=meta["name"]),
        "container": Target(
            "container",
            namespace=meta["namespace"],
            pod=meta["name"],
            container=spec["containers"][0]["name"],
        ),
    }
    assert set(targets) == set(LEVELS)
    at = time.time()
    for level, target in targets.items():
        for metric in METRICS:
            found = await prom_admin.now(metric, target, at)
            assert found, (level, metric)
            assert found[0].points[0][1] > 0, (level, metric, found)
    # the table forms: every row of a level in one query
    nodes = len((await client.get("/api/v1/nodes"))["items"])
    rows = {
        Target("node"): nodes,
        Target("pod", node=spec["nodeName"]): 2,
        Target("workspace"): 2,
        Target("namespace", workspace=workspace): 2,
        Target("pod", namespace=meta["namespace"], workload_kind=kind, workload=workload): 1,
        Target("container", namespace=meta["namespace"], pod=meta["name"]): 1,
    }
    for target, least in rows.items():
        for metric in METRICS:
            found = await prom_admin.now(metric, target, at)
            assert len(found) >= least, (target, metric, found)
    assert len(await prom_admin.now("cpu", Target("node"), at)) == nodes


async def _in_window(min_offset: float = 4.0) -> float:
    """A moment at least `min_offset` s into a 15 s window (two 1 s scrapes in it), now."""
    while True:
        now = time.time()
        offset = now % 15
        if min_offset <= offset <= 11:
            return now
        await asyncio.sleep(0.2)


async def _live(prom_admin: Prometheus, expr: str, timeout: float = 30.0) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        found = await prom_admin.query(expr)
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def _usage_now(client) -> tuple[str, dict, dict]:  # type: ignore[no-untyped-def]
    """metrics.k8s.io now: its window, (namespace, pod) -> {container: (cores, bytes)} and
    node -> (cores, bytes)."""
    pods = await client.get("/apis/metrics.k8s.io/v1beta1/pods")
    nodes = await client.get("/apis/metrics.k8s.io/v1beta1/nodes")
    by_pod = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): {
            c["name"]: (parse_quantity(c["usage"]["cpu"]), parse_quantity(c["usage"]["memory"]))
            for c in p["containers"]
        }
        for p in pods["items"]
    }
    by_node = {
        n["metadata"]["name"]: (
            parse_quantity(n["usage"]["cpu"]),
            parse_quantity(n["usage"]["memory"]),
        )
        for n in nodes["items"]
    }
    return pods["items"][0]["timestamp"], by_pod, by_node


def _summed(by_pod: dict, keep) -> tuple[float, float]:  # type: ignore[no-untyped-def,type-arg]
    chosen = [u for key, cs in by_pod.items() if keep(key) for u in cs.values()]
    return sum(c for c, _ in chosen), sum(m for _, m in chosen)


async def test_every_level_agrees_with_metrics_k8s_io_at_the_same_moment(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    """CPU and memory at each level, from Prometheus, equal the sums of what metrics.k8s.io
    reports for the same 15 s window (CPU to KubeSphere's rounding of 1 millicore)."""
    client = prom_admin.transport.kube  # type: ignore[attr-defined]
    pod = await _running_pod(client)
    meta, node = pod["metadata"], pod["spec"]["nodeName"]
    namespace, rs = meta["namespace"], meta["ownerReferences"][0]["name"]
    workload = rs.rsplit("-", 1)[0]
    container = pod["spec"]["containers"][0]["name"]
    spaces = {
        n["metadata"]["name"]
        for n in (await client.get("/api/v1/namespaces"))["items"]
        if (n["metadata"].get("labels") or {}).get("kubesphere.io/workspace") == "acme-retail"
    }
    owners = {
        (p["metadata"]["namespace"], p["metadata"]["name"]): (
            p["metadata"].get("ownerReferences") or [{}]
        )[0].get("name", "")
        for p in (await client.get("/api/v1/pods"))["items"]
    }
    selector = f'pod="{meta["name"]}", namespace="{namespace}"'
    assert await _live(prom_admin, f"rate(container_cpu_usage_seconds_total{{{selector}}}[15s])")
    for attempt in range(4):
        # Read again after a window edge between the reads, or after a pod came or went
        # meanwhile (the controllers run); a difference that stays is a failure.
        at = await _in_window()
        window, by_pod, by_node = await _usage_now(client)
        pods_where = functools.partial(_summed, by_pod)

        want = {
            Target("cluster"): (
                sum(c for c, _ in by_node.values()),
                sum(m for _, m in by_node.values()),
            ),
            Target("node", node=node): by_node[node],
            Target("workspace", workspace="acme-retail"): pods_where(lambda k: k[0] in spaces),
            Target("namespace", namespace=namespace): pods_where(lambda k: k[0] == namespace),
            Target(
                "workload", namespace=namespace, workload_kind="Deployment", workload=workload
            ): pods_where(lambda k: k[0] == namespace and owners.get(k) == rs),
            Target("pod", namespace=namespace, pod=meta["name"]): pods_where(
                lambda k: k == (namespace, meta["name"])
            ),
            Target("container", namespace=namespace, pod=meta["name"], container=container): (
                by_pod[(namespace, meta["name"])][container]
            ),
        }
        got = {}
        for target in want:
            [cpu] = await prom_admin.now("cpu", target, at)
            [memory] = await prom_admin.now("memory", target, at)
            got[target] = (cpu.points[0][1], memory.points[0][1])
        if await _usage_now(client) != (window, by_pod, by_node):
            continue
        wrong = [
            (target.level, got[target], (cpu_cores, memory_bytes))
            for target, (cpu_cores, memory_bytes) in want.items()
            if got[target][0] != pytest.approx(cpu_cores, abs=0.000501)
            or got[target][1] != pytest.approx(memory_bytes, rel=1e-6)
        ]
        if wrong and attempt < 3:
            continue
        assert wrong == []
        return
    pytest.fail("every read straddled a 15 s window or a pod change")


async def test_a_live_scrape_gives_a_rate_within_seconds(prom: RunningSandbox) -> None:
    """A pod created now has no history: its first rate() comes from the 1 s scrapes."""
    kube = sandbox_client(prom)
    try:
        admin = prometheus_for("host", kube, Flavor.V4)
        namespace = (await _running_pod(kube))["metadata"]["namespace"]
        name = f"fresh-{int(time.time())}"
        await kube.create(
            f"/api/v1/namespaces/{namespace}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        )
        started = time.monotonic()
        expr = (
            f'rate(container_cpu_usage_seconds_total{{namespace="{namespace}", pod="{name}"}}[10s])'
        )
        found = await _live(admin, expr, timeout=45)
        took = time.monotonic() - started
        assert found, "no rate() from the live scrape in 45 s"
        assert found[0].points[0][1] > 0
        print(f"first rate() of a new pod after {took:.1f}s")  # noqa: T201
    finally:
        await kube.aclose()
