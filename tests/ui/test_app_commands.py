"""`:appstore` and `:repos` open those views of the Apps section from anywhere, as `:apps`
opens its first view; esc from them goes back to the section's Helm releases."""

from __future__ import annotations

from pathlib import Path

from kstui.screens.app_repos import ReposScreen
from kstui.screens.app_store_screen import StoreScreen
from kstui.screens.apps import AppsScreen
from kstui.screens.resources import ResourcesScreen
from tests.conftest import RunningSandbox
from tests.ui.conftest import type_text, wait_until
from tests.ui.test_apps import apps_app


async def test_appstore_and_repos_commands_open_those_views_of_the_apps_section(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache", screen="resources")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "resources")
        await type_text(pilot, ":appstore")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StoreScreen), "the store")
        assert app.current_mode == "apps"
        await type_text(pilot, ":repos")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReposScreen), "the repos")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "the section")
        await pilot.press("1")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "resources")
        await type_text(pilot, ":repos")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReposScreen), "the repos again")
