"""Snapshots of the logs of a deployment's pods (prefixes by pod and container, merged in
time order) and of a namespace's grouped events, at 80x24, on the frozen sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.screens.events import EventsScreen
from kstui.screens.logs import LogsScreen
from tests.ui.conftest import move_to, type_text, wait_until
from tests.visual.test_snapshots import SMALL, build, frozen, shot

__all__ = ["build", "frozen"]  # the frozen sandbox's fixtures, shared


def test_logs_of_a_deployment(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def logs(pilot: Pilot[Any]) -> None:
        await move_to(pilot, "checkout")
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), "logs")
        screen = pilot.app.screen

        def settled() -> bool:
            followers = screen.followers
            streams = [key for follower in followers for key in follower.streams]
            seen = {(line.pod, line.container) for line in screen.buffer.lines}
            done = not screen._pending and not screen._settling  # none held to merge
            return bool(streams) and all(key[1:] in seen for key in streams) and done

        await wait_until(pilot, settled, "every pod's tail")
        await pilot.pause(0.5)

    assert shot(snap_compare, build(kind="deploy"), SMALL, logs)


def test_events_of_a_namespace(snap_compare: Any, build: Callable[..., KstuiApp]) -> None:
    async def events(pilot: Pilot[Any]) -> None:
        await pilot.press("colon")
        await type_text(pilot, "events")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, EventsScreen), "events")
        screen = pilot.app.screen
        await wait_until(pilot, lambda: bool(screen.groups), "the events")
        await pilot.pause(0.5)

    assert shot(snap_compare, build(), SMALL, events)
