"""ResourceTable: a Line-API table that stays fast with 50k live rows (see PERFORMANCE.md).

Rows, sort order, filter and cursor live in a `TableStore` (table_store.py, toolkit-free); this
widget measures, draws and scrolls. Only visible rows are rendered, each into one cached `Strip`
that is rebuilt only when its row, the column widths, the cursor, the styles or the clock change.
Cells are plain strings: nothing is ever parsed as markup, and control, bidi and zero-width
characters are shown inertly (safe_text) when a cell is drawn, so only visible rows pay for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from kstui.model import Column, Row, Tone, age_of, utc_now
from kstui.safe_text import inert_line
from kstui.widgets.table_store import TableStore

COLUMN_GAP = 2
LEFT_PAD = 1
MIN_SQUEEZED_COLUMN = 16
"""The widest column is cut down to this before the table scrolls sideways."""
MIN_LAST_COLUMN = 8
"""The last column shrinks (with an ellipsis) down to this width before the table scrolls."""
AGE_WIDTH = 6
"""Widest usual `human_age` text ("7y364d"); wider texts grow the column when first shown."""

_TONE_CLASSES = {
    Tone.OK: "resource-table--ok",
    Tone.WARN: "resource-table--warn",
    Tone.ERROR: "resource-table--error",
    Tone.MUTED: "resource-table--muted",
}
_CELLS = attrgetter("cells")


def _text_width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _shown_width(text: str) -> int:
    """Cells `text` takes once drawn (control characters are drawn as visible escapes)."""
    return cell_len(text if text.isprintable() else inert_line(text))


def _fit(text: str, width: int) -> str:
    """Pad or cut `text` to exactly `width` cells, marking a cut with an ellipsis."""
    if not text.isprintable():
        text = inert_line(text)  # cluster data: nothing in it may reach the terminal raw
    if text.isascii():
        if len(text) <= width:
            return text.ljust(width)
        return text[: width - 1] + "…" if width > 0 else ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…" if width > 0 else ""


class ResourceTable(ScrollView, can_focus=True):
    """A sortable, filterable table of `Row`s, fed whole batches with `apply()`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "resource-table--header",
        "resource-table--cursor",
        "resource-table--pending",
        *_TONE_CLASSES.values(),
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

    @dataclass
    class RowChosen(Message):
        """Enter (or a double click) on a row."""

        table: ResourceTable
        key: str

        @property
        def control(self) -> ResourceTable:
            return self.table

    @dataclass
    class CursorMoved(Message):
        """The cursor now rests on another row (None when the view is empty)."""

        table: ResourceTable
        key: str | None

        @property
        def control(self) -> ResourceTable:
            return self.table

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ResourceTable.CursorMoved) and message.table is self.table

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._widths: list[int] = []
        """Natural widths: grow-only, from content, capped by Column.max_width."""
        self._fitted: list[int] = []
        """Widths used to draw: the natural ones with the last column squeezed to fit."""
        self._store = TableStore()
        """Rows, sort order, filter and cursor: everything that needs no toolkit."""
        self._pending: frozenset[str] = frozenset()
        self._empty_message = ""
        self._now = utc_now()
        self._frozen = False
        self._clock: Timer | None = None
        self._epoch = 0
        """Bumped whenever every cached strip goes stale (widths, styles, clock)."""
        self._strips: dict[str, tuple[Row, bool, bool, int, Strip]] = {}
        self._styles: dict[tuple[Tone, bool, bool], Style] = {}

    # ---- data in ----------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns; widths restart from the headers and the current rows."""
        anchor = self._cursor_anchor()
        self._store.set_columns(columns)
        # +1 keeps room for the sort arrow, so sorting never shifts the columns
        self._widths = [
            min(max(len(column.name) + 1, AGE_WIDTH if column.age else 0), column.max_width)
            for column in self._store.columns
        ]
        self._grow_widths(self._store.rows.values())
        self._view_rebuilt(*anchor, invalidate=True)

    def apply(
        self, upserted: Iterable[Row] = (), deleted: Iterable[str] = (), reset: bool = False
    ) -> None:
        """Apply one coalesced batch: deletions first, then upserts; `reset` replaces everything."""
        anchor = self._cursor_anchor()
        if reset:
            rows = self._store.replace_all(upserted)
            self._view_rebuilt(*anchor, invalidate=self._grow_widths(rows))
            return
        outcome = self._store.apply(upserted, deleted)
        grew = self._grow_widths(outcome.changed)
        if outcome.view_rebuilt:
            self._view_rebuilt(*anchor)  # re-fits the columns too
        elif grew:
            self._sync_geometry(invalidate=True)
        elif outcome.changed:
            self._refresh_keys(row.key for row in outcome.changed)

    def set_pending(self, keys: Iterable[str]) -> None:
        """Mark rows whose change was sent but not yet echoed back by the watch."""
        pending = frozenset(keys)
        changed = pending ^ self._pending
        self._pending = pending
        self._refresh_keys(changed)

    def set_empty_message(self, text: str) -> None:
        """The muted line shown while there are no rows ("loading…", "no pods in payments");
        a title and a hint on two lines share the one line."""
        self._empty_message = text.replace("\n", "  ")
        if not self._store.visible_count:
            self.refresh()

    def set_now(self, epoch_seconds: float) -> None:
        """The time ages are measured against."""
        self._now = epoch_seconds
        if any(column.age for column in self._store.columns):
            self._invalidate()

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

    def set_filter(self, text: str) -> None:
        """Show only rows whose cells match `text` (regex, case-insensitive, `!` inverts;
        an invalid regex matches literally)."""
        anchor = self._cursor_anchor()
        if self._store.set_filter(text):
            self._view_rebuilt(*anchor)

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
        edges, x = [], LEFT_PAD
        for width in self._fitted:
            edges.append(x - LEFT_PAD)
            x += width + COLUMN_GAP
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

    def on_unmount(self) -> None:
        """Drop the rows now: something may keep a removed widget a while longer (Textual keeps
        the last message a widget handled, and its sender may be this table's screen)."""
        self._store = TableStore()
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._sync_geometry()
        self._scroll_cursor_into_view()

    def on_focus(self, event: events.Focus) -> None:
        self._invalidate(styles=True)

    def on_blur(self, event: events.Blur) -> None:
        self._invalidate(styles=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._invalidate(styles=True)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:  # a click on the header sorts by that column
            x, left = offset.x + round(self.scroll_x), LEFT_PAD
            for index, width in enumerate(self._fitted):
                if left <= x < left + width + COLUMN_GAP:
                    self.sort_by(index)
                    return
                left += width + COLUMN_GAP
            return
        index = round(self.scroll_y) + offset.y - 1
        if index < self._store.visible_count:
            self._move_cursor(index)
            if event.chain > 1:
                self.action_choose()

    def _tick(self) -> None:
        self.set_now(utc_now())

    # ---- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x = round(self.scroll_x)
        base = self._style(Tone.NORMAL)  # self.rich_style walks the DOM: too slow per line
        if y == 0:
            header_style = self.get_component_rich_style("resource-table--header")
            return self._header_strip(header_style).crop_extend(
                scroll_x, scroll_x + width, header_style
            )
        index = round(self.scroll_y) + y - 1
        store = self._store
        view = store.view
        if index >= len(view):
            return self._empty_line(y, width, base)
        key = view[index]
        row = store.rows[key]
        is_cursor = index == store.cursor_index
        is_pending = key in self._pending
        cached = self._strips.get(key)
        if (
            cached is not None
            and cached[0] is row
            and cached[1] == is_cursor
            and cached[2] == is_pending
            and cached[3] == self._epoch
        ):
            strip = cached[4]
        else:
            if len(self._strips) > 4 * self.size.height + 64:
                self._strips.clear()  # only visible rows are worth keeping
            style = self._style(row.tone, cursor=is_cursor, pending=is_pending)
            text = self._row_text(row)
            strip = Strip([Segment(text, style)], _text_width(text))
            self._strips[key] = (row, is_cursor, is_pending, self._epoch, strip)
        fill = self._style(row.tone, cursor=True, pending=is_pending) if is_cursor else base
        return strip.crop_extend(scroll_x, scroll_x + width, fill)

    def _row_text(self, row: Row) -> str:
        parts = []
        grew = False
        columns = self._store.columns
        for index, (column, width) in enumerate(zip(columns, self._fitted, strict=True)):
            cell = row.cells[index]
            if column.age:
                cell = age_of(cell, self._now)
                if len(cell) > self._widths[index] and self._widths[index] < column.max_width:
                    self._widths[index] = min(len(cell), column.max_width)
                    grew = True
            parts.append(_fit(cell, width))
        if grew:  # rare ("<unknown>"): widen after this frame rather than mid-render
            self.call_later(self._sync_geometry, True)
        return " " * LEFT_PAD + (" " * COLUMN_GAP).join(parts)

    def _header_strip(self, style: Style) -> Strip:
        arrow = "↓" if self._store.sort_reverse else "↑"
        names = [
            column.name + (arrow if index == self._store.sort_column else "")
            for index, column in enumerate(self._store.columns)
        ]
        text = " " * LEFT_PAD + (" " * COLUMN_GAP).join(
            _fit(name, width) for name, width in zip(names, self._fitted, strict=True)
        )
        return Strip([Segment(text, style)], _text_width(text))

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        body_height = max(1, self.scrollable_content_region.height - 1)
        store = self._store
        if store.visible_count or y != 1 + (body_height - 1) // 2:
            return Strip.blank(width, base)
        message = (
            f"no rows match {store.filter_text!r}" if store.row_count else self._empty_message
        )
        text = _fit(message, width).strip().center(width)
        return Strip([Segment(_fit(text, width), self._style(Tone.MUTED))], width)

    def _style(self, tone: Tone, *, cursor: bool = False, pending: bool = False) -> Style:
        cache_key = (tone, cursor, pending)
        style = self._styles.get(cache_key)
        if style is None:
            style = self.rich_style
            if tone in _TONE_CLASSES:
                style += self._overlay(_TONE_CLASSES[tone])
            if pending:
                style += self._overlay("resource-table--pending")
            if cursor:
                style += self._overlay("resource-table--cursor")
            self._styles[cache_key] = style
        return style

    def _overlay(self, component: str) -> Style:
        """What a component class adds: its colours blended as Textual would, plus text style."""
        full = self.get_component_rich_style(component)
        partial = self.get_component_rich_style(component, partial=True)
        return (
            Style(
                color=full.color if partial.color else None,
                bgcolor=full.bgcolor if partial.bgcolor else None,
            )
            + partial.without_color
        )

    # ---- internals ----------------------------------------------------------------------------

    def _grow_widths(self, rows: Iterable[Row]) -> bool:
        cells = list(map(_CELLS, rows))
        if not cells or not self._store.columns:
            return False
        joined = "".join(map("".join, cells))
        measure = len if joined.isascii() and joined.isprintable() else _shown_width
        grew = False
        for index, column in enumerate(self._store.columns):
            if column.age or self._widths[index] >= column.max_width:
                continue
            widest = max(map(measure, map(itemgetter(index), cells)))
            widest = min(widest, column.max_width)
            if widest > self._widths[index]:
                self._widths[index] = widest
                grew = True
        return grew

    def _sync_geometry(self, invalidate: bool = False) -> None:
        """Fit the natural widths into the viewport (squeezing the last column first) and size
        the scrollable area; repaint everything when the widths changed."""
        fitted = list(self._widths)
        if fitted and self.is_mounted:
            available, height = self.container_size
            if self._store.visible_count + 1 > height:  # leave room for the vertical scrollbar
                available -= self.styles.scrollbar_size_vertical
            before_last = LEFT_PAD + sum(fitted[:-1]) + COLUMN_GAP * (len(fitted) - 1)
            floor = min(fitted[-1], MIN_LAST_COLUMN)
            fitted[-1] = max(floor, min(fitted[-1], available - before_last))
            # Still too wide (80 columns, long names): cut the widest column, usually NAME,
            # rather than hide the last one behind a horizontal scroll.
            overflow = LEFT_PAD + sum(fitted) + COLUMN_GAP * (len(fitted) - 1) - available
            if overflow > 0 and len(fitted) > 1:
                widest = max(range(len(fitted) - 1), key=fitted.__getitem__)
                floor = min(fitted[widest], MIN_SQUEEZED_COLUMN)
                fitted[widest] = max(floor, fitted[widest] - overflow)
        total_width = LEFT_PAD + sum(fitted) + COLUMN_GAP * max(0, len(fitted) - 1)
        self.virtual_size = Size(total_width, self._store.visible_count + 1)
        if invalidate or fitted != self._fitted:
            self._fitted = fitted
            self._invalidate()

    def _invalidate(self, styles: bool = False) -> None:
        if styles:
            self._styles.clear()
        self._epoch += 1
        self.refresh()

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

    def _refresh_keys(self, keys: Iterable[str]) -> None:
        """Repaint just the visible lines of these rows."""
        top = round(self.scroll_y)
        visible = self._store.view[top : top + self._body_height()]
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
