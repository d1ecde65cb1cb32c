"""Snapshots of the log view in its modes, at 80x24 and 160x48, on the frozen sandbox (its
clock stands still, so each stream's tail is the same every run): wrap off scrolled sideways,
JSON pretty, JSON flattened to chosen fields, include and highlight, paused with the count of
lines held, and the ring's dropped-line count."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.app import KstuiApp
from kstui.backends.log_streams import LogLine
from kstui.config import Config, LogSettings
from kstui.screens.logs import LogsScreen
from kstui.widgets.log_lines import LogLines
from tests.ui.conftest import move_to, wait_until
from tests.ui.test_logs_observe import answer
from tests.visual.test_snapshots import LARGE, SMALL, build, frozen, shot

__all__ = ["build", "frozen"]  # the frozen sandbox's fixtures, shared
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
Then = Callable[[Pilot[Any], LogsScreen], Awaitable[None]]


async def _open(pilot: Pilot[Any]) -> LogsScreen:
    """The checkout deployment's pods (JSON lines wider than 80 columns), every tail in."""
    await move_to(pilot, "checkout")
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), "logs")
    screen: LogsScreen = pilot.app.screen  # type: ignore[assignment]

    def streaming() -> bool:
        return bool([key for follower in screen.followers for key in follower.streams])

    await wait_until(pilot, streaming, "the pods' streams")
    received = -1
    while received != screen.buffer.received or screen._pending or screen._settling:
        received = screen.buffer.received  # every tail in, none held to merge
        await pilot.pause(0.6)  # and a redraw after merging, if one was due
    return screen


def _logs(
    snap_compare: Any,
    build: Callable[..., KstuiApp],
    size: tuple[int, int],
    then: Then,
    ring: int | None = None,
) -> bool:
    app = build(kind="deploy")
    if ring is not None:
        config = Config(logs=LogSettings(buffer_lines=ring))
        app.settings = app.settings._replace(config=config)

    async def steps(pilot: Pilot[Any]) -> None:
        screen = await _open(pilot)
        await then(pilot, screen)
        await pilot.pause(0.2)

    return shot(snap_compare, app, size, steps)


@SIZES
def test_logs_wrap_off_scrolled_sideways(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    async def sideways(pilot: Pilot[Any], screen: LogsScreen) -> None:
        log = screen.query_one(LogLines)
        assert not log.wrap
        await pilot.press(*["right"] * 12)
        await wait_until(pilot, lambda: log.scroll_x > 0, "scrolled sideways")

    assert _logs(snap_compare, build, size, sideways)


@SIZES
def test_logs_json_pretty(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    async def pretty(pilot: Pilot[Any], screen: LogsScreen) -> None:
        await pilot.press("J")
        await wait_until(pilot, lambda: screen.look.json_mode == "pretty", "pretty")

    assert _logs(snap_compare, build, size, pretty)


@SIZES
def test_logs_json_fields(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    async def fields(pilot: Pilot[Any], screen: LogsScreen) -> None:
        await answer(pilot, screen, "F", "level status latency_ms msg")
        await wait_until(pilot, lambda: screen.look.json_mode == "fields", "fields")

    assert _logs(snap_compare, build, size, fields)


@SIZES
def test_logs_include_and_highlight(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    async def filtered(pilot: Pilot[Any], screen: LogsScreen) -> None:
        await answer(pilot, screen, "I", '"level":"(warn|error)"')
        await answer(pilot, screen, "h", "upstream call failed|slow request")
        await wait_until(pilot, lambda: screen.look.highlight is not None, "highlight")

    assert _logs(snap_compare, build, size, filtered)


@SIZES
def test_logs_paused_with_count(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    async def paused(pilot: Pilot[Any], screen: LogsScreen) -> None:
        await pilot.press("f")
        newest = screen.buffer.lines[-1]
        for second in range(7):  # the frozen clock makes none: these arrive while paused
            stamp = f"{newest.stamp[:17]}{50 + second}.000000Z"
            text = f'{{"level":"info","msg":"held {second}"}}'
            screen.emit(
                LogLine("host", newest.namespace, newest.pod, newest.container, stamp, text)
            )
        await wait_until(pilot, lambda: screen.held == 7, "seven lines held")

    assert _logs(snap_compare, build, size, paused)


@SIZES
def test_logs_dropped_count(
    snap_compare: Any, build: Callable[..., KstuiApp], size: tuple[int, int]
) -> None:
    async def dropped(pilot: Pilot[Any], screen: LogsScreen) -> None:
        assert screen.buffer.limit == 300
        await wait_until(pilot, lambda: screen.buffer.dropped > 0, "lines over the ring")
        screen.redraw()  # the view as the ring holds it (how much of the older lines the view
        # still held before, in chunks, depends on how the tails arrived)

    assert _logs(snap_compare, build, size, dropped, ring=300)
