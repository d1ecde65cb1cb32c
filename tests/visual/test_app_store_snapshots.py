"""SVG snapshots of the app store at 80x24 on a frozen, seeded sandbox: the store (categories
beside the active apps) and the install form (its choices loaded, the chart's default values
read from a chart served from a thread), and a release followed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from kstui.sandbox.runtime import SandboxOptions
from kstui.screens.app_forms import InstallForm
from kstui.screens.app_releases import ProgressScreen, ReleasesScreen
from kstui.screens.app_store_screen import StoreScreen, VersionsScreen
from kstui.screens.apps import AppsScreen
from kstui.screens.logs import LogsScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable
from tests.app_store_seeds import chart_archive, chart_server, seed_app
from tests.conftest import RunningSandbox, _start
from tests.connections import sandbox_client
from tests.ui.conftest import wait_until
from tests.ui.test_apps import apps_app

SIZE = (80, 24)
APP = "demo-shop"


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = _start(
        tmp_path_factory.mktemp("frozen-store"),
        SandboxOptions(clusters=2, pods=40, frozen=True, seed=7),
    )
    yield running
    running.thread.stop()


@pytest.fixture(scope="module")
def charts(frozen: RunningSandbox) -> Iterator[str]:
    with chart_server({f"/{APP}-1.4.0.tgz": chart_archive("demo", "1.4.0")}) as url:

        async def seed() -> None:
            client = sandbox_client(frozen)
            await seed_app(client, APP, url, versions={"1.4.0": "active"}, alias="demo shop")
            await client.aclose()

        asyncio.run(seed())
        yield url


async def _store(pilot: Pilot[Any]) -> StoreScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AppsScreen), "apps")
    await pilot.press("S")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, StoreScreen) and pilot.app.screen.loaded,
        "the store",
    )
    screen = pilot.app.screen
    assert isinstance(screen, StoreScreen)
    bar = screen.query_one("#context-bar", ContextBar)
    await wait_until(pilot, lambda: bar.user == "admin", "whoami")
    await wait_until(pilot, lambda: screen.allowed("install"), "the permission")
    return screen


def test_store_list(snap_compare: Any, frozen: RunningSandbox, charts: str, tmp_path: Path) -> None:
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _store(pilot)
        apps = screen.query_one("#apps", ResourceTable)
        # the seeded repos' apps (synced at start) and the test's own
        await wait_until(pilot, lambda: APP in apps.visible_keys, "the apps")
        await wait_until(pilot, lambda: apps.row_count == 6, "the six apps")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_install_form(
    snap_compare: Any, frozen: RunningSandbox, charts: str, tmp_path: Path
) -> None:
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _store(pilot)
        apps = screen.query_one("#apps", ResourceTable)
        await wait_until(pilot, lambda: APP in apps.visible_keys, "the app")
        apps.move_cursor_to(APP)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, VersionsScreen)
                and pilot.app.screen.query_one(ResourceTable).row_count == 1
                and pilot.app.screen.allowed("install")
            ),
            "the version",
        )
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, InstallForm), "the form")
        form = pilot.app.screen
        assert isinstance(form, InstallForm)
        await wait_until(
            pilot,
            lambda: (
                form.value_of("project") == "shop-prod"
                and form.query_one("#values", TextArea).text.startswith("replicaCount")
                and ("host", "shop-prod") in form.asked
            ),
            "the choices, the chart and the permission",
        )
        for field in form.query(Input):  # the name field's cursor shows, whatever the blink
            field.cursor_blink = False
        form.query_one("#values", TextArea).cursor_blink = False
        # under load a layout pass may still be on its way (a scrollbar from a taller moment)
        try:
            await wait_until(
                pilot,
                lambda: not any(w.show_vertical_scrollbar for w in form.query("*")),
                "the form laid out at its final height",
            )
        except AssertionError as error:  # say what made it taller, if anything did
            scrolled = [
                f"{w!r} {w.virtual_size} in {w.size}"
                for w in form.query("*")
                if w.show_vertical_scrollbar
            ]
            shown = [str(w.render()) for w in form.query(".-shown")]
            raise AssertionError(f"{error}: scrollbars {scrolled}, messages {shown}") from None
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_release_progress(
    snap_compare: Any, frozen: RunningSandbox, charts: str, tmp_path: Path
) -> None:
    """The seeded shop-cache release followed: its state, message and what it made."""
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AppsScreen), "apps")
        await pilot.press("R")
        await wait_until(
            pilot,
            lambda: isinstance(pilot.app.screen, ReleasesScreen) and pilot.app.screen.loaded,
            "the releases",
        )
        pilot.app.screen.query_one(ResourceTable).move_cursor_to("shop-cache")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, ProgressScreen)
                and pilot.app.screen.loaded
                and pilot.app.screen.query_one(ResourceTable).row_count > 0
                and pilot.app.screen.allowed("uninstall")
            ),
            "the release",
        )
        bar = pilot.app.screen.query_one("#context-bar", ContextBar)
        await wait_until(pilot, lambda: bar.user == "admin", "whoami")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_app_versions(
    snap_compare: Any, frozen: RunningSandbox, charts: str, tmp_path: Path
) -> None:
    """An app: its active versions, newest first."""
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _store(pilot)
        apps = screen.query_one("#apps", ResourceTable)
        await wait_until(pilot, lambda: "bitnami-redis" in apps.visible_keys, "redis")
        apps.move_cursor_to("bitnami-redis")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, VersionsScreen)
                and pilot.app.screen.query_one(ResourceTable).row_count == 2
                and pilot.app.screen.allowed("install")
            ),
            "redis's versions",
        )
        bar = pilot.app.screen.query_one("#context-bar", ContextBar)
        await wait_until(pilot, lambda: bar.user == "admin", "whoami")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def _failed_release(pilot: Pilot[Any]) -> ProgressScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AppsScreen), "apps")
    await pilot.press("R")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, ReleasesScreen) and pilot.app.screen.loaded,
        "the releases",
    )
    pilot.app.screen.query_one(ResourceTable).move_cursor_to("lab-broken")
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, ProgressScreen)
            and pilot.app.screen.loaded
            and "helm:" in str(pilot.app.screen.query_one("#message").render())
            and pilot.app.screen.query_one(ResourceTable).row_count > 0
            and pilot.app.screen.allowed("uninstall")
        ),
        "the failed release and Helm's reason",
    )
    screen = pilot.app.screen
    assert isinstance(screen, ProgressScreen)
    bar = screen.query_one("#context-bar", ContextBar)
    await wait_until(pilot, lambda: bar.user == "admin", "whoami")
    return screen


def test_failed_release_progress(
    snap_compare: Any, frozen: RunningSandbox, charts: str, tmp_path: Path
) -> None:
    """The seeded lab-broken followed: deployFailed, and Helm's reason read from its job log."""
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _failed_release(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_release_helm_job_log(
    snap_compare: Any, frozen: RunningSandbox, charts: str, tmp_path: Path
) -> None:
    """`l` on the failed release: its Helm job pod's log."""
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _failed_release(pilot)
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), "the log")
        screen = pilot.app.screen
        assert isinstance(screen, LogsScreen)
        await wait_until(pilot, lambda: len(screen.buffer.lines) > 5, "Helm's log")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
