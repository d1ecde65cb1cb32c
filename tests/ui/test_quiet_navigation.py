"""Ordinary navigation raises no error: moving on cancels the work of the view left behind,
and a cancelled worker is not a failure to show (it was a red "unexpected error /
CancelledError" toast on `:deploy`, `:ns`, `:ctx`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.screens.resources import ResourcesScreen
from tests.ui.conftest import loaded, type_text, wait_until


def errors(app: KstuiApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


async def command(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("colon")
    await type_text(pilot, text)
    await pilot.press("enter")


async def test_commands_that_move_on_raise_no_error(make_app: Callable[..., KstuiApp]) -> None:
    app = make_app(namespace="")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        steps = ["deploy", "po -A", "ns payments", "ctx tenant", "ctx host", "deploy -A"]
        for step in steps:
            await command(pilot, step)
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, ResourcesScreen) and app.screen.loaded,
                f"the list after :{step}",
            )
            await pilot.pause(0.3)  # a cancelled worker reports just after the switch
            assert errors(app) == [], f"after :{step}"
