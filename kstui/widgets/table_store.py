"""TableStore: the rows behind a ResourceTable, their sort order, the filtered view and the cursor.

Toolkit-free (stdlib and kstui.model only), so it is tested and measured without a screen. Rows
live in a dict by key plus a sorted list of keys; a filter narrows that list without re-sorting,
and a stricter plain word narrows the previous result instead of rescanning every row. The
cursor follows its key through sorting, filtering and batches.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, not_

from kstui.model import Column, Row, parse_timestamp

_LEADING_INT = re.compile(r"\s*(-?\d+)")
_REGEX_SYNTAX = frozenset(".^$*+?{}[]\\|()")
_CELLS = attrgetter("cells")
SortKey = str | tuple[tuple[int, float] | tuple[int, int, str], str]


def filter_problem(text: str) -> str | None:
    """Why a `/` filter is no regular expression (it is then matched literally), or None."""
    body = text[1:] if text.startswith("!") else text
    if not _REGEX_SYNTAX.intersection(body):
        return None
    try:
        re.compile(body)
    except re.error as error:
        return f"not a regex: {error.msg} — matching literally"
    return None


def _sort_keys(
    rows: Iterable[Row], index: int, column: Column | None, tie: int | None = None
) -> dict[str, SortKey]:
    """Each row's sort key for one column, ties broken by the `tie` column (NAME: rows of one
    namespace in name order, as kubectl and k9s show them), then by the row key."""
    if column is None:
        return {row.key: row.key for row in rows}

    def then(row: Row) -> str:
        if tie is None or tie == index:
            return row.key
        return f"{row.cells[tie].casefold()}\0{row.key}"

    if column.age:  # newer timestamps are younger: sort by the negated time, unknown last
        return {row.key: (_age_value(row.cells[index]), then(row)) for row in rows}
    if column.numeric:  # "3 (5m ago)" sorts as 3; cells without a number go after numbers
        return {row.key: (_number_value(row.cells[index]), then(row)) for row in rows}
    # one string compares much faster than a tuple; NUL sorts before any character
    return {row.key: f"{row.cells[index].casefold()}\0{then(row)}" for row in rows}


def _age_value(cell: str) -> tuple[int, float]:
    at = parse_timestamp(cell)
    return (1, 0.0) if at is None else (0, -at)


def _number_value(cell: str) -> tuple[int, int, str]:
    match = _LEADING_INT.match(cell)
    return (0, int(match.group(1)), "") if match else (1, 0, cell.casefold())


def _padded(row: Row, width: int) -> Row:
    """The row with exactly `width` cells, so rendering and sorting never index past the end."""
    if len(row.cells) == width:
        return row
    return Row(row.key, (*row.cells, *[""] * width)[:width], row.tone)


def _search_text(cells: tuple[str, ...], indices: tuple[int, ...]) -> str:
    return "\t".join([cells[index] for index in indices]).lower()


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

    def hits(self, texts: list[str]) -> list[bool]:
        """Whether each text matches. map() keeps the scan in C; turning each Match into a bool
        at once frees it, where keeping 50k of them alive set off full GC passes (100+ ms)."""
        found = map(self.pattern.search, texts)
        return list(map(not_, found) if self.inverted else map(bool, found))

    def matches(self, text: str) -> bool:
        return (self.pattern.search(text) is None) is self.inverted


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What one `TableStore.apply` changed, so the widget repaints no more than needed."""

    changed: list[Row]
    """Rows that are new or differ from the stored ones, padded to the column count."""
    view_rebuilt: bool
    """The view was re-derived (order or membership changed); the cursor may have moved."""


class TableStore:
    """Rows by key, sorted by one column, narrowed by a filter, with a cursor on one key.

    `view` is the live list of visible keys, top to bottom; treat it as read-only."""

    def __init__(self) -> None:
        self._columns: tuple[Column, ...] = ()
        self._tie: int | None = None
        """The NAME column, which breaks ties in any other column's order."""
        self._rows: dict[str, Row] = {}
        self._sort_keys: dict[str, SortKey] = {}
        self._order: list[str] = []
        """Every key, sorted."""
        self._view: list[str] = self._order
        """The keys shown: `_order` itself, or the part of it that matches the filter."""
        self._search_texts: dict[str, str] | None = None
        """Lower-cased searchable cells by key, built at the first filter keystroke and then
        kept up to date by `apply`."""
        self._order_texts: list[str] | None = None
        self._view_texts: list[str] | None = None
        """Search texts aligned with `_order` / `_view`: scanning a list in order is several
        times faster than looking each key up in a dict. None when stale."""
        self._order_positions: dict[str, int] | None = None
        """Where each key sits in `_order`, so in-place updates can patch `_order_texts`."""
        self._searchable: tuple[int, ...] = ()
        """Columns a filter looks at: all but ages (timestamps would only add noise)."""
        self._sort_column = 0
        self._sort_reverse = False
        self._filter_text = ""
        self._filter: _Filter | None = None
        self._cursor_index = 0
        self._cursor_key: str | None = None

    # ---- reading ------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    @property
    def rows(self) -> Mapping[str, Row]:
        return self._rows

    @property
    def view(self) -> Sequence[str]:
        return self._view

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def visible_count(self) -> int:
        return len(self._view)

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_reverse(self) -> bool:
        return self._sort_reverse

    @property
    def filter_text(self) -> str:
        return self._filter_text

    @property
    def cursor_index(self) -> int:
        """The cursor's position in the view (0 when the view is empty)."""
        return self._cursor_index

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    def row(self, key: str) -> Row | None:
        return self._rows.get(key)

    def index_of(self, key: str) -> int | None:
        """Where `key` sits in the view; None when it is unknown or filtered out."""
        row = self._rows.get(key)
        if row is None or not self.matches(row):
            return None
        return self._view.index(key)

    def matches(self, row: Row) -> bool:
        """Whether one row passes the filter (for rows changed by a batch)."""
        return self._filter is None or self._filter.matches(
            _search_text(row.cells, self._searchable)
        )

    # ---- changing -----------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns: rows are padded or cut to fit, then re-sorted."""
        self._columns = tuple(columns)
        names = [column.name for column in self._columns]
        self._tie = names.index("NAME") if "NAME" in names else None
        self._searchable = tuple(i for i, column in enumerate(self._columns) if not column.age)
        self._search_texts = None
        self._rows = {key: _padded(row, len(self._columns)) for key, row in self._rows.items()}
        if self._sort_column >= len(self._columns):
            self._sort_column, self._sort_reverse = 0, False
        self._resort()

    def apply(self, upserted: Iterable[Row] = (), deleted: Iterable[str] = ()) -> BatchOutcome:
        """Apply one coalesced batch: deletions first, then upserts."""
        incoming = self._fitted(upserted)
        rows, sort_keys, texts = self._rows, self._sort_keys, self._search_texts
        gone = {key for key in deleted if key in rows}
        for key in gone:
            del rows[key], sort_keys[key]
            if texts is not None:
                del texts[key]
        if gone:
            self._order[:] = [key for key in self._order if key not in gone]
        changed = [row for row in incoming if rows.get(row.key) != row]
        new_keys = _sort_keys(changed, self._sort_column, self._sort_column_spec(), self._tie)
        needs_sort = reshaped = False
        for row in changed:
            previous = rows.get(row.key)
            rows[row.key] = row
            if texts is not None:
                texts[row.key] = _search_text(row.cells, self._searchable)
            if previous is None:
                self._order.append(row.key)
                needs_sort = True
                continue
            needs_sort = needs_sort or sort_keys[row.key] != new_keys[row.key]
            if not (needs_sort or reshaped):
                reshaped = self.matches(previous) != self.matches(row)
        sort_keys.update(new_keys)
        self._patch_order_texts(changed, order_changed=needs_sort or bool(gone))
        if needs_sort:
            self._order.sort(key=sort_keys.__getitem__, reverse=self._sort_reverse)
        rebuild = needs_sort or reshaped or bool(gone)
        if rebuild:
            self._rebuild_view()
        return BatchOutcome(changed, rebuild)

    def replace_all(self, upserted: Iterable[Row]) -> list[Row]:
        """The bulk path: every row replaced, built in comprehensions and sorted once; returns
        the rows as stored. The collector is paused meanwhile: these allocations would otherwise
        trigger full collections that walk every row again (PERFORMANCE.md)."""
        collecting = gc.isenabled()
        gc.disable()
        try:
            rows = self._fitted(upserted)
            self._rows = {row.key: row for row in rows}
            self._search_texts = None
            self._order[:] = self._rows
            self._resort()
        finally:
            if collecting:
                gc.enable()
        return rows

    def sort_by(self, column_index: int, reverse: bool | None = None) -> None:
        """Sort by a column; `reverse=None` flips the order when it is already the sort column."""
        if not 0 <= column_index < len(self._columns):
            raise IndexError(f"no column {column_index}")
        if reverse is None:
            reverse = column_index == self._sort_column and not self._sort_reverse
        self._sort_column, self._sort_reverse = column_index, reverse
        self._resort()

    def set_filter(self, text: str) -> bool:
        """Keep only rows whose cells match `text` (regex, case-insensitive, `!` inverts; an
        invalid regex matches literally). False when the text did not change."""
        if text == self._filter_text:
            return False
        previous, self._filter_text = self._filter, text
        self._filter = _Filter.parse(text)
        narrowing = self._filter is not None and self._filter.narrows(previous)
        self._rebuild_view(narrowing=narrowing)
        return True

    def move_cursor(self, index: int) -> str | None:
        """Put the cursor at `index` in the view (clamped); returns its key."""
        if self._view:
            self._cursor_index = max(0, min(index, len(self._view) - 1))
            self._cursor_key = self._view[self._cursor_index]
        return self._cursor_key

    # ---- internals ----------------------------------------------------------------------------

    def _fitted(self, rows: Iterable[Row]) -> list[Row]:
        incoming = list(rows)
        width = len(self._columns)
        if width and set(map(len, map(_CELLS, incoming))) - {width}:
            incoming = [_padded(row, width) for row in incoming]
        return incoming

    def _sort_column_spec(self) -> Column | None:
        return self._columns[self._sort_column] if self._columns else None

    def _resort(self) -> None:
        self._order_texts = self._view_texts = self._order_positions = None
        self._sort_keys = _sort_keys(
            self._rows.values(), self._sort_column, self._sort_column_spec(), self._tie
        )
        self._order.sort(key=self._sort_keys.__getitem__, reverse=self._sort_reverse)
        self._rebuild_view()

    def _texts_of(self, keys: list[str]) -> list[str]:
        texts = self._search_texts
        if texts is None:
            indices = self._searchable
            texts = {key: _search_text(row.cells, indices) for key, row in self._rows.items()}
            self._search_texts = texts
        return [texts[key] for key in keys]

    def _patch_order_texts(self, changed: list[Row], order_changed: bool) -> None:
        """Keep `_order_texts` valid through in-place updates, the common case under churn."""
        if not changed and not order_changed:
            return
        self._view_texts = None
        if order_changed or self._order_texts is None or self._search_texts is None:
            self._order_texts = self._order_positions = None
            return
        if self._order_positions is None:
            self._order_positions = {key: index for index, key in enumerate(self._order)}
        for row in changed:
            self._order_texts[self._order_positions[row.key]] = self._search_texts[row.key]

    def _rebuild_view(self, narrowing: bool = False) -> None:
        """Re-derive the view from the sorted keys (or, when the filter only got stricter, from
        the current view); keep the cursor on its key, else at its index, clamped."""
        if self._filter is None:
            self._view, self._view_texts = self._order, None
        else:
            if narrowing and self._view_texts is not None:
                keys, texts = self._view, self._view_texts
            else:
                if self._order_texts is None:
                    self._order_texts = self._texts_of(self._order)
                keys, texts = self._order, self._order_texts
            hits = self._filter.hits(texts)
            self._view, self._view_texts = list(compress(keys, hits)), list(compress(texts, hits))
        previous_key = self._cursor_key
        row = self._rows.get(previous_key) if previous_key is not None else None
        if row is not None and self.matches(row):
            index = self._view.index(row.key)
        else:
            index = min(self._cursor_index, len(self._view) - 1)
        self._cursor_index = max(0, index)
        self._cursor_key = self._view[self._cursor_index] if self._view else None
