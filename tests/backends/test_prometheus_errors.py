"""Prometheus failures, each in its own words and one line (absent, down, forbidden, slow,
PromQL, failed), and a configured URL whose secret lives in the OS keyring (an in-memory
keyring here: nothing is written to a file)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path

import keyring
import pytest
from aiohttp import ClientSession, web

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import (
    KUBESPHERE_PROMETHEUS,
    Prometheus,
    PrometheusError,
    ProxyTransport,
    prometheus_for,
)
from kstui.backends.prometheus_endpoint import PrometheusEndpoint, store_secret
from kstui.backends.prometheus_queries import Target
from kstui.sandbox import prometheus as sandbox_prometheus
from tests.backends.conftest import _instance
from tests.conftest import MemoryKeyring, RunningSandbox, _need_prometheus
from tests.connections import sandbox_client


async def test_a_tenant_without_services_proxy_is_told_it_is_forbidden(
    prom: RunningSandbox,
) -> None:
    kube = sandbox_client(prom, "host", "alice")
    try:
        tenant = prometheus_for("tenant", kube, Flavor.V4)
        with pytest.raises(PrometheusError) as caught:
            await tenant.history("cpu", Target("cluster"), "1h")
        assert caught.value.kind == "forbidden"
        assert caught.value.line == (
            "Prometheus forbidden: alice cannot get services/proxy in namespace "
            "kubesphere-monitoring-system"
        )
        assert "\n" not in caught.value.line
    finally:
        await kube.aclose()


async def test_a_bad_query_is_a_promql_error(prom_admin: Prometheus) -> None:
    with pytest.raises(PrometheusError) as caught:
        await prom_admin.query("sum(")
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


@pytest.fixture
async def guarded(prom: RunningSandbox) -> AsyncIterator[str]:
    """The sandbox's Prometheus behind a proxy that wants `Bearer s3cret-token` (or basic
    auth as ops:pa55)."""
    upstream = _instance(prom).url
    session = ClientSession()

    async def forward(request: web.Request) -> web.Response:
        accepted = ("Bearer s3cret-token", "Basic " + base64.b64encode(b"ops:pa55").decode())
        if request.headers.get("Authorization") not in accepted:
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
        assert caught.value.line == (
            f"Prometheus unauthorized: {guarded} refused the bearer credentials "
            "(401; keyring entry 'prod-eu')"
        )
        assert "a-wrong-one" not in str(caught.value)
        assert _files_holding(tmp_path, "a-wrong-one") == []

        memory_keyring.secrets.clear()
        empty = prometheus_for("prod", kube, Flavor.V4, endpoint)
        with pytest.raises(PrometheusError) as caught:
            await empty.history("cpu", Target("cluster"), "1h")
        assert caught.value.line == (
            "Prometheus unauthorized: no secret in the keyring for entry 'prod-eu'"
        )
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


async def test_credentials_the_cluster_refuses_say_unauthorized(prom: RunningSandbox) -> None:
    kube = sandbox_client(prom)
    kube.connection.token = "not-a-token"  # type: ignore[attr-defined]
    try:
        with pytest.raises(PrometheusError) as caught:
            await prometheus_for("host", kube, Flavor.V4).now("cpu", Target("cluster"))
        assert caught.value.kind == "unauthorized"
        assert caught.value.line == (
            "Prometheus unauthorized: the cluster refused this context's credentials (401)"
        )
    finally:
        await kube.aclose()


async def test_a_configured_url_with_basic_auth_takes_the_password_from_the_keyring(
    prom: RunningSandbox, guarded: str, memory_keyring: MemoryKeyring
) -> None:
    store_secret("staging", "pa55")
    kube = sandbox_client(prom)
    client = prometheus_for("staging", kube, Flavor.V4, PrometheusEndpoint(guarded, "basic", "ops"))
    try:
        [series] = await client.now("memory", Target("cluster"))
        assert series.points[0][1] > 0
    finally:
        await client.aclose()
        await kube.aclose()
