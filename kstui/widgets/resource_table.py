"""ResourceTable: a Line-API table that stays fast with 50k live rows (see PERFORMANCE.md).

Rows live in a dict by key plus a sorted list of keys; a filter narrows that list without
re-sorting. Only visible rows are rendered, each into one cached `Strip` that is rebuilt only when
its row, the column widths, the cursor, the styles or the clock change. Cells are plain strings:
nothing is ever parsed as markup.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, itemgetter, not_
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

from kstui.model import Column, Row, Tone, age_of, parse_timestamp, utc_now

COLUMN_GAP = 2
LEFT_PAD = 1
MIN_LAST_COLUMN = 8
"""The last column shrinks (with an ellipsis) down to this width before the table scrolls."""
AGE_WIDTH = 6
"""Widest usual `human_age` text ("7y364d"); wider texts grow the column when first shown."""

_LEADING_INT = re.compile(r"\s*(-?\d+)")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_TONE_CLASSES = {
    Tone.OK: "resource-table--ok",
    Tone.WARN: "resource-table--warn",
    Tone.ERROR: "resource-table--error",
    Tone.MUTED: "resource-table--muted",
}
_CELLS = attrgetter("cells")
_REGEX_SYNTAX = frozenset(".^$*+?{}[]\\|()")
SortKey = str | tuple[tuple[int, float] | tuple[int, int, str], str]


def _sort_keys(rows: Iterable[Row], index: int, column: Column | None) -> dict[str, SortKey]:
    """Each row's sort key for one column, ties broken by the row key."""
    if column is None:
        return {row.key: row.key for row in rows}
    if column.age:  # newer timestamps are younger: sort by the negated time, unknown last
        return {row.key: (_age_value(row.cells[index]), row.key) for row in rows}
    if column.numeric:  # "3 (5m ago)" sorts as 3; cells without a number go after numbers
        return {row.key: (_number_value(row.cells[index]), row.key) for row in rows}
    # one string compares much faster than a tuple; NUL sorts before any character
    return {row.key: f"{row.cells[index].casefold()}\0{row.key}" for row in rows}


def _age_value(cell: str) -> tuple[int, float]:
    at = parse_timestamp(cell)
    return (1, 0.0) if at is None else (0, -at)


def _number_value(cell: str) -> tuple[int, int, str]:
    match = _LEADING_INT.match(cell)
    return (0, int(match.group(1)), "") if match else (1, 0, cell.casefold())


def _text_width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _fit(text: str, width: int) -> str:
    """Pad or cut `text` to exactly `width` cells, marking a cut with an ellipsis."""
    if not text.isprintable():
        text = _CONTROL_CHARS.sub(" ", text)
    if text.isascii():
        if len(text) <= width:
            return text.ljust(width)
        return text[: width - 1] + "…" if width > 0 else ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…" if width > 0 else ""


def _padded(row: Row, width: int) -> Row:
    """The row with exactly `width` cells, so rendering and sorting never index past the end."""
    if len(row.cells) == width:
        return row
    return Row(row.key, (*row.cells, *[""] * width)[:width], row.tone)


@dataclass(frozen=True, slots=True)
class _Filter:
    """A compiled filter. Typing more of a plain word narrows the previous result instead of
    rescanning every row."""

    pattern: re.Pattern[str]
    literal: str | None
    """Lower-cased text when the filter is a plain word (or an invalid regex, taken literally)."""
    inverted: bool

    @classmethod
    def parse(cls, text: str) -> _Filter | None:
        inverted = text.startswith("!")
        body = text[1:] if inverted else text
        if not body:
            return None
        literal = None if _REGEX_SYNTAX.intersection(body) else body.lower()
        # texts are lower-cased already, so a lower-case pattern can skip IGNORECASE (2x faster)
        flags = 0 if body == body.lower() else re.IGNORECASE
        try:
            pattern = re.compile(body, flags)
        except re.error:
            pattern, literal = re.compile(re.escape(body), flags), body.lower()
        return cls(pattern, literal, inverted)

    def narrows(self, previous: _Filter | None) -> bool:
        """Whether every text this filter matches was matched by `previous` too."""
        return (
            previous is not None
            and not self.inverted
            and not previous.inverted
            and self.literal is not None
            and previous.literal is not None
            and previous.literal in self.literal
        )

    def hits(self, texts: list[str]) -> list[object]:
        """One truthy value per matching text; map() keeps the whole scan in C (a compiled
        pattern measured faster than `in` here, even for plain words)."""
        found = map(self.pattern.search, texts)
        return list(map(not_, found) if self.inverted else found)

    def matches(self, text: str) -> bool:
        return (self.pattern.search(text) is None) is self.inverted


def _search_text(cells: tuple[str, ...], indices: tuple[int, ...]) -> str:
    return "\t".join([cells[index] for index in indices]).lower()


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
        Binding("enter", "choose", "Open", id="table.choose"),
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
        self._columns: tuple[Column, ...] = ()
        self._widths: list[int] = []
        """Natural widths: grow-only, from content, capped by Column.max_width."""
        self._fitted: list[int] = []
        """Widths used to draw: the natural ones with the last column squeezed to fit."""
        self._rows: dict[str, Row] = {}
        self._sort_keys: dict[str, SortKey] = {}
        self._order: list[str] = []
        """Every key, sorted."""
        self._view: list[str] = self._order
        """The keys shown: `_order` itself, or the part of it that matches the filter."""
        self._search_texts: dict[str, str] = {}
        """Lower-cased searchable cells by key, built at the first filter keystroke."""
        self._order_texts: list[str] | None = None
        self._view_texts: list[str] | None = None
        """Search texts aligned with `_order` / `_view`: scanning a list in order is several
        times faster than looking each key up in a dict. None when stale."""
        self._searchable: tuple[int, ...] = ()
        """Columns a filter looks at: all but ages (timestamps would only add noise)."""
        self._sort_column = 0
        self._sort_reverse = False
        self._filter_text = ""
        self._filter: _Filter | None = None
        self._pending: frozenset[str] = frozenset()
        self._cursor_index = 0
        self._cursor_key: str | None = None
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
        self._columns = tuple(columns)
        # +1 keeps room for the sort arrow, so sorting never shifts the columns
        self._widths = [
            min(max(len(column.name) + 1, AGE_WIDTH if column.age else 0), column.max_width)
            for column in self._columns
        ]
        self._searchable = tuple(i for i, column in enumerate(self._columns) if not column.age)
        self._search_texts = {}
        self._rows = {key: _padded(row, len(columns)) for key, row in self._rows.items()}
        self._grow_widths(self._rows.values())
        if self._sort_column >= len(self._columns):
            self._sort_column, self._sort_reverse = 0, False
        self._resort()
        self._sync_geometry(invalidate=True)

    def apply(
        self, upserted: Iterable[Row] = (), deleted: Iterable[str] = (), reset: bool = False
    ) -> None:
        """Apply one coalesced batch: deletions first, then upserts; `reset` replaces everything."""
        width = len(self._columns)
        incoming = list(upserted)
        if width and set(map(len, map(_CELLS, incoming))) - {width}:
            incoming = [_padded(row, width) for row in incoming]
        if reset:
            self._replace_all(incoming)
            return
        rows, sort_keys, texts = self._rows, self._sort_keys, self._search_texts
        gone = {key for key in deleted if key in rows}
        for key in gone:
            del rows[key], sort_keys[key]
            texts.pop(key, None)
        if gone:
            self._order[:] = [key for key in self._order if key not in gone]
        changed = [row for row in incoming if rows.get(row.key) != row]
        new_keys = _sort_keys(changed, self._sort_column, self._sort_column_spec())
        needs_sort = reshaped = False
        for row in changed:
            previous = rows.get(row.key)
            rows[row.key] = row
            texts.pop(row.key, None)
            if previous is None:
                self._order.append(row.key)
                needs_sort = True
                continue
            needs_sort = needs_sort or sort_keys[row.key] != new_keys[row.key]
            if not (needs_sort or reshaped):
                reshaped = self._matches(previous) != self._matches(row)
        sort_keys.update(new_keys)
        if changed or gone:
            self._order_texts = self._view_texts = None
        grew = self._grow_widths(changed)
        if needs_sort:
            self._order.sort(key=sort_keys.__getitem__, reverse=self._sort_reverse)
        if needs_sort or reshaped or gone:
            self._rebuild_view()  # re-fits the columns too
        elif grew:
            self._sync_geometry(invalidate=True)
        elif changed:
            self._refresh_keys(row.key for row in changed)

    def _replace_all(self, rows: list[Row]) -> None:
        """The bulk path: build everything in comprehensions and sort once. The collector is
        paused meanwhile: these allocations would otherwise trigger full collections that
        walk every row again (PERFORMANCE.md: disable GC around bulk work)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._rows = {row.key: row for row in rows}
            self._search_texts = {}
            self._order[:] = self._rows
            self._resort()
            if self._grow_widths(rows):
                self._sync_geometry(invalidate=True)
        finally:
            if collecting:
                gc.enable()

    def set_pending(self, keys: Iterable[str]) -> None:
        """Mark rows whose change was sent but not yet echoed back by the watch."""
        pending = frozenset(keys)
        changed = pending ^ self._pending
        self._pending = pending
        self._refresh_keys(changed)

    def set_empty_message(self, text: str) -> None:
        """The muted line shown while there are no rows ("loading…", "no pods in payments")."""
        self._empty_message = text
        if not self._view:
            self.refresh()

    def set_now(self, epoch_seconds: float) -> None:
        """The time ages are measured against."""
        self._now = epoch_seconds
        if any(column.age for column in self._columns):
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
        if not 0 <= column_index < len(self._columns):
            raise IndexError(f"no column {column_index}")
        if reverse is None:
            reverse = column_index == self._sort_column and not self._sort_reverse
        self._sort_column, self._sort_reverse = column_index, reverse
        self._resort()

    def set_filter(self, text: str) -> None:
        """Show only rows whose cells match `text` (regex, case-insensitive, `!` inverts;
        an invalid regex matches literally)."""
        if text == self._filter_text:
            return
        previous, self._filter_text = self._filter, text
        self._filter = _Filter.parse(text)
        narrowing = self._filter is not None and self._filter.narrows(previous)
        self._rebuild_view(narrowing=narrowing)

    def move_cursor_to(self, key: str) -> bool:
        """Put the cursor on `key` if it is in view; False when it is not."""
        if key not in self._rows or not self._matches(self._rows[key]):
            return False
        self._move_cursor(self._view.index(key))
        return True

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    @property
    def cursor_row(self) -> Row | None:
        return None if self._cursor_key is None else self._rows.get(self._cursor_key)

    @property
    def cursor_index(self) -> int:
        """The cursor's position in the filtered view."""
        return self._cursor_index

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def visible_count(self) -> int:
        return len(self._view)

    @property
    def visible_keys(self) -> tuple[str, ...]:
        """Keys after sorting and filtering, top to bottom (a copy: O(rows))."""
        return tuple(self._view)

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def filter_text(self) -> str:
        return self._filter_text

    def row(self, key: str) -> Row | None:
        return self._rows.get(key)

    # ---- actions ------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor_index + 1)

    def action_cursor_page_up(self) -> None:
        self._page(-1)

    def action_cursor_page_down(self) -> None:
        self._page(1)

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(len(self._view) - 1)

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
        if self._cursor_key is not None:
            self.post_message(self.RowChosen(self, self._cursor_key))

    # ---- events -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if not self._frozen:
            self._clock = self.set_interval(1.0, self._tick)

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
        if index < len(self._view):
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
        if index >= len(self._view):
            return self._empty_line(y, width, base)
        key = self._view[index]
        row = self._rows[key]
        is_cursor = index == self._cursor_index
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
        for index, (column, width) in enumerate(zip(self._columns, self._fitted, strict=True)):
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
        arrow = "↓" if self._sort_reverse else "↑"
        names = [
            column.name + (arrow if index == self._sort_column else "")
            for index, column in enumerate(self._columns)
        ]
        text = " " * LEFT_PAD + (" " * COLUMN_GAP).join(
            _fit(name, width) for name, width in zip(names, self._fitted, strict=True)
        )
        return Strip([Segment(text, style)], _text_width(text))

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        body_height = max(1, self.scrollable_content_region.height - 1)
        if self._view or y != 1 + (body_height - 1) // 2:
            return Strip.blank(width, base)
        message = f"no rows match {self._filter_text!r}" if self._rows else self._empty_message
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
        if not cells or not self._columns:
            return False
        measure = len if "".join(map("".join, cells)).isascii() else cell_len
        grew = False
        for index, column in enumerate(self._columns):
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
            if len(self._view) + 1 > height:  # leave room for the vertical scrollbar
                available -= self.styles.scrollbar_size_vertical
            before_last = LEFT_PAD + sum(fitted[:-1]) + COLUMN_GAP * (len(fitted) - 1)
            floor = min(fitted[-1], MIN_LAST_COLUMN)
            fitted[-1] = max(floor, min(fitted[-1], available - before_last))
        total_width = LEFT_PAD + sum(fitted) + COLUMN_GAP * max(0, len(fitted) - 1)
        self.virtual_size = Size(total_width, len(self._view) + 1)
        if invalidate or fitted != self._fitted:
            self._fitted = fitted
            self._invalidate()

    def _invalidate(self, styles: bool = False) -> None:
        if styles:
            self._styles.clear()
        self._epoch += 1
        self.refresh()

    def _sort_column_spec(self) -> Column | None:
        return self._columns[self._sort_column] if self._columns else None

    def _resort(self) -> None:
        self._order_texts = self._view_texts = None
        self._sort_keys = _sort_keys(
            self._rows.values(), self._sort_column, self._sort_column_spec()
        )
        self._order.sort(key=self._sort_keys.__getitem__, reverse=self._sort_reverse)
        self._rebuild_view()

    def _matches(self, row: Row) -> bool:
        """Whether one row passes the filter (for rows changed by a batch)."""
        return self._filter is None or self._filter.matches(
            _search_text(row.cells, self._searchable)
        )

    def _texts_of(self, keys: list[str]) -> list[str]:
        texts = self._search_texts
        if len(texts) != len(self._rows):  # rows added or changed since the last filter
            indices = self._searchable
            for key, row in self._rows.items():
                if key not in texts:
                    texts[key] = _search_text(row.cells, indices)
        return [texts[key] for key in keys]

    def _rebuild_view(self, narrowing: bool = False) -> None:
        """Re-derive the view from the sorted keys (or, when the filter only got stricter, from
        the current view); keep the cursor on its key."""
        previous_key = self._cursor_key
        screen_line = self._cursor_index - round(self.scroll_y)
        if self._filter is None:
            self._view, self._view_texts = self._order, None
        else:
            if narrowing:
                keys, texts = self._view, self._view_texts or self._texts_of(self._view)
            else:
                if self._order_texts is None:
                    self._order_texts = self._texts_of(self._order)
                keys, texts = self._order, self._order_texts
            hits = self._filter.hits(texts)
            self._view, self._view_texts = list(compress(keys, hits)), list(compress(texts, hits))
        row = self._rows.get(previous_key) if previous_key is not None else None
        if row is not None and self._matches(row):
            index = self._view.index(row.key)
        else:
            index = min(self._cursor_index, len(self._view) - 1)
        self._cursor_index = max(0, index)
        self._cursor_key = self._view[self._cursor_index] if self._view else None
        self._sync_geometry()
        if self.is_mounted and 0 <= screen_line < self._body_height():
            self.scroll_to(y=self._cursor_index - screen_line, animate=False)  # row stays put
        self.refresh()
        if self._cursor_key != previous_key:
            self.post_message(self.CursorMoved(self, self._cursor_key))

    def _refresh_keys(self, keys: Iterable[str]) -> None:
        """Repaint just the visible lines of these rows."""
        top = round(self.scroll_y)
        visible = self._view[top : top + self._body_height()]
        on_screen = {key: top + line for line, key in enumerate(visible)}
        for key in keys:
            index = on_screen.get(key)
            if index is not None:
                self.refresh_line(index + 1)

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move_cursor(self, index: int) -> None:
        if not self._view:
            return
        index = max(0, min(index, len(self._view) - 1))
        previous = self._cursor_index
        self._cursor_index = index
        if previous < len(self._view):
            self.refresh_line(previous + 1)
        self.refresh_line(index + 1)
        self._scroll_cursor_into_view()
        key = self._view[index]
        if key != self._cursor_key:
            self._cursor_key = key
            self.post_message(self.CursorMoved(self, key))

    def _page(self, direction: int) -> None:
        page = self._body_height()
        if self.is_mounted:
            self.scroll_to(y=round(self.scroll_y) + direction * page, animate=False)
        self._move_cursor(self._cursor_index + direction * page)

    def _scroll_cursor_into_view(self) -> None:
        if not self.is_mounted:
            return
        top, height = round(self.scroll_y), self._body_height()
        if self._cursor_index < top:
            self.scroll_to(y=self._cursor_index, animate=False)
        elif self._cursor_index >= top + height:
            self.scroll_to(y=self._cursor_index - height + 1, animate=False)
