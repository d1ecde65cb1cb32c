"""Writes on a slow server, through the UI: in flight on the row and the status line, read
back when no answer comes, and an edit the server did not take kept for the next `e`."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.backend import BackendSettings
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.config import Config
from kstui.screens.confirm import ConfirmModal
from kstui.screens.scale import ScaleModal
from kstui.screens.workspace_forms import CreateWorkspaceModal
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.write_status import WriteStatus
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, move_to, wait_until, workspaces_app
from tests.ui.test_workspaces import TEMPLATES, modal, ready
from tests.ui.test_workspaces import type_text as tenancy_type
from tests.ui.test_writes import deployment, editor, make_namespace

WAIT = 1.0
"""The app's write timeout; the sandbox answers LATE seconds after."""
LATE = 4.0


def slow_app(sandbox: RunningSandbox, tmp_path: Path, namespace: str, kind: str) -> KstuiApp:
    return build_app(
        AppSettings(
            load_kubeconfig(str(sandbox.kubeconfig)),
            "host",
            namespace,
            config=Config(),
            kind=kind,
            cache_dir=tmp_path / "cache",
            write_timeout=WAIT,
        )
    )


def late(sandbox: RunningSandbox, prefix: str, *, applied: bool = True) -> None:
    sandbox.call(sandbox.cluster().faults.answer_late, LATE, prefix, applied=applied)


def said(app: KstuiApp, start: str) -> Any:
    return next((n for n in app._notifications if n.message.startswith(start)), None)


def configmap(sandbox: RunningSandbox, namespace: str) -> dict[str, Any]:
    found = sandbox.stored(("", "configmaps"), namespace, "settings")
    assert found is not None
    return found


async def scale_to_five(pilot: Any, app: KstuiApp) -> None:
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, ScaleModal), "scale form")
    await pilot.press("end", *["backspace"] * 4, "5", "enter")


async def test_scale_without_an_answer_shows_in_flight_then_reads_back_applied(
    kube, sandbox, tmp_path
) -> None:
    await make_namespace(kube, "wo-scale")
    app = slow_app(sandbox, tmp_path, "wo-scale", "deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        rows = await loaded(pilot)
        late(sandbox, "/apis/apps/v1/namespaces/wo-scale/deployments/web/scale")
        await scale_to_five(pilot, app)
        status = app.screen.query_one(WriteStatus)
        await wait_until(
            pilot, lambda: status.texts == ["scaling Deployment wo-scale/web to 5…"], "in flight"
        )
        assert status.display
        assert rows.cursor_key in rows._pending
        what = "scale of Deployment wo-scale/web: "
        await wait_until(pilot, lambda: said(app, what), "the outcome", timeout=30)
        note = said(app, what)
        assert note.message == what + "no answer in 1 s; read back: replicas is 5 — applied"
        assert note.severity == "information"
        assert status.texts == []
        assert not status.display
        assert deployment(sandbox, "wo-scale")["spec"]["replicas"] == 5
        assert not any(n.severity == "error" for n in app._notifications)


async def test_scale_without_an_answer_that_was_not_applied_says_so(
    kube, sandbox, tmp_path
) -> None:
    await make_namespace(kube, "wo-noscale")
    app = slow_app(sandbox, tmp_path, "wo-noscale", "deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        rows = await loaded(pilot)
        late(sandbox, "/apis/apps/v1/namespaces/wo-noscale/deployments/web/scale", applied=False)
        await scale_to_five(pilot, app)
        what = "scale of Deployment wo-noscale/web: "
        await wait_until(pilot, lambda: said(app, what), "the outcome", timeout=30)
        note = said(app, what)
        assert (
            note.message == what + "no answer in 1 s; read back: replicas is 1, not 5 — not applied"
        )
        assert note.severity == "error"
        assert note.title == "not applied"
        assert rows.cursor_key not in rows._pending  # no change is coming
        assert deployment(sandbox, "wo-noscale")["spec"]["replicas"] == 1


async def test_delete_without_an_answer_reads_back_applied(kube, sandbox, tmp_path) -> None:
    await make_namespace(kube, "wo-delete")
    app = slow_app(sandbox, tmp_path, "wo-delete", "cm")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        late(sandbox, "/api/v1/namespaces/wo-delete/configmaps/settings")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
        await pilot.press("y")
        what = "delete of ConfigMap wo-delete/settings: "
        await wait_until(pilot, lambda: said(app, what), "the outcome", timeout=30)
        assert said(app, what).message == what + "no answer in 1 s; read back: it is gone — applied"
        assert sandbox.stored(("", "configmaps"), "wo-delete", "settings") is None


def kept_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state" / "kstui" / "edits").glob("*.yaml"))


async def test_edit_put_without_an_answer_reads_back_applied(
    kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_namespace(kube, "wo-edit")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("KUBE_EDITOR", editor(tmp_path, "text = text.replace('blue', 'green')\n"))
    app = slow_app(sandbox, tmp_path, "wo-edit", "cm")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        late(sandbox, "/api/v1/namespaces/wo-edit/configmaps/settings")
        await pilot.press("e")
        what = "edit of ConfigMap wo-edit/settings: "
        await wait_until(pilot, lambda: said(app, what), "the outcome", timeout=30)
        assert (
            said(app, what).message
            == what + "no answer in 1 s; read back: your changes are there — applied"
        )
        assert configmap(sandbox, "wo-edit")["data"]["mode"] == "green"
        assert kept_files(tmp_path) == []


async def test_edit_put_without_an_answer_not_applied_keeps_the_text(
    kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_namespace(kube, "wo-noedit")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("KUBE_EDITOR", editor(tmp_path, "text = text.replace('blue', 'green')\n"))
    app = slow_app(sandbox, tmp_path, "wo-noedit", "cm")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        late(sandbox, "/api/v1/namespaces/wo-noedit/configmaps/settings", applied=False)
        await pilot.press("e")
        await wait_until(
            pilot, lambda: said(app, "no answer") or said(app, "PUT"), "kept", timeout=30
        )
        [kept] = kept_files(tmp_path)
        assert "mode: green" in kept.read_text()
        note = next(n for n in app._notifications if str(kept) in n.message)
        assert note.title == "edit of ConfigMap wo-noedit/settings: not applied"
        assert "read back: unchanged since it was read — not applied" in note.message
        assert configmap(sandbox, "wo-noedit")["data"]["mode"] == "blue"


async def test_a_failed_edit_keeps_the_text_and_e_reopens_it(
    kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_namespace(kube, "wo-kept")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    # The first pass edits, then arms a 500 for the PUT that follows (the GET came before).
    fault = {
        "action": "fail",
        "count": 1,
        "status": 500,
        "pathPrefix": "/api/v1/namespaces/wo-kept/configmaps/settings",
    }
    monkeypatch.setenv(
        "KUBE_EDITOR",
        editor(
            tmp_path,
            (
                "import httpx\n"
                "if calls == 1:\n"
                "    text = text.replace('blue', 'green')\n"
                f"    httpx.post('{sandbox.url()}/sandbox/faults', json={json.dumps(fault)}, "
                f"verify={sandbox.ca_file()!r}, "
                f"headers={{'Authorization': 'Bearer {sandbox.token()}'}}).raise_for_status()\n"
            ),
        ),
    )
    app = build_app(
        AppSettings(
            load_kubeconfig(str(sandbox.kubeconfig)),
            "host",
            "wo-kept",
            kind="cm",
            cache_dir=tmp_path / "cache",
        )
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        await pilot.press("e")
        await wait_until(
            pilot, lambda: said(app, "no answer") or said(app, "PUT"), "kept", timeout=30
        )
        [kept] = kept_files(tmp_path)
        assert kept.name.startswith("host_configmaps_wo-kept_settings_")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert "mode: green" in kept.read_text()
        note = next(n for n in app._notifications if str(kept) in n.message)
        assert note.title == "edit of ConfigMap wo-kept/settings not saved"
        assert "press e on the row to reopen it" in note.message
        assert configmap(sandbox, "wo-kept")["data"]["mode"] == "blue"

        await pilot.press("e")  # reopens the kept text, the error on top; saving sends it
        await wait_until(
            pilot,
            lambda: configmap(sandbox, "wo-kept")["data"]["mode"] == "green",
            "saved from the kept text",
            timeout=30,
        )
        second = (tmp_path / "seen2.yaml").read_text()
        assert second.startswith("# not saved: ")
        assert "InternalError" in second.split("\n# kept")[0]
        assert "mode: green" in second
        await wait_until(pilot, lambda: not kept.exists(), "kept file removed")


async def test_a_workspaces_form_without_an_answer_reports_it_applied(
    kube, sandbox, tmp_path
) -> None:
    app = workspaces_app(sandbox.kubeconfig, "host", tmp_path / "cache")
    app.session.settings = BackendSettings(cache_dir=tmp_path / "cache", write_timeout=WAIT)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, WorkspacesScreen)
        await pilot.press("a")
        form = await modal(pilot, CreateWorkspaceModal)
        await tenancy_type(pilot, "ui-late")
        late(sandbox, TEMPLATES)
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: "sending…" in str(form.query_one("#outcome", Static).render()),
            "in flight",
        )
        await wait_until(
            pilot, lambda: isinstance(app.screen, WorkspacesScreen), "closed", timeout=30
        )
        note = said(app, "created workspace ui-late")
        assert note.message.endswith(
            "no answer in 1 s; read back: ui-late exists as sent — applied"
        )
        assert (
            sandbox.stored(("tenant.kubesphere.io", "workspacetemplates"), "", "ui-late")
            is not None
        )
    await kube.delete(f"{TEMPLATES}/ui-late")
