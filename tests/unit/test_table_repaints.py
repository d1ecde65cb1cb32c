"""What ResourceTable draws again, counted: a keystroke's frame pays only for what changed."""

from __future__ import annotations

from kstui.widgets.resource_table import ResourceTable
from tests.unit.test_resource_table import NOW, line_text, mounted, pod


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
