"""The REV column of the app releases list, on the sandbox over real HTTP: on 4.x Helm's newest
revision, read from the labels of the release Secrets in the target project (metadata only, the
Secrets' data never fetched) after the rows are shown; an install then an upgrade moves it from
1 to 2, as the Secrets the test lists itself say; a project the user may not read says `?` and
why, above the table, and no toast."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.backends.app_service import AppStore
from kstui.backends.kube import KubeClient
from kstui.backends.kube_wire import METADATA_ACCEPT
from kstui.screens.app_releases import ReleasesScreen
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from tests.app_store_seeds import API
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import wait_until
from tests.ui.test_app_store import open_releases, unique
from tests.ui.test_apps import apps_app

SIZE = (120, 36)
REV = 6
"""The REV cell's index in a release row."""
NGINX = "bitnami-nginx"
PROJECT = "shop-staging"


async def newest_secret(admin: KubeClient, name: str) -> int:
    """The highest N of the `sh.helm.release.v1.<name>.v<N>` Secrets, as the test lists them."""
    listed = await admin.list(f"/api/v1/namespaces/{PROJECT}/secrets")
    prefix = f"sh.helm.release.v1.{name}.v"
    numbers = [
        int(item["metadata"]["name"].removeprefix(prefix))
        for item in listed["items"]
        if item["metadata"]["name"].startswith(prefix)
    ]
    return max(numbers, default=0)


def nginx_release(name: str, version: str, values: str) -> dict[str, Any]:
    return {
        "apiVersion": "application.kubesphere.io/v2",
        "kind": "ApplicationRelease",
        "metadata": {
            "name": name,
            "labels": {
                "kubesphere.io/cluster": "host",
                "kubesphere.io/workspace": "acme-retail",
                "kubesphere.io/namespace": PROJECT,
                "application.kubesphere.io/app-id": NGINX,
                "application.kubesphere.io/appversion-id": f"{NGINX}-{version}",
                "application.kubesphere.io/app-type": "helm",
            },
            "annotations": {
                "kubesphere.io/creator": "admin",
                "application.kubesphere.io/app-versionName": version,
            },
        },
        "spec": {
            "appID": NGINX,
            "appVersionID": f"{NGINX}-{version}",
            "appType": "helm",
            "values": base64.b64encode(values.encode()).decode(),
        },
    }


def cells(screen: ReleasesScreen, name: str) -> tuple[str, ...]:
    row = screen.query_one(ResourceTable).row(name)
    return row.cells if row is not None else ()


async def settled(pilot: Pilot[Any], admin: KubeClient, name: str, revision: int) -> None:
    """The controller made Helm's revision and the release is active again."""

    async def done() -> bool:
        stored = await admin.get(f"{API}/applicationreleases/{name}")
        state = (stored.get("status") or {}).get("state")
        return state == "active" and await newest_secret(admin, name) == revision

    for _ in range(300):
        if await done():
            return
        await pilot.pause(0.1)
    raise AssertionError(f"{name} never reached revision {revision}")


async def test_rev_is_helms_newest_revision_and_an_upgrade_moves_it_to_2(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lists: list[tuple[str, dict[str, Any], str | None, dict[str, Any]]] = []
    real_list = KubeClient.list

    async def spy(
        self: KubeClient, path: str, params: Any = None, accept: Any = None, limit: int = 500
    ) -> dict[str, Any]:
        answer = await real_list(self, path, params, accept, limit)
        if path.endswith("/secrets"):
            lists.append((path, dict(params or {}), accept, answer))
        return answer

    monkeypatch.setattr(KubeClient, "list", spy)
    admin = sandbox_client(sandbox)
    name = unique("rev")
    await admin.create(f"{API}/applicationreleases", nginx_release(name, "18.1.15", ""))
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_releases(pilot, name)
            assert isinstance(screen, ReleasesScreen)
            assert screen.query_one(ResourceTable).columns[REV].name == "REV"
            await settled(pilot, admin, name, 1)
            await wait_until(pilot, lambda: cells(screen, name)[1] == "active", "active", 10)
            await wait_until(pilot, lambda: cells(screen, name)[REV] == "1", "revision 1", 10)
            assert int(cells(screen, name)[REV]) == await newest_secret(admin, name)
            # the seeded releases: eu-web upgraded on the member cluster (2), promo-site
            # failed at its first (1), lab-broken failed before Helm recorded anything
            await wait_until(pilot, lambda: cells(screen, "eu-web")[REV] == "2", "eu-web", 10)
            assert cells(screen, "promo-site")[REV] == "1"
            assert cells(screen, "lab-broken")[REV] == "–"
            shop_cache = await newest_secret(admin, "shop-cache")
            assert cells(screen, "shop-cache")[REV] == str(shop_cache)
            upgraded = nginx_release(name, "18.2.4", "replicaCount: 2\n")
            await admin.patch(
                f"{API}/applicationreleases/{name}",
                {"metadata": upgraded["metadata"], "spec": upgraded["spec"]},
                "merge",
            )
            await settled(pilot, admin, name, 2)
            await wait_until(pilot, lambda: cells(screen, name)[REV] == "2", "revision 2", 10)
            assert int(cells(screen, name)[REV]) == await newest_secret(admin, name)
            assert cells(screen, name)[5] == "18.2.4"
            assert not screen.query_one("#note", Plain).display  # nothing denied
    finally:
        await admin.delete(f"{API}/applicationreleases/{name}")
        await admin.aclose()
    # one list per project, labelSelector owner=helm, as metadata: no Secret's data came
    read = [
        (p, a, answer)
        for p, params, a, answer in lists
        if params == {"labelSelector": "owner=helm"}
    ]
    assert f"/api/v1/namespaces/{PROJECT}/secrets" in {p for p, _a, _answer in read}
    assert {a for _p, a, _answer in read} == {METADATA_ACCEPT}
    assert all(
        answer["kind"] == "PartialObjectMetadataList"
        and all("data" not in item for item in answer["items"])
        for _p, _a, answer in read
    )


async def test_a_project_the_tenant_may_not_read_says_question_mark_and_why(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """alice reads every release of the store, but Helm's Secrets only in the projects of her
    workspace, and only on the clusters her kubeconfig reaches."""
    admin = sandbox_client(sandbox)
    name = unique("bobs")
    body = nginx_release(name, "18.1.15", "")
    body["metadata"]["labels"]["kubesphere.io/workspace"] = "beta-labs"
    body["metadata"]["labels"]["kubesphere.io/namespace"] = "data-pipeline"
    await admin.create(f"{API}/applicationreleases", body)
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache", context="tenant", namespace="shop-prod")
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_releases(pilot, name)
            assert isinstance(screen, ReleasesScreen)
            note = screen.query_one("#note", Plain)
            await wait_until(pilot, lambda: cells(screen, name)[REV] == "?", "denied", 10)
            await wait_until(pilot, lambda: cells(screen, "promo-site")[REV] == "1", "hers", 10)
            assert cells(screen, "eu-web")[REV] == "?"  # on the member cluster
            assert note.display
            assert str(note.render()).splitlines() == [
                "REV ? in data-pipeline on host: forbidden: alice cannot list secrets in "
                "namespace data-pipeline",
                "REV ? in shop-eu on member: no context of this kubeconfig reaches cluster member",
            ]
            assert not app._notifications  # said above the table, and not as a toast
    finally:
        await admin.delete(f"{API}/applicationreleases/{name}")
        await admin.aclose()


async def test_rev_fits_at_80_columns_beside_the_message(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_releases(pilot, "eu-web")
        await wait_until(pilot, lambda: cells(screen, "eu-web")[REV] == "2", "eu-web's REV", 10)
        await pilot.pause(0.2)
        table = screen.query_one(ResourceTable)
        header = table.render_line(0).text
        assert len(header.rstrip()) <= 80
        assert " REV " in header, header
        assert header.rstrip().endswith("MESSAGE"), header  # nothing scrolled off
        drawn = [table.render_line(y).text for y in range(1, 5)]
        line = next(text for text in drawn if text.startswith(" eu-web "))
        assert line[header.index(" REV ") : header.index(" REV ") + 5] == " 2   ", line


async def test_the_rows_show_before_the_revisions_are_read(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow project holds nothing up: the rows show with `–`, and fill in once read."""
    gate = asyncio.Event()
    real = AppStore.helm_revisions

    async def slow(self: AppStore, cluster: str, namespace: str, release: str = "") -> Any:
        await gate.wait()
        return await real(self, cluster, namespace, release)

    monkeypatch.setattr(AppStore, "helm_revisions", slow)
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot, "eu-web")
        await pilot.pause(0.3)
        assert {cells(screen, key)[REV] for key in screen.releases} == {"–"}
        gate.set()
        await wait_until(pilot, lambda: cells(screen, "eu-web")[REV] == "2", "filled in", 10)
