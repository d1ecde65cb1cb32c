"""The Observe section on the real sandbox: drill-down from the clusters to a container and
back, values equal to what metrics.k8s.io and the pods say (computed here, not read back from
kstui), the tenant's view with the reason for what it may not read, and Prometheus absent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from aiohttp import web
from textual.pilot import Pilot

from kstui.backends import observe_history_rows
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.quantity import parse_quantity
from kstui.config import Config
from kstui.screens.logs import LogsScreen
from kstui.screens.observe import ObserveScreen
from kstui.screens.observe_chart import ChartPane
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import MemoryKeyring, RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import drawn, wait_until
from tests.ui.observe_kit import observe_app, open_row


async def level(pilot: Pilot[Any], crumb: str, minimum: int = 1) -> ObserveScreen:
    """The Observe screen of `crumb`, once its first read is shown."""

    def shown() -> bool:
        screen = pilot.app.screen
        return (
            isinstance(screen, ObserveScreen)
            and screen.place.crumb == crumb
            and screen.loaded
            and (screen.query_one(ResourceTable).row_count >= minimum)
        )

    await wait_until(pilot, shown, f"the {crumb} level", timeout=20)
    screen = pilot.app.screen
    assert isinstance(screen, ObserveScreen)
    return screen


def cells(screen: ObserveScreen) -> dict[str, dict[str, str]]:
    table = screen.query_one(ResourceTable)
    names = [column.name for column in table.columns]
    found = {}
    for key in table.visible_keys:
        row = table.row(key)
        assert row is not None
        found[row.cells[0]] = dict(zip(names, row.cells, strict=True))
    return found


def cores(text: str) -> float:
    return float(parse_quantity(text))


async def test_drill_down_to_a_container_and_back(fresh_sandbox: Any, tmp_path: Path) -> None:
    """Every level from the clusters to a container, each value equal to metrics.k8s.io and
    the pod's own spec (a frozen sandbox: usage holds still while it is compared), then q back
    up to the clusters."""
    running: RunningSandbox = fresh_sandbox(frozen=True)
    client = sandbox_client(running)
    try:
        pods = (await client.list("/api/v1/namespaces/payments/pods"))["items"]
        usage = (await client.list("/apis/metrics.k8s.io/v1beta1/namespaces/payments/pods"))[
            "items"
        ]
    finally:
        await client.aclose()
    running_pod = next(p for p in pods if p["status"].get("phase") == "Running")
    name = running_pod["metadata"]["name"]
    deployment = running_pod["metadata"]["ownerReferences"][0]["name"].rpartition("-")[0]
    measured = next(m for m in usage if m["metadata"]["name"] == name)
    container = running_pod["spec"]["containers"][0]
    used = next(c for c in measured["containers"] if c["name"] == container["name"])["usage"]
    limit = container["resources"]["limits"]
    cpu = cores(used["cpu"])
    memory = float(parse_quantity(used["memory"]))
    expected_cpu = f"{round(cpu * 1000)}m {round(cpu / cores(limit['cpu']) * 100)}%L"
    expected_mem = (
        f"{round(memory / 2**20)}Mi "
        f"{round(memory / float(parse_quantity(limit['memory'])) * 100)}%L"
    )
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        top = await level(pilot, "observe")
        assert "host" in cells(top)
        await open_row(pilot, top, "host")
        tree = await level(pilot, "host", 2)
        assert set(cells(tree)) == {"nodes", "workspaces"}
        await open_row(pilot, tree, "workspaces")
        spaces = await level(pilot, "workspaces")
        await open_row(pilot, spaces, "(no workspace)")
        projects = await level(pilot, "(no workspace)")
        await open_row(pilot, projects, "payments")
        workloads = await level(pilot, "project payments")
        await open_row(pilot, workloads, deployment)
        pods_level = await level(pilot, f"deployment {deployment}")
        assert name in cells(pods_level)
        await open_row(pilot, pods_level, name)
        containers = await level(pilot, f"pod {name}")
        row = cells(containers)[container["name"]]
        assert row["CPU"] == expected_cpu
        assert row["MEM"] == expected_mem
        restarts = running_pod["status"]["containerStatuses"][0]["restartCount"]
        assert row["RESTARTS"] == str(restarts)
        crumbs = containers.query_one("#crumbs")
        assert "payments" in " ".join(crumbs._steps)
        for crumb in (
            f"deployment {deployment}",
            "project payments",
            "(no workspace)",
            "workspaces",
            "host",
            "observe",
        ):
            await pilot.press("q")
            await level(pilot, crumb)


async def test_a_workspace_sums_its_pods(fresh_sandbox: Any, tmp_path: Path) -> None:
    """A project's CPU is its running pods' metrics.k8s.io usage summed, against their
    requests summed (computed here from the lists)."""
    running: RunningSandbox = fresh_sandbox(frozen=True)
    client = sandbox_client(running)
    try:
        pods = (await client.list("/api/v1/namespaces/shop-prod/pods"))["items"]
        usage = (await client.list("/apis/metrics.k8s.io/v1beta1/namespaces/shop-prod/pods"))[
            "items"
        ]
    finally:
        await client.aclose()
    used = sum(cores(c["usage"]["cpu"]) for m in usage for c in m["containers"])
    requested = sum(
        cores(c.get("resources", {}).get("requests", {}).get("cpu", "0"))
        for p in pods
        for c in p["spec"]["containers"]
    )
    limits = [
        c.get("resources", {}).get("limits", {}).get("cpu")
        for p in pods
        for c in p["spec"]["containers"]
    ]
    assert None in limits  # so the share is of the requests
    expected = f"{round(used * 1000)}m {round(used / requested * 100)}%R"
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "workspaces")
        await open_row(pilot, await level(pilot, "workspaces"), "acme-retail")
        projects = await level(pilot, "acme-retail")
        row = cells(projects)["shop-prod"]
        assert row["CPU"] == expected
        assert row["PODS"] == str(len(pods))
        restarts = sum(
            s.get("restartCount", 0) for p in pods for s in p["status"].get("containerStatuses", [])
        )
        assert row["RESTARTS"] == str(restarts)


async def test_the_tenant_sees_its_namespace_and_why_nodes_are_not_shown(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = observe_app(sandbox.kubeconfig, "tenant", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        top = await level(pilot, "observe")
        await open_row(pilot, top, "tenant")
        tree = await level(pilot, "tenant", 2)
        nodes = cells(tree)["nodes"]
        assert nodes["PROBLEMS"] == "nodes: forbidden: alice cannot list nodes cluster-wide"
        notes = str(tree.query_one("#notes").render())
        assert "namespace shop-prod only" in notes
        await open_row(pilot, tree, "nodes")
        await pilot.pause(0.3)
        status = str(tree.query_one("#status").render())
        assert status == "nodes: forbidden: alice cannot list nodes cluster-wide"
        await open_row(pilot, tree, "workspaces")
        spaces = await level(pilot, "workspaces")
        assert set(cells(spaces)) == {"acme-retail"}
        await open_row(pilot, spaces, "acme-retail")
        projects = await level(pilot, "acme-retail")
        assert set(cells(projects)) == {"shop-prod"}  # not shop-staging, not payments
        history = str(projects.query_one("#history").render())
        assert history.startswith("Prometheus forbidden: alice cannot get services/proxy")


async def test_without_prometheus_usage_now_works_and_one_line_says_why(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = observe_app(sandbox.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        top = await level(pilot, "observe", 2)
        await open_row(pilot, top, "host")
        tree = await level(pilot, "host", 2)
        await open_row(pilot, tree, "nodes")
        nodes = await level(pilot, "nodes")
        history = str(nodes.query_one("#history").render())
        assert history == (
            "Prometheus absent: no Service kubesphere-monitoring-system/prometheus-k8s on this "
            "cluster"
        )
        for row in cells(nodes).values():
            assert row["CPU"].endswith("%A")  # usage now, against allocatable
            assert row["CPU seen"]  # the session's own sample


async def test_a_full_quota_is_a_problem_marker(fresh_sandbox: Any, tmp_path: Path) -> None:
    """shop-prod's quota made as tight as its pods: the project says so (the share computed
    here from the quota's own status)."""
    running: RunningSandbox = fresh_sandbox(frozen=True)
    client = sandbox_client(running)
    path = "/api/v1/namespaces/shop-prod/resourcequotas/shop-prod"
    try:
        quota = await client.get(path)
        used = quota["status"]["used"]["pods"]
        await client.patch(path, {"spec": {"hard": {"pods": used}}})
        quota = await client.get(path)
    finally:
        await client.aclose()
    share = round(
        float(parse_quantity(quota["status"]["used"]["pods"]))
        / float(parse_quantity(quota["status"]["hard"]["pods"]))
        * 100
    )
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "workspaces")
        await open_row(pilot, await level(pilot, "workspaces"), "acme-retail")
        projects = await level(pilot, "acme-retail")
        assert f"quota pods {share}%" in cells(projects)["shop-prod"]["PROBLEMS"]
        assert "quota" not in cells(projects)["shop-staging"]["PROBLEMS"]


async def test_top_n_by_cpu(fresh_sandbox: Any, tmp_path: Path) -> None:
    """`>` sorts by CPU, largest first; `=` reverses."""
    running: RunningSandbox = fresh_sandbox(frozen=True)
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "nodes")
        nodes = await level(pilot, "nodes")
        busiest = max(cells(nodes), key=lambda name: int(cells(nodes)[name]["PODS"]))
        await open_row(pilot, nodes, busiest)
        node = await level(pilot, f"node {busiest}", 3)
        await pilot.press("greater_than_sign")
        await pilot.pause()
        shown = [int(row["CPU"].split("m")[0]) for row in cells(node).values() if row["CPU"] != "—"]
        assert len(shown) >= 3
        assert shown == sorted(shown, reverse=True)
        await pilot.press("equals_sign")
        await pilot.pause()
        shown = [int(row["CPU"].split("m")[0]) for row in cells(node).values() if row["CPU"] != "—"]
        assert shown == sorted(shown)


async def test_a_container_opens_its_logs(fresh_sandbox: Any, tmp_path: Path) -> None:
    """The last level's rows open the pod's logs; q comes back to the containers."""
    running: RunningSandbox = fresh_sandbox(frozen=True)
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "nodes")
        nodes = await level(pilot, "nodes")
        busiest = max(cells(nodes), key=lambda name: int(cells(nodes)[name]["PODS"]))
        await open_row(pilot, nodes, busiest)
        node = await level(pilot, f"node {busiest}")
        pod = next(name for name, row in cells(node).items() if row["CPU"] != "—")
        await open_row(pilot, node, pod)
        containers = await level(pilot, f"pod {pod}")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), "logs")
        await pilot.press("q")
        await level(pilot, f"pod {pod}")
        assert pilot.app.screen is containers


async def test_on_a_vanilla_cluster_projects_are_the_namespaces(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    running: RunningSandbox = fresh_sandbox(frozen=True, kubesphere=False)
    client = sandbox_client(running)
    try:
        namespaces = {
            ns["metadata"]["name"] for ns in (await client.list("/api/v1/namespaces"))["items"]
        }
    finally:
        await client.aclose()
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        tree = await level(pilot, "host", 2)
        assert set(cells(tree)) == {"nodes", "projects"}
        await open_row(pilot, tree, "projects")
        projects = await level(pilot, "projects")
        assert set(cells(projects)) == namespaces
        history = str(projects.query_one("#history").render())
        assert history.startswith("Prometheus absent: no Service monitoring/prometheus-k8s")


async def test_z_changes_the_history_window(prom: RunningSandbox, tmp_path: Path) -> None:
    app = observe_app(prom.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        top = await level(pilot, "observe")
        table = top.query_one(ResourceTable)
        assert table.columns[3].name == "CPU 1h"
        await pilot.press("z")
        assert table.columns[3].name == "CPU 6h"
        await open_row(pilot, top, "host")
        tree = await level(pilot, "host", 2)
        assert tree.query_one(ResourceTable).columns[3].name == "CPU 6h"
        await pilot.press("q")
        await pilot.press("z", "z", "z", "z")
        assert table.columns[3].name == "CPU 1h"


async def test_nodes_against_their_allocatable(fresh_sandbox: Any, tmp_path: Path) -> None:
    """Each node's CPU and memory now are its NodeMetrics against its allocatable, and its
    restarts are those of the pods the pods list puts on it (computed here)."""
    running: RunningSandbox = fresh_sandbox(frozen=True)
    client = sandbox_client(running)
    try:
        nodes = (await client.list("/api/v1/nodes"))["items"]
        usage = (await client.list("/apis/metrics.k8s.io/v1beta1/nodes"))["items"]
        pods = (await client.list("/api/v1/pods"))["items"]
    finally:
        await client.aclose()
    expected = {}
    for node in nodes:
        name = node["metadata"]["name"]
        used = next(m["usage"] for m in usage if m["metadata"]["name"] == name)
        allocatable = node["status"]["allocatable"]
        cpu, memory = cores(used["cpu"]), float(parse_quantity(used["memory"]))
        restarts = sum(
            s.get("restartCount", 0)
            for p in pods
            if p["spec"].get("nodeName") == name
            for s in p["status"].get("containerStatuses", [])
        )
        expected[name] = (
            f"{round(cpu * 1000)}m {round(cpu / cores(allocatable['cpu']) * 100)}%A",
            f"{round(memory / 2**20)}Mi "
            f"{round(memory / float(parse_quantity(allocatable['memory'])) * 100)}%A",
            str(restarts),
        )
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "nodes")
        shown = cells(await level(pilot, "nodes"))
        assert {
            name: (row["CPU"], row["MEM"], row["RESTARTS"]) for name, row in shown.items()
        } == expected


@pytest.fixture
async def refusing() -> AsyncIterator[str]:
    """A Prometheus URL that answers 500 at /bad, 401 at /locked and nothing in time at /slow."""

    async def bad(_request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "error", "errorType": "internal", "error": "boom"}, status=500
        )

    async def locked(_request: web.Request) -> web.Response:
        return web.Response(status=401, text="no")

    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({"status": "success", "data": {"result": []}})

    app = web.Application()
    app.router.add_get("/bad/{tail:.*}", bad)
    app.router.add_get("/locked/{tail:.*}", locked)
    app.router.add_get("/slow/{tail:.*}", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("path", "auth", "line"),
    [
        ("bad", "none", "Prometheus failed: boom"),
        ("locked", "bearer", "Prometheus unauthorized: "),
        ("slow", "none", "Prometheus slow: no answer in 0.5s"),
    ],
    ids=["500", "401", "slow"],
)
async def test_a_failing_prometheus_url_is_one_line_and_usage_now_stays(
    fresh_sandbox: Any,
    tmp_path: Path,
    refusing: str,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    auth: str,
    line: str,
) -> None:
    monkeypatch.setattr(observe_history_rows, "TIMEOUT", 0.5)
    memory_keyring.set_password("kstui-prometheus", "host", "wrong-secret")
    running: RunningSandbox = fresh_sandbox(frozen=True)
    endpoint = PrometheusEndpoint(f"{refusing}/{path}", auth=auth)  # type: ignore[arg-type]
    config = Config(prometheus=MappingProxyType({"host": endpoint}))
    app = observe_app(running.kubeconfig, "host", tmp_path / "cache", config)
    async with app.run_test(size=(160, 40)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "nodes")
        nodes = await level(pilot, "nodes")
        history = str(nodes.query_one("#history").render())
        assert history.startswith(line)
        assert "\n" not in history
        assert "wrong-secret" not in history
        assert all(row["CPU"].endswith("%A") for row in cells(nodes).values())
        assert nodes.query_one(ResourceTable).columns[3].name == "CPU seen"


async def test_an_empty_project_says_what_it_would_list_and_charts_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """`default` has no pods: the table names what is missing and the chart says it has
    nothing, rather than 'no row chosen' over 'no data yet' (which reads as loading)."""
    app = observe_app(sandbox.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "host")
        await open_row(pilot, await level(pilot, "host", 2), "workspaces")
        await open_row(pilot, await level(pilot, "workspaces"), "(no workspace)")
        await open_row(pilot, await level(pilot, "(no workspace)"), "default")
        project = await level(pilot, "project default", 0)
        await wait_until(pilot, lambda: project.query_one(ResourceTable).row_count == 0, "empty")
        await pilot.pause()
        pane = project.query_one(ChartPane)
        shown = f"{drawn(pane.query_one('#chart-title'))} {drawn(pane.chart)}"
        assert "no workloads or pods in project default" in shown
        assert "no data yet" not in shown
        assert "no row chosen" not in shown
        assert "no workloads or pods in project default" in drawn(project.query_one(ResourceTable))
