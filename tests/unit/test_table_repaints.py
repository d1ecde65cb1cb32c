"""What ResourceTable draws again, counted: a keystroke's frame pays only for what changed."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.table_layout import text_width
from kstui.widgets.table_lines import line_strip
from tests.unit.test_resource_table import NOW, line_text, mounted, pod, pods


def count_row_texts(table: ResourceTable) -> list[str]:
    """Record the key of every row whose line is composed again from its cells."""
    built: list[str] = []
    compose = table._row_text

    def counted(row):  # type: ignore[no-untyped-def]
        built.append(row.key)
        return compose(row)

    table._row_text = counted  # type: ignore[method-assign]
    return built


async def test_focus_moving_away_and_back_redraws_only_the_cursor_row() -> None:
    rows = [pod(f"p{i:02d}", age_s=3 * 86400) for i in range(12)]
    async with mounted(rows, size=(80, 20)) as (pilot, table):
        table.focus()
        await pilot.pause()
        focused = line_text(table, 1)
        built = count_row_texts(table)
        pilot.app.set_focus(None)
        await pilot.pause()
        assert built == ["ns/p00"]  # the cursor's row: its style is the only one that changed
        assert line_text(table, 1) == focused  # same text, another style (test_resource_table)
        built.clear()
        table.focus()
        await pilot.pause()
        assert built == ["ns/p00"]


async def test_a_clock_tick_redraws_only_rows_whose_shown_age_moved() -> None:
    rows = [pod("a-young", age_s=30), *(pod(f"b-old{i}", age_s=3 * 86400) for i in range(8))]
    async with mounted(rows, size=(80, 20)) as (pilot, table):
        await pilot.pause()
        assert line_text(table, 1).split()[-1] == "30s"
        old = line_text(table, 2)
        built = count_row_texts(table)
        table.set_now(NOW + 1)
        await pilot.pause()
        assert built == ["ns/a-young"]
        assert line_text(table, 1).split()[-1] == "31s"
        assert line_text(table, 2) == old
        table.set_now(NOW + 86400)  # a day later every age moved: every row again
        await pilot.pause()
        assert line_text(table, 1).split()[-1] == "24h"
        assert line_text(table, 2).split()[-1] == "4d"


def count_layouts(pilot) -> list[int]:  # type: ignore[no-untyped-def]
    """Record every layout of the whole screen (each repaints every widget on it)."""
    screen = pilot.app.screen
    laid_out: list[int] = []
    layout = screen._refresh_layout

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        laid_out.append(1)
        return layout(*args, **kwargs)

    screen._refresh_layout = counted
    return laid_out


async def test_a_filter_keystroke_repaints_the_table_without_laying_out_the_screen() -> None:
    async with mounted(pods(200), size=(80, 20)) as (pilot, table):
        assert table.show_vertical_scrollbar
        laid_out = count_layouts(pilot)
        table.set_filter("pod-000")  # 100 rows: as many lines as before, fewer to scroll
        await pilot.pause()
        assert table.visible_count == 100
        assert table.virtual_size.height == 101
        assert laid_out == []
        assert line_text(table, 1).split()[0] == "pod-00000"
        table.action_cursor_last()
        await pilot.pause()
        assert table.scroll_y == table.max_scroll_y > 0
        assert line_text(table, table.size.height - 1).split()[0] == "pod-00099"


async def test_the_scrollbar_still_comes_and_goes_with_the_row_count() -> None:
    async with mounted(pods(200), size=(80, 20)) as (pilot, table):
        table.action_cursor_last()
        await pilot.pause()
        table.set_filter("pod-0000")  # 10 rows: no scrollbar, scrolled back to the top
        await pilot.pause()
        assert not table.show_vertical_scrollbar
        assert table.scroll_y == 0
        assert line_text(table, 1).split()[0] == "pod-00000"
        table.set_filter("")
        await pilot.pause()
        assert table.show_vertical_scrollbar
        assert table.virtual_size.height == 201


def test_a_line_is_cut_and_padded_as_textual_would() -> None:
    """line_strip builds at once what Strip.crop_extend makes from the whole line."""
    text, wide = "  api-7f9c  Running  10.4.0.7", "  名前  Running"
    style, fill = Style(color="red"), Style(bgcolor="blue", bold=True)
    for line in (text, wide):
        for start in (0, 1, 5, len(line) - 1, len(line), len(line) + 3):
            for width in (1, 4, 20, 40):
                want = Strip([Segment(line, style)], text_width(line))
                assert list(line_strip(line, style, start, width, fill)) == list(
                    want.crop_extend(start, start + width, fill)
                ), (line, start, width)


async def test_a_sort_or_filter_key_leaves_the_search_texts_until_after_its_frame() -> None:
    """At 150,000 rows gathering the search texts of a new order (or a new filtered view)
    costs 7-15 ms that the frame showing the key does not need: the store keeps them due,
    and the first line painted schedules them for after the frame."""
    async with mounted(pods(40), size=(80, 12)) as (pilot, table):
        store = table._store
        settled: list[tuple[bool, bool]] = []
        settle = store.settle

        def counted() -> None:
            settled.append((store._order_due is not None, store._view_due is not None))
            settle()

        store.settle = counted  # type: ignore[method-assign]
        table.sort_by(1)
        assert store._order_due is not None
        assert settled == []
        await pilot.pause()
        assert settled == [(True, False)]
        assert store._order_due is None
        table.set_filter("pod-0001")
        assert store._view_due is not None
        await pilot.pause()
        assert settled[1] == (False, True)
        assert store._view_due is None
        assert table.visible_keys == tuple(f"ns/pod-{i:05d}" for i in range(10, 20))


async def test_after_a_keys_frame_the_store_lists_leave_the_young_generations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A young list of 150,000 references is walked by every young and middle collection the
    next frames' allocations set off (10-20 ms in the next key): right after the key's frame,
    once the store has made its lists, a middle collection moves them out of the way."""
    import kstui.widgets.table_lines as table_lines

    calls: list[tuple[str, int]] = []

    class Collector:
        @staticmethod
        def collect(generation: int = 2) -> int:
            calls.append(("collect", generation))
            return 0

    monkeypatch.setattr(table_lines, "gc", Collector)
    async with mounted(pods(40), size=(80, 12)) as (pilot, table):
        settle = table._store.settle
        table._store.settle = lambda: calls.append(("settle", 0)) or settle()  # type: ignore[method-assign]
        table.sort_by(1)
        assert calls == []
        await pilot.pause()
        assert calls == [("settle", 0), ("collect", 1)]
