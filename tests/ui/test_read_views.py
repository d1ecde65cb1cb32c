"""Describe and YAML against a slow server: shown as loading, cancelled by esc, by another
row or by another view; a late answer never opens a view nobody wants any more."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.screens.resources import ResourcesScreen
from kstui.screens.text_view import TextViewScreen
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded, wait_until

LATENCY = 2.0


def crumbs(app: KstuiApp) -> str:
    """The list's breadcrumb line, even with a view on top of it."""
    base = next(s for s in app.screen_stack if isinstance(s, ResourcesScreen))
    return str(base.query_one("#crumbs").render())


def views(app: KstuiApp) -> list[str]:
    return [s.title_text for s in app.screen_stack if isinstance(s, TextViewScreen)]


async def no_view_opens(pilot: Pilot[None]) -> None:
    """Wait past the latency: whatever was asked for would have arrived by now."""
    await pilot.pause(LATENCY + 1.0)
    assert views(pilot.app) == []
    assert isinstance(pilot.app.screen, ResourcesScreen)


async def test_slow_describe_and_yaml_can_be_cancelled(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox()
    app = build_app(
        AppSettings(
            load_kubeconfig(str(running.kubeconfig)), "host", "", cache_dir=tmp_path / "cache"
        )
    )
    async with app.run_test(size=(140, 30)) as pilot:
        table = await loaded(pilot, minimum=2)
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        # a pod that stays: a DevOps agent pod (listed first) goes when its build ends
        first = next(
            key for key in table.visible_keys if screen.names[key][0] != "kubesphere-devops-worker"
        )
        table.move_cursor_to(first)
        namespace, name = screen.names[first]
        path = f"/api/v1/namespaces/{namespace}/pods/{name}"
        running.call(running.cluster().faults.slow, LATENCY, path)

        # esc cancels, and says so by clearing the loading note
        await pilot.press("d")
        await wait_until(
            pilot, lambda: f"describe Pod {namespace}/{name}…" in crumbs(app), "loading shown"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: "describe" not in crumbs(app), "loading cleared")
        await no_view_opens(pilot)

        # moving to another row cancels
        await pilot.press("y")
        await wait_until(pilot, lambda: "yaml Pod" in crumbs(app), "yaml loading shown")
        await pilot.press("down")
        await wait_until(pilot, lambda: "yaml Pod" not in crumbs(app), "loading cleared")
        await no_view_opens(pilot)

        # so does typing a filter: a late view would take the keys meant for the prompt
        await pilot.press("up")
        await wait_until(pilot, lambda: table.cursor_key == first, "back on the slow row")
        await pilot.press("d")
        await wait_until(pilot, lambda: "describe Pod" in crumbs(app), "loading shown")
        await pilot.press("slash")
        assert "describe Pod" not in crumbs(app)
        await no_view_opens(pilot)
        await pilot.press("escape")

        # a second view on the same row supersedes the first: only it opens
        await pilot.press("d")
        await wait_until(pilot, lambda: "describe Pod" in crumbs(app), "loading shown")
        await pilot.press("y")
        await wait_until(pilot, lambda: views(app) != [], "a view", timeout=LATENCY + 10)
        await pilot.pause(LATENCY + 1.0)
        assert views(app) == [f"yaml Pod {namespace}/{name} @ host"]
        running.call(running.cluster().faults.clear)


@pytest.mark.parametrize(
    ("key", "subresource", "what", "typed"),
    [("s", "/scale", "scale", "1"), ("e", "", "edit", "x")],
)
async def test_a_slow_read_before_a_write_never_takes_the_keys_typed_into_the_prompt(
    fresh_sandbox: Callable[..., RunningSandbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    subresource: str,
    what: str,
    typed: str,
) -> None:
    """`s` and `e` read the object first; `/x⏎` typed meanwhile drops that read, so neither
    the scale dialog nor the editor (which would save a change) takes the keys: a filter."""
    running = fresh_sandbox()
    marker = tmp_path / "editor-ran"
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "path = pathlib.Path(sys.argv[1])\n"
        "path.write_text(path.read_text().replace('replicas:', 'replicas: 7 #'))\n"
    )
    monkeypatch.setenv("KUBE_EDITOR", f"{sys.executable} {script}")
    app = build_app(
        AppSettings(
            load_kubeconfig(str(running.kubeconfig)),
            "host",
            "",
            kind="deploy",
            cache_dir=tmp_path / "cache",
        )
    )
    async with app.run_test(size=(140, 30)) as pilot:
        table = await loaded(pilot)
        screen = app.screen
        assert isinstance(screen, ResourcesScreen)
        namespace, name = screen.names[table.cursor_key or ""]
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}{subresource}"
        running.call(running.cluster().faults.slow, LATENCY, path)
        before = running.stored(("apps", "deployments"), namespace, name)
        assert before is not None

        await pilot.press(key)
        await pilot.pause(0.3)
        shown = f"{what} Deployment" in crumbs(app)
        await pilot.press("slash", typed, "enter")
        await no_view_opens(pilot)
        assert screen.filter_text == typed
        assert shown, f"the {what}'s read was shown as loading"
        assert not marker.exists(), "the editor ran although the read was dropped"
        after = running.stored(("apps", "deployments"), namespace, name)
        assert after is not None
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        running.call(running.cluster().faults.clear)
