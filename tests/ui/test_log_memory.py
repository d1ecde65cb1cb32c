"""The log view under many lines holds no Text per line: rows are rendered when they come into
view and only the visible window's are kept (a Text a line cost ~770 B and kept the collector
busy for 8 s of a 60 s flood). Wrap on and off, top and bottom, still show the right rows."""

from __future__ import annotations

import gc
from typing import Any

from rich.text import Text
from textual.pilot import Pilot

from kstui.backends.log_streams import LogLine
from kstui.config import Config, LogSettings
from kstui.heap import FLOOD_THRESHOLD, Heap
from kstui.screens.logs import FREEZE_LINES, LogsScreen
from kstui.widgets.log_lines import LogLines
from tests.ui.conftest import drawn, loaded, wait_until

LINES = 20_000


async def opened_logs(pilot: Pilot[Any]) -> Any:
    """The first row's logs, opened from the loaded list with `l`."""
    await loaded(pilot)
    await pilot.press("l")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LogsScreen), "logs")
    return pilot.app.screen


def texts() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Text))


def on_screen(log: LogLines) -> list[str]:
    return [log.render_line(y).text.rstrip() for y in range(log.scrollable_content_region.height)]


async def test_the_view_keeps_no_text_per_line_beyond_the_visible_window(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(config=Config(logs=LogSettings(buffer_lines=2 * LINES)))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await opened_logs(pilot)
        log = screen.query_one(LogLines)
        before = texts()
        wide = "w" * 150  # every tenth line folds in two when wrapping at 118 columns
        for i in range(LINES):
            stamp = f"2099-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000000Z"
            text = f"line {i:05d} {wide if i % 10 == 0 else 'short'}"
            screen.emit(LogLine("host", "ns", "flood", "app", stamp, text))
        await wait_until(pilot, lambda: len(screen.shown) >= LINES, "every line shown", timeout=30)
        await pilot.pause(0.3)
        assert any("line 19999 short" in row for row in on_screen(log))
        assert texts() - before < 2_000  # not one a line
        assert log.cached_rows() <= 2_000

        await pilot.press("W")  # wrap on: folded rows counted, not kept
        await wait_until(pilot, lambda: log.wrap and len(log.rows) > len(log.entries), "folded")
        assert len(log.rows) - len(log.entries) >= LINES // 10
        await pilot.press("G")
        await pilot.pause(0.3)
        assert any("line 19999 short" in row for row in on_screen(log))
        await pilot.press("home")
        await pilot.pause(0.3)
        assert log.scroll_y == 0
        assert log.cached_rows() <= 2_000
        assert texts() - before < 2_000


async def test_a_flood_raises_the_young_threshold_until_the_view_closes(make_app) -> None:  # type: ignore[no-untyped-def]
    """Under a flood the collector's youngest generation waits for FLOOD_THRESHOLD allocations
    (what a tick holds then dies young instead of reaching the old generation and making a
    full collection a second); the thresholds come back when the view closes."""
    app = make_app(config=Config(logs=LogSettings(buffer_lines=2 * FREEZE_LINES)))
    before = gc.get_threshold()
    assert before[0] < FLOOD_THRESHOLD
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await opened_logs(pilot)
        for i in range(FREEZE_LINES + 100):
            stamp = f"2099-01-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000000Z"
            screen.emit(LogLine("host", "ns", "flood", "app", stamp, f"line {i}"))
        await wait_until(pilot, lambda: screen.buffer.received > FREEZE_LINES, "the flood in")
        assert gc.get_threshold() == (FLOOD_THRESHOLD, *before[1:])
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogsScreen), "closed")
        assert gc.get_threshold() == before


def test_the_thresholds_come_back_when_the_last_flood_ends() -> None:
    heap, first, second = Heap(), object(), object()
    before = gc.get_threshold()
    try:
        heap.flooding(first)
        heap.flooding(second)
        heap.flooding(first, False)
        assert gc.get_threshold()[0] == FLOOD_THRESHOLD  # the second still floods
        heap.flooding(second, False)
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*before)


def tracked_within(*roots: object) -> int:
    """Objects the collector tracks reachable from `roots` (a module or a class: not followed)."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        thing = stack.pop()
        if id(thing) in seen or isinstance(thing, type) or not gc.is_tracked(thing):
            continue
        seen.add(id(thing))
        stack.extend(gc.get_referents(thing))
    return len(seen)


async def test_lines_on_their_way_to_the_ring_are_no_objects(make_app) -> None:  # type: ignore[no-untyped-def]
    """Lines that wait for the next tick, or for another stream to merge with, are kept as the
    ring keeps them (a text, a key, a meta), not as an object each: under a flood they outlived
    young collections and filled the collector's old generation."""
    app = make_app(config=Config(logs=LogSettings(buffer_lines=LINES)))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await opened_logs(pilot)
        await pilot.pause(0.5)
        for i in range(2_000):  # the older stream's last line is at 00:00:00: the rest wait
            pod, second = ("late", 0) if i == 0 else ("busy", 1 + i // 1000)
            stamp = f"2099-01-01T00:00:{second:02d}.{i:06d}Z"
            screen.emit(LogLine("host", "ns", pod, "app", stamp, f"line {i}"))
        assert len(screen._pending) >= 2_000
        assert tracked_within(screen._pending) < 50
        await wait_until(pilot, lambda: len(screen._settling) > 1_000, "waiting to merge")
        assert tracked_within(screen._settling) < 50


async def test_new_lines_scroll_the_view_without_a_layout_of_the_screen(make_app) -> None:  # type: ignore[no-untyped-def]
    """A tick's lines grow the view's scrollable size: Textual lays out the whole screen again
    when a virtual size changes (a third of a flood's CPU); only the scrollbar needs to know."""
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await opened_logs(pilot)
        log = screen.query_one(LogLines)
        await pilot.pause(0.5)
        layouts: list[bool] = []
        refresh_layout = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(True), refresh_layout(*a, **k))
        for tick in range(5):
            for i in range(100):
                n = tick * 100 + i
                stamp = f"2099-01-01T00:{n // 60:02d}:{n % 60:02d}.000000Z"
                screen.emit(LogLine("host", "ns", "flood", "app", stamp, f"line {n}"))
            await wait_until(pilot, lambda n=n: f"line {n}" in log.text(), f"line {n}")
            await pilot.pause(0.1)
        assert len(layouts) <= 1  # a scrollbar appearing may lay out once
        assert log.vertical_scrollbar.window_virtual_size == log.row_count
        assert log.scroll_y == log.max_scroll_y  # followed to the end
        last = log.render_line(log.scrollable_content_region.height - 1).text
        assert "line 499" in last


async def test_lines_cut_between_two_ticks_are_counted_with_the_tick(make_app) -> None:  # type: ignore[no-untyped-def]
    """A flood between two ticks is cut to the newest lines at once, but counted as dropped
    with the tick that adds the rest: the ring's counts, its lines and the title agree
    whenever they are looked at (the dropped count ran ahead of the ring and of the title)."""
    app = make_app(config=Config(logs=LogSettings(buffer_lines=20)))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await opened_logs(pilot)
        await pilot.pause(0.3)
        ring = screen.buffer
        for i in range(200):  # more than four rings' worth before the next tick
            stamp = f"2099-01-01T00:00:{i // 10:02d}.{i:06d}Z"
            screen.emit(LogLine("host", "ns", "flood", "app", stamp, f"line {i}"))
        assert len(screen._pending) < 200  # cut already
        title = screen.query_one("#title")
        assert ring.dropped == 0 or f"{ring.dropped} older lines dropped" in drawn(title)
        await wait_until(pilot, lambda: ring.lines[-1].text == "line 199", "the newest in")
        assert ring.dropped + len(ring.lines) == ring.received
        assert f"{ring.dropped} older lines dropped" in drawn(title)
