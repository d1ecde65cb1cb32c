"""Delete, scale, restart and edit through the UI; every write verified on the sandbox."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.kube import KubeClient
from kstui.config import Config
from kstui.screens.confirm import ConfirmModal
from kstui.screens.scale import ScaleModal
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, move_to, type_text, wait_until

DEPLOY = "/apis/apps/v1/namespaces/{ns}/deployments"


async def make_namespace(kube: KubeClient, name: str, replicas: int = 1) -> None:
    await kube.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    await kube.create(
        DEPLOY.format(ns=name),
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
    )
    await kube.create(
        f"/api/v1/namespaces/{name}/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"mode": "blue"},
        },
    )


def deployment(sandbox: RunningSandbox, ns: str) -> dict[str, Any] | None:
    return sandbox.stored(("apps", "deployments"), ns, "web")


async def test_delete_asks_first_and_names_the_object(make_app, kube, sandbox) -> None:
    await make_namespace(kube, "ui-delete")
    app = make_app(namespace="ui-delete", kind="cm")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
        assert app.screen.question == "Delete ConfigMap ui-delete/settings on host?"
        await pilot.press("n")
        await pilot.pause()
        assert sandbox.stored(("", "configmaps"), "ui-delete", "settings") is not None
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: sandbox.stored(("", "configmaps"), "ui-delete", "settings") is None,
            "deleted",
        )
        rows = app.screen.query_one("#table")
        await wait_until(
            pilot,
            lambda: all(rows.row(k).cells[0] != "settings" for k in rows.visible_keys),
            "row gone",
        )


async def test_scale_validates_then_writes(make_app, kube, sandbox) -> None:
    await make_namespace(kube, "ui-scale")
    app = make_app(namespace="ui-scale", kind="deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ScaleModal), "scale form")
        assert app.screen.current == 1
        await pilot.press("backspace", "minus", "2", "enter")
        assert isinstance(app.screen, ScaleModal)  # refused: not a count
        await pilot.press("end", *["backspace"] * 4, "3", "enter")
        await wait_until(
            pilot, lambda: deployment(sandbox, "ui-scale")["spec"]["replicas"] == 3, "scaled"
        )
        rows = app.screen.query_one("#table")
        await wait_until(pilot, lambda: rows.cursor_row.cells[1] == "3/3", "3/3 shown")


async def test_restart_stamps_the_template(make_app, kube, sandbox) -> None:
    await make_namespace(kube, "ui-restart")
    app = make_app(namespace="ui-restart", kind="deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm")
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: (
                "kubectl.kubernetes.io/restartedAt"
                in (
                    deployment(sandbox, "ui-restart")["spec"]["template"]["metadata"].get(
                        "annotations"
                    )
                    or {}
                )
            ),
            "restarted",
        )


def editor(tmp_path: Path, body: str) -> str:
    """A non-interactive $KUBE_EDITOR: a Python script that edits the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib, json, os\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "text = path.read_text()\n"
        "count_file = pathlib.Path(__file__).with_suffix('.count')\n"
        "calls = int(count_file.read_text()) + 1 if count_file.exists() else 1\n"
        "count_file.write_text(str(calls))\n"
        "(pathlib.Path(__file__).parent / f'seen{calls}.yaml').write_text(text)\n"
        + body
        + "path.write_text(text)\n"
    )
    return f"{sys.executable} {script}"


async def test_edit_saves_through_the_editor(
    make_app, kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_namespace(kube, "ui-edit")
    monkeypatch.setenv("KUBE_EDITOR", editor(tmp_path, "text = text.replace('blue', 'green')\n"))
    app = make_app(namespace="ui-edit", kind="cm")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        await pilot.press("e")
        await wait_until(
            pilot,
            lambda: (
                sandbox.stored(("", "configmaps"), "ui-edit", "settings")["data"]["mode"] == "green"
            ),
            "saved",
        )


async def test_edit_reopens_on_a_validation_error(
    make_app, kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_namespace(kube, "ui-invalid")
    # First pass writes an invalid replica count (the server answers 422), the second fixes it.
    monkeypatch.setenv(
        "KUBE_EDITOR",
        editor(
            tmp_path,
            (
                "text = text.replace('replicas: 1', 'replicas: -4' if calls == 1 else "
                "'replicas: 2')\n"
                "text = text.replace('replicas: -4', 'replicas: 2') if calls > 1 else text\n"
            ),
        ),
    )
    app = make_app(namespace="ui-invalid", kind="deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        await wait_until(
            pilot,
            lambda: deployment(sandbox, "ui-invalid")["spec"]["replicas"] == 2,
            "saved after the second pass",
        )
    second = (tmp_path / "seen2.yaml").read_text()
    assert second.startswith("# ")
    assert "replicas" in second.split("\n", 3)[0] + second
    assert "replicas: -4" in second  # the user's text came back, with the error on top


async def test_edit_reopens_on_a_bad_request(
    make_app, kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`replicas: abc` does not decode (a 400 BadRequest, as from kube-apiserver): the editor
    reopens with the server's message on top and the user's text, as on a 422."""
    await make_namespace(kube, "ui-badreq")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv(
        "KUBE_EDITOR",
        editor(
            tmp_path,
            (
                "text = text.replace('replicas: 1', 'replicas: abc') if calls == 1 else "
                "text.replace('replicas: abc', 'replicas: 3')\n"
            ),
        ),
    )
    app = make_app(namespace="ui-badreq", kind="deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        await wait_until(
            pilot,
            lambda: deployment(sandbox, "ui-badreq")["spec"]["replicas"] == 3,
            "saved after the second pass",
        )
    second = (tmp_path / "seen2.yaml").read_text()
    header = "".join(line for line in second.splitlines(keepends=True) if line.startswith("#"))
    assert "cannot unmarshal string into Go struct field" in header
    assert "spec.replicas of type int32" in header
    assert "replicas: abc" in second  # the user's text came back, with the error on top
    assert not (tmp_path / "state" / "kstui" / "edits").exists()  # nothing kept: it reopened


async def test_edit_yaml_error_names_the_line_the_editor_shows(
    make_app, kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line a YAML error names is counted in the reopened file, comment header included."""
    await make_namespace(kube, "ui-yamlline")
    monkeypatch.setenv(
        "KUBE_EDITOR",
        editor(
            tmp_path,
            (
                "text = text.replace('replicas: 1', '\\treplicas: 1') if calls == 1 else "
                "text.replace('\\treplicas: 1', 'replicas: 2')\n"
            ),
        ),
    )
    app = make_app(namespace="ui-yamlline", kind="deploy")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        await wait_until(
            pilot,
            lambda: deployment(sandbox, "ui-yamlline")["spec"]["replicas"] == 2,
            "saved after the second pass",
        )
    second = (tmp_path / "seen2.yaml").read_text()
    assert second.startswith("# not valid YAML")
    lines = second.splitlines()
    header = [line for line in lines if line.startswith("#")]
    numbers = {int(n) for line in header for n in re.findall(r"line (\d+)", line)}
    assert numbers, header
    for number in numbers:  # every line named is the tab-indented one, as the editor numbers it
        assert lines[number - 1].endswith("\treplicas: 1"), (number, header)


async def test_edit_conflict_shows_the_change_and_reapplies(
    make_app, kube, sandbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_namespace(kube, "ui-conflict")
    # While "the user" edits, someone else changes the object: a real 409 on save.
    token, url, ca = sandbox.token(), sandbox.url(), sandbox.ca_file()
    monkeypatch.setenv(
        "KUBE_EDITOR",
        editor(
            tmp_path,
            (
                "import httpx\n"
                f"httpx.patch('{url}/api/v1/namespaces/ui-conflict/configmaps/settings', "
                "content=json.dumps({'data': {'owner': 'team-b'}}), verify=" + repr(ca) + ", "
                "headers={'Authorization': 'Bearer " + token + "', "
                "'Content-Type': 'application/merge-patch+json'}).raise_for_status()\n"
                "text = text.replace('blue', 'green')\n"
            ),
        ),
    )
    app = make_app(namespace="ui-conflict", kind="cm")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "conflict")
        assert "changed on the server" in app.screen.question
        assert "+  owner: team-b" in app.screen.detail
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: (
                sandbox.stored(("", "configmaps"), "ui-conflict", "settings")["data"]
                == {"mode": "green", "owner": "team-b"}
            ),
            "both changes kept",
        )


async def test_readonly_disables_every_write(make_app, kube, sandbox) -> None:
    await make_namespace(kube, "ui-readonly")
    app = make_app(namespace="ui-readonly", kind="deploy", readonly=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        screen = app.screen
        assert screen.query_one("#context-bar").readonly
        for action in ("delete", "scale", "restart", "edit"):
            assert screen.check_action(action, ()) is None  # shown disabled, not hidden
        await pilot.press("ctrl+d", "s", "r")
        await pilot.pause()
        assert app.screen is screen
        assert deployment(sandbox, "ui-readonly") is not None
        assert screen.check_action("describe", ()) is True


async def test_readonly_by_context_pattern(make_app) -> None:
    app = make_app(config=Config(readonly_contexts=frozenset({"h*"})))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert app.screen.check_action("delete", ()) is None
        assert not app.session.readonly("member")


async def test_remapped_keys(make_app, kube, sandbox) -> None:
    await make_namespace(kube, "ui-keys")
    config = Config(keymap={"resource.delete": "x", "resource.describe": "i"})
    app = make_app(namespace="ui-keys", kind="cm", config=config)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await move_to(pilot, "settings")
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal), "confirm via x")
        await pilot.press("n")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: hasattr(app.screen, "lines"), "help")
        lines = {line.label: line.keys for line in app.screen.lines}
        assert lines["delete"] == "x"
        assert lines["describe"] == "i"


async def test_forbidden_write_tells_the_tenant_why(make_app, sandbox) -> None:
    app = make_app(context="tenant", namespace="shop-prod", kind="pods")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await type_text(pilot, "po kube-system")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                app.screen.query_one("#context-bar").problem
                == "forbidden: alice cannot list pods in namespace kube-system"
            ),
            "forbidden shown",
        )
