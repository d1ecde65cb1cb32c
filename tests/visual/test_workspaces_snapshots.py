"""SVG snapshots of the Workspaces section at 120x36 on a frozen, seeded sandbox: the list, a
workspace, a project and every form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kstui.app import KstuiApp
from kstui.sandbox.runtime import SandboxOptions
from kstui.screens.project_detail import ProjectDetailScreen
from kstui.screens.tenancy import TenancyScreen
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspace_forms import (
    CreateProjectModal,
    CreateWorkspaceModal,
    DeleteWorkspaceModal,
    MemberModal,
    MoveProjectModal,
    QuotaModal,
)
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.form import FormModal
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox, _start
from tests.ui.conftest import footer_keys_shown, wait_until, workspaces_app
from tests.ui.test_workspaces import cells, cursor_to, modal, ready, type_text

SIZE = (120, 36)
Step = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """Same seed, same clock, same objects every run: what makes a snapshot stable."""
    running = _start(
        tmp_path_factory.mktemp("frozen-ws"),
        SandboxOptions(clusters=2, pods=120, frozen=True, seed=7),
    )
    yield running
    running.thread.stop()


@pytest.fixture
def build(frozen: RunningSandbox, tmp_path: Path) -> Callable[..., KstuiApp]:
    def make(context: str = "host") -> KstuiApp:
        now = frozen.sandbox.clock.now().timestamp()
        return workspaces_app(frozen.kubeconfig, context, tmp_path / "cache", frozen_now=now)

    return make


async def still(pilot: Pilot[Any]) -> None:
    """No blinking cursors, nothing pending: the frame a snapshot takes is the settled one."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def shot(snap_compare: Any, app: KstuiApp, *steps: Step) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, WorkspacesScreen)
        bar = pilot.app.screen.query_one("#context-bar", ContextBar)
        await wait_until(pilot, lambda: bar.user == "admin", "whoami")
        await footer_keys_shown(pilot)
        for step in steps:
            await step(pilot)
        await still(pilot)

    return bool(snap_compare(app, terminal_size=SIZE, run_before=run_before))


def press(*keys: str) -> Step:
    async def step(pilot: Pilot[Any]) -> None:
        await pilot.press(*keys)

    return step


def typing(text: str) -> Step:
    async def step(pilot: Pilot[Any]) -> None:
        await type_text(pilot, text)

    return step


def on_row(name: str, table_id: str = "") -> Step:
    async def step(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        table = (
            screen.query_one(f"#{table_id}", ResourceTable)
            if table_id
            else screen.query_one(ResourceTable)
        )
        await cursor_to(pilot, table, name)

    return step


def opened(screen_type: type[TenancyScreen] | type[FormModal]) -> Step:
    async def step(pilot: Pilot[Any]) -> None:
        if issubclass(screen_type, TenancyScreen):
            await ready(pilot, screen_type)
        else:
            await modal(pilot, screen_type)

    return step


def member_rows(pilot_table: str = "members-table") -> Step:
    async def step(pilot: Pilot[Any]) -> None:
        table = pilot.app.screen.query_one(f"#{pilot_table}", ResourceTable)
        await wait_until(pilot, lambda: len(cells(table)) >= 3, "members")

    return step


ACME = (on_row("acme-retail"), press("enter"), opened(WorkspaceDetailScreen))
SHOP = (*ACME, on_row("shop-prod", "projects-table"), press("enter"), opened(ProjectDetailScreen))


async def pods_listed(pilot: Pilot[Any]) -> None:
    table = pilot.app.screen.query_one("#pods-table", ResourceTable)
    await wait_until(pilot, lambda: table.row_count >= 4, "pods")
    await wait_until(
        pilot,
        lambda: "…" not in str(pilot.app.screen.query_one("#workloads").render()),
        "workload counts",
    )


def test_list(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build())


def test_list_as_tenant(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def as_alice(pilot: Pilot[Any]) -> None:
        await pilot.press("a")  # disabled: the status line says why

    app = build("tenant")

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot, WorkspacesScreen)
        bar = pilot.app.screen.query_one("#context-bar", ContextBar)
        await wait_until(pilot, lambda: bar.user == "alice", "whoami")
        await as_alice(pilot)
        await still(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_workspace_projects(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), *ACME)


def test_workspace_members(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), *ACME, press("right_square_bracket"), member_rows())


def test_workspace_quota(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), *ACME, press("left_square_bracket"))


def test_project(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), *SHOP, pods_listed)


def test_project_members(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(
        snap_compare, build(), *SHOP, pods_listed, press("right_square_bracket"), member_rows()
    )


def test_project_quota(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), *SHOP, pods_listed, press("left_square_bracket"))


def test_create_workspace_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), press("a"), opened(CreateWorkspaceModal))


def test_create_workspace_form_invalid_name(
    snap_compare: Any, build: Callable[..., KstuiApp]
) -> None:
    assert shot(
        snap_compare,
        build(),
        press("a"),
        opened(CreateWorkspaceModal),
        typing("Bad_Name"),
        press("enter"),
    )


def test_delete_workspace_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(
        snap_compare,
        build(),
        on_row("beta-labs"),
        press("ctrl+d"),
        opened(DeleteWorkspaceModal),
        typing("beta-labs"),
    )


def test_create_project_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(
        snap_compare, build(), *ACME, press("p"), opened(CreateProjectModal), typing("shop-qa")
    )


def test_move_project_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(
        snap_compare,
        build(),
        *ACME,
        on_row("shop-staging", "projects-table"),
        press("m"),
        opened(MoveProjectModal),
    )


def test_add_member_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(
        snap_compare,
        build(),
        *ACME,
        press("right_square_bracket"),
        member_rows(),
        press("a"),
        opened(MemberModal),
        typing("erin"),
    )


def test_change_role_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(
        snap_compare,
        build(),
        *ACME,
        press("right_square_bracket"),
        member_rows(),
        on_row("carol", "members-table"),
        press("e"),
        opened(MemberModal),
    )


def test_workspace_quota_form(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    assert shot(snap_compare, build(), *ACME, press("Q"), opened(QuotaModal))


def test_project_quota_form_invalid(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def bad_pods(pilot: Pilot[Any]) -> None:
        field = pilot.app.screen.query_one("#pods", Input)
        field.focus()
        field.value = ""
        await type_text(pilot, "lots")

    assert shot(
        snap_compare,
        build(),
        *SHOP,
        pods_listed,
        press("Q"),
        opened(QuotaModal),
        bad_pods,
        press("ctrl+s"),
    )
