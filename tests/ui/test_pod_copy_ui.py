"""`ctrl+u` on a pod: a form asks the direction and both paths, copies (tar over exec) with the
bytes so far in its status line, and says what it copied; read-only mode copies down only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from kstui.screens.pod_copy import CopyForm, progress_line
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.ui.conftest import loaded, move_to, wait_until
from tests.ui.test_pod_run import notes


async def fill(pilot: Any, remote: str, local: Path) -> CopyForm:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, CopyForm), "the copy form")
    form = app.screen
    assert isinstance(form, CopyForm)
    form.query_one("#remote", Input).value = remote
    form.query_one("#local", Input).value = str(local)
    await pilot.pause()
    return form


async def test_copy_down_then_up_through_the_form(
    make_app: Any, lab: RunningSandbox, tmp_path: Path
) -> None:
    app = make_app(namespace=NS)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+u")
        await fill(pilot, "/etc/app", tmp_path / "app")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CopyForm), "the copy")
        assert (tmp_path / "app" / "app.yaml").read_text() == "greeting: hello\n"
        assert notes(app, "information")[-1].startswith("done: copied 1 file (")

        (tmp_path / "up.txt").write_text("uploaded\n")
        await pilot.press("ctrl+u")
        form = await fill(pilot, "/tmp/up.txt", tmp_path / "up.txt")
        form.query_one("#direction").query("RadioButton").last().value = True
        await pilot.pause()
        assert form.value_of("direction") == "up"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CopyForm), "the copy up")
        assert "/tmp/up.txt" in notes(app, "information")[-1]
    assert progress_line("up", 2048, 3 * 1024 * 1024) == (
        "copying to the container… 2.0 KiB of 3.0 MiB"
    )


async def test_read_only_copies_down_only(
    make_app: Any, lab: RunningSandbox, tmp_path: Path
) -> None:
    app = make_app(namespace=NS, readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+u")
        form = await fill(pilot, "/tmp/x", tmp_path)
        form.query_one("#direction").query("RadioButton").last().value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CopyForm)  # refused, nothing sent
        assert form.problems()["direction"].startswith(
            "read-only mode: copying to a container is disabled"
        )


async def test_disabled_keys_say_why(make_app: Any, lab: RunningSandbox) -> None:
    app = make_app(namespace="default", kind="configmaps")
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 1)
        await pilot.press("ctrl+u")
        await wait_until(pilot, lambda: notes(app, "warning"), "why not")
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: len(notes(app, "warning")) > 1, "why not attach")
        assert notes(app, "warning") == [
            ": copy files: configmaps have no containers; choose a pod (or a container)",
            ": attach: configmaps have no containers; choose a pod (or a container)",
        ]
    app = make_app(namespace=NS, readonly=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot, 3)
        await move_to(pilot, "shell")
        await pilot.press("ctrl+a")
        await wait_until(pilot, lambda: notes(app, "warning"), "why not")
        assert notes(app, "warning")[0].startswith(": read-only mode: attach is disabled")
