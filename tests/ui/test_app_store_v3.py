"""The Apps section on a KubeSphere 3.x host (API.md §2.7): the store and releases read from
the v1alpha1 Helm* objects, install creating the exact HelmRelease, upgrade moving
`spec.version` one up, uninstall through the finalizer, and the repo actions §2.7 does not
name refused with the reason."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Select, TextArea

from kstui.backends.errors import NotFound
from kstui.screens.app_forms import InstallForm, UpgradeForm
from kstui.screens.app_releases import ProgressScreen, ReleasesScreen
from kstui.screens.app_repos import ReposScreen
from kstui.screens.app_store_screen import StoreScreen, VersionsScreen
from kstui.screens.apps import AppsScreen
from kstui.screens.confirm import ConfirmModal
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import wait_until
from tests.ui.test_apps import apps_app

V1 = "/apis/application.kubesphere.io/v1alpha1"
SIZE = (120, 36)


@pytest.fixture
def store3(fresh_sandbox: Any) -> RunningSandbox:
    return fresh_sandbox(clusters=1, pods=0, kubesphere_version="3")  # type: ignore[no-any-return]


async def loaded(pilot: Pilot[Any], kind: type, what: str) -> Any:
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, kind) and pilot.app.screen.loaded, what
    )
    return pilot.app.screen


async def test_the_3x_store_lists_installs_upgrades_and_uninstalls_helm_releases(
    store3: RunningSandbox, tmp_path: Path
) -> None:
    admin = sandbox_client(store3)
    app = apps_app(store3.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "apps")
        await pilot.press("S")
        store = await loaded(pilot, StoreScreen, "the 3.x store")
        apps = store.query_one("#apps", ResourceTable)
        await wait_until(pilot, lambda: apps.row_count == 3, "nginx, redis, postgresql")
        assert set(apps.visible_keys) == {"app-nginx3x", "app-redis3x", "app-postgresql3x"}
        categories = store.query_one("#categories", ResourceTable)
        assert categories.row("ctg-databases").cells[0] == "Databases"  # type: ignore[union-attr]
        apps.focus()
        apps.move_cursor_to("app-redis3x")
        await pilot.press("enter")
        versions = await loaded(pilot, VersionsScreen, "redis's versions")
        table = versions.query_one(ResourceTable)
        await wait_until(pilot, lambda: table.row_count == 2, "two versions")
        assert table.visible_keys == ("appv-redis0", "appv-redis1")
        table.move_cursor_to("appv-redis1")
        await wait_until(pilot, lambda: versions.allowed("install"), "the permission")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InstallForm), "the form")
        form = app.screen
        assert isinstance(form, InstallForm)
        area = form.query_one("#values", TextArea)
        await wait_until(
            pilot,
            lambda: form.value_of("project") == "shop-prod" and "image:" in area.text,
            "the choices and the chart's values",
        )
        form.query_one("#name").value = "cache3"  # type: ignore[attr-defined]
        values = "architecture: standalone\n"
        area.text = values
        await pilot.pause()
        await pilot.press("ctrl+s")
        progress = await loaded(pilot, ProgressScreen, "the progress")
        rls = progress.name_followed
        assert rls.startswith("rls-")
        stored = await admin.get(f"{V1}/helmreleases/{rls}")
        assert stored["metadata"]["labels"] == {
            "kubesphere.io/workspace": "acme-retail",
            "kubesphere.io/namespace": "shop-prod",
            "kubesphere.io/cluster": "host",
            "application.kubesphere.io/app-id": "app-redis3x",
            "application.kubesphere.io/app-version-id": "appv-redis1",
            "application.kubesphere.io/repo-id": "repo-bitnami3x",
        }
        assert stored["metadata"]["annotations"] == {"kubesphere.io/creator": "admin"}
        assert stored["spec"] == {
            "name": "cache3",
            "chartName": "redis",
            "chartVersion": "19.6.4",
            "appId": "app-redis3x",
            "appVerId": "appv-redis1",
            "repoId": "repo-bitnami3x",
            "values": base64.b64encode(values.encode()).decode(),
            "version": 1,
        }
        transitions = progress.query_one("#transitions", Plain)
        await wait_until(pilot, lambda: "active" in str(transitions.render()), "active")
        summary = progress.query_one("#summary", Plain)
        await pilot.pause(1.2)  # a poll too, not only the watch: both read it as 3.x's
        assert str(summary.render()).startswith(
            "cache3  app-redis3x 19.6.4  in shop-prod on host (acme-retail)  state active"
        ), str(summary.render())
        produced = progress.query_one(ResourceTable)  # the 3.x sandbox runs no Helm
        assert produced._empty_message == "nothing labelled app.kubernetes.io/instance=cache3 yet"
        await pilot.press("l")  # 3.x runs Helm in its controller: no job to read
        status = progress.query_one("#status", Plain)
        await wait_until(pilot, lambda: "no job log" in str(status.render()), "why no log")
        assert str(status.render()).startswith("3.x runs Helm in its controller, not in a Job")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, VersionsScreen), "back")
        await pilot.press("R")
        releases = await loaded(pilot, ReleasesScreen, "the releases")
        rows = releases.query_one(ResourceTable)
        await wait_until(pilot, lambda: rows.row(rls) is not None, "the new release")
        failed = rows.row("rls-cachefail")
        assert failed is not None
        assert failed.cells[:2] == ("shop-cache3", "failed")
        assert "INSTALLATION FAILED" in failed.cells[9]
        assert failed.cells[6] == "1"  # REV: 3.x's spec.version
        assert rows.row("rls-shopweb3x").cells[6] == "2"  # type: ignore[union-attr]
        rows.move_cursor_to("rls-shopweb3x")  # seeded: installed, then upgraded
        await pilot.press("enter")
        seeded = await loaded(pilot, ProgressScreen, "the seeded release")
        lines = str(seeded.query_one("#transitions", Plain).render()).splitlines()
        assert [line.split()[1] for line in lines] == ["creating", "active", "upgrading", "active"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is releases, "back to the releases")
        rows.move_cursor_to(rls)
        await wait_until(pilot, lambda: releases.allowed("upgrade"), "may upgrade")
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, UpgradeForm), "the upgrade")
        upgrade = app.screen
        assert isinstance(upgrade, UpgradeForm)
        upgrade.query_one("#version", Select).value = "appv-redis0"
        upgrade.query_one("#values", TextArea).text = "architecture: replication\n"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReleasesScreen), "sent")
        stored = await admin.get(f"{V1}/helmreleases/{rls}")
        assert stored["spec"]["version"] == 2  # one up: the controller acts on it
        await wait_until(pilot, lambda: rows.row(rls).cells[6] == "2", "REV 2")  # type: ignore[union-attr]
        assert (stored["spec"]["appVerId"], stored["spec"]["chartVersion"]) == (
            "appv-redis0",
            "20.1.3",
        )
        assert stored["metadata"]["labels"]["application.kubesphere.io/app-version-id"] == (
            "appv-redis0"
        )
        await wait_until(pilot, lambda: releases.allowed("uninstall"), "may uninstall")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked")
        asked = app.screen
        assert "HelmRelease" in str(asked.query_one("#detail").render())  # type: ignore[attr-defined]
        await pilot.press("y")
        for _ in range(40):
            try:
                await admin.get(f"{V1}/helmreleases/{rls}")
            except NotFound:
                break
            await pilot.pause(0.1)
        with pytest.raises(NotFound):
            await admin.get(f"{V1}/helmreleases/{rls}")
        await pilot.press("P")
        repos = await loaded(pilot, ReposScreen, "the repos")
        assert repos.query_one(ResourceTable).row("repo-bitnami3x") is not None
        await wait_until(pilot, lambda: bool(repos.permissions), "the permissions")
        await pilot.press("T")
        status = str(repos.query_one("#status", Plain).render())
        assert "§2.7 names no repo action" in status, status
    await admin.aclose()
