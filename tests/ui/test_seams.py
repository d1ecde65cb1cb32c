"""The two refresh seams: LiveList (a watch-cache list in a table) and PolledScreen (a polled,
permission-gated view). Live lists and the Workspaces screens run on the real sandbox; the
poll's scheduling is checked on a throwaway screen whose fetch is slow on purpose."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from kstui.app import AppSettings, KstuiApp
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.retry_after import RetryAfter
from kstui.model import Row
from kstui.screens.polled_view import Denied, PolledScreen
from kstui.screens.resources import ResourcesScreen
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.ui.conftest import wait_until

# ---------------------------------------------------------------------------- polled view


class Service:
    """The two things a polled screen asks of its section's service."""

    def __init__(self) -> None:
        self.retry_after = RetryAfter()

    async def permission(self, action: str, **where: str) -> Denied:
        return Denied(f"{action} is not for tests")


class SlowScreen(PolledScreen):
    poll_seconds = 0.05
    FETCH_SECONDS = 0.3

    def __init__(self) -> None:
        super().__init__(Service())
        self.running = 0
        self.most_at_once = 0
        self.started: list[float] = []
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield ContextBar(id="context-bar")
        yield ResourceTable(id="table")
        yield Static(id="status")

    def on_mount(self) -> None:
        self.poll()

    async def fetch(self) -> list[Row]:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        self.started.append(time.monotonic())
        try:
            await asyncio.sleep(self.FETCH_SECONDS)
        finally:
            self.running -= 1
        return [Row(name, (name,)) for name in ("a", "b", f"n{len(self.started)}")]

    def show(self, data: list[Row]) -> None:
        self.query_one(ResourceTable).sync(data)
        self.shown += 1


class Host(App[None]):
    def on_mount(self) -> None:
        self.push_screen(SlowScreen())


async def test_a_slow_fetch_stretches_the_period_and_polls_never_overlap() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, SlowScreen)
        await wait_until(pilot, lambda: len(screen.started) >= 4, "four fetches", timeout=20)
        assert screen.most_at_once == 1
        gaps = [b - a for a, b in zip(screen.started, screen.started[1:], strict=False)]
        assert min(gaps) >= SlowScreen.FETCH_SECONDS  # the next starts after the last ended


async def test_no_poll_under_a_modal_and_one_at_once_when_it_closes() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, SlowScreen)
        await wait_until(pilot, lambda: screen.shown >= 1, "first poll shown")
        await app.push_screen(ModalScreen())
        await wait_until(pilot, lambda: screen.running == 0, "the fetch under way ends")
        covered = len(screen.started)
        await pilot.pause(1.0)  # a dozen periods
        assert len(screen.started) == covered
        app.pop_screen()
        await wait_until(
            pilot, lambda: len(screen.started) > covered, "polled on return", timeout=2.0
        )


async def test_a_poll_updates_rows_by_key_without_a_reset() -> None:
    app = Host()
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, SlowScreen)
        table = screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: screen.shown >= 1, "first poll shown")
        assert table.move_cursor_to("b")
        kept, before = table.row("b"), table.row("n1")
        shown = screen.shown
        await wait_until(pilot, lambda: screen.shown > shown, "next poll shown")
        assert table.row("b") is kept  # unchanged: same row, so its cached strip is reused
        assert table.row("n1") is None
        assert before is not None
        assert table.cursor_key == "b"


async def test_denied_gated_keys_are_named_in_the_status_line() -> None:
    class Gated(SlowScreen):
        BINDINGS = [("x", "remove", "remove")]
        GATED = {"remove": "thing.remove"}

        def permission_requests(self) -> dict[str, dict[str, str]]:
            return {"thing.remove": {}}

        def on_mount(self) -> None:
            self.check_permissions()

        def action_remove(self) -> None:
            raise AssertionError("a denied action ran")

    class GatedHost(App[None]):
        def on_mount(self) -> None:
            self.push_screen(Gated())

    app = GatedHost()
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, Gated)
        status = screen.query_one("#status", Static)
        await wait_until(pilot, lambda: screen.permissions, "permissions")
        assert "thing.remove is not for tests" in str(status.render())
        await pilot.press("x")
        assert "x remove: thing.remove is not for tests" in str(status.render())


# ---------------------------------------------------------------------------- on the sandbox


def real_app(
    running: RunningSandbox,
    tmp_path: Path,
    *,
    screen: str = "resources",
    context: str = "host",
    namespace: str = "payments",
    kind: str = "pods",
) -> KstuiApp:
    return KstuiApp(
        AppSettings(
            load_kubeconfig(str(running.kubeconfig)),
            context,
            namespace,
            screen=screen,
            kind=kind,
            cache_dir=tmp_path / "cache",
        )
    )


def empty_text(table: ResourceTable) -> str:
    """What the table shows while it has no rows (its muted lines)."""
    lines = [table.render_line(y).text.strip() for y in range(1, table.size.height)]
    return " ".join(line for line in lines if line)


async def test_the_workspace_list_poll_keeps_unchanged_rows(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = real_app(sandbox, tmp_path, screen="workspaces")
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, WorkspacesScreen) and app.screen.loaded,
            "workspaces listed",
            timeout=20,
        )
        screen = app.screen
        table = screen.query_one(ResourceTable)
        bar = screen.query_one(ContextBar)
        key = table.visible_keys[-1]
        assert table.move_cursor_to(key)
        kept, synced = table.row(key), bar.synced_at
        await wait_until(pilot, lambda: bar.synced_at != synced, "the next poll", timeout=20)
        assert table.row(key) is kept
        assert table.cursor_key == key


async def test_a_live_list_says_forbidden(sandbox: RunningSandbox, tmp_path: Path) -> None:
    app = real_app(sandbox, tmp_path, context="tenant", namespace="kube-system")
    async with app.run_test(size=(120, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        table = screen.query_one(ResourceTable)
        denied = "forbidden: alice cannot list pods in namespace kube-system"
        await wait_until(pilot, lambda: denied in empty_text(table), "forbidden")
        assert screen.query_one(ContextBar).problem == denied
        assert not table.row_count


async def test_a_live_list_says_when_it_is_empty(sandbox: RunningSandbox, tmp_path: Path) -> None:
    app = real_app(sandbox, tmp_path, namespace="nothing-here")
    async with app.run_test(size=(120, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        table = screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: screen.loaded, "listed")
        await wait_until(
            pilot, lambda: "no pods in namespace nothing-here" in empty_text(table), "empty"
        )


async def test_a_live_list_shows_a_failing_list_and_recovers(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    running = fresh_sandbox(pods=5)
    running.call(running.cluster().faults.fail_next, 3, 503, "/api/v1/namespaces/payments/pods")
    app = real_app(running, tmp_path)
    async with app.run_test(size=(120, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        table = screen.query_one(ResourceTable)
        bar = screen.query_one(ContextBar)
        await wait_until(
            pilot,
            lambda: "503" in empty_text(table) or "unavailable" in empty_text(table).lower(),
            "the failure shown",
            timeout=20,
        )
        assert bar.problem
        await wait_until(pilot, lambda: screen.loaded and table.row_count, "recovered", timeout=30)
        assert not bar.problem
