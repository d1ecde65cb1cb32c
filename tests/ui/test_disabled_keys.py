"""A key that does not apply to the current row, or a write under read-only mode, says why
instead of doing nothing: the real app on the sandbox, one pilot per place a write key lives."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config
from kstui.screens.resources import ResourcesScreen
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspaces import WorkspacesScreen
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, wait_until
from tests.ui.test_workspaces import open_workspace, ready
from tests.ui.test_writes import deployment

WIDTH = 80


def notes(app: KstuiApp) -> list[str]:
    return [n.message for n in app._notifications]


async def press_and_hear(pilot: Any, key: str, message: str) -> None:
    """`key` leaves the screen as it is and says `message` (within 80 columns)."""
    app = pilot.app
    screen = app.screen
    await pilot.press(key)
    await wait_until(pilot, lambda: message in notes(app), f"{key} says {message!r}")
    assert app.screen is screen  # no dialog, no editor
    assert len(message) <= WIDTH


@pytest.mark.parametrize(
    ("kind", "scale", "restart"),
    [
        (
            "pods",
            "",  # `s` on a pod is a shell (tests/ui/test_pod_shell.py)
            "restart: pods cannot be restarted; restart their deployment or statefulset",
        ),
        (
            "cm",
            "scale: configmaps cannot be scaled (they have no scale subresource)",
            "restart: only deployments, statefulsets and daemonsets restart, not configmaps",
        ),
    ],
)
async def test_scale_and_restart_where_they_do_not_apply_say_why(
    make_app: Any, kind: str, scale: str, restart: str
) -> None:
    app = make_app(namespace="payments", kind=kind)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: app.screen.kind is not None, "kind resolved")
        if scale:
            await press_and_hear(pilot, "s", scale)
        await press_and_hear(pilot, "r", restart)


async def test_every_write_key_under_readonly_says_why(
    make_app: Any, sandbox: RunningSandbox
) -> None:
    app = make_app(namespace="payments", kind="deploy", readonly=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await wait_until(pilot, lambda: app.screen.kind is not None, "kind resolved")
        before = deployment(sandbox, "payments")
        for key, action in (("ctrl+d", "delete"), ("s", "scale"), ("r", "restart"), ("e", "edit")):
            await press_and_hear(
                pilot, key, f"read-only mode: {action} is disabled (started with --readonly)"
            )
        assert deployment(sandbox, "payments") == before


async def test_a_readonly_context_pattern_names_itself(make_app: Any) -> None:
    app = make_app(config=Config(readonly_contexts=frozenset({"h*"})))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        await press_and_hear(
            pilot, "ctrl+d", "read-only mode: delete is disabled (readonly_contexts matches host)"
        )


def readonly_workspaces(sandbox: RunningSandbox, tmp_path: Any) -> KstuiApp:
    loaded_config = load_kubeconfig(str(sandbox.kubeconfig))
    return build_app(
        AppSettings(
            loaded_config,
            "host",
            loaded_config.context("host").namespace,
            readonly=True,
            screen="workspaces",
            cache_dir=tmp_path / "cache",
        )
    )


async def test_workspaces_writes_under_readonly_say_why(
    sandbox: RunningSandbox, tmp_path: Any
) -> None:
    app = readonly_workspaces(sandbox, tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        status = screen.query_one("#status", Static)
        assert str(status.render()) == (
            "disabled — a new workspace, ^d delete workspace: read-only mode (started with "
            "--readonly)"
        )
        for key, action in (("a", "new workspace"), ("ctrl+d", "delete workspace")):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen  # no form
            said = f"read-only mode: {action} is disabled (started with --readonly)"
            assert str(status.render()) == said
            assert status.has_class("-denied")

        await pilot.press("enter")  # a workspace's own writes say it the same way
        detail = await ready(pilot, WorkspaceDetailScreen)
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is detail
        assert str(detail.query_one("#status", Static).render()) == (
            "read-only mode: new project is disabled (started with --readonly)"
        )


async def test_a_member_key_in_the_projects_pane_says_where_it_works(make_host: Any) -> None:
    app = make_host()
    async with app.run_test(size=(WIDTH, 24)) as pilot:
        detail = await open_workspace(pilot, "acme-retail")
        assert detail.active_pane == "projects"
        for key, said in (
            ("e", "change role: works in the members pane (tab or ] to switch)"),
            ("ctrl+d", "remove member: works in the members pane (tab or ] to switch)"),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is detail
            assert str(detail.query_one("#status", Static).render()) == said
            assert len(said) <= WIDTH
        await pilot.press("right_square_bracket")  # members: `m` moves projects, not here
        await wait_until(pilot, lambda: detail.active_pane == "members", "members pane")
        await pilot.press("m")
        await pilot.pause()
        assert str(detail.query_one("#status", Static).render()).startswith(
            "move project: works in the projects pane"
        )
