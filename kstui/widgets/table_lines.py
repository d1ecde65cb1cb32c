"""How ResourceTable paints: one cached `Strip` per visible row, rebuilt only when its row, the
column widths, the cursor, the styles or the clock change (see PERFORMANCE.md). The widget's
state (rows, widths, cursor) is set up and changed by ResourceTable (resource_table.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kstui.model import Row, Tone, age_of
from kstui.widgets import table_layout as layout
from kstui.widgets.table_layout import fit, text_width
from kstui.widgets.table_store import TableStore

TONE_CLASSES = {
    Tone.OK: "resource-table--ok",
    Tone.WARN: "resource-table--warn",
    Tone.ERROR: "resource-table--error",
    Tone.MUTED: "resource-table--muted",
}


def line_strip(text: str, style: Style, start: int, width: int, fill: Style) -> Strip:
    """`text` from cell `start`, `width` cells, padded with `fill`: what
    `Strip([Segment(text, style)]).crop_extend(start, start + width, fill)` makes, built at once
    for single-cell text (one Strip, not three: a page down draws ~45 new lines)."""
    if not text.isascii():
        strip = Strip([Segment(text, style)], text_width(text))
        return strip.crop_extend(start, start + width, fill)
    piece = text[start : start + width]
    segments = [Segment(piece, style)] if piece else []
    if len(piece) < width:
        segments.append(Segment(" " * (width - len(piece)), fill))
    return Strip(segments, width)


class TableLines(ScrollView):
    """The painting half of ResourceTable: render_line, styles, widths fitted to the view."""

    _store: TableStore
    _widths: list[int]
    """Natural widths: grow-only, from content, capped by Column.max_width."""
    _fitted: list[int]
    """Widths used to draw: the natural ones with the last column squeezed to fit."""
    _pending: frozenset[str]
    _empty_message: str
    _now: float
    _epoch: int
    """Bumped whenever every cached strip goes stale (widths, styles, clock)."""
    _strips: dict[str, tuple[Row, Style, int, tuple[str, ...], str, tuple[int, int, Style], Strip]]
    """Row key → what its line was drawn from (row, style, epoch, ages shown), its text, the
    crop (scroll x, width, fill) and the strip: a focus change restyles only the cursor's row,
    a clock tick only rows whose age moved."""
    _styles: dict[tuple[Tone, bool, bool], Style]
    _settle_due: bool
    """A key left store work for after its frame (ResourceTable._settle_after_frame)."""

    # ---- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if self._settle_due:  # painting the key's frame: the store finishes right after it
            self._settle_due = False
            self.call_after_refresh(self._settle_store)
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
        if index >= store.visible_count:
            return self._empty_line(y, width, base)
        key = store.key_at(index)
        row = store.rows[key]
        is_cursor = index == store.cursor_index
        is_pending = key in self._pending
        cached = self._strips.get(key)
        ages = self._ages(row)
        style = self._style(row.tone, cursor=is_cursor, pending=is_pending)
        fill = self._style(row.tone, cursor=True, pending=is_pending) if is_cursor else base
        crop = (scroll_x, width, fill)
        if (
            cached is not None
            and cached[0] is row
            and cached[1] == style
            and cached[2] == self._epoch
            and cached[3] == ages
        ):
            if cached[5] == crop:
                return cached[6]
            text = cached[4]
        else:
            if len(self._strips) > 4 * self.size.height + 64:
                self._strips.clear()  # only visible rows are worth keeping
            text = self._row_text(row)
        strip = line_strip(text, style, scroll_x, width, fill)
        self._strips[key] = (row, style, self._epoch, ages, text, crop, strip)
        return strip

    def _settle_store(self) -> None:
        """After a sort or filter key's frame: the store finishes its lists, and they leave
        the collector's young generations now. 150,000 references in a young list are walked
        by every young and middle collection until it is old: those come from the next frames'
        allocations, and cost the next key 10-20 ms (bench: flipping the sort after a sort,
        6 ms with it, 22 without). The heap's full collections still wait for a pause."""
        self._store.settle()
        gc.collect(1)

    def _row_text(self, row: Row) -> str:
        text, grew = layout.row_text(
            row, self._store.columns, self._fitted, self._widths, self._now
        )
        if grew:  # rare ("<unknown>"): widen after this frame rather than mid-render
            self.call_later(self._sync_geometry, True)
        return text

    def _ages(self, row: Row) -> tuple[str, ...]:
        """The row's age cells as shown at the table's clock (a strip is stale once they
        change: a tick repaints only the rows whose shown age moved)."""
        now = self._now
        return tuple(
            age_of(row.cells[index], now)
            for index, column in enumerate(self._store.columns)
            if column.age
        )

    def _refresh_ages(self) -> None:
        """The clock moved: repaint just the visible rows whose shown age changed."""
        top = round(self.scroll_y)
        store = self._store
        for line, key in enumerate(store.keys_from(top, self.size.height)):
            cached = self._strips.get(key)
            if cached is None or cached[3] != self._ages(store.rows[key]):
                self.refresh_line(top + line + 1)

    def _header_strip(self, style: Style) -> Strip:
        store = self._store
        text = layout.header_text(
            store.columns, self._fitted, store.sort_column, store.sort_reverse
        )
        return Strip([Segment(text, style)], text_width(text))

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        body_height = max(1, self.scrollable_content_region.height - 1)
        store = self._store
        if store.visible_count:
            return Strip.blank(width, base)
        message = f"no rows match {store.filter_text!r}" if store.row_count else self._empty_message
        lines = layout.message_lines(message, width - 2)
        index = y - 1 - max(0, (body_height - len(lines)) // 2)
        if not 0 <= index < len(lines):
            return Strip.blank(width, base)
        text = lines[index].center(width)
        return Strip([Segment(fit(text, width), self._style(Tone.MUTED))], width)

    def _style(self, tone: Tone, *, cursor: bool = False, pending: bool = False) -> Style:
        cache_key = (tone, cursor, pending)
        style = self._styles.get(cache_key)
        if style is None:
            style = self.rich_style
            if tone in TONE_CLASSES:
                style += self._overlay(TONE_CLASSES[tone])
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

    # ---- widths -----------------------------------------------------------------------------

    def _grow_widths(self, rows: Iterable[Row]) -> bool:
        return layout.grow_widths(self._widths, self._store.columns, rows)

    def _sync_geometry(self, invalidate: bool = False) -> None:
        """Fit the natural widths into the viewport (squeezing the last column first) and size
        the scrollable area; repaint everything when the widths changed."""
        fitted = list(self._widths)
        if fitted and self.is_mounted:
            available, height = self.container_size
            if self._store.visible_count + 1 > height:  # leave room for the vertical scrollbar
                available -= self.styles.scrollbar_size_vertical
            fitted = layout.fit_widths(fitted, available, self._store.columns)
        self._set_virtual_size(Size(layout.total_width(fitted), self._store.visible_count + 1))
        if invalidate or fitted != self._fitted:
            self._fitted = fitted
            self._invalidate()

    def _set_virtual_size(self, size: Size) -> None:
        """A filter keystroke or a deleted row changes how many rows there are, not the
        table's own box: the scrollbars and the table are refreshed, not the layout of the
        whole screen (`virtual_size` alone lays out and repaints every widget on it). A
        scrollbar appearing or going still lays the screen out (its own reactive does)."""
        if size == self.virtual_size:
            return
        height, width = self.styles.height, self.styles.width
        sized_by_rows = height is None or height.is_auto or width is None or width.is_auto
        if not self.is_mounted or sized_by_rows:
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _invalidate(self, styles: bool = False) -> None:
        if styles:
            self._styles.clear()
        self._epoch += 1
        self.refresh()

    def _restyle(self) -> None:
        """The styles may have changed (focus, theme, CSS): they are looked up afresh, and
        only the rows whose style did change (the cursor's, on focus) are drawn again."""
        self._styles.clear()
        self.refresh()
