"""Snapshots of every Observe level not in test_observe_snapshots.py, at 80x24 and 160x48, on
the frozen sandbox (no Prometheus: one line says so): a cluster (its nodes and workspaces rows),
its nodes, a node's pods, the workspaces, a workspace's projects, a workload's pods and a pod's
containers; and the tenant's cluster level, its nodes row denied with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.observe import ObserveScreen
from kstui.screens.observe_chart import ChartPane
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.ui.conftest import wait_until
from tests.ui.observe_kit import drawn_level, move_to_row, observe_app
from tests.visual.test_snapshots import LARGE, SMALL, frozen

__all__ = ["frozen"]  # the frozen sandbox's fixture

SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])


def observe_build(frozen: RunningSandbox, tmp_path: Path, context: str = "host") -> KstuiApp:
    namespace = load_kubeconfig(str(frozen.kubeconfig)).context(context).namespace or "payments"
    now = frozen.sandbox.clock.now().timestamp()
    return observe_app(
        frozen.kubeconfig, context, tmp_path / "cache", namespace=namespace, frozen_now=now
    )


def names(screen: ObserveScreen) -> list[str]:
    table = screen.query_one(ResourceTable)
    return [str(row.cells[0]) for k in table.visible_keys if (row := table.row(k))]


async def choose(pilot: Pilot[Any], screen: ObserveScreen, name: str) -> None:
    """Move the cursor to `name`'s row and let the chart follow it."""
    move_to_row(screen, name)
    await pilot.pause(0.5)  # the chart follows once the cursor rests
    chart = screen.query_one(ChartPane)
    await wait_until(pilot, lambda: chart.state not in ("empty", "loading"), "its chart")


async def drill(pilot: Pilot[Any], *steps: str) -> ObserveScreen:
    """From the clusters, Enter on each named row ('' = the first row) in turn; the last
    level, shown."""
    screen = await drawn_level(pilot, "observe")
    for name in steps:
        name = name or names(screen)[0]
        await choose(pilot, screen, name)
        await pilot.press("enter")
        opened = lambda above=screen: pilot.app.screen is not above  # noqa: E731
        await wait_until(pilot, opened, f"{name}'s level")
        following = pilot.app.screen
        assert isinstance(following, ObserveScreen)
        screen = await drawn_level(pilot, following.place.crumb)
    await pilot.pause(0.3)
    return screen


def level_test(*steps: str) -> Any:
    @SIZES
    def snapshot(
        snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await drill(pilot, *steps)

        assert snap_compare(
            observe_build(frozen, tmp_path), terminal_size=size, run_before=run_before
        )

    return snapshot


test_observe_a_cluster = level_test("host")
test_observe_nodes = level_test("host", "nodes")
test_observe_a_nodes_pods = level_test("host", "nodes", "host-worker-1")
test_observe_workspaces = level_test("host", "workspaces")
test_observe_a_workspaces_projects = level_test("host", "workspaces", "acme-retail")
test_observe_a_workloads_pods = level_test(
    "host", "workspaces", "(no workspace)", "payments", "checkout"
)
test_observe_a_pods_containers = level_test(
    "host", "workspaces", "(no workspace)", "payments", "checkout", ""
)


def test_observe_nodes_as_a_tenant(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path
) -> None:
    """The tenant's cluster: its nodes row is denied (— for usage, the reason in PROBLEMS);
    the chart says why, and Enter on it says why again rather than opening an empty level."""

    async def denied(pilot: Pilot[Any]) -> None:
        clusters = await drawn_level(pilot, "observe", user="alice")
        await choose(pilot, clusters, "tenant")
        await pilot.press("enter")
        tree = await drawn_level(pilot, "tenant", user="alice")
        await choose(pilot, tree, "nodes")
        await pilot.press("enter")
        status = tree.query_one("#status")
        await wait_until(pilot, lambda: "forbidden" in str(status.render()), "the reason")
        assert pilot.app.screen is tree
        await pilot.pause(0.3)

    app = observe_build(frozen, tmp_path, "tenant")
    assert snap_compare(app, terminal_size=SMALL, run_before=denied)
