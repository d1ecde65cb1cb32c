"""The Observe chart pane on the sandbox's real Prometheus, in a small host app: the values at
the cursor equal Prometheus's own answers for that instant (asked over its HTTP API here, not
read back from kstui), the window keys, each Prometheus failure in its own one line with the
pane still working, the keyring secret never on screen, and `l` → the logs of the minutes
around the cursor, only lines inside them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from kstui.backends.cluster_values import Flavor
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.log_streams import sort_key
from kstui.backends.observe_history import UsageHistory, usage_history
from kstui.backends.prometheus import (
    KUBESPHERE_PROMETHEUS,
    Prometheus,
    PrometheusError,
    ProxyTransport,
    prometheus_for,
)
from kstui.backends.prometheus_endpoint import PrometheusEndpoint, store_secret
from kstui.backends.prometheus_queries import Target, expression
from kstui.backends.session import Session
from kstui.sandbox import prometheus as sandbox_prometheus
from kstui.screens.logs import LogsScreen
from kstui.screens.observe_chart import ChartPane, around
from kstui.screens.observe_open import window_logs
from kstui.widgets.usage_chart import UsageChart, format_value
from tests.backends.conftest import _running_pod, prom_admin
from tests.backends.test_observe_history import direct
from tests.backends.test_prometheus_errors import guarded
from tests.conftest import MemoryKeyring, RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import wait_until

__all__ = ["guarded", "prom_admin"]  # fixtures: a client, and Prometheus behind a bearer proxy

Load = Callable[[Target, str], Awaitable[UsageHistory]]


class ChartHost(App[None]):
    """ChartPane alone, as the Observe section embeds it; `l` opens the window's logs."""

    def __init__(self, load: Load, session: Session | None = None) -> None:
        super().__init__()
        self.load, self.session = load, session
        self.asked: list[ChartPane.LogsAt] = []
        self.moments: list[float] = []

    def on_usage_chart_cursor_moved(self, message: UsageChart.CursorMoved) -> None:
        self.moments.append(message.moment)

    def compose(self) -> ComposeResult:
        yield ChartPane(self.load, id="chart")

    def on_mount(self) -> None:
        self.query_one(UsageChart).focus()

    def on_chart_pane_logs_at(self, message: ChartPane.LogsAt) -> None:
        self.asked.append(message)
        if self.session is not None:
            target = message.target
            self.push_screen(
                window_logs(
                    self.session,
                    "host",
                    target.namespace,
                    pods=[target.pod],
                    start=message.start,
                    end=message.end,
                )
            )


def pane(pilot: Pilot[Any]) -> ChartPane:
    return pilot.app.query_one(ChartPane)


def lines(pilot: Pilot[Any]) -> list[str]:
    """The pane as drawn: its title line, then the chart's lines."""
    chart = pane(pilot).chart
    title = str(pane(pilot).query_one("#chart-title").render())
    return [title] + [chart.render_line(y).text.rstrip() for y in range(chart.size.height)]


def loader(client: Prometheus) -> Load:
    return lambda target, window: usage_history(client, target, window)


async def shown(pilot: Pilot[Any], window: str | None = None) -> ChartPane:
    chart = pane(pilot)
    await wait_until(
        pilot,
        lambda: chart.state == "shown" and (window is None or chart.history.window == window),  # type: ignore[union-attr]
        f"the {window or ''} chart",
        timeout=20,
    )
    await pilot.pause()
    return chart


async def pod_target(prom: RunningSandbox) -> Target:
    kube = sandbox_client(prom)
    try:
        pod = await _running_pod(kube)
    finally:
        await kube.aclose()
    return Target("pod", namespace=pod["metadata"]["namespace"], pod=pod["metadata"]["name"])


async def test_the_values_at_the_cursor_are_prometheus_at_that_instant(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    target = await pod_target(prom)
    app = ChartHost(loader(prom_admin))
    async with app.run_test(size=(120, 30)) as pilot:
        pane(pilot).show_target(target, f"pod {target.namespace}/{target.pod}")
        chart = await shown(pilot, "1h")
        history = chart.history
        assert history is not None
        for key in ("left", "left", "shift+left"):
            await pilot.press(key)
        await pilot.pause()
        moment = history.end - 12 * history.step  # 1 + 1 + 10 steps back from the newest
        readout = lines(pilot)[1]
        assert readout.startswith(time.strftime("%H:%M:%S", time.localtime(moment)) + " (−12m)")
        for metric, name in (
            ("cpu", "cpu"),
            ("memory", "memory"),
            ("net_in", "net in"),
            ("net_out", "net out"),
        ):
            expected = await direct(prom, expression(metric, target), moment)
            assert expected is not None
            assert f"{name} {format_value(metric, expected)}" in readout, (metric, readout)
        assert chart.chart.cursor_time == moment
        assert app.moments == [history.end - n * history.step for n in (1, 2, 12)]

        await pilot.press("end")
        assert lines(pilot)[1].startswith(
            time.strftime("%H:%M:%S", time.localtime(history.end)) + " (now)"
        )


async def test_window_keys_switch_and_keep_the_cursor_moment(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    target = await pod_target(prom)
    app = ChartHost(loader(prom_admin))
    async with app.run_test(size=(100, 24)) as pilot:
        pane(pilot).show_target(target, "a pod")
        chart = await shown(pilot, "1h")
        assert "[1h]" in lines(pilot)[0]
        await pilot.press("minus")
        chart = await shown(pilot, "15m")
        assert chart.history is not None
        assert chart.chart.points == 61
        assert "[15m]" in lines(pilot)[0]
        await pilot.press("minus")  # no shorter one: said, nothing else changes
        await pilot.pause()
        assert chart.window == "15m"
        for window in ("1h", "6h", "24h", "7d"):
            await pilot.press("plus")
            chart = await shown(pilot, window)
            assert f"[{window}]" in lines(pilot)[0]
        assert chart.history is not None
        assert chart.history.end - chart.history.start == 7 * 86400
        assert "cpu" in lines(pilot)[1]
        assert "memory" in lines(pilot)[1]


async def one_line_state(pilot: Pilot[Any], kind: str) -> str:
    """The pane's state once failed as `kind`: its one line, nothing else drawn."""
    chart = pane(pilot)
    await wait_until(pilot, lambda: chart.state == kind, f"state {kind}", timeout=20)
    await pilot.pause()
    drawn = lines(pilot)
    said = [line for line in drawn[1:] if line.strip()]
    assert " ".join(said) == chart.failure  # wrapped at spaces where the chart is narrower
    assert drawn[1 : 1 + len(said)] == said
    assert "\n" not in chart.failure
    assert chart.failure
    return chart.failure


async def test_prometheus_slow_and_failing_each_say_so_and_the_pane_recovers(
    prom: RunningSandbox,
) -> None:
    target = await pod_target(prom)
    kube = sandbox_client(prom)
    cluster = prom.cluster()
    client = Prometheus(ProxyTransport(kube, KUBESPHERE_PROMETHEUS), timeout=0.5)
    app = ChartHost(loader(client))
    try:
        async with app.run_test(size=(100, 24)) as pilot:
            cluster.faults.slow(2.0, "/api/v1/namespaces/kubesphere-monitoring-system/services")
            pane(pilot).show_target(target, "a pod")
            line = await one_line_state(pilot, "slow")
            assert line.startswith("Prometheus slow: no answer in 0.5s")

            cluster.faults.clear()
            cluster.faults.fail_next(1, 500, "/api/v1/namespaces/kubesphere-monitoring-system")
            await pilot.press("ctrl+r")
            line = await one_line_state(pilot, "failed")
            assert line.startswith("Prometheus failed (500) at service ")

            cluster.faults.clear()
            await pilot.press("minus")  # the keys still work: the next load goes through
            await shown(pilot, "15m")
    finally:
        cluster.faults.clear()
        await kube.aclose()


async def test_a_tenant_without_the_service_proxy_is_told_forbidden(prom: RunningSandbox) -> None:
    kube = sandbox_client(prom, "host", "alice")
    app = ChartHost(loader(prometheus_for("tenant", kube, Flavor.V4)))
    try:
        async with app.run_test(size=(120, 24)) as pilot:
            pane(pilot).show_target(Target("cluster"), "cluster")
            assert await one_line_state(pilot, "forbidden") == (
                "Prometheus forbidden: alice cannot get services/proxy in namespace "
                "kubesphere-monitoring-system"
            )
    finally:
        await kube.aclose()


async def test_a_promql_error_says_so(prom_admin: Prometheus) -> None:
    async def bad(target: Target, window: str) -> UsageHistory:
        await prom_admin.query("sum(")
        raise AssertionError("unreachable")

    app = ChartHost(bad)
    async with app.run_test(size=(100, 24)) as pilot:
        pane(pilot).show_target(Target("cluster"), "cluster")
        assert (await one_line_state(pilot, "promql")).startswith("PromQL error: ")


async def test_absent_then_down(fresh_sandbox) -> None:  # type: ignore[no-untyped-def]
    running = fresh_sandbox(pods=3)
    kube = sandbox_client(running)
    app = ChartHost(loader(prometheus_for("host", kube, Flavor.V4)))
    try:
        async with app.run_test(size=(100, 24)) as pilot:
            pane(pilot).show_target(Target("cluster"), "cluster")
            assert await one_line_state(pilot, "absent") == (
                "Prometheus absent: no Service kubesphere-monitoring-system/prometheus-k8s on "
                "this cluster"
            )
            running.call(sandbox_prometheus.ensure_service, running.cluster())
            await pilot.press("ctrl+r")
            assert "no ready endpoints" in await one_line_state(pilot, "down")
    finally:
        await kube.aclose()


async def test_a_wrong_keyring_secret_says_unauthorized_and_never_shows_it(
    prom: RunningSandbox, guarded: str, memory_keyring: MemoryKeyring
) -> None:
    store_secret("prod-eu", "a-wrong-s3cret")
    kube = sandbox_client(prom)
    client = prometheus_for(
        "prod", kube, Flavor.V4, PrometheusEndpoint(guarded, "bearer", keyring_entry="prod-eu")
    )
    app = ChartHost(loader(client))
    try:
        async with app.run_test(size=(160, 30)) as pilot:
            pane(pilot).show_target(Target("cluster"), "cluster")
            line = await one_line_state(pilot, "unauthorized")
            assert line == (
                f"Prometheus unauthorized: {guarded} refused the bearer credentials "
                "(401; keyring entry 'prod-eu')"
            )
            assert "a-wrong-s3cret" not in app.export_screenshot()

            store_secret("prod-eu", "s3cret-token")  # the right one: a new client reads it
            right = prometheus_for(
                "prod", kube, Flavor.V4, PrometheusEndpoint(guarded, "bearer", "", "prod-eu")
            )
            pane(pilot).load = loader(right)
            await pilot.press("ctrl+r")
            await shown(pilot, "1h")
            assert "s3cret-token" not in app.export_screenshot()
            await right.aclose()
    finally:
        await client.aclose()
        await kube.aclose()


async def test_l_at_the_cursor_opens_only_the_lines_of_its_minutes(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    target = await pod_target(prom)
    session = Session(load_kubeconfig(str(prom.kubeconfig)), "host", target.namespace)
    app = ChartHost(loader(prom_admin), session)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            pane(pilot).show_target(target, "a pod")
            await pilot.press("minus")
            chart = await shown(pilot, "15m")
            for _ in range(12):  # 3 minutes back: the window ends before now
                await pilot.press("left")
            await pilot.press("l")
            await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "the logs")
            [asked] = app.asked
            moment = chart.chart.cursor_time
            assert (asked.target, asked.start, asked.end) == (target, moment - 120, moment + 120)
            logs = app.screen
            assert isinstance(logs, LogsScreen)
            await wait_until(pilot, lambda: bool(logs._ended), "the window's end", timeout=20)
            await pilot.pause(0.2)
            first = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(asked.start))
            last = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(asked.end))
            stamps = [line.stamp for line in logs.buffer.lines if not line.note]
            assert stamps, "lines of the window"
            assert all(sort_key(first + "Z") <= sort_key(s) for s in stamps), stamps[:3]
            assert all(sort_key(s) < sort_key(last + ".999999999Z") for s in stamps), stamps[-3:]
            title = str(logs.query_one("#title").render())
            assert "not followed" in title
            assert target.pod in title
            # the log goes on after the window: those lines were there and were left out
            kube = sandbox_client(prom)
            try:
                later = await kube.get(
                    f"/api/v1/namespaces/{target.namespace}/pods/{target.pod}/log",
                    {"sinceTime": last + "Z", "timestamps": "true"},
                )
            finally:
                await kube.aclose()
            assert later
    finally:
        await session.aclose()


def test_around_is_the_minutes_of_the_cursor() -> None:
    assert around(1000.0, 15.0) == (880.0, 1120.0)
    assert around(10_000.0, 600.0) == (9_400.0, 10_600.0)


# ---------------------------------------------------------------------------- fixed data


class FixedHost(App[None]):
    """The pane given its target before it is mounted, on fixed data."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def compose(self) -> ComposeResult:
        from tests.visual.test_chart_snapshots import END, fixed_history

        async def load(target: Target, window: str) -> UsageHistory:
            self.loads.append(window)
            return fixed_history(target, window, END + 3600 * (len(self.loads) - 1))  # time goes on

        chart = ChartPane(load)
        chart.show_target(Target("cluster"), "cluster")
        yield chart

    def on_mount(self) -> None:
        self.query_one(UsageChart).focus()


async def test_a_target_given_before_mount_loads_and_the_cursor_keeps_its_place() -> None:
    app = FixedHost()
    async with app.run_test(size=(100, 24)) as pilot:
        chart = await shown(pilot, "1h")
        inner = chart.chart
        assert inner.cursor == inner.points - 1  # the newest point first
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(app.loads) == 2, "the reload")
        await pilot.pause()
        assert inner.cursor_time == inner.end  # at the newest, it stays at the (new) newest
        await pilot.press("home")
        assert inner.cursor == 0
        await pilot.press("left")  # at the first point: stays
        assert inner.cursor == 0
        await pilot.press("right", "shift+right")
        assert inner.cursor == 11
        moment = inner.cursor_time
        await pilot.click(UsageChart, offset=(11, 3))  # the first chart column: the first point
        assert inner.cursor == 0
        await pilot.click(UsageChart, offset=(inner.size.width - 1, 3))  # the last: the newest
        assert inner.cursor == inner.points - 1
        await pilot.click(UsageChart, offset=(11, 3))
        assert inner.cursor == 0
        await pilot.press("right", "shift+right")
        moment = inner.cursor_time
        await pilot.press("plus")  # 6h holds that moment: the cursor goes to its nearest point
        await shown(pilot, "6h")
        assert abs(inner.cursor_time - moment) <= inner.step / 2


async def test_l_without_a_chart_says_why() -> None:
    async def never(target: Target, window: str) -> UsageHistory:
        raise PrometheusError("absent", "Prometheus absent: no Service x/y on this cluster")

    app = ChartHost(never)
    async with app.run_test(size=(100, 24)) as pilot:
        pane(pilot).show_target(Target("cluster"), "cluster")
        await one_line_state(pilot, "absent")
        await pilot.press("l")
        await pilot.pause()
        assert app.asked == []
        assert [n.message for n in app._notifications] == ["no chart to take a moment from"]


async def test_a_resized_chart_is_drawn_at_its_new_size() -> None:
    """Lines drawn before a resize are never shown at the new size (the cache is per size)."""
    app = FixedHost()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = (await shown(pilot, "1h")).chart
        await pilot.resize_terminal(160, 48)
        await pilot.pause(0.3)
        width, height = chart.size
        assert width > 120
        for y in range(height):
            fresh = chart._line(y, width, height).adjust_cell_length(width).text
            assert chart.render_line(y).text == fresh, y
