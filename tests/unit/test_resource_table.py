"""ResourceTable in a tiny host app: data in through methods, keys and messages out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot

from kstui.model import Column, Row, Tone
from kstui.widgets import resource_table
from kstui.widgets.resource_table import ResourceTable

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
COLUMNS = [
    Column("NAME"),
    Column("STATUS"),
    Column("RESTARTS", numeric=True),
    Column("AGE", age=True),
]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResourceTable(id="table")


@asynccontextmanager
async def mounted(
    rows: list[Row] | None = None,
    columns: list[Column] | None = None,
    seen: list[Message] | None = None,
    size: tuple[int, int] = (80, 24),
) -> AsyncIterator[tuple[Pilot[None], ResourceTable]]:
    app = TableApp()
    hook: Callable[[Message], None] | None = seen.append if seen is not None else None
    async with app.run_test(size=size, message_hook=hook) as pilot:
        table = app.query_one(ResourceTable)
        table.freeze_time(NOW)
        table.set_columns(columns or COLUMNS)
        if rows:
            table.apply(rows)
        await pilot.pause()
        yield pilot, table


def pod(name: str, status: str = "Running", restarts: str = "0", age_s: int = 60) -> Row:
    created = datetime.fromtimestamp(NOW - age_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tone = Tone.ERROR if status == "CrashLoopBackOff" else Tone.NORMAL
    return Row(f"ns/{name}", (name, status, restarts, created), tone)


def pods(count: int) -> list[Row]:
    return [pod(f"pod-{i:05d}", restarts=str(i % 13), age_s=i * 7) for i in range(count)]


def keys(table: ResourceTable) -> tuple[str, ...]:
    return table.visible_keys


def line_text(table: ResourceTable, y: int) -> str:
    return table.render_line(y).text


def first_style(table: ResourceTable, y: int) -> Style:
    style = next(iter(table.render_line(y))).style
    assert style is not None
    return style


# ---- data in ----------------------------------------------------------------------------------


async def test_apply_upserts_deletes_and_resets() -> None:
    async with mounted([pod("b"), pod("a"), pod("c")]) as (_, table):
        assert table.row_count == 3
        assert keys(table) == ("ns/a", "ns/b", "ns/c")
        table.apply([pod("d", status="Pending")], deleted=["ns/a", "ns/missing"])
        assert keys(table) == ("ns/b", "ns/c", "ns/d")
        assert table.row("ns/d") == pod("d", status="Pending")
        table.apply([pod("z")], reset=True)
        assert keys(table) == ("ns/z",)
        assert table.row_count == 1


async def test_an_update_in_place_repaints_the_row() -> None:
    async with mounted([pod("a"), pod("b")]) as (pilot, table):
        assert "Running" in line_text(table, 2)
        table.apply([pod("b", status="CrashLoopBackOff")])
        await pilot.pause()
        assert "CrashLoopBackOff" in line_text(table, 2)
        error = table.get_component_rich_style("resource-table--error").color
        assert first_style(table, 2).color == error


async def test_a_key_deleted_and_recreated_in_one_batch_survives() -> None:
    async with mounted([pod("a"), pod("b")]) as (_, table):
        table.apply([pod("a", status="Pending")], deleted=["ns/a"])
        assert keys(table) == ("ns/a", "ns/b")
        assert table.row("ns/a") == pod("a", status="Pending")


async def test_rows_applied_before_the_columns_keep_their_cells() -> None:
    table = ResourceTable()  # not mounted yet: a screen may feed it before compose finishes
    table.apply([pod("b"), pod("a")])
    table.set_columns(COLUMNS)
    assert keys(table) == ("ns/a", "ns/b")
    assert table.row("ns/a") == pod("a")


async def test_short_rows_are_padded_and_unknown_ages_widen_their_column() -> None:
    async with mounted([Row("x", ("only-name",))]) as (pilot, table):
        row = table.row("x")
        assert row is not None
        assert row.cells == ("only-name", "", "", "")
        line_text(table, 1)  # the first paint finds "<unknown>" too wide and widens after it
        await pilot.pause()
        assert line_text(table, 1).split() == ["only-name", "<unknown>"]


# ---- sorting ----------------------------------------------------------------------------------


async def test_sort_by_text_numeric_and_toggle() -> None:
    rows = [pod("a", restarts="10"), pod("b", restarts="9 (5m ago)"), pod("C", restarts="<none>")]
    async with mounted(rows) as (pilot, table):
        assert keys(table) == ("ns/a", "ns/b", "ns/C")  # case-insensitive
        table.sort_by(2)
        assert keys(table) == ("ns/b", "ns/a", "ns/C")  # 9 < 10, no number last
        table.sort_by(2)  # same column again: toggles
        assert table.sort_reverse
        assert keys(table) == ("ns/C", "ns/a", "ns/b")
        table.sort_by(0, reverse=False)
        assert keys(table) == ("ns/a", "ns/b", "ns/C")
        await pilot.pause()
        assert line_text(table, 0).split()[0] == "NAME↑"
        table.sort_by(0)
        await pilot.pause()
        assert line_text(table, 0).split()[0] == "NAME↓"


async def test_sort_ties_break_by_key_and_ages_sort_oldest_last() -> None:
    rows = [pod("b", age_s=30), pod("a", age_s=3600), pod("c", age_s=30)]
    async with mounted(rows) as (_, table):
        table.sort_by(1)  # every status is Running: key order decides
        assert keys(table) == ("ns/a", "ns/b", "ns/c")
        table.sort_by(3)
        assert keys(table) == ("ns/b", "ns/c", "ns/a")


async def test_batches_keep_the_sort() -> None:
    async with mounted([pod("a", restarts="1"), pod("b", restarts="5")]) as (_, table):
        table.sort_by(2, reverse=True)
        table.apply([pod("a", restarts="7"), pod("c", restarts="6")])
        assert keys(table) == ("ns/a", "ns/c", "ns/b")


# ---- filtering --------------------------------------------------------------------------------


async def test_filter_regex_invert_literal_and_clear() -> None:
    rows = [pod("api-1"), pod("api-2", status="CrashLoopBackOff"), pod("web-(1)")]
    async with mounted(rows) as (_, table):
        table.set_filter("API-\\d")
        assert keys(table) == ("ns/api-1", "ns/api-2")
        table.set_filter("!crash")
        assert keys(table) == ("ns/api-1", "ns/web-(1)")
        table.set_filter("web-(")  # invalid regex: matched literally, never raises
        assert keys(table) == ("ns/web-(1)",)
        table.set_filter("")
        assert table.visible_count == 3
        assert table.filter_text == ""


async def test_filter_is_reapplied_to_batches() -> None:
    async with mounted([pod("api-1"), pod("web-1")]) as (_, table):
        table.set_filter("api")
        table.apply([pod("api-2"), pod("web-2"), pod("web-1", status="api-ish")])
        assert keys(table) == ("ns/api-1", "ns/api-2", "ns/web-1")
        table.apply([pod("web-1")])  # no longer matches
        assert keys(table) == ("ns/api-1", "ns/api-2")
        assert table.row_count == 4


async def test_typing_narrows_and_sees_rows_changed_in_place() -> None:
    async with mounted([pod("api-1"), pod("api-2"), pod("web-1")]) as (_, table):
        table.set_filter("ap")
        table.apply([pod("api-2", status="apz")])  # still matches: changed in place
        table.set_filter("apz")  # a stricter literal narrows the current view
        assert keys(table) == ("ns/api-2",)
        table.set_filter("ap")  # erasing widens again
        assert keys(table) == ("ns/api-1", "ns/api-2")
        table.set_filter("API-[12]")  # upper case: still case-insensitive
        assert keys(table) == ("ns/api-1", "ns/api-2")


async def test_empty_view_shows_a_centred_muted_message() -> None:
    async with mounted() as (pilot, table):
        table.set_empty_message("no pods in payments")
        await pilot.pause()
        middle = 1 + (table.scrollable_content_region.height - 2) // 2
        text = line_text(table, middle)
        assert text.strip() == "no pods in payments"
        assert abs(text.index("no") - (80 - len(text.rstrip()))) <= 1
        muted = table.get_component_rich_style("resource-table--muted").color
        assert first_style(table, middle).color == muted
        table.apply([pod("a")])
        table.set_filter("nothing-like-this")
        await pilot.pause()
        assert "no rows match" in line_text(table, middle)


# ---- cursor -----------------------------------------------------------------------------------


async def test_cursor_follows_its_key_across_sort_filter_and_batches() -> None:
    rows = [pod("a", restarts="3"), pod("b", restarts="1"), pod("c", restarts="2")]
    async with mounted(rows) as (_, table):
        assert table.move_cursor_to("ns/b")
        table.sort_by(2)
        assert table.cursor_key == "ns/b"
        assert table.cursor_index == 0
        table.set_filter("[bc]")
        assert (table.cursor_key, table.cursor_index) == ("ns/b", 0)
        table.apply([pod("b0", restarts="0")])
        assert (table.cursor_key, table.cursor_index) == ("ns/b", 1)
        assert table.cursor_row == rows[1]
        table.apply(deleted=["ns/b"])  # gone: same index, clamped
        assert (table.cursor_key, table.cursor_index) == ("ns/c", 1)
        table.apply(deleted=["ns/c"])
        assert (table.cursor_key, table.cursor_index) == ("ns/b0", 0)
        assert not table.move_cursor_to("ns/a")  # filtered out


async def test_keys_move_the_cursor_and_page() -> None:
    async with mounted(pods(200)) as (pilot, table):
        table.focus()
        page = table.scrollable_content_region.height - 1
        await pilot.press("down", "j", "j", "k")
        assert table.cursor_index == 2
        await pilot.press("pagedown")
        assert table.cursor_index == 2 + page
        assert table.scroll_y == page
        await pilot.press("ctrl+f", "ctrl+b")
        assert table.cursor_index == 2 + page
        await pilot.press("pageup", "up")
        assert table.cursor_index == 1
        await pilot.press("G")
        assert table.cursor_key == "ns/pod-00199"
        assert table.scroll_y == table.max_scroll_y
        await pilot.press("g")
        assert (table.cursor_index, table.scroll_y) == (0, 0)
        await pilot.press("end", "up", "home")
        assert table.cursor_index == 0


async def test_enter_posts_row_chosen_and_moves_post_cursor_moved() -> None:
    seen: list[Message] = []
    async with mounted([pod("a"), pod("b")], seen=seen) as (pilot, table):
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
    posted = list({id(message): message for message in seen}.values())  # bubbling repeats them
    chosen = [m for m in posted if isinstance(m, ResourceTable.RowChosen)]
    moved = [m.key for m in posted if isinstance(m, ResourceTable.CursorMoved)]
    assert [m.key for m in chosen] == ["ns/b"]
    assert chosen[0].control is table
    assert moved[-1] == "ns/b"


async def test_a_click_selects_the_row() -> None:
    async with mounted([pod("a"), pod("b"), pod("c")]) as (pilot, table):
        await pilot.click(ResourceTable, offset=(3, 3))
        assert table.cursor_key == "ns/c"
        await pilot.click(ResourceTable, offset=(3, 0))  # header: sort by NAME again, reversed
        assert keys(table) == ("ns/c", "ns/b", "ns/a")


# ---- rendering --------------------------------------------------------------------------------


async def test_age_column_uses_the_frozen_now() -> None:
    async with mounted([pod("a", age_s=312), pod("b", age_s=2 * 86400 + 4 * 3600)]) as (_, table):
        assert line_text(table, 1).split()[-1] == "5m12s"
        assert line_text(table, 2).split()[-1] == "2d4h"
        table.freeze_time(NOW + 3600)
        assert line_text(table, 1).split()[-1] == "65m"


async def test_markup_looking_cells_render_literally() -> None:
    rows = [Row("k1", ("[bold]x[/bold]", "[/]", "1", "")), Row("k2", ("[red", "]", "2", ""))]
    async with mounted(rows) as (_, table):
        assert line_text(table, 1).split()[:2] == ["[bold]x[/bold]", "[/]"]
        assert line_text(table, 2).split()[:2] == ["[red", "]"]


async def test_control_bidi_and_zero_width_characters_show_inertly() -> None:
    hostile = "a\x1b]0;T\x07\x9b\u202eb\u200b\nc"
    columns = [Column("N\x1b[2J"), Column("STATUS"), Column("R", numeric=True), Column("AGE")]
    rows = [Row("k1", (hostile, "ok", "1", ""))]
    async with mounted(rows, columns, size=(120, 10)) as (_, table):
        header, cells = line_text(table, 0), line_text(table, 1)
    assert header.split()[0] == "N␛[2J↑"
    assert cells.split()[0] == "a␛]0;T␇\\x9b\\u202eb\\u200b␤c"


async def test_tones_cursor_and_pending_styles() -> None:
    async with mounted([pod("a"), pod("b", status="CrashLoopBackOff")]) as (pilot, table):
        base = table.rich_style
        table.focus()
        await pilot.pause()
        focused = first_style(table, 1)
        pilot.app.set_focus(None)
        await pilot.pause()
        blurred = first_style(table, 1)
        assert blurred.bgcolor != base.bgcolor  # the cursor shows without focus too
        assert focused.bgcolor not in (base.bgcolor, blurred.bgcolor)
        assert focused.bold
        assert not blurred.bold
        assert (
            first_style(table, 2).color
            == table.get_component_rich_style("resource-table--error").color
        )
        table.set_pending(["ns/b"])
        assert first_style(table, 2).italic
        table.set_pending([])
        assert not first_style(table, 2).italic


async def test_widths_grow_cap_and_the_last_column_ellipsis_at_80_columns() -> None:
    columns = [Column("NAME", max_width=12), Column("STATUS"), Column("MESSAGE")]
    rows = [
        Row("a", ("short", "Running", "ok")),
        Row("b", ("a-very-long-pod-name", "Running", "m" * 200)),
    ]
    async with mounted(rows, columns) as (pilot, table):
        second, first = line_text(table, 1), line_text(table, 2)
        assert second.split()[0] == "a-very-long…"  # capped at 12 with an ellipsis
        assert second.rstrip().endswith("m…")
        assert len(second) == 80
        assert table.virtual_size.width <= 80  # the last column fits: no horizontal scroll
        assert first.index("Running") == second.index("Running")
        table.apply([Row("a", ("short", "CrashLoopBackOff", "ok"))])
        await pilot.pause()
        assert line_text(table, 1).index("Running") == line_text(table, 2).index("CrashLoop")
        table.apply([Row("a", ("short", "Ok", "ok"))])  # widths never shrink
        assert line_text(table, 1).index("Running") == line_text(table, 2).index("Ok")


async def test_wide_columns_scroll_horizontally_with_the_header() -> None:
    columns = [Column(f"COLUMN{i}", max_width=20) for i in range(8)]
    rows = [
        Row(f"r{i}", tuple(f"value-{i}-{c}".ljust(18, "x") for c in range(8))) for i in range(3)
    ]
    async with mounted(rows, columns) as (pilot, table):
        table.focus()
        assert table.virtual_size.width > 80
        await pilot.press("right")
        assert table.scroll_x > 0
        assert line_text(table, 0).split()[0].startswith("COLUMN1")
        assert line_text(table, 1).split()[0].startswith("value-0-1")
        await pilot.press("left")
        assert table.scroll_x == 0


async def test_ten_thousand_rows_then_a_filter_keystroke() -> None:
    async with mounted(pods(10_000)) as (pilot, table):
        table.focus()
        assert table.visible_count == 10_000
        assert line_text(table, 1).split()[0] == "pod-00000"
        for typed in ("p", "po", "pod-0999"):
            table.set_filter(typed)
        await pilot.pause()
        assert keys(table) == tuple(f"ns/pod-0999{i}" for i in range(10))
        await pilot.press("j")
        assert table.cursor_key == "ns/pod-09991"
        table.apply(pods(10_000)[:5], deleted=["ns/pod-09990"])
        assert table.visible_count == 9
        assert line_text(table, 2).split()[0] == "pod-09992"


async def test_the_last_column_leaves_room_for_the_vertical_scrollbar() -> None:
    columns = [Column("NAME"), Column("MESSAGE", max_width=200)]
    rows = [Row(f"r{i:03d}", (f"r{i:03d}", "m" * 150)) for i in range(100)]
    async with mounted(rows, columns) as (pilot, table):
        await pilot.pause()
        assert table.show_vertical_scrollbar
        assert not table.show_horizontal_scrollbar
        text = line_text(table, 1)
        assert len(text) == 78
        assert text.endswith("m…")


async def test_sync_is_a_keyed_diff_not_a_reset() -> None:
    """A poll's answer replaces the rows by key: unchanged rows stay the same objects (their
    cached strips are reused), gone rows go, the cursor stays on its row."""
    seen: list[Message] = []
    async with mounted(pods(5), seen=seen) as (pilot, table):
        assert table.move_cursor_to("ns/pod-00003")
        kept = table.row("ns/pod-00001")
        await pilot.pause()
        seen.clear()
        answer = [pod(f"pod-{i:05d}", restarts=str(i % 13), age_s=i * 7) for i in (0, 1, 3, 4)]
        answer.append(pod("pod-new"))
        table.sync(answer)
        await pilot.pause()
        assert table.row("ns/pod-00001") is kept
        assert table.row("ns/pod-00002") is None
        assert table.row("ns/pod-new") is not None
        assert table.row_count == 5
        assert table.cursor_key == "ns/pod-00003"
        assert not [m for m in seen if isinstance(m, ResourceTable.CursorMoved)]


async def test_idle_time_makes_the_orders_a_sort_key_then_reads() -> None:
    """After a load the table makes each column's order when idle (TableStore.tend); sort
    keys then read them, and show what sorting gives."""
    async with mounted(pods(300)) as (pilot, table):
        store = table._store
        for _ in range(200):
            if not store.tending:
                break
            await pilot.pause(0.02)
        assert not store.tending
        used = store.kept_sorts
        table.sort_by(3)  # AGE: youngest first
        assert keys(table)[:3] == ("ns/pod-00000", "ns/pod-00001", "ns/pod-00002")
        table.sort_by(2)  # RESTARTS: 0 first, ties by name
        assert keys(table)[:3] == ("ns/pod-00000", "ns/pod-00013", "ns/pod-00026")
        assert store.kept_sorts == used + 2


async def test_no_idle_work_while_a_list_streams_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page of a list (a reset, or a batch of 200+ rows) holds the idle work back until no
    other came for a while: orders made between pages would only be made again."""
    monkeypatch.setattr(resource_table, "LOADED_AFTER", 3600.0)
    async with mounted() as (pilot, table):
        table.apply(pods(300), reset=True)
        await pilot.pause(0.1)
        assert table._store.tending
        assert not table._store._kept.orders
