"""LogLines: a scrolling view of styled log rows that paints only what is visible (Line API).

Appending a line stores its Text; a row is rendered into a Strip when it first scrolls into
view (and cached), so a redraw of thousands of lines after a filter change costs the Texts,
not their rendering. Wrap off keeps one row per line with sideways scrolling; wrap on splits
lines at the view's width (again on a resize)."""

from __future__ import annotations

import time

from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

LEAVING_SECONDS = 1.0


class LogLines(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LogLines { background: $surface; color: $foreground; overflow-y: scroll; }
    """

    def __init__(self, *, wrap: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.wrap = wrap
        self.entries: list[Text] = []
        self.rows: list[Text] = []
        self._starts: list[int] = []
        """The first row of each entry."""
        self._widest = 0
        self._cache: dict[int, Strip] = {}
        self._wrapped_at = 0
        self._leaving = 0.0

    # ------------------------------------------------------------------ the user scrolls up
    @property
    def leaving_end(self) -> bool:
        """The user asked to scroll up and the scroll has not happened yet (Textual defers
        it past the next refresh): whoever follows the end must not pull the view back, nor
        move the rows under it. For a second at most (a scroll up at the top never comes)."""
        return time.monotonic() - self._leaving < LEAVING_SECONDS

    @leaving_end.setter
    def leaving_end(self, leaving: bool) -> None:
        self._leaving = time.monotonic() if leaving else 0.0

    def action_scroll_up(self) -> None:
        self._leaving = time.monotonic()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._leaving = time.monotonic()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._leaving = time.monotonic()
        super().action_scroll_home()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._leaving = time.monotonic()
        super()._on_mouse_scroll_up(event)

    # ------------------------------------------------------------------ data in
    def clear(self) -> None:
        self.entries.clear()
        self.rows.clear()
        self._starts.clear()
        self._cache.clear()
        self._widest = 0
        self.virtual_size = Size(0, 0)
        self.refresh()

    def append(self, text: Text) -> int:
        """Add one line (a Text without newlines); its first row."""
        start = len(self.rows)
        self.entries.append(text)
        self._starts.append(start)
        self._add_rows(text)
        return start

    def appended(self) -> None:
        """After a batch of `append`s: one size update and one repaint."""
        self.virtual_size = Size(self._widest, len(self.rows))
        self.refresh()

    def truncate(self, entry: int) -> None:
        """Drop the entries from `entry` on (lines merged in before them are written again)."""
        if entry >= len(self.entries):
            return
        del self.rows[self._starts[entry] :]
        del self.entries[entry:]
        del self._starts[entry:]
        self._cache.clear()

    def drop_front(self, count: int) -> int:
        """Drop the first `count` entries (what the ring dropped); the rows removed. The
        lines in view stay where they are."""
        if count <= 0:
            return 0
        count = min(count, len(self.entries))
        removed = self._starts[count] if count < len(self._starts) else len(self.rows)
        del self.rows[:removed]
        del self.entries[:count]
        self._starts = [start - removed for start in self._starts[count:]]
        self._cache.clear()
        scroll_y = max(0, self.scroll_y - removed)
        self.virtual_size = Size(self._widest, len(self.rows))
        self.scroll_target_y = scroll_y  # where the next scroll starts from
        self.set_scroll(None, scroll_y)  # watchers not called: no one thinks the user scrolled
        return removed

    def _add_rows(self, text: Text) -> None:
        width = self._wrap_width()
        if self.wrap and width and text.cell_len > width:
            pieces = list(text.wrap(self.app.console, width, no_wrap=False, overflow="fold"))
            self.rows.extend(pieces)
            self._widest = max(self._widest, max(piece.cell_len for piece in pieces))
        else:
            self.rows.append(text)
            self._widest = max(self._widest, text.cell_len)

    def _wrap_width(self) -> int:
        return max(0, self.scrollable_content_region.width) if self.wrap else 0

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._rewrap()

    def _rewrap(self) -> None:
        entries = list(self.entries)
        self.clear()
        for entry in entries:
            self.append(entry)
        self._wrapped_at = self._wrap_width()
        self.appended()

    def on_resize(self) -> None:
        if self.wrap and self._wrap_width() != self._wrapped_at:
            self._rewrap()
        self._cache.clear()

    # ------------------------------------------------------------------ painting
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        strip = self._cache.get(index)
        if strip is None:
            row = self.rows[index]
            strip = Strip(list(row.render(self.app.console)), row.cell_len)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[index] = strip
        cropped = strip.crop(scroll_x, scroll_x + width)
        return cropped.extend_cell_length(width).apply_style(self.rich_style)

    def row_text(self, index: int) -> str:
        return self.rows[index].plain

    def text(self) -> str:
        """Every row's text, for tests and saving."""
        return "\n".join(row.plain for row in self.rows)

    def first_row_of(self, entry: int) -> int:
        return self._starts[entry]
