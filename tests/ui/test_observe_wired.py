"""The Observe section with its chart pane, on the sandbox's real Prometheus: the chart follows
the table's cursor (its values at the cursor are Prometheus's own for that row at that instant,
asked here over its HTTP API), one window for the table and the chart, `l` at the chart's
cursor opens the logs of the row's pods for those minutes only, drill-down with the chart
present, and a tenant's chart says forbidden while its table works."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.backends.log_streams import sort_key
from kstui.backends.observe_service import ObserveService
from kstui.backends.prometheus import PrometheusError
from kstui.backends.prometheus_queries import Target, expression
from kstui.screens.logs import LogsScreen
from kstui.screens.observe import ObserveScreen
from kstui.screens.observe_chart import ChartPane
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.usage_chart import format_value
from tests.backends.conftest import _running_pod
from tests.backends.test_observe_history import direct
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import wait_until
from tests.ui.observe_kit import observe_app, open_row
from tests.ui.test_observe import cells, level


def chart_of(screen: ObserveScreen) -> ChartPane:
    return screen.query_one(ChartPane)


async def charted(pilot: Pilot[Any], screen: ObserveScreen, title: str) -> ChartPane:
    """The screen's chart once it shows `title`'s history (or its one line)."""
    chart = chart_of(screen)
    await wait_until(
        pilot,
        lambda: chart.title == title and chart.state not in ("loading", "empty"),
        f"the chart of {title} (now {chart.title!r} {chart.state})",
        timeout=20,
    )
    await pilot.pause()
    return chart


def move(screen: ObserveScreen, name: str) -> None:
    table = screen.query_one(ResourceTable)
    key = next(k for k in table.visible_keys if (row := table.row(k)) and row.cells[0] == name)
    assert table.move_cursor_to(key)


def counted(monkeypatch: pytest.MonkeyPatch) -> list[Target]:
    """Every chart load the section asks of Prometheus, by target."""
    loads: list[Target] = []
    usage = ObserveService.usage

    async def counting(self: ObserveService, context: str, target: Target, *rest: Any) -> Any:
        loads.append(target)
        return await usage(self, context, target, *rest)

    monkeypatch.setattr(ObserveService, "usage", counting)
    return loads


async def test_the_chart_follows_the_selected_row(
    prom: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = counted(monkeypatch)
    app = observe_app(prom.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        top = await level(pilot, "observe")
        chart = await charted(pilot, top, "cluster host")
        assert chart.state == "shown"
        await open_row(pilot, top, "host")
        tree = await level(pilot, "host", 2)
        await open_row(pilot, tree, "nodes")
        nodes = await level(pilot, "nodes", 2)
        names = sorted(cells(nodes))
        move(nodes, names[0])
        await charted(pilot, nodes, f"node {names[0]}")
        asked = len(loads)
        for _ in range(3):  # fast j/k: the chart waits for the cursor to rest
            move(nodes, names[1])
            await pilot.pause()
            move(nodes, names[0])
            await pilot.pause()
        move(nodes, names[1])
        chart = await charted(pilot, nodes, f"node {names[1]}")
        assert chart.state == "shown"
        assert len(loads) == asked + 1  # one load for where it came to rest
        history = chart.history
        assert history is not None
        await pilot.press("tab")
        assert chart.chart.has_focus
        assert "tab: table" in str(chart.query_one("#chart-title").render())
        await pilot.press("left", "left", "left")
        await pilot.pause()
        moment = history.end - 3 * history.step
        assert chart.chart.cursor_time == moment
        readout = chart.chart.render_line(0).text
        target = nodes.rows[names[1]].target
        for metric, name in (("cpu", "cpu"), ("memory", "memory"), ("net_in", "net in")):
            expected = await direct(prom, expression(metric, target), moment)
            assert expected is not None
            assert f"{name} {format_value(metric, expected)}" in readout, (metric, readout)
        await pilot.press("k")  # j/k with the chart's keys: the rows, the chart follows
        chart = await charted(pilot, nodes, f"node {names[0]}")
        assert chart.chart.has_focus
        await pilot.press("tab")
        assert nodes.query_one(ResourceTable).has_focus


async def to_workloads(pilot: Pilot[Any], namespace: str, workspace: str) -> ObserveScreen:
    await open_row(pilot, await level(pilot, "observe"), "host")
    await open_row(pilot, await level(pilot, "host", 2), "workspaces")
    await open_row(pilot, await level(pilot, "workspaces"), workspace)
    await open_row(pilot, await level(pilot, workspace), namespace)
    return await level(pilot, f"project {namespace}")


async def test_l_at_the_chart_cursor_on_a_workload_opens_its_pods_minutes(
    prom: RunningSandbox, tmp_path: Path
) -> None:
    kube = sandbox_client(prom)
    try:
        pod = await _running_pod(kube)
        namespace = pod["metadata"]["namespace"]
        deployment = pod["metadata"]["ownerReferences"][0]["name"].rpartition("-")[0]
        found = await kube.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{deployment}")
        space = await kube.get(f"/api/v1/namespaces/{namespace}")
    finally:
        await kube.aclose()
    labels = found["spec"]["selector"]["matchLabels"]
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    workspace = space["metadata"].get("labels", {}).get("kubesphere.io/workspace", "")
    app = observe_app(prom.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        workloads = await to_workloads(pilot, namespace, workspace or "(no workspace)")
        move(workloads, deployment)
        chart = await charted(pilot, workloads, f"deployment {namespace}/{deployment}")
        assert chart.state == "shown"
        await pilot.press("tab", "minus")  # 15m: the table's window too
        await wait_until(
            pilot,
            lambda: chart.history is not None and chart.history.window == "15m",
            "15m",
            timeout=20,
        )
        assert workloads.query_one(ResourceTable).columns[3].name == "CPU 15m"
        for _ in range(12):  # 3 minutes back: the window ends before now
            await pilot.press("left")
        moment = chart.chart.cursor_time
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert [scope.selector for _backend, scope in logs.scopes] == [selector]
        assert [scope.namespace for _backend, scope in logs.scopes] == [namespace]
        await wait_until(pilot, lambda: bool(logs._ended), "the window's end", timeout=20)
        await pilot.pause(0.2)
        first = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment - 120))
        last = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment + 120))
        shown = [line for line in logs.buffer.lines if not line.note]
        assert shown, "lines of the window"
        assert {line.pod.rpartition("-")[0].rpartition("-")[0] for line in shown} == {deployment}
        assert all(sort_key(first + "Z") <= sort_key(line.stamp) for line in shown)
        assert all(sort_key(line.stamp) < sort_key(last + ".999999999Z") for line in shown)
        assert deployment in str(logs.query_one("#title").render())
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is workloads, "back")
        await pilot.press("q")  # the window stays the section's: one level up, 15m too
        up = await level(pilot, workspace or "(no workspace)")
        assert up.query_one(ResourceTable).columns[3].name == "CPU 15m"
        assert chart_of(up).window == "15m"


async def test_drill_down_to_a_container_and_back_with_the_chart(
    prom: RunningSandbox, tmp_path: Path
) -> None:
    """Every level charts its selected row (a container at the last), `l` there is that
    container's log, and q back up finds each level's chart as it was left."""
    kube = sandbox_client(prom)
    try:
        pod = await _running_pod(kube)
        space = await kube.get(f"/api/v1/namespaces/{pod['metadata']['namespace']}")
    finally:
        await kube.aclose()
    namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    deployment = pod["metadata"]["ownerReferences"][0]["name"].rpartition("-")[0]
    container = pod["spec"]["containers"][0]["name"]
    workspace = space["metadata"].get("labels", {}).get("kubesphere.io/workspace", "")
    workspace = workspace or "(no workspace)"
    app = observe_app(prom.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        steps = [
            ("observe", "host", "cluster host"),
            ("host", "workspaces", "cluster host"),
            ("workspaces", workspace, f"workspace {workspace}"),
            (workspace, namespace, f"project {namespace}"),
            (f"project {namespace}", deployment, f"deployment {namespace}/{deployment}"),
            (f"deployment {deployment}", name, f"pod {namespace}/{name}"),
            (f"pod {name}", container, f"container {name}/{container}"),
        ]
        for crumb, row, title in steps:
            screen = await level(pilot, crumb)
            move(screen, row)
            chart = await charted(pilot, screen, title)
            assert chart.state == "shown", (title, chart.failure)
            if crumb != f"pod {name}":
                await pilot.press("enter")
        await pilot.press("tab", "l")  # the container's minutes, that container only
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert [(s.namespace, s.pod, s.containers) for _b, s in logs.scopes] == [
            (namespace, name, (container,))
        ]
        await pilot.press("q")
        for crumb, _row, title in reversed(steps[:-1]):
            await pilot.press("q")
            screen = await level(pilot, crumb)
            assert chart_of(screen).title == title
            assert chart_of(screen).state == "shown"


async def test_a_tenant_chart_says_forbidden_and_the_table_shows_its_namespace(
    prom: RunningSandbox, tmp_path: Path
) -> None:
    app = observe_app(prom.kubeconfig, "tenant", tmp_path / "cache")
    async with app.run_test(size=(160, 48)) as pilot:
        await open_row(pilot, await level(pilot, "observe"), "tenant")
        tree = await level(pilot, "tenant", 2)
        move(tree, "nodes")  # a row it may not read: the chart says why, as the row does
        denied = chart_of(tree)
        await wait_until(pilot, lambda: denied.state == "denied", "the nodes row's reason")
        assert denied.failure == "nodes: forbidden: alice cannot list nodes cluster-wide"
        await open_row(pilot, tree, "workspaces")
        spaces = await level(pilot, "workspaces")
        await open_row(pilot, spaces, "acme-retail")
        projects = await level(pilot, "acme-retail")
        assert set(cells(projects)) == {"shop-prod"}
        assert cells(projects)["shop-prod"]["CPU"] != "—"
        chart = await charted(pilot, projects, "project shop-prod")
        assert chart.state == "forbidden"
        assert chart.failure == (
            "Prometheus forbidden: alice cannot get services/proxy in namespace "
            "kubesphere-monitoring-system"
        )
        drawn = chart.chart.render_line(0).text.strip()
        assert drawn == chart.failure
        await pilot.press("tab", "l")  # no chart: l says so, and the table still works
        await pilot.pause()
        assert not isinstance(app.screen, LogsScreen)
        await pilot.press("tab", "l")  # the table's l: the project's pods, followed
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert [(s.namespace, s.selector) for _b, s in logs.scopes] == [("shop-prod", "")]


async def test_without_prometheus_the_chart_says_why_in_full_and_leaves_the_room(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """At 80x24 the absent line is wider than the chart: it wraps (never cut), and the chart
    shrinks to it so the table keeps its rows; usage now still works."""
    app = observe_app(sandbox.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        top = await level(pilot, "observe", 2)
        chart = await charted(pilot, top, "cluster host")
        assert chart.state == "absent"
        await pilot.pause()
        drawn = [chart.chart.render_line(y).text.rstrip() for y in range(chart.chart.size.height)]
        said = [line for line in drawn if line]
        assert " ".join(said) == (
            "Prometheus absent: no Service kubesphere-monitoring-system/prometheus-k8s on this "
            "cluster"
        )
        assert not any(line.endswith("…") for line in said)
        assert chart.outer_size.height <= 4
        assert top.query_one(ResourceTable).outer_size.height >= 12
        assert all(row["CPU"].endswith("%A") for row in cells(top).values())
        await pilot.press("tab")  # the keys still go to the chart, and its l says why
        assert chart.chart.has_focus
        await pilot.press("l")
        await pilot.pause()
        assert not isinstance(app.screen, LogsScreen)
        assert [n.message for n in app._notifications][-1] == "no chart to take a moment from"


async def test_a_chart_that_failed_tries_again_once_the_table_has_history(
    prom: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chart's load failed (slow) while the table's history came through: the next read
    of the level loads the chart again, without a key."""
    usage = ObserveService.usage
    failures = [PrometheusError("slow", "Prometheus slow: no answer in 4s")]

    async def once_slow(self: ObserveService, *args: Any) -> Any:
        if failures:
            raise failures.pop()
        return await usage(self, *args)

    monkeypatch.setattr(ObserveService, "usage", once_slow)
    app = observe_app(prom.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        top = await level(pilot, "observe")
        chart = chart_of(top)
        await wait_until(pilot, lambda: chart.state == "slow", "the slow chart", timeout=20)
        await wait_until(pilot, lambda: chart.state == "shown", "the chart again", timeout=20)
        assert chart.title == "cluster host"
