"""Snapshots of the logs of a deployment's pods (prefixes by pod and container, merged in
time order) and of a namespace's grouped events, at 80x24, on the frozen sandbox; the Observe
levels with their chart pane, and a level whose chart (fixed data, UTC) has its cursor moved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.backends.observe_history import UsageHistory
from kstui.backends.observe_history_rows import HistoryRows
from kstui.backends.observe_levels import LevelRow
from kstui.backends.observe_place import Place
from kstui.backends.observe_service import ObserveService
from kstui.backends.prometheus_queries import Target
from kstui.screens.events import EventsScreen
from kstui.screens.logs import LogsScreen
from kstui.screens.observe_chart import ChartPane
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.ui.conftest import move_to, type_text, wait_until
from tests.ui.observe_kit import drawn_level, observe_app, open_row
from tests.visual.test_chart_snapshots import BASE, fixed_history, utc
from tests.visual.test_snapshots import LARGE, SMALL, build, frozen, shot

__all__ = ["build", "frozen", "utc"]  # the frozen sandbox's fixtures, UTC clock times


def test_logs_of_a_deployment(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def logs(pilot: Pilot[Any]) -> None:
        await move_to(pilot, "checkout")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), "logs")
        screen = pilot.app.screen

        def settled() -> bool:
            followers = screen.followers
            streams = [key for follower in followers for key in follower.streams]
            seen = {(line.pod, line.container) for line in screen.buffer.lines}
            done = not screen._pending and not screen._settling  # none held to merge
            return bool(streams) and all(key[1:] in seen for key in streams) and done

        await wait_until(pilot, settled, "every pod's tail")
        await pilot.pause(0.5)

    assert shot(snap_compare, build(kind="deploy"), SMALL, logs)


def test_events_of_a_namespace(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def events(pilot: Pilot[Any]) -> None:
        await pilot.press("colon")
        await type_text(pilot, "events")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, EventsScreen), "events")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: bool(screen.groups), "the events")
        await pilot.pause(0.5)

    assert shot(snap_compare, build(), SMALL, events)


def observe_build(frozen: RunningSandbox, tmp_path: Path) -> KstuiApp:
    now = frozen.sandbox.clock.now().timestamp()
    return observe_app(
        frozen.kubeconfig, "host", tmp_path / "cache", namespace="payments", frozen_now=now
    )


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_observe_clusters(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    """The first level: every cluster's usage against its nodes' allocatable; no Prometheus
    on a frozen sandbox, said in one line."""

    async def clusters(pilot: Pilot[Any]) -> None:
        await drawn_level(pilot, "observe")
        await pilot.pause(0.3)

    app = observe_build(frozen, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=clusters)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_observe_workloads_of_a_project(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    """host › workspaces › (no workspace) › project payments: its workloads."""

    async def workloads(pilot: Pilot[Any]) -> None:
        await open_row(pilot, await drawn_level(pilot, "observe"), "host")
        await open_row(pilot, await drawn_level(pilot, "host"), "workspaces")
        await open_row(pilot, await drawn_level(pilot, "workspaces"), "(no workspace)")
        await open_row(pilot, await drawn_level(pilot, "(no workspace)"), "payments")
        await drawn_level(pilot, "project payments")
        await pilot.pause(0.3)

    app = observe_build(frozen, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=workloads)


@pytest.fixture
def fixed_prometheus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frozen sandbox has no Prometheus: the section is given fixed history instead (a
    day with a spike, tests/visual/test_chart_snapshots.py), its table and its chart alike."""

    async def usage(
        _self: ObserveService, _context: str, target: Target, window: str, _end: float | None
    ) -> UsageHistory:
        return fixed_history(target, window)

    async def fill(
        self: HistoryRows, _place: Place, rows: list[LevelRow], _now: float | None = None
    ) -> str:
        cpu = [value for _at, value in fixed_history(Target("cluster"), self.window).series["cpu"]]
        for n, row in enumerate(rows):
            row.history = cpu[n * 7 :] + cpu[: n * 7]
            row.net_in, row.net_out = BASE["net_in"] * (n + 1), BASE["net_out"] * (n + 1)
        return ""

    monkeypatch.setattr(ObserveService, "usage", usage)
    monkeypatch.setattr(HistoryRows, "fill", fill)


@pytest.mark.usefixtures("utc", "fixed_prometheus")
@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_observe_workload_with_its_chart(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    """project payments' workloads, checkout chosen, the chart's cursor 3 h 40 m back in 24 h
    (tab gave it the keys: at 80x24 it takes the room, the table keeps a few rows)."""

    async def charted(pilot: Pilot[Any]) -> None:
        await open_row(pilot, await drawn_level(pilot, "observe"), "host")
        await open_row(pilot, await drawn_level(pilot, "host"), "workspaces")
        await open_row(pilot, await drawn_level(pilot, "workspaces"), "(no workspace)")
        await open_row(pilot, await drawn_level(pilot, "(no workspace)"), "payments")
        screen = await drawn_level(pilot, "project payments")
        table = screen.query_one(ResourceTable)
        key = next(
            k for k in table.visible_keys if (r := table.row(k)) and r.cells[0] == "checkout"
        )
        assert table.move_cursor_to(key)
        pane = screen.query_one(ChartPane)
        await wait_until(
            pilot, lambda: pane.title.startswith("deployment payments/checkout"), "chart"
        )
        await pilot.press("tab", "plus", "plus")  # 1h → 6h → 24h
        await wait_until(
            pilot, lambda: pane.history is not None and pane.history.window == "24h", "24h"
        )
        await pilot.press("shift+left", "shift+left", "left", "left")  # 22 steps: 3 h 40 m back
        await pilot.pause(0.3)

    app = observe_build(frozen, tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=charted)
