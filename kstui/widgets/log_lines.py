"""LogLines: a scrolling view of styled log rows that paints only what is visible (Line API).

The view keeps what it was given for each line (the ring's entry, shared, not copied) and a
few ints: its first row, its row count unwrapped, its widest row and a tag for the renderer
(the prefix width it was written with). A row's Text is made only when it scrolls into view,
by the `render` callback, and kept in a small cache of the visible window, so a 100,000-line
view holds no per-line Text (they cost ~770 B a line and kept the collector busy). Wrap off
keeps one row per line's row with sideways scrolling; wrap on folds rows at the view's width
(again on a resize), counting the folded rows without keeping them."""

from __future__ import annotations

import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

LEAVING_SECONDS = 3.0
"""How long a scroll up the user asked for holds the view against following the end until
Textual applies it (after the next refresh): a busy process (a flood, a loaded machine) took
more than a second, and the view was pulled back to the end as if the key had not come."""
CACHED_ENTRIES = 256
"""Lines whose rows are kept rendered: a few screens' worth (the visible window)."""
CACHED_STRIPS = 256
"""Rows kept drawn (cut and styled): a few screens' worth; a strip holds ~15 objects that the
collector walks, and a flood draws each row once."""

_ONES = array("L", [1] * 4096)
Render = Callable[[Any, int, int], list[Text]]
"""An entry, its tag and its mark → its rows."""


def _as_text(item: Any, _tag: int, _mark: int) -> list[Text]:
    return [item] if isinstance(item, Text) else [Text(str(item))]


class _Rows(Sequence[Text]):
    """Every row of the view as a Text, made on demand (for tests and saving): not kept."""

    def __init__(self, view: LogLines) -> None:
        self.view = view

    def __len__(self) -> int:
        return self.view.row_count

    @overload
    def __getitem__(self, index: int) -> Text: ...
    @overload
    def __getitem__(self, index: slice) -> list[Text]: ...
    def __getitem__(self, index: int | slice) -> Text | list[Text]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.view.row(index)

    def __iter__(self) -> Iterator[Text]:
        for entry in range(len(self.view.entries)):
            yield from self.view.entry_rows(entry)


class _Shown(Sequence[tuple[int, str]]):
    """Each entry's first row and plain text (its rows unwrapped, joined by newlines), made
    on demand (for find and save): not kept."""

    def __init__(self, view: LogLines) -> None:
        self.view = view

    def __len__(self) -> int:
        return len(self.view.entries)

    @overload
    def __getitem__(self, index: int) -> tuple[int, str]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[int, str]]: ...
    def __getitem__(self, index: int | slice) -> tuple[int, str] | list[tuple[int, str]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self.view.first_row_of(index), self.view.plain(index)


class LogLines(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LogLines { background: $surface; color: $foreground; overflow-y: scroll; }
    """

    def __init__(
        self,
        *,
        wrap: bool = False,
        render: Render | None = None,
        plain: Callable[[Any, int, int], list[str]] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.wrap = wrap
        self.render_entry: Render = render or _as_text
        """An entry, its tag and its mark → its rows unwrapped (Texts without newlines)."""
        self.plain_entry = plain
        """The same rows' plain text, cheaper (find and save read every line)."""
        self.entries: list[Any] = []
        self._tags = array("q")
        self._marks = array("q")
        """Two ints the owner keeps with each entry (a log line: its prefix width and source,
        its time), given back to `render`: an entry can be one str, not an object."""
        self._lines = array("L")
        """Each entry's row count unwrapped."""
        self._wide = array("L")
        """Each entry's widest row (cells): wrap needs to fold it only when wider."""
        self._starts = array("q")
        """The first row of each entry, plus `_base`."""
        self._base = 0
        self.row_count = 0
        self._widest = 0
        self._texts: dict[int, list[Text]] = {}
        """Entry → its rows as shown (folded when wrapping): the visible window's."""
        self._cache: dict[int, Strip] = {}
        """Row → its strip as drawn (cut to the view and styled): the visible window's."""
        self._drawn_as: tuple[int, int, Style] | None = None
        self._frame: tuple[int, int, int, Style] | None = None
        self._wrapped_at = 0
        self._leaving = 0.0

    @property
    def rows(self) -> _Rows:
        return _Rows(self)

    @property
    def shown(self) -> _Shown:
        return _Shown(self)

    def plain(self, entry: int) -> str:
        if self.plain_entry is not None:
            return "\n".join(self.plain_entry(*self._entry(entry)))
        rows = self.render_entry(*self._entry(entry))
        return "\n".join(row.plain for row in rows)

    def cached_rows(self) -> int:
        """How many rendered rows the view holds (bounded: the visible window's)."""
        return sum(len(rows) for rows in self._texts.values()) + len(self._cache)

    # ------------------------------------------------------------------ the user scrolls up
    @property
    def leaving_end(self) -> bool:
        """The user asked to scroll up and the scroll has not happened yet (Textual defers
        it past the next refresh): whoever follows the end must not pull the view back, nor
        move the rows under it. For LEAVING_SECONDS at most (a scroll up at the top never comes)."""
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
        for ints in self._ints():
            del ints[:]
        self._base = self.row_count = self._widest = 0
        self._forget()
        self.virtual_size = Size(0, 0)
        self.refresh()

    def _forget(self) -> None:
        self._texts.clear()
        self._cache.clear()

    def _ints(self) -> tuple[array[int], ...]:
        return (self._tags, self._marks, self._lines, self._wide, self._starts)

    def _entry(self, entry: int) -> tuple[Any, int, int]:
        return self.entries[entry], self._tags[entry], self._marks[entry]

    def append(
        self, item: Any, cells: Sequence[int] | None = None, tag: int = 0, mark: int = 0
    ) -> int:
        """Add one entry (`cells`: the width of each of its rows unwrapped, when known);
        its first row."""
        if cells is None:
            cells = [row.cell_len for row in self.render_entry(item, tag, mark)]
        start = self.row_count
        wide = max(cells, default=0)
        self.entries.append(item)
        self._tags.append(tag)
        self._marks.append(mark)
        self._lines.append(len(cells))
        self._wide.append(wide)
        self._starts.append(start + self._base)
        width = self._wrap_width()
        if width and wide > width:
            pieces = self._fold(self.render_entry(item, tag, mark), width)
            self.row_count += len(pieces)
            self._widest = max(self._widest, max(piece.cell_len for piece in pieces))
        else:
            self.row_count += len(cells)
            self._widest = max(self._widest, wide)
        return start

    def extend(
        self, items: Sequence[Any], widths: Sequence[int], tags: Sequence[int], marks: Sequence[int]
    ) -> None:
        """Add entries of one row each (`widths`: each row's cells unwrapped) at once."""
        if not items:
            return
        widest = max(widths)
        wrap = self._wrap_width()
        if wrap and widest > wrap:  # some fold: counted one by one
            for item, cells, tag, mark in zip(items, widths, tags, marks, strict=True):
                self.append(item, (cells,), tag, mark)
            return
        count, start = len(items), self.row_count + self._base
        self.entries.extend(items)
        self._tags.extend(tags)
        self._marks.extend(marks)
        self._lines.extend(_ONES[:count] if count <= len(_ONES) else [1] * count)
        self._wide.extend(widths)
        self._starts.extend(range(start, start + count))
        self.row_count += count
        self._widest = max(self._widest, widest)

    def appended(self) -> None:
        """After a batch of `append`s: one size update and one repaint."""
        self._resize(Size(self._widest, self.row_count))
        self.refresh()

    def _resize(self, size: Size) -> None:
        """The scrollable size, without a layout of the screen: Textual lays out every widget
        again when a virtual size changes (a third of the CPU of a flood, a tick at a time),
        and nothing else here moves; only the scrollbars follow (one that appears or goes
        asks for the layout itself)."""
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)

    def truncate(self, entry: int) -> None:
        """Drop the entries from `entry` on (lines merged in before them are written again)."""
        if entry >= len(self.entries):
            return
        self.row_count = self._starts[entry] - self._base
        del self.entries[entry:]
        for ints in self._ints():
            del ints[entry:]
        self._forget()

    def drop_front(self, count: int) -> int:
        """Drop the first `count` entries (what the ring dropped); the rows removed. The
        lines in view stay where they are."""
        if count <= 0:
            return 0
        count = min(count, len(self.entries))
        removed = self.first_row_of(count) if count < len(self.entries) else self.row_count
        del self.entries[:count]
        for ints in self._ints():
            del ints[:count]
        self._base += removed
        self.row_count -= removed
        self._forget()
        scroll_y = max(0, self.scroll_y - removed)
        self.scroll_target_y = scroll_y  # where the next scroll starts from
        self.set_scroll(None, scroll_y)  # watchers not called: no one thinks the user scrolled
        self._resize(Size(self._widest, self.row_count))  # after: the place is within it
        self.refresh()
        return removed

    def _fold(self, rows: list[Text], width: int) -> list[Text]:
        pieces: list[Text] = []
        for row in rows:
            if row.cell_len > width:
                pieces.extend(row.wrap(self.app.console, width, no_wrap=False, overflow="fold"))
            else:
                pieces.append(row)
        return pieces

    def _wrap_width(self) -> int:
        return max(0, self.scrollable_content_region.width) if self.wrap else 0

    def set_wrap(self, wrap: bool) -> None:
        self.wrap = wrap
        self._rewrap()

    def _rewrap(self) -> None:
        """Count the rows again at the new width: only lines wider than it are rendered."""
        width = self._wrap_width()
        row, widest = 0, 0
        for entry in range(len(self.entries)):
            self._starts[entry] = row + self._base
            wide = self._wide[entry]
            if width and wide > width:
                pieces = self._fold(self.render_entry(*self._entry(entry)), width)
                row += len(pieces)
                widest = max(widest, max(piece.cell_len for piece in pieces))
            else:
                row += self._lines[entry]
                widest = max(widest, wide)
        self.row_count, self._widest = row, widest
        self._forget()
        self._wrapped_at = width
        self.appended()

    def on_resize(self) -> None:
        if self.wrap and self._wrap_width() != self._wrapped_at:
            self._rewrap()
        self._cache.clear()

    # ------------------------------------------------------------------ painting
    def entry_rows(self, entry: int) -> list[Text]:
        """One entry's rows as shown (folded when wrapping), from the small cache."""
        rows = self._texts.get(entry)
        if rows is None:
            rows = self.render_entry(*self._entry(entry))
            width = self._wrap_width()
            if width and self._wide[entry] > width:
                rows = self._fold(rows, width)
            if len(self._texts) >= CACHED_ENTRIES:
                self._texts.pop(next(iter(self._texts)))
            self._texts[entry] = rows
        return rows

    def entry_of(self, row: int) -> int:
        return bisect_right(self._starts, row + self._base) - 1

    def row(self, index: int) -> Text:
        entry = self.entry_of(index)
        return self.entry_rows(entry)[index - self.first_row_of(entry)]

    def render_lines(self, crop: Region) -> list[Strip]:
        """A frame's rows: the scroll offset, width and style read once, not once a row (a
        widget's style is worked out from its CSS each time it is asked)."""
        scroll_x, scroll_y = self.scroll_offset
        self._frame = (scroll_x, scroll_y, self.scrollable_content_region.width, self.rich_style)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        frame = self._frame
        if frame is None:
            scroll_x, scroll_y = self.scroll_offset
            frame = (scroll_x, scroll_y, self.scrollable_content_region.width, self.rich_style)
        scroll_x, scroll_y, width, style = frame
        index = scroll_y + y
        if index >= self.row_count:
            return Strip.blank(width, style)
        drawn_as = (scroll_x, width, style)
        if drawn_as != self._drawn_as:  # the rows kept were cut and styled otherwise
            self._cache.clear()
            self._drawn_as = drawn_as
        strip = self._cache.get(index)
        if strip is None:
            row = self.row(index)
            segments = list(row.render(self.app.console))
            cells = row.cell_len
            if not scroll_x and cells <= width:  # one strip, not one a step (each ~15 objects)
                if cells < width:
                    segments.append(Segment(" " * (width - cells)))
                strip = Strip(Segment.apply_style(segments, style), width)
            else:
                strip = Strip(segments, cells).crop(scroll_x, scroll_x + width)
                strip = strip.extend_cell_length(width).apply_style(style)
            if len(self._cache) >= CACHED_STRIPS:
                self._cache.pop(next(iter(self._cache)))
            self._cache[index] = strip
        return strip

    def row_text(self, index: int) -> str:
        return self.row(index).plain

    def text(self) -> str:
        """Every row's text, for tests and saving."""
        return "\n".join(row.plain for row in self.rows)

    def first_row_of(self, entry: int) -> int:
        return self._starts[entry] - self._base
