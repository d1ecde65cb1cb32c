"""Prometheus history against the sandbox's real Prometheus (backfilled 24 h, scraped live),
through the kube-apiserver service proxy and through a configured URL with a keyring secret.

Needs the `prometheus` package. Off CI a machine without it skips, saying so; under CI=true a
missing binary fails (.ci/run installs it)."""

from __future__ import annotations

import asyncio
import functools
import io
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import keyring
import pytest
from aiohttp import ClientSession, web
from keyring.backend import KeyringBackend

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import (
    KUBESPHERE_PROMETHEUS,
    Prometheus,
    PrometheusError,
    ProxyTransport,
    prometheus_for,
)
from kstui.backends.prometheus_endpoint import PrometheusEndpoint, store_secret
from kstui.backends.prometheus_queries import LEVELS, METRICS, Target
from kstui.backends.quantity import parse_quantity as parse_decimal
from kstui.sandbox import prometheus as sandbox_prometheus
from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.connections import sandbox_client


def parse_quantity(text: str) -> float:
    return float(parse_decimal(text))


def _need_prometheus() -> None:
    if sandbox_prometheus.binaries() is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("prometheus/promtool are not installed: .ci/run installs them (CI=true)")
    pytest.skip("needs the `prometheus` package (apt-get install prometheus) for a real Prometheus")


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One cluster with 30 pods and its own Prometheus: 24 h of history, live scrapes."""
    _need_prometheus()
    running = _start(
        tmp_path_factory.mktemp("prom"), SandboxOptions(clusters=1, pods=30, prometheus=True)
    )
    started = time.perf_counter()
    error = running.thread.wait_prometheus(180)
    assert error == "", error
    print(f"prometheus ready {time.perf_counter() - started:.1f}s after the sandbox")  # noqa: T201
    yield running
    running.thread.stop()


def _instance(running: RunningSandbox) -> sandbox_prometheus.Instance:
    fleet = running.sandbox.prometheus
    assert fleet is not None
    return fleet.instances["host"]


async def _running_pod(client, namespace: str = "") -> dict:  # type: ignore[no-untyped-def]
    """A running pod of a Deployment on one of the cluster's Nodes."""
    path = f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods"
    nodes = {n["metadata"]["name"] for n in (await client.get("/api/v1/nodes"))["items"]}
    return next(
        p
        for p in (await client.get(path))["items"]
        if p["status"].get("phase") == "Running"
        and p["spec"].get("nodeName") in nodes
        and (p["metadata"].get("ownerReferences") or [{}])[0].get("kind") == "ReplicaSet"
    )


@pytest.fixture
async def admin(prom: RunningSandbox) -> AsyncIterator[Prometheus]:
    kube = sandbox_client(prom)
    yield prometheus_for("host", kube, Flavor.V4)
    await kube.aclose()


async def test_history_through_the_service_proxy_has_24h_for_a_pod_and_a_node(
    prom: RunningSandbox, admin: Prometheus
) -> None:
    client = admin.transport.kube  # type: ignore[attr-defined]
    pod = await _running_pod(client)
    meta = pod["metadata"]
    end = time.time()
    for target in (
        Target("pod", namespace=meta["namespace"], pod=meta["name"]),
        Target("node", node=pod["spec"]["nodeName"]),
    ):
        for metric in METRICS:
            [series] = await admin.history(metric, target, "24h", end)
            times = [t for t, _ in series.points]
            assert len(times) >= 140, (target, metric, len(times))
            assert times[0] <= end - 23.5 * 3600, (target, metric)
            assert times[-1] >= end - 900, (target, metric)
            assert all(v >= 0 for _, v in series.points)


async def test_every_level_answers_every_metric(prom: RunningSandbox, admin: Prometheus) -> None:
    client = admin.transport.kube  # type: ignore[attr-defined]
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
            found = await admin.now(metric, target, at)
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
            found = await admin.now(metric, target, at)
            assert len(found) >= least, (target, metric, found)
    assert len(await admin.now("cpu", Target("node"), at)) == nodes


async def _in_window(min_offset: float = 4.0) -> float:
    """A moment at least `min_offset` s into a 15 s window (two 1 s scrapes in it), now."""
    while True:
        now = time.time()
        offset = now % 15
        if min_offset <= offset <= 11:
            return now
        await asyncio.sleep(0.2)


async def _live(admin: Prometheus, expr: str, timeout: float = 30.0) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        found = await admin.query(expr)
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
    prom: RunningSandbox, admin: Prometheus
) -> None:
    """CPU and memory at each level, from Prometheus, equal the sums of what metrics.k8s.io
    reports for the same 15 s window (CPU to KubeSphere's rounding of 1 millicore)."""
    client = admin.transport.kube  # type: ignore[attr-defined]
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
    assert await _live(admin, f"rate(container_cpu_usage_seconds_total{{{selector}}}[15s])")
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
            [cpu] = await admin.now("cpu", target, at)
            [memory] = await admin.now("memory", target, at)
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


async def test_a_tenant_without_services_proxy_is_told_it_is_forbidden(
    prom: RunningSandbox,
) -> None:
    kube = sandbox_client(prom, "host", "alice")
    try:
        tenant = prometheus_for("tenant", kube, Flavor.V4)
        with pytest.raises(PrometheusError) as caught:
            await tenant.history("cpu", Target("cluster"), "1h")
        assert caught.value.kind == "forbidden"
        assert "alice cannot get services/proxy" in caught.value.line
        assert "\n" not in caught.value.line
    finally:
        await kube.aclose()


async def test_a_bad_query_is_a_promql_error(admin: Prometheus) -> None:
    with pytest.raises(PrometheusError) as caught:
        await admin.query("sum(")
    assert caught.value.kind == "promql"
    assert caught.value.line.startswith("PromQL error: ")


async def test_a_slow_proxy_says_slow(prom: RunningSandbox) -> None:
    kube = sandbox_client(prom)
    cluster = prom.cluster()
    cluster.faults.slow(3.0, "/api/v1/namespaces/kubesphere-monitoring-system/services")
    try:
        slow = Prometheus(ProxyTransport(kube, KUBESPHERE_PROMETHEUS), timeout=0.5)
        with pytest.raises(PrometheusError) as caught:
            await slow.now("cpu", Target("cluster"))
        assert caught.value.kind == "slow"
        assert "no answer in 0.5s" in caught.value.line
    finally:
        cluster.faults.clear()
        await kube.aclose()


async def test_without_prometheus_it_is_absent_and_without_endpoints_down(
    fresh_sandbox,  # type: ignore[no-untyped-def]
) -> None:
    running = fresh_sandbox(pods=3)
    kube = sandbox_client(running)
    try:
        client = prometheus_for("host", kube, Flavor.V4)
        with pytest.raises(PrometheusError) as caught:
            await client.history("cpu", Target("cluster"), "1h")
        assert caught.value.kind == "absent"
        assert caught.value.line == (
            "Prometheus absent: no Service kubesphere-monitoring-system/prometheus-k8s on this "
            "cluster"
        )
        running.call(sandbox_prometheus.ensure_service, running.cluster())
        with pytest.raises(PrometheusError) as caught:
            await client.history("cpu", Target("cluster"), "1h")
        assert caught.value.kind == "down"
        assert "no ready endpoints" in caught.value.line
    finally:
        await kube.aclose()


# ---------------------------------------------------------------------------- a configured URL


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only: nothing on disk."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


@pytest.fixture
async def guarded(prom: RunningSandbox) -> AsyncIterator[str]:
    """The sandbox's Prometheus behind a proxy that wants `Bearer s3cret-token`."""
    upstream = _instance(prom).url
    session = ClientSession()

    async def forward(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer s3cret-token":
            return web.Response(status=401, text="Unauthorized")
        async with session.get(f"{upstream}{request.path}", params=request.query) as answer:
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )

    app = web.Application()
    app.router.add_get("/{tail:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()
    await session.close()


def _files_holding(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret in p.read_text(errors="replace")]


async def test_a_configured_url_uses_the_token_from_the_keyring(
    prom: RunningSandbox, guarded: str, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    endpoint = PrometheusEndpoint(guarded, "bearer", keyring_entry="prod-eu")
    store_secret("prod-eu", "s3cret-token")
    assert memory_keyring.secrets == {("kstui-prometheus", "prod-eu"): "s3cret-token"}
    kube = sandbox_client(prom)
    try:
        client = prometheus_for("prod", kube, Flavor.V4, endpoint)
        [series] = await client.history("cpu", Target("cluster"), "24h")
        assert len(series.points) >= 140

        store_secret("prod-eu", "a-wrong-one")
        wrong = prometheus_for("prod", kube, Flavor.V4, endpoint)
        with pytest.raises(PrometheusError) as caught:
            await wrong.history("cpu", Target("cluster"), "1h")
        assert caught.value.kind == "unauthorized"
        assert "refused the bearer credentials (401; keyring entry 'prod-eu')" in caught.value.line
        assert "a-wrong-one" not in str(caught.value)
        assert _files_holding(tmp_path, "a-wrong-one") == []

        memory_keyring.secrets.clear()
        empty = prometheus_for("prod", kube, Flavor.V4, endpoint)
        with pytest.raises(PrometheusError) as caught:
            await empty.history("cpu", Target("cluster"), "1h")
        assert caught.value.line == "Prometheus: no secret in the keyring for entry 'prod-eu'"
    finally:
        await kube.aclose()


def test_the_credentials_command_stores_the_secret_and_never_prints_it(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kstui.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO("t0ken-value\n"))
    assert main(["credentials", "set-prometheus", "prod-eu", "--entry", "eu-prom"]) == 0
    assert memory_keyring.secrets == {("kstui-prometheus", "eu-prom"): "t0ken-value"}
    out = capsys.readouterr()
    assert "t0ken-value" not in out.out + out.err
    assert "entry eu-prom" in out.out


def test_the_credentials_command_without_a_keyring_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from keyring.backends import fail

    from kstui.__main__ import main

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        monkeypatch.setattr("sys.stdin", io.StringIO("t0ken-value\n"))
        assert main(["credentials", "set-prometheus", "prod-eu"]) == 2
    finally:
        keyring.set_keyring(before)
    err = capsys.readouterr().err
    assert "no OS keyring is available" in err
    assert "t0ken-value" not in err


async def test_a_vanilla_cluster_serves_it_where_kube_prometheus_does_until_it_is_down(
    fresh_sandbox,  # type: ignore[no-untyped-def]
) -> None:
    _need_prometheus()
    running = fresh_sandbox(pods=5, kubesphere=False, prometheus=True)
    assert running.thread.wait_prometheus(120) == ""
    kube = sandbox_client(running)
    try:
        client = prometheus_for("host", kube, Flavor.VANILLA)
        assert client.transport.where.startswith("service monitoring/prometheus-k8s:web")  # type: ignore[attr-defined]
        [series] = await client.history("memory", Target("cluster"), "24h")
        assert len(series.points) >= 140
        fleet = running.sandbox.prometheus
        sandbox_prometheus.stop_process(fleet.instances["host"].process)
        with pytest.raises(PrometheusError) as caught:  # its process gone, the Service still there
            await client.history("memory", Target("cluster"), "1h")
        assert caught.value.kind == "down"
        assert caught.value.line == (
            "Prometheus down: Service monitoring/prometheus-k8s:web does not answer the proxy"
        )
    finally:
        await kube.aclose()


async def test_an_error_answer_says_failed_with_its_status(prom: RunningSandbox) -> None:
    kube = sandbox_client(prom)
    cluster = prom.cluster()
    cluster.faults.fail_next(1, 500, "/api/v1/namespaces/kubesphere-monitoring-system/services")
    try:
        client = prometheus_for("host", kube, Flavor.V4)
        with pytest.raises(PrometheusError) as caught:
            await client.now("memory", Target("cluster"))
        assert caught.value.kind == "failed"
        assert caught.value.line.startswith(
            "Prometheus failed (500) at service kubesphere-monitoring-system/prometheus-k8s:web "
            "(context host): "
        )
        assert "\n" not in caught.value.line
        assert await client.now("memory", Target("cluster"))  # the next one goes through
    finally:
        cluster.faults.clear()
        await kube.aclose()
