"""The app store in the Apps section, on the sandbox over real HTTP, with a real chart archive
served from a thread: the store listing, install (the exact ApplicationRelease), values refused
before sending, a release followed through the states a controller writes, upgrade, uninstall,
re-sync, and a tenant who may install only into its own projects."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Select, TextArea

from kstui.backends.errors import NotFound
from kstui.backends.kube import KubeClient
from kstui.screens.app_forms import InstallForm, UpgradeForm
from kstui.screens.app_releases import ProgressScreen, ReleasesScreen
from kstui.screens.app_repo_form import AddRepoForm
from kstui.screens.app_repos import ReposScreen
from kstui.screens.app_store_screen import StoreScreen, VersionsScreen
from kstui.screens.apps import AppsScreen
from kstui.screens.confirm import ConfirmModal
from kstui.screens.help import HelpModal
from kstui.screens.logs import LogsScreen
from kstui.screens.resources import ResourcesScreen
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from tests.app_store_seeds import API, chart_archive, chart_server, seed_app
from tests.conftest import MemoryKeyring, RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import type_text, wait_until
from tests.ui.test_apps import apps_app

APP = "teststore-demo"
SIZE = (120, 36)


@pytest.fixture(scope="module")
def charts() -> Iterator[str]:
    archives = {
        f"/{APP}-2.0.0.tgz": chart_archive("demo", "2.0.0"),
        f"/{APP}-1.0.0.tgz": chart_archive("demo", "1.0.0"),
    }
    with chart_server(archives) as url:
        yield url


@pytest.fixture
async def admin(sandbox: RunningSandbox, charts: str) -> AsyncIterator[KubeClient]:
    client = sandbox_client(sandbox)
    await seed_app(
        client,
        APP,
        charts,
        versions={"2.0.0": "active", "1.0.0": "active", "0.9.0": "draft"},
        category="databases",
        alias="demo",
    )
    await seed_app(client, "teststore-draft", charts, versions={"0.1.0": "draft"})
    await client.patch(
        f"{API}/applications/teststore-draft/status", {"status": {"state": "draft"}}, "merge"
    )
    yield client
    await client.aclose()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:5]}"


async def on_screen(pilot: Pilot[Any], kind: type, what: str) -> Any:
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, kind) and pilot.app.screen.loaded, what
    )
    return pilot.app.screen


def keys(table: ResourceTable) -> tuple[str, ...]:
    return table.visible_keys


async def open_store(pilot: Pilot[Any]) -> StoreScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AppsScreen), "apps")
    await pilot.press("S")
    return await on_screen(pilot, StoreScreen, "the store")


async def test_the_store_lists_active_apps_by_category_and_searches(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        store = await open_store(pilot)
        apps = store.query_one("#apps", ResourceTable)
        await wait_until(pilot, lambda: APP in keys(apps), "the seeded app")
        assert "teststore-draft" not in keys(apps)  # a draft is not in the store
        # cluster-scoped objects: the header names the store, not "ns all"
        assert store.query_one(ContextBar).namespace == "(app store)"
        assert {"bitnami-nginx", "bitnami-redis", "bitnami-postgresql"} <= set(keys(apps))
        categories = store.query_one("#categories", ResourceTable)
        assert categories.row("databases").cells[0] == "Databases"  # type: ignore[union-attr]
        categories.move_cursor_to("databases")
        await wait_until(pilot, lambda: "bitnami-nginx" not in keys(apps), "databases only")
        assert set(keys(apps)) == {"bitnami-redis", "bitnami-postgresql", APP}
        assert "store(databases)[3]" in str(store.query_one("#crumbs", Plain).render())
        await type_text(pilot, "/post")
        await wait_until(pilot, lambda: keys(apps) == ("bitnami-postgresql",), "the search")
        await pilot.press("escape")
        apps.focus()
        apps.move_cursor_to(APP)
        await pilot.press("enter")
        versions = await on_screen(pilot, VersionsScreen, "the versions")
        table = versions.query_one(ResourceTable)
        await wait_until(pilot, lambda: table.row_count == 2, "two versions")
        assert keys(table) == (f"{APP}-2.0.0", f"{APP}-1.0.0")  # newest first, no draft
        assert "1 not active" in str(versions.query_one("#crumbs", Plain).render())
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "the chart")
        text = app.screen.render_text(False)  # type: ignore[attr-defined]
        assert "name: demo" in text
        assert "A chart for the app store's tests." in text
        assert "values.schema.json" in text
        await pilot.press("q")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "the values")
        assert app.screen.render_text(False) == "replicaCount: 1\nimage:\n  tag: '1.0'\n"  # type: ignore[attr-defined]


async def test_a_chart_that_is_not_there_says_so_in_one_line(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await open_store(pilot)
        await pilot.press("q")
        store = await open_store(pilot)
        store.query_one("#apps", ResourceTable).move_cursor_to(APP)
        await pilot.press("enter")
        versions = await on_screen(pilot, VersionsScreen, "versions")
        await wait_until(pilot, lambda: versions.query_one(ResourceTable).row_count, "rows")
        version = versions.selected()
        assert version is not None
        gone = version.__class__(**{**_fields(version), "pull_url": "http://127.0.0.1:9/x.tgz"})
        files = await versions.store.chart(gone)
        assert files.problem.startswith("cannot reach http://127.0.0.1:9/x.tgz")
        assert "\n" not in files.problem


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


async def open_install(pilot: Pilot[Any], version: str = "2.0.0") -> InstallForm:
    store = await open_store(pilot)
    apps = store.query_one("#apps", ResourceTable)
    await wait_until(pilot, lambda: APP in keys(apps), "the app")
    apps.move_cursor_to(APP)
    await pilot.press("enter")
    versions = await on_screen(pilot, VersionsScreen, "versions")
    table = versions.query_one(ResourceTable)
    await wait_until(pilot, lambda: table.row_count == 2, "versions")
    table.move_cursor_to(f"{APP}-{version}")
    await wait_until(pilot, lambda: versions.allowed("install"), "the permission")
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InstallForm), "the form")
    form = pilot.app.screen
    assert isinstance(form, InstallForm)
    await wait_until(
        pilot,
        lambda: (
            form.value_of("project") == "shop-prod"
            and form.query_one("#values", TextArea).text.startswith("replicaCount")
        ),
        "the form's choices and the chart's values",
    )
    return form


async def test_install_creates_the_exact_release_and_follows_it(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    name = unique("demo")
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_install(pilot)
        assert (form.value_of("workspace"), form.value_of("cluster")) == ("acme-retail", "host")
        form.query_one("#name").value = name  # type: ignore[attr-defined]
        form.query_one("#alias").value = "Demo shop"  # type: ignore[attr-defined]
        values = "replicaCount: 3\nimage:\n  tag: '2.0'\n"
        form.query_one("#values", TextArea).text = values
        await pilot.pause()
        await pilot.press("ctrl+y")  # the dry run shows the exact object
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "the preview")
        preview = app.screen.render_text(False)  # type: ignore[attr-defined]
        assert "appVersionID: teststore-demo-2.0.0" in preview
        assert f"values: {base64.b64encode(values.encode()).decode()}" in preview
        assert "#   replicaCount: 3" in preview
        with pytest.raises(NotFound):  # a dry run wrote nothing
            await admin.get(f"{API}/applicationreleases/{name}")
        await pilot.press("q")
        await pilot.press("ctrl+s")
        progress = await on_screen(pilot, ProgressScreen, "the progress")
        stored = await admin.get(f"{API}/applicationreleases/{name}")
        assert stored["metadata"]["labels"] == {
            "kubesphere.io/cluster": "host",
            "kubesphere.io/workspace": "acme-retail",
            "kubesphere.io/namespace": "shop-prod",
            "application.kubesphere.io/app-id": APP,
            "application.kubesphere.io/appversion-id": f"{APP}-2.0.0",
            "application.kubesphere.io/app-type": "helm",
        }
        assert stored["metadata"]["annotations"] == {
            "kubesphere.io/creator": "admin",  # who the API server says we are
            "kubesphere.io/alias-name": "Demo shop",
            "application.kubesphere.io/app-versionName": "2.0.0",
        }
        assert stored["spec"] == {
            "appID": APP,
            "appVersionID": f"{APP}-2.0.0",
            "appType": "helm",
            "values": base64.b64encode(values.encode()).decode(),
        }
        # the sandbox's controller takes it (creating) and, as KubeSphere does, waits for a
        # chart it cannot read (this test's chart is served from the test, not the sandbox)
        transitions = progress.query_one("#transitions", Plain)
        await wait_until(pilot, lambda: "creating" in str(transitions.render()), "creating")
        await admin.delete(f"{API}/applicationreleases/{name}")


async def test_an_install_from_a_repo_goes_active_on_screen_and_l_shows_helm(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    """End to end with the sandbox's own controllers and chart repo: the form creates the
    release, the controller runs Helm's job, and the screen follows it to active; `l` opens
    the job pod's log (found by the job the release's status names)."""
    name = unique("nginx")
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        store = await open_store(pilot)
        apps = store.query_one("#apps", ResourceTable)
        await wait_until(pilot, lambda: "bitnami-nginx" in keys(apps), "nginx")
        apps.move_cursor_to("bitnami-nginx")
        await wait_until(pilot, lambda: store.allowed("install"), "the permission")
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, InstallForm), "the form")
        form = app.screen
        assert isinstance(form, InstallForm)
        await wait_until(pilot, lambda: bool(form.values().get("version")), "the versions")
        form.query_one("#name").value = name  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("ctrl+s")
        progress = await on_screen(pilot, ProgressScreen, "the progress")
        transitions = progress.query_one("#transitions", Plain)

        def states() -> list[str]:
            return [line.split("  ")[1] for line in str(transitions.render()).splitlines()]

        await wait_until(pilot, lambda: "active" in states(), "active", 30)
        assert "created" in states()  # about a second long, and not missed by the watch
        stored = await admin.get(f"{API}/applicationreleases/{name}")
        assert stored["status"]["state"] == "active"
        await wait_until(pilot, lambda: bool(progress.job_pods), "the Helm job pod")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "the log")
        assert app.screen.pod.startswith(f"helm-install-{name}-")  # type: ignore[attr-defined]
        await pilot.press("q")
    await admin.delete(f"{API}/applicationreleases/{name}")


async def test_a_failed_release_says_why_on_screen(sandbox: RunningSandbox, tmp_path: Path) -> None:
    """The seeded promo-site failed in its Helm job: the API server's reason is on screen."""
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot, "promo-site")
        await pilot.press("enter")
        progress = await on_screen(pilot, ProgressScreen, "the release")
        message = progress.query_one("#message", Plain)
        await wait_until(pilot, lambda: "failed" in str(message.render()), "the reason")
        said = str(message.render())
        assert said.startswith('failed: Release "promo-site" failed: '), said
        assert message.has_class("-failed")


async def test_a_deploy_failed_release_shows_helms_reason_from_its_job_log(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """KubeSphere records only "job has failed"; Helm's reason is in the job's log, and the
    screen shows it (the seeded lab-broken: values its chart's schema refuses)."""
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot, "lab-broken")
        await pilot.press("enter")
        progress = await on_screen(pilot, ProgressScreen, "the release")
        message = progress.query_one("#message", Plain)
        await wait_until(pilot, lambda: "helm:" in str(message.render()), "Helm's reason")
        said = str(message.render()).splitlines()
        assert said[0].startswith("failed: deploy failed, job helm-install-lab-broken-"), said
        assert said[1].endswith("broken-app: - database: host is required"), said


async def test_schema_invalid_values_are_refused_before_sending(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    name = unique("demo")
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_install(pilot)
        form.query_one("#name").value = name  # type: ignore[attr-defined]
        form.query_one("#values", TextArea).text = "image:\n  tag: '2.0'\nreplicaCount: many\n"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one("#values-error", Plain).render())
        assert error == "line 3: replicaCount: 'many' is not of type 'integer'"
        form.query_one("#values", TextArea).text = "replicaCount: [1\n"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one("#values-error", Plain).render())
        assert error.startswith("line 2: not YAML:")
        assert isinstance(app.screen, InstallForm)
        with pytest.raises(NotFound):
            await admin.get(f"{API}/applicationreleases/{name}")


async def test_a_taken_release_name_is_said_on_the_name_field(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_install(pilot)
        form.query_one("#name").value = "shop-cache"  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("ctrl+s")
        error = form.query_one("#name-error", Plain)
        await wait_until(pilot, lambda: "already exists" in str(error.render()), "the refusal")
        assert str(error.render()) == "shop-cache already exists"


async def test_the_webhooks_refusal_reaches_the_form(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    """The version is suspended after the form listed it: the sandbox's admission webhook
    (as KubeSphere's) refuses the release, and the form says so and stays open."""
    status = f"{API}/applicationversions/{APP}-2.0.0/status"
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_install(pilot)
        form.query_one("#name").value = unique("late")  # type: ignore[attr-defined]
        await admin.patch(status, {"status": {"state": "suspended"}}, "merge")
        try:
            await pilot.pause()
            await pilot.press("ctrl+s")
            outcome = form.query_one("#outcome", Plain)
            await wait_until(pilot, lambda: "denied" in str(outcome.render()), "the refusal")
            said = str(outcome.render())
            assert "invalid application version" in said, said
            assert "suspended" in said, said
            assert app.screen is form
        finally:
            await admin.patch(status, {"status": {"state": "active"}}, "merge")


async def make_release(admin: KubeClient, name: str, *, finalizer: bool = False) -> None:
    metadata: dict[str, Any] = {
        "name": name,
        "labels": {
            "kubesphere.io/cluster": "host",
            "kubesphere.io/workspace": "acme-retail",
            "kubesphere.io/namespace": "shop-staging",
            "application.kubesphere.io/app-id": APP,
            "application.kubesphere.io/appversion-id": f"{APP}-1.0.0",
            "application.kubesphere.io/app-type": "helm",
        },
        "annotations": {
            "kubesphere.io/creator": "admin",
            "application.kubesphere.io/app-versionName": "1.0.0",
        },
    }
    if finalizer:
        metadata["finalizers"] = ["helmrelease.application.kubesphere.io"]
    await admin.create(
        f"{API}/applicationreleases",
        {
            "apiVersion": "application.kubesphere.io/v2",
            "kind": "ApplicationRelease",
            "metadata": metadata,
            "spec": {
                "appID": APP,
                "appVersionID": f"{APP}-1.0.0",
                "appType": "helm",
                "values": base64.b64encode(b"replicaCount: 1\n").decode(),
            },
        },
    )
    await admin.patch(
        f"{API}/applicationreleases/{name}/status",
        {"status": {"state": "active", "message": "Install complete"}},
    )


async def open_releases(pilot: Pilot[Any], name: str) -> ReleasesScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AppsScreen), "apps")
    await pilot.press("R")
    screen = await on_screen(pilot, ReleasesScreen, "the releases")
    table = screen.query_one(ResourceTable)
    await wait_until(pilot, lambda: name in keys(table), "the release")
    table.move_cursor_to(name)
    return screen


async def test_upgrade_patches_version_values_and_labels_after_a_diff(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    name = unique("up")
    await make_release(admin, name)
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot, name)
        row = screen.query_one(ResourceTable).row(name)
        assert row is not None
        assert row.cells[:6] == (name, "active", "host", "shop-staging", APP, "1.0.0")
        assert row.cells[8:] == ("acme-retail", "Install complete")
        await wait_until(pilot, lambda: screen.allowed("upgrade"), "the permission")
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, UpgradeForm), "the form")
        form = app.screen
        assert isinstance(form, UpgradeForm)
        assert form.query_one("#values", TextArea).text == "replicaCount: 1\n"
        form.query_one("#version", Select).value = f"{APP}-2.0.0"
        form.query_one("#values", TextArea).text = "replicaCount: 2\n"
        await pilot.pause()
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, TextViewScreen), "the diff")
        diff = app.screen.render_text(False)  # type: ignore[attr-defined]
        assert "-replicaCount: 1\n+replicaCount: 2\n" in diff
        await pilot.press("q")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReleasesScreen), "sent")
        stored = await admin.get(f"{API}/applicationreleases/{name}")
        assert stored["spec"] == {
            "appID": APP,
            "appVersionID": f"{APP}-2.0.0",
            "appType": "helm",
            "values": base64.b64encode(b"replicaCount: 2\n").decode(),
        }
        labels = stored["metadata"]["labels"]
        assert labels["application.kubesphere.io/appversion-id"] == f"{APP}-2.0.0"
        notes = stored["metadata"]["annotations"]
        assert notes["application.kubesphere.io/app-versionName"] == "2.0.0"
        assert notes["kubesphere.io/creator"] == "admin"  # unchanged
        await admin.delete(f"{API}/applicationreleases/{name}")


async def test_uninstall_names_release_cluster_and_project_then_deletes(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    name = unique("bye")
    await make_release(admin, name, finalizer=True)
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_releases(pilot, name)
        await wait_until(pilot, lambda: screen.allowed("uninstall"), "the permission")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        question = str(app.screen.query_one("#question", Plain).render())
        assert question == f"Uninstall {name} from project shop-staging on cluster host?"
        await pilot.press("y")
        table = screen.query_one(ResourceTable)

        # the finalizer holds it until the sandbox's controller has run helm uninstall; then
        # it is gone from the server and from the list
        async def gone() -> bool:
            try:
                await admin.get(f"{API}/applicationreleases/{name}")
            except NotFound:
                return True
            return False

        for _ in range(60):
            if await gone():
                break
            await pilot.pause(0.5)
        assert await gone(), "the controller ran the uninstall and let it go"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: name not in keys(table), "gone from the list")


async def synced(admin: KubeClient) -> int:
    """How many times the repo controller has said it synced the bitnami repo."""
    listed = await admin.list(
        "/api/v1/namespaces/default/events", {"fieldSelector": "involvedObject.name=bitnami"}
    )
    return sum(int(e.get("count") or 1) for e in listed["items"] if e["reason"] == "Synced")


async def test_resync_writes_manual_trigger_through_status(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "apps")
        await pilot.press("P")
        screen = await on_screen(pilot, ReposScreen, "repos")
        table = screen.query_one(ResourceTable)
        assert table.row("bitnami").cells[:2] == ("bitnami", "successful")  # type: ignore[union-attr]
        await wait_until(pilot, lambda: screen.allowed("resync"), "the permission")
        before = await synced(admin)
        await pilot.press("T")
        # the repo controller answers the manualTrigger written through /status with a sync:
        # one more Synced event, and the repo back at successful on screen
        for _ in range(40):
            if await synced(admin) > before:
                break
            await pilot.pause(0.25)
        assert await synced(admin) > before, "the trigger reached the controller"
        await wait_until(
            pilot,
            lambda: table.row("bitnami").cells[1] == "successful",  # type: ignore[union-attr]
            "synced",
        )
        await pilot.press("H")
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "back home")


NAMESPACE_READER = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "teststore-namespace-reader"},
    "rules": [{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}],
}
NAMESPACE_READER_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRoleBinding",
    "metadata": {"name": "teststore-alice"},
    "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "teststore-namespace-reader",
    },
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
}
RBAC = "/apis/rbac.authorization.k8s.io/v1"


async def test_a_tenant_may_install_only_into_its_own_projects_and_is_told_why(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    """alice as the sandbox has her (a member of acme-retail, admin of shop-prod): the store is
    hers to browse, as every signed-in user's in KubeSphere, and shop-prod hers to install
    into. Let her see every project, and bob's is refused with the reason before sending."""
    name = unique("mine")
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache", context="tenant", namespace="shop-prod")
    async with app.run_test(size=SIZE) as pilot:
        store = await open_store(pilot)
        apps = store.query_one("#apps", ResourceTable)
        await wait_until(pilot, lambda: APP in keys(apps), "the store, read as alice")
        assert store.problem is None
        await pilot.press("escape")
        form = await open_install(pilot)
        await wait_until(pilot, lambda: ("host", "shop-prod") in form.asked, "asked")
        assert ("host", "shop-prod") not in form.denied  # her own project
        assert form.query_one("#send").disabled is False
        assert str(form.query_one(".detail", Plain).render()) == (  # why no other is offered
            "Offered: the projects alice can see (RBAC denies list namespaces on host)"
        )
    await admin.create(f"{RBAC}/clusterroles", NAMESPACE_READER)
    await admin.create(f"{RBAC}/clusterrolebindings", NAMESPACE_READER_BINDING)
    try:
        app = apps_app(
            sandbox.kubeconfig, tmp_path / "cache2", context="tenant", namespace="shop-prod"
        )
        async with app.run_test(size=SIZE) as pilot:
            form = await open_install(pilot)
            assert form.value_of("workspace") == "acme-retail"
            form.query_one("#name").value = name  # type: ignore[attr-defined]
            await pilot.pause()
            form.query_one("#workspace", Select).value = "beta-labs"  # bob's, not hers
            await wait_until(pilot, lambda: form.value_of("project") == "data-pipeline", "bob's")
            error = form.query_one("#project-error", Plain)
            await wait_until(pilot, lambda: "RBAC denies" in str(error.render()), "the denial")
            assert str(error.render()).startswith(
                "Helm runs as alice, and RBAC denies create secrets in data-pipeline on host: "
                "not a project of yours"
            )
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, InstallForm)  # not sent
            with pytest.raises(NotFound):
                await admin.get(f"{API}/applicationreleases/{name}")
            form.query_one("#workspace", Select).value = "acme-retail"
            await wait_until(pilot, lambda: form.value_of("project") == "shop-prod", "hers")
            await pilot.press("ctrl+s")
            await on_screen(pilot, ProgressScreen, "installed")
            stored = await admin.get(f"{API}/applicationreleases/{name}")
            assert stored["metadata"]["annotations"]["kubesphere.io/creator"] == "alice"
            assert stored["metadata"]["labels"]["kubesphere.io/namespace"] == "shop-prod"
            await admin.delete(f"{API}/applicationreleases/{name}")
    finally:
        await admin.delete(f"{RBAC}/clusterrolebindings/teststore-alice")
        await admin.delete(f"{RBAC}/clusterroles/teststore-namespace-reader")


async def test_add_repo_writes_the_repo_and_keeps_the_credential_in_the_keyring(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    name = unique("private")
    memory = MemoryKeyring()
    before = keyring.get_keyring()
    keyring.set_keyring(memory)
    try:
        app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "apps")
            await pilot.press("P")
            screen = await on_screen(pilot, ReposScreen, "repos")
            await wait_until(pilot, lambda: screen.allowed("add"), "the permission")
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, AddRepoForm), "the form")
            form = app.screen
            assert "OS keyring" in str(form.query_one(".detail", Plain).render())
            for field, value in (
                ("name", name),
                ("url", "https://charts.example.com/private"),
                ("username", "robot"),
                ("password", "s3cr3t-pw"),
            ):
                form.query_one(f"#{field}").value = value  # type: ignore[attr-defined]
            await pilot.pause()
            await pilot.press("ctrl+s")
            table = screen.query_one(ResourceTable)
            await wait_until(pilot, lambda: name in keys(table), "the new repo")
        stored = await admin.get(f"{API}/repos/{name}")
        assert stored["spec"]["credential"] == {"username": "robot", "password": "s3cr3t-pw"}
        assert stored["metadata"]["annotations"] == {"kubesphere.io/creator": "admin"}
        assert json.loads(memory.secrets[("kstui-app-repo", f"host/{name}")]) == [
            "robot",
            "s3cr3t-pw",
        ]
        assert not _files_holding(tmp_path, b"s3cr3t-pw")  # no file kstui wrote holds it
        await admin.delete(f"{API}/repos/{name}")
    finally:
        keyring.set_keyring(before)


def _files_holding(root: Path, secret: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret in p.read_bytes()]


async def test_l_opens_the_log_of_the_release_helm_job_pod(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    name = unique("logged")
    await make_release(admin, name)
    pod = f"helm-install-{name}-x7k2p"
    await admin.create(
        "/api/v1/namespaces/shop-staging/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pod,
                "labels": {"application.kubesphere.io/app-release-name": name},
            },
            "spec": {"containers": [{"name": "helm", "image": "kubesphere/helm:v3.15"}]},
        },
    )
    for revision, status in ((1, "superseded"), (2, "deployed")):  # Helm's own records
        await admin.create(
            "/api/v1/namespaces/shop-staging/secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "helm.sh/release.v1",
                "metadata": {
                    "name": f"sh.helm.release.v1.{name}.v{revision}",
                    "labels": {
                        "owner": "helm",
                        "name": name,
                        "status": status,
                        "version": str(revision),
                    },
                },
                "data": {"release": ""},
            },
        )
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await open_releases(pilot, name)
        await pilot.press("enter")
        progress = await on_screen(pilot, ProgressScreen, "the release")
        table = progress.query_one(ResourceTable)
        await wait_until(pilot, lambda: f"pods/{pod}" in keys(table), "the job pod")
        summary = str(progress.query_one("#summary", Plain).render())
        assert summary.endswith("state active  helm revision 2 deployed")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogsScreen), "the log")
        assert app.screen.pod == pod  # type: ignore[attr-defined]
        await pilot.press("q")
        await wait_until(pilot, lambda: app.screen is progress, "back")
        table.move_cursor_to(f"pods/{pod}")
        await pilot.press("enter")  # what a release made opens in the resource browser
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "browser")
        browser = app.screen
        assert isinstance(browser, ResourcesScreen)
        await wait_until(pilot, lambda: browser.loaded, "the pods")
        assert browser.namespace == "shop-staging"
        cursor = browser.query_one(ResourceTable)
        await wait_until(
            pilot,
            lambda: browser.names.get(cursor.cursor_key or "") == ("shop-staging", pod),
            "on it",
        )
    await admin.delete(f"/api/v1/namespaces/shop-staging/pods/{pod}")
    for revision in (1, 2):
        await admin.delete(
            f"/api/v1/namespaces/shop-staging/secrets/sh.helm.release.v1.{name}.v{revision}"
        )
    await admin.delete(f"{API}/applicationreleases/{name}")


async def test_help_lists_the_section_views_on_every_view(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "apps")
        for key, kind in (("H", AppsScreen), ("S", StoreScreen), ("R", ReleasesScreen)):
            await pilot.press(key)
            await wait_until(pilot, lambda k=kind: isinstance(app.screen, k), f"{key}")
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: isinstance(app.screen, HelpModal), "help")
            help_modal = app.screen
            assert isinstance(help_modal, HelpModal)
            shown = {(line.keys, line.label) for line in help_modal.lines}
            assert {("S", "store"), ("R", "releases"), ("P", "repos")} <= shown
            assert ("H", "helm") in shown
            await pilot.press("escape")


async def test_ctrl_o_edits_the_values_in_editor_and_they_are_checked(
    sandbox: RunningSandbox,
    admin: KubeClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'replicaCount: 0\\n' > \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("KUBE_EDITOR", raising=False)
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=SIZE) as pilot:
        form = await open_install(pilot)
        await pilot.press("ctrl+o")
        area = form.query_one("#values", TextArea)
        await wait_until(pilot, lambda: area.text == "replicaCount: 0\n", "the edited values")
        error = form.query_one("#values-error", Plain)
        await wait_until(pilot, lambda: "minimum" in str(error.render()), "the schema")
        assert str(error.render()) == "line 1: replicaCount: 0 is less than the minimum of 1"


FIELDS = ("workspace", "cluster", "project", "version", "name", "alias", "values")


def shown(pilot: Pilot[Any], widget: Widget) -> bool:
    """The widget is drawn on screen at its place: what is under its first cell is it (or a
    part of it), and that cell is inside the terminal."""
    region = widget.region
    width, height = pilot.app.size
    if not region or region.bottom > height or region.right > width:
        return False
    under, _ = pilot.app.screen.get_widget_at(region.x, region.y)
    return under is widget or widget in under.ancestors_with_self


async def test_the_install_form_fits_80x24_with_its_buttons_always_on_screen(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_install(pilot)
        await pilot.pause(0.2)
        send, cancel = form.query_one("#send", Button), form.query_one("#cancel", Button)
        values = form.query_one("#values", TextArea)
        assert values.region.height >= 5, values.region  # room to edit, not 2 lines
        seen: set[str] = set()
        for _ in range(20):  # tab goes round: name, alias, values, the buttons, workspace, …
            focused = app.focused
            assert focused is not None
            if focused.id in FIELDS:
                seen.add(focused.id)
                assert shown(pilot, focused), f"{focused.id} is not on screen"
            assert shown(pilot, send), f"send hidden at {focused.id}"
            assert shown(pilot, cancel), f"cancel hidden at {focused.id}"
            if seen == set(FIELDS):
                break
            await pilot.press("tab")
            await pilot.pause()
        assert seen == set(FIELDS)
