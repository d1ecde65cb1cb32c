"""`:appstore` and `:repos` open those views of the Apps section from anywhere, as `:apps`
opens its first view; esc from them goes back to the section's Helm releases. On a cluster
without KubeSphere the section is its read-only Helm releases, and the store says why not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kstui.screens.app_repos import ReposScreen
from kstui.screens.app_store_screen import StoreScreen
from kstui.screens.apps import AppsScreen
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
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


async def test_on_a_cluster_without_kubesphere_helm_is_read_only_and_the_store_says_why(
    fresh_sandbox: Any, tmp_path: Path
) -> None:
    vanilla = fresh_sandbox(clusters=1, pods=0, kubesphere=False)
    app = apps_app(vanilla.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "apps")
        note = str(app.screen.query_one("#note", Plain).render())
        assert note == "Helm releases (read-only: read from Helm's release Secrets)"
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, StoreScreen), "the store")
        store = app.screen
        await wait_until(pilot, lambda: store.problem is not None, "why")
        apps = store.query_one("#apps", ResourceTable)
        assert apps._empty_message.startswith("host runs no KubeSphere: there is no app store")
