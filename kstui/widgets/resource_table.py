"""ResourceTable: a Line-API table that stays fast with 50k live rows (see PERFORMANCE.md).

Rows, sort order, filter and cursor live in a `TableStore` (table_store.py, toolkit-free); this
widget takes data and keys and scrolls; its painting half is TableLines (table_lines.py) and its
widths and line texts are plain functions (table_layout.py). Only visible rows are rendered, each
into one cached `Strip`, rebuilt only when its row, the widths, cursor, styles or clock change.
Cells are plain strings: nothing is ever parsed as markup, and control, bidi and zero-width
characters are shown inertly (safe_text) when a cell is drawn, so only visible rows pay for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer

from kstui.model import Column, Row, utc_now
from kstui.widgets import table_layout as layout
from kstui.widgets.table_layout import COLUMN_GAP, LEFT_PAD
from kstui.widgets.table_lines import TONE_CLASSES, TableLines
from kstui.widgets.table_store import TableStore

TEND_EVERY = 0.01
"""Seconds between two turns of the store's idle work (TableStore.tend)."""
LOADING_ROWS = 200
"""Rows a batch brings (a list's page) from which the table is loading: no idle work till
LOADED_AFTER seconds pass without another (orders made meanwhile would be made again)."""
LOADED_AFTER = 0.5


class ResourceTable(TableLines, can_focus=True):
    """A sortable, filterable table of `Row`s, fed whole batches with `apply()`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resource-table--header",
        "resource-table--cursor",
        "resource-table--pending",
        *TONE_CLASSES.values(),
    }
    DEFAULT_CSS = """
    ResourceTable {
        height: 1fr;
        & > .resource-table--header { background: $panel; color: $foreground; text-style: bold; }
        & > .resource-table--ok { color: $success; }
        & > .resource-table--warn { color: $warning; }
        & > .resource-table--error { color: $error; }
        & > .resource-table--muted { color: $text-muted; }
        & > .resource-table--pending { background: $warning 15%; text-style: italic; }
        & > .resource-table--cursor { background: $accent 20%; }
        &:focus > .resource-table--cursor { background: $accent 45%; text-style: bold; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("pageup,ctrl+b", "cursor_page_up", "Page up", show=False, id="table.page_up"),
        Binding(
            "pagedown,ctrl+f", "cursor_page_down", "Page down", show=False, id="table.page_down"
        ),
        Binding("home,g", "cursor_first", "First", show=False, id="table.first"),
        Binding("end,G,shift+g", "cursor_last", "Last", show=False, id="table.last"),
        Binding("left", "scroll_columns(-1)", "Left", show=False, id="table.scroll_left"),
        Binding("right", "scroll_columns(1)", "Right", show=False, id="table.scroll_right"),
        Binding("enter", "choose", "Open", show=False, id="table.choose"),
    ]

    class RowChosen(Message):
        """Enter (or a double click) on a row."""

        def __init__(self, table: ResourceTable, key: str) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> ResourceTable:
            return self.table

    class CursorMoved(Message):
        """The cursor now rests on another row (None when the view is empty)."""

        def __init__(self, table: ResourceTable, key: str | None) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> ResourceTable:
            return self.table

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ResourceTable.CursorMoved) and message.table is self.table

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._widths = []
        self._fitted = []
        self._store = TableStore()
        """Rows, sort order, filter and cursor: everything that needs no toolkit."""
        self._pending = frozenset()
        self._empty_message = ""
        self._now = utc_now()
        self._frozen = False
        self._clock: Timer | None = None
        self._epoch = 0
        self._strips = {}
        self._styles = {}
        self._settle_due = False
        self._tending: Timer | None = None
        self._tend_from = 0.0  # monotonic time of the next idle work (later while loading)

    # ---- data in ----------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns; widths restart from the headers and the current rows."""
        anchor = self._cursor_anchor()
        self._store.set_columns(columns)
        self._widths = layout.header_widths(self._store.columns)
        self._grow_widths(self._store.rows.values())
        self._view_rebuilt(*anchor, invalidate=True)
        self._tend_soon()

    def apply(
        self, upserted: Iterable[Row] = (), deleted: Iterable[str] = (), reset: bool = False
    ) -> None:
        """Apply one coalesced batch: deletions first, then upserts; `reset` replaces everything."""
        anchor = self._cursor_anchor()
        if reset:
            rows = self._store.replace_all(upserted)
            self._tend_soon(loading=True)
            self._view_rebuilt(*anchor, invalidate=self._grow_widths(rows))
            return
        outcome = self._store.apply(upserted, deleted)
        self._tend_soon(loading=len(outcome.changed) >= LOADING_ROWS)
        grew = self._grow_widths(outcome.changed)
        if outcome.view_rebuilt:
            self._view_rebuilt(*anchor)  # re-fits the columns too
        elif grew:
            self._sync_geometry(invalidate=True)
        elif outcome.changed:
            self._refresh_keys(row.key for row in outcome.changed)

    def sync(self, rows: Iterable[Row]) -> None:
        """Make the table hold exactly `rows` as a keyed diff, not a reset: rows that did not
        change keep their cached strips, the cursor stays, only changed lines repaint (polls)."""
        incoming = list(rows)
        kept = {row.key for row in incoming}
        self.apply(incoming, [key for key in self._store.rows if key not in kept])

    def set_pending(self, keys: Iterable[str]) -> None:
        """Mark rows whose change was sent but not yet echoed back by the watch."""
        pending = frozenset(keys)
        changed = pending ^ self._pending
        self._pending = pending
        self._refresh_keys(changed)

    def set_empty_message(self, text: str) -> None:
        """The muted lines shown while there are no rows ("loading…", "no pods in payments");
        each of its lines (a title, a hint) is wrapped to the table's width."""
        self._empty_message = text
        if not self._store.visible_count:
            self.refresh()

    def set_now(self, epoch_seconds: float) -> None:
        """The time ages are measured against."""
        self._now = epoch_seconds
        if any(column.age for column in self._store.columns):
            self._refresh_ages()

    def freeze_time(self, now: float) -> None:
        """Stop the clock at `now`, so snapshots and tests see stable ages."""
        self._frozen = True
        if self._clock is not None:
            self._clock.stop()
            self._clock = None
        self.set_now(now)

    # ---- sorting, filtering, cursor -----------------------------------------------------------

    def sort_by(self, column_index: int, reverse: bool | None = None) -> None:
        """Sort by a column; `reverse=None` flips the order when it is already the sort column."""
        anchor = self._cursor_anchor()
        self._store.sort_by(column_index, reverse)
        self._view_rebuilt(*anchor)
        self._settle_after_frame()
        self._tend_soon()

    def set_filter(self, text: str) -> None:
        """Show only rows whose cells match `text` (regex, case-insensitive, `!` inverts;
        an invalid regex matches literally)."""
        anchor = self._cursor_anchor()
        if self._store.set_filter(text):
            self._view_rebuilt(*anchor)
            self._settle_after_frame()

    def move_cursor_to(self, key: str) -> bool:
        """Put the cursor on `key` if it is in view; False when it is not."""
        index = self._store.index_of(key)
        if index is None:
            return False
        self._move_cursor(index)
        return True

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._store.columns

    @property
    def cursor_key(self) -> str | None:
        return self._store.cursor_key

    @property
    def cursor_row(self) -> Row | None:
        key = self._store.cursor_key
        return None if key is None else self._store.row(key)

    @property
    def cursor_index(self) -> int:
        """The cursor's position in the filtered view."""
        return self._store.cursor_index

    @property
    def row_count(self) -> int:
        return self._store.row_count

    @property
    def visible_count(self) -> int:
        return self._store.visible_count

    @property
    def visible_keys(self) -> tuple[str, ...]:
        """Keys after sorting and filtering, top to bottom (a copy: O(rows))."""
        return tuple(self._store.view)

    @property
    def sort_column(self) -> int:
        return self._store.sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._store.sort_reverse

    @property
    def filter_text(self) -> str:
        return self._store.filter_text

    def row(self, key: str) -> Row | None:
        return self._store.row(key)

    # ---- actions ------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._move_cursor(self._store.cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._store.cursor_index + 1)

    def action_cursor_page_up(self) -> None:
        self._page(-1)

    def action_cursor_page_down(self) -> None:
        self._page(1)

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(self._store.visible_count - 1)

    def action_scroll_columns(self, direction: int) -> None:
        """Scroll horizontally to the previous or next column's left edge."""
        edges = [left - LEFT_PAD for left in layout.column_lefts(self._fitted)]
        now = round(self.scroll_x)
        target = [e for e in edges if e > now] if direction > 0 else [e for e in edges if e < now]
        if target:
            self.scroll_to(x=target[0] if direction > 0 else target[-1], animate=False)

    def action_choose(self) -> None:
        key = self._store.cursor_key
        if key is not None:
            self.post_message(self.RowChosen(self, key))

    # ---- events -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if not self._frozen:
            self._clock = self.set_interval(1.0, self._tick)
        self._tend_soon()

    def on_unmount(self) -> None:
        """Drop the rows now: something may keep a removed widget a while longer (Textual keeps
        the last message a widget handled, and its sender may be this table's screen)."""
        self._store = TableStore()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._sync_geometry()
        self._scroll_cursor_into_view()

    def on_focus(self, event: events.Focus) -> None:
        self._restyle()

    def on_blur(self, event: events.Blur) -> None:
        self._restyle()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._restyle()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:  # a click on the header sorts by that column
            x = offset.x + round(self.scroll_x)
            lefts = layout.column_lefts(self._fitted)
            for index, (left, width) in enumerate(zip(lefts, self._fitted, strict=True)):
                if left <= x < left + width + COLUMN_GAP:
                    self.sort_by(index)
                    return
            return
        index = round(self.scroll_y) + offset.y - 1
        if index < self._store.visible_count:
            self._move_cursor(index)
            if event.chain > 1:
                self.action_choose()

    def _tick(self) -> None:
        self.set_now(utc_now())

    # ---- internals ----------------------------------------------------------------------------

    def _cursor_anchor(self) -> tuple[str | None, int]:
        """The cursor's key and screen line, taken before the store may re-derive its view."""
        return self._store.cursor_key, self._store.cursor_index - round(self.scroll_y)

    def _view_rebuilt(
        self, previous_key: str | None, screen_line: int, invalidate: bool = False
    ) -> None:
        """After the store re-derived its view: re-fit the columns, keep the cursor's row on its
        screen line, repaint, and tell the parent when the cursor now rests on another row."""
        self._sync_geometry(invalidate)
        cursor_index = self._store.cursor_index
        if self.is_mounted and 0 <= screen_line < self._body_height():
            self.scroll_to(y=cursor_index - screen_line, animate=False)  # row stays put
        self.refresh()
        if self._store.cursor_key != previous_key:
            self.post_message(self.CursorMoved(self, self._store.cursor_key))

    def _settle_after_frame(self) -> None:
        """The store's bookkeeping a key can leave for later (texts for the next filter key,
        freeing the lists it replaced) runs after the frame that shows the key's effect: the
        frame's first painted line schedules it (render_line)."""
        if self.is_mounted:
            self._settle_due = True
        else:
            self._store.settle()

    def _tend_soon(self, loading: bool = False) -> None:
        """Idle time makes and mends the store's kept orders, a few ms a turn, so that a sort
        key reads one (TableStore.tend); a key coming meanwhile waits at most one turn."""
        if loading:
            self._tend_from = time.monotonic() + LOADED_AFTER
        if self._tending is None and self.is_mounted:
            self._tending = self.set_timer(TEND_EVERY, self._tend)

    def _tend(self) -> None:
        self._tending = None
        if (wait := self._tend_from - time.monotonic()) > 0:  # still loading
            self._tending = self.set_timer(wait, self._tend)
            return
        if self._settle_due or self._store.tend():  # a key's frame first, then its settle
            self._tend_soon()

    def _refresh_keys(self, keys: Iterable[str]) -> None:
        """Repaint just the visible lines of these rows."""
        top = round(self.scroll_y)
        visible = self._store.keys_from(top, self._body_height())
        on_screen = {key: top + line for line, key in enumerate(visible)}
        for key in keys:
            index = on_screen.get(key)
            if index is not None:
                self.refresh_line(index + 1)

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move_cursor(self, index: int) -> None:
        store = self._store
        if not store.visible_count:
            return
        previous, previous_key = store.cursor_index, store.cursor_key
        key = store.move_cursor(index)
        index = store.cursor_index
        if previous < store.visible_count:
            self.refresh_line(previous + 1)
        self.refresh_line(index + 1)
        self._scroll_cursor_into_view()
        if key != previous_key:
            self.post_message(self.CursorMoved(self, key))

    def _page(self, direction: int) -> None:
        page = self._body_height()
        if self.is_mounted:
            self.scroll_to(y=round(self.scroll_y) + direction * page, animate=False)
        self._move_cursor(self._store.cursor_index + direction * page)

    def _scroll_cursor_into_view(self) -> None:
        if not self.is_mounted:
            return
        top, height = round(self.scroll_y), self._body_height()
        cursor_index = self._store.cursor_index
        if cursor_index < top:
            self.scroll_to(y=cursor_index, animate=False)
        elif cursor_index >= top + height:
            self.scroll_to(y=cursor_index - height + 1, animate=False)
