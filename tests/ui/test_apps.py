"""The Apps section on the sandbox's seeded Helm releases: the list with its tones, a release's
history, the diff with the revision before, values hidden until `x`."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config
from kstui.model import Tone
from kstui.screens.apps import AppsScreen
from kstui.screens.helm_release import ReleaseScreen
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.ui.conftest import drawn, type_text, wait_until


def apps_app(
    kubeconfig: Path,
    cache_dir: Path,
    *,
    frozen_now: float | None = None,
    screen: str = "apps",
    context: str = "host",
    namespace: str = "payments",
) -> KstuiApp:
    """The real app, made as the CLI makes it with `--screen apps`."""
    loaded = load_kubeconfig(str(kubeconfig))
    return build_app(
        AppSettings(
            loaded,
            context,
            namespace,
            config=Config(),
            screen=screen,
            frozen_now=frozen_now,
            cache_dir=cache_dir,
        )
    )


async def releases(pilot: Pilot[Any]) -> AppsScreen:
    """The release list once the three seeded releases are decoded."""
    await wait_until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, AppsScreen)
            and {"web", "payments-db", "search-index"}
            <= {r.release for r in pilot.app.screen.latest.values()}
        ),
        "the seeded releases",
    )
    screen = pilot.app.screen
    assert isinstance(screen, AppsScreen)
    return screen


def body(screen: TextViewScreen) -> str:
    shown = screen.query_one("#body", Static).content
    return str(getattr(shown, "code", None) or getattr(shown, "plain", shown))


async def open_view(pilot: Pilot[Any], key: str) -> TextViewScreen:
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, TextViewScreen), key)
    assert isinstance(pilot.app.screen, TextViewScreen)
    return pilot.app.screen


async def test_the_list_shows_each_release_newest_revision_with_its_tone(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await releases(pilot)
        table = screen.query_one(ResourceTable)
        rows = {key: table.row(key) for key in table.visible_keys}
        web = rows["storefront/web"]
        assert web is not None
        assert web.cells[:6] == ("storefront", "web", "3", "deployed", "nginx-18.2.0", "1.27.3")
        assert web.tone is Tone.NORMAL
        failed = rows["payments/payments-db"]
        assert failed is not None
        assert (failed.cells[3], failed.tone) == ("failed", Tone.ERROR)
        pending = rows["default/search-index"]
        assert pending is not None
        assert (pending.cells[2], pending.cells[3], pending.tone) == (
            "2",
            "pending-upgrade",
            Tone.WARN,
        )
        note = str(screen.query_one("#note", Plain).render())
        assert "read-only" in note
        assert "Helm's release Secrets" in note
        assert "apps › helm releases(all)" in str(screen.query_one("#crumbs", Plain).render())


async def test_enter_opens_the_history_and_d_diffs_with_the_revision_before(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await releases(pilot)
        assert screen.query_one(ResourceTable).move_cursor_to("storefront/web")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, ReleaseScreen)
                and app.screen.query_one(ResourceTable).row_count == 3
            ),
            "the history",
        )
        history = app.screen.query_one(ResourceTable)
        assert history.visible_keys == ("3", "2", "1")  # newest first
        bar = app.screen.query_one(ContextBar)
        await wait_until(pilot, lambda: bar.synced_at is not None, "the header's age, not loading")
        assert "loading" not in bar.render().plain
        cells = [history.row(k).cells[:4] for k in history.visible_keys]  # type: ignore[union-attr]
        assert cells == [
            ("3", "deployed", "nginx-18.2.0", "1.27.3"),
            ("2", "superseded", "nginx-18.1.0", "1.27.0"),
            ("1", "superseded", "nginx-18.1.0", "1.27.0"),
        ]
        assert history.row("1").tone is Tone.MUTED  # type: ignore[union-attr]
        diff = await open_view(pilot, "D")
        text = body(diff)
        assert "-replicaCount: <hidden: 1 bytes>\n+replicaCount: <hidden: 1 bytes>\n" in text
        assert "s3cr3t" not in text
        assert "-  replicas: 2\n+  replicas: 3\n" in text  # the manifest
        await pilot.press("x")
        text = body(diff)
        assert "-replicaCount: 2\n+replicaCount: 3\n" in text
        assert "-  password: s3cr3t-2\n+  password: s3cr3t-3\n" in text
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "back")
        manifest = await open_view(pilot, "M")  # revision 3's: a Secret in it, hidden
        assert "kind: Secret" in body(manifest)
        assert "  password: <hidden: 8 bytes>" in body(manifest)
        await pilot.press("x")
        assert "  password: s3cr3t-3" in body(manifest)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "back")
        history.move_cursor_to("1")
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, ReleaseScreen)  # nothing before revision 1


async def test_values_are_hidden_until_x_and_notes_and_manifest_open(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await releases(pilot)
        assert screen.query_one(ResourceTable).move_cursor_to("payments/payments-db")
        values = await open_view(pilot, "v")
        assert "pg-admin-pw" not in body(values)
        assert "postgresPassword: <hidden: 11 bytes>" in body(values)
        assert "x reveals" in str(values.query_one("#title", Plain).render())
        await pilot.press("x")
        assert "postgresPassword: pg-admin-pw" in body(values)
        await pilot.press("q")
        notes = await open_view(pilot, "t")
        assert "port-forward svc/payments-db" in body(notes)
        await pilot.press("q")
        manifest = await open_view(pilot, "M")
        assert "image: postgres:16.4" in body(manifest)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "back")
        secret = await open_view(pilot, "y")
        title = str(secret.query_one("#title", Plain).render())
        assert "payments/sh.helm.release.v1.payments-db.v1" in title
        assert "x reveals" in title  # a Secret's YAML: masked as ever


async def test_the_number_key_and_the_command_open_the_section(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache", screen="resources")
    async with app.run_test(size=(140, 30)) as pilot:
        await pilot.press("3")
        await releases(pilot)
        await pilot.press("1")
        await wait_until(pilot, lambda: not isinstance(app.screen, AppsScreen), "resources")
        await type_text(pilot, ":apps")
        await pilot.press("enter")
        await releases(pilot)


async def test_a_tenant_who_may_not_read_secrets_everywhere_is_told_so_and_offered_a(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache", context="tenant", namespace="shop-prod")
    async with app.run_test(size=(140, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, AppsScreen), "apps")
        table = app.screen.query_one(ResourceTable)
        await wait_until(pilot, lambda: "A lists shop-prod only" in table._empty_message, "why")
        assert "forbidden" in table._empty_message.lower()
        # the header says what is denied, and nothing claims to be loading
        await wait_until(pilot, lambda: "[—]" in str(app.screen.query_one("#crumbs").render()), "—")
        header = app.screen.query_one(ContextBar).render().plain
        assert "forbidden: alice cannot list secrets" in header, header


async def test_an_unreadable_release_secret_is_a_row_that_says_why(
    sandbox: RunningSandbox, tmp_path: Path, kube: Any
) -> None:
    await kube.create(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ui-helm-broken"}},
    )
    await kube.create(
        "/api/v1/namespaces/ui-helm-broken/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "helm.sh/release.v1",
            "metadata": {
                "name": "sh.helm.release.v1.mangled.v7",
                "labels": {"owner": "helm", "name": "mangled", "status": "deployed"},
            },
            "data": {"release": base64.b64encode(b"H4sI not base64 at all").decode()},
        },
    )
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await releases(pilot)
        await wait_until(pilot, lambda: "ui-helm-broken/mangled" in screen.latest, "the row")
        row = screen.query_one(ResourceTable).row("ui-helm-broken/mangled")
        assert row is not None
        assert row.cells[1:5] == ("mangled", "7", "deployed", "(unreadable)")
        assert row.tone is Tone.ERROR
        assert screen.query_one(ResourceTable).row("storefront/web") is not None  # the rest
        assert screen.query_one(ResourceTable).move_cursor_to("ui-helm-broken/mangled")
        values = await open_view(pilot, "v")
        assert body(values) == (
            "cannot read Secret ui-helm-broken/sh.helm.release.v1.mangled.v7: "
            "not base64 inside: Only base64 data is allowed"
        )


async def test_a_long_view_title_wraps_at_80_columns_rather_than_lose_its_end(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    app = apps_app(sandbox.kubeconfig, tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await releases(pilot)
        assert screen.query_one(ResourceTable).move_cursor_to("default/search-index")
        values = await open_view(pilot, "v")
        await pilot.pause(0.2)
        title = values.query_one("#title", Plain)
        shown = drawn(title)
        assert shown.endswith("x reveals)"), shown
