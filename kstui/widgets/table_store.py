"""TableStore: the rows behind a ResourceTable, their sort order, the filtered view and the cursor.

Toolkit-free (stdlib and kstui.model only), so it is tested and measured without a screen. Rows
live in a dict by key plus a sorted list of keys; a filter narrows that list without re-sorting,
and a stricter plain word narrows the previous result instead of rescanning every row. The
cursor follows its key through sorting, filtering and batches.

Sized for 150,000 rows (a keystroke within 50 ms): no sort key is stored per row. Each column's
order is made when idle and kept through batches (table_kept), so a sort key reads it; without
one, the keys kept in tie order (NAME, then key) with their cells and search texts alongside
are dealt into a bucket per distinct value (few values) or sorted by value (many). A batch
moves only its rows, found by bisection; search texts are built with the rows (one string a
row, shared by every list), and a plain word is found with `in`, not a regex per row. What a
sort or filter key's frame does not need (the new order's texts, old lists) waits for `settle`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any

from kstui.heap import gc_paused
from kstui.model import Column, Row
from kstui.widgets.table_filter import Filter, filter_problem, laid_out, search_text
from kstui.widgets.table_kept import KeptOrders
from kstui.widgets.table_order import Placed, sorted_places, value_key
from kstui.widgets.table_splice import BatchOutcome, Moves, padded, put_in, spot, take_out

__all__ = ["BatchOutcome", "TableStore", "filter_problem"]

_CELLS = attrgetter("cells")


class TableStore:
    """Rows by key, sorted by one column, narrowed by a filter, with a cursor on one key.

    `view` is the live list of visible keys, top to bottom; treat it as read-only."""

    def __init__(self) -> None:
        self._columns: tuple[Column, ...] = ()
        self._tie: int | None = None
        """The NAME column, which breaks ties in any other column's order."""
        self._rows: dict[str, Row] = {}
        self._tie_order: list[str] = []
        """Every key by (NAME, key): a stable sort of ranks over it breaks ties as kubectl."""
        self._tie_cells: list[tuple[str, ...]] = []
        self._tie_texts: list[str] = []
        """The cells and search texts of `_tie_order`, in its order (a sort reads a column)."""
        self._order: list[str] = []
        """Every key, sorted."""
        self._order_texts: list[str] = []
        """Search texts aligned with `_order`: scanning a list in order is several times faster
        than looking each key up."""
        self._placed: Placed | None = None
        """A sort's new order, read in place until `settle` makes `_order` (stale till then)."""
        self._view: Sequence[str] = self._order
        """The keys shown: the order itself (`_order`, or `_placed` until it is made), or the
        part of it that matches the filter (a list)."""
        self._view_texts: list[str] | None = None
        """Search texts aligned with `_view` when filtered (None when stale)."""
        self._order_due: Placed | None = None  # texts left for after a key's frame (`settle`)
        self._layout_due = False  # the order's texts not yet copied in its sequence (laid_out)
        self._view_due: tuple[list[str], list[bool]] | None = None
        self._released: list[Sequence[str]] = []
        """Lists a key replaced: freeing 150,000 references waits for `settle` too."""
        self._searchable: tuple[int, ...] = ()
        """Columns a filter looks at: all but ages (timestamps would only add noise)."""
        self._sort_column = 0
        self._sort_reverse = False
        self._filter_text = ""
        self._filter: Filter | None = None
        self._cursor_index = 0
        self._cursor_key: str | None = None
        self._kept = KeptOrders()
        """Each column's order, made when idle (`tend`) and kept through batches: a sort key
        reads it rather than sorting (150,000 distinct times: 125 ms)."""
        self._texts: dict[str, str] = {}
        """Each key's search text (a kept order's texts are gathered by key)."""
        self._seed: int | None = None  # a column sorted without a kept order: kept once made

    # ---- reading ------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[Column, ...]:
        return self._columns

    @property
    def rows(self) -> Mapping[str, Row]:
        return self._rows

    @property
    def view(self) -> Sequence[str]:
        self._order_now()
        return self._view

    def key_at(self, index: int) -> str:
        """The key shown at `index` in the view (what a frame reads: no list is made for it)."""
        return self._view[index]

    def keys_from(self, start: int, count: int) -> Sequence[str]:
        """Up to `count` keys of the view from `start`."""
        return self._view[start : start + count]

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
        return spot(self._rows, self._view, row, self._sort_key, self._sort_reverse)

    def matches(self, row: Row) -> bool:
        """Whether one row passes the filter (for rows changed by a batch)."""
        return self._filter is None or self._filter.matches(self._text(row))

    # ---- changing -----------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Replace the columns: rows are padded or cut to fit, then re-sorted."""
        self._columns = tuple(columns)
        names = [column.name for column in self._columns]
        self._tie = names.index("NAME") if "NAME" in names else None
        self._searchable = tuple(i for i, column in enumerate(self._columns) if not column.age)
        self._rows = {key: padded(row, len(self._columns)) for key, row in self._rows.items()}
        if self._sort_column >= len(self._columns):
            self._sort_column, self._sort_reverse = 0, False
        self._reindex()

    def apply(self, upserted: Iterable[Row] = (), deleted: Iterable[str] = ()) -> BatchOutcome:
        """Apply one coalesced batch: deletions first, then upserts. Only rows whose place
        changed move (bisected out with their old values, back in with the new ones), so a
        batch costs the rows it touches, not the 150,000 it does not."""
        self.settle()
        rows = self._rows
        final: dict[str, Row | None] = {key: None for key in deleted if key in rows}
        for row in self._fitted(upserted):
            final[row.key] = row
        sort_key, tie_key = self._sort_key, self._tie_key
        # with a filter, the view is patched the same way (rows leaving it, entering it)
        patching = self._filter is not None and self._view_texts is not None
        moves = Moves.of(final, rows, sort_key, tie_key, self.matches, patching, self._kept.changed)
        changed, out, into, in_place = moves.changed, moves.out, moves.into, moves.in_place
        reverse = self._sort_reverse
        order_lists: list[list[Any]] = [self._order, self._order_texts]
        tie_lists: list[list[Any]] = [self._tie_order, self._tie_cells, self._tie_texts]
        view_texts = self._view_texts if patching else None
        view_lists: list[list[Any]] = [] if view_texts is None else [self._view_list(), view_texts]
        # out with the old values while the dict still holds them
        take_out(self._rows, order_lists, out, sort_key, reverse)
        take_out(self._rows, tie_lists, moves.tie_out, tie_key, False)
        if patching:
            take_out(self._rows, view_lists, moves.view_out, sort_key, reverse)
        for row in out:
            if final[row.key] is None:
                del rows[row.key], self._texts[row.key]
        for row in changed:
            rows[row.key] = row  # unchanged rows stay the same objects (their cached strips)
        texts = {row.key: self._text(row) for row in changed}  # one string a row, shared
        self._texts.update(texts)

        def keyed_text(row: Row) -> tuple[str, str]:
            return row.key, texts[row.key]

        put_in(rows, order_lists, into, sort_key, reverse, keyed_text)
        put_in(
            rows,
            tie_lists,
            moves.tie_into,
            tie_key,
            False,
            lambda r: (r.key, r.cells, texts[r.key]),
        )
        if patching:
            put_in(rows, view_lists, moves.view_into, sort_key, reverse, keyed_text)
        moved = {row.key for row in into}
        for row in in_place:
            index = spot(self._rows, self._tie_order, row, tie_key, False)
            self._tie_cells[index], self._tie_texts[index] = row.cells, texts[row.key]
            if row.key not in moved:
                self._order_texts[spot(self._rows, self._order, row, sort_key, reverse)] = texts[
                    row.key
                ]
        if view_texts is not None:
            for row in moves.view_same:
                view_texts[spot(self._rows, self._view, row, sort_key, reverse)] = texts[row.key]
        rebuilt = bool(out or into) or moves.reshaped
        if rebuilt:
            if patching:
                self._place_cursor()
            else:
                self._rebuild_view()
        return BatchOutcome(changed, rebuilt)

    def replace_all(self, upserted: Iterable[Row]) -> list[Row]:
        """The bulk path: every row replaced, built in comprehensions and sorted once; returns
        the rows as stored. The collector is paused meanwhile: these allocations would otherwise
        trigger full collections that walk every row again (PERFORMANCE.md)."""
        with gc_paused():
            rows = self._fitted(upserted)
            self._rows = {row.key: row for row in rows}
            self._reindex()
        return rows

    def sort_by(self, column_index: int, reverse: bool | None = None) -> None:
        """Sort by a column; `reverse=None` flips the order when it is already the sort column."""
        if not 0 <= column_index < len(self._columns):
            raise IndexError(f"no column {column_index}")
        if reverse is None:
            reverse = column_index == self._sort_column and not self._sort_reverse
        flipped = column_index == self._sort_column and reverse != self._sort_reverse
        self._sort_column, self._sort_reverse = column_index, reverse
        if flipped:  # every key is unique: the reverse order is exactly the order reversed
            if self._placed is not None:
                self._placed = self._placed.reversed()
            else:
                self._order.reverse()
            if self._order_due is not None:
                self._order_due = self._order_due.reversed()
            else:
                self._order_texts.reverse()
            self._rebuild_view()
            return
        self._resort()

    def set_filter(self, text: str) -> bool:
        """Keep only rows whose cells match `text` (regex, case-insensitive, `!` inverts; an
        invalid regex matches literally). False when the text did not change."""
        if text == self._filter_text:
            return False
        previous, self._filter_text = self._filter, text
        self._filter = Filter.parse(text)
        narrowing = self._filter is not None and self._filter.narrows(previous)
        self._rebuild_view(narrowing=narrowing)
        return True

    def settle(self) -> None:
        """Finish what a sort or filter key left for after its frame: the search texts of the
        new order or view (needed by the next filter key or batch, not by the frame), and
        freeing the lists it replaced. Anything that needs them first settles them itself."""
        self._order_now()
        self._order_texts_now()
        if self._layout_due and self._filter is not None:
            self._lay_out_texts()
        self._view_texts_now()
        self._released.clear()

    def tend(self) -> bool:
        """Idle work, a few ms at a time: make the columns' kept orders, or move the rows batches
        changed in them (table_kept); True while more remains. A sort's lists are made first."""
        if self._placed is not None or self._order_due is not None:
            self.settle()
            return True
        return self._kept.tend(self._tie_order, self._tie_cells, self._rows, self._column_key)

    @property
    def kept_sorts(self) -> int:
        """Sort keys that read a kept order rather than sorting."""
        return self._kept.used

    @property
    def tending(self) -> bool:
        """Whether `tend` has work."""
        return self._kept.due or self._placed is not None or self._order_due is not None

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
            incoming = [padded(row, width) for row in incoming]
        return incoming

    def _text(self, row: Row) -> str:
        return search_text(row.cells, self._searchable)

    def _tie_key(self, row: Row) -> str:
        """Where a row goes among equals: by NAME (rows of one namespace in name order, as
        kubectl and k9s show them), then by key."""
        tie = self._tie
        return row.key if tie is None else f"{row.cells[tie].casefold()}\0{row.key}"

    def _column_key(self, index: int) -> Callable[[Row], Any]:
        """`_sort_key` for any column."""
        tie_key = self._tie_key
        if not self._columns or index == self._tie:
            return tie_key
        value = value_key(self._columns[index])
        return lambda row: (value(row.cells[index]), tie_key(row))

    def _sort_key(self, row: Row) -> Any:
        """A row's full place in the ascending order (computed when needed, never stored)."""
        index = self._sort_column
        if not self._columns or index == self._tie:
            return self._tie_key(row)
        return (value_key(self._columns[index])(row.cells[index]), self._tie_key(row))

    def _reindex(self) -> None:
        """Every row's tie place and search text afresh (new rows or new columns), then sort."""
        tie_rows = sorted(self._rows.values(), key=self._tie_key)
        self._tie_order = [row.key for row in tie_rows]
        self._tie_cells = list(map(_CELLS, tie_rows))
        indices = self._searchable
        self._tie_texts = [search_text(cells, indices) for cells in self._tie_cells]
        self._texts = dict(zip(self._tie_order, self._tie_texts, strict=True))
        self._kept.reset(self._columns, self._tie)
        self._resort()

    def _resort(self) -> None:
        """A stable sort of each row's rank over the tie order: no per-row key strings, and
        distinct values (a few statuses, namespaces, nodes) are compared once. Every pass over
        the 150,000 rows runs in C (map, itemgetter); the texts are gathered after the frame."""
        keys, index, self._seed = self._tie_order, self._sort_column, None
        places: Sequence[Any] = range(len(keys))
        texts: Sequence[str] | Mapping[str, str] = self._tie_texts
        text_places = places
        if self._columns and index != self._tie:
            kept = self._kept.order(index, self._rows, self._column_key(index))
            if kept is None:
                cells = list(map(itemgetter(index), self._tie_cells))
                places = text_places = sorted_places(cells, self._columns[index])
                self._seed = index
            else:  # the kept keys as they are, their texts by key
                keys, places, texts, text_places = kept, range(len(kept)), self._texts, kept
        self._release(self._order, self._order_texts)
        reverse = self._sort_reverse  # the lists are made after the frame:
        self._order, self._placed = [], Placed(keys, places, reverse)
        self._order_texts, self._order_due = [], Placed(texts, text_places, reverse)
        self._layout_due = True
        self._view_texts = self._view_due = None
        self._rebuild_view()

    def _order_now(self) -> list[str]:
        if self._placed is not None:
            order = self._placed.made()
            if self._view is self._placed:
                self._view = order
            self._order, self._placed = order, None
            if self._seed is not None:  # sorted without a kept order: keep this one
                self._kept.seed(self._seed, order[::-1] if self._sort_reverse else order[:])
                self._seed = None
        return self._order

    def _view_list(self) -> list[str]:  # filtered, it is one already; else it is the order
        return self._view if isinstance(self._view, list) else self._order_now()

    def _release(self, *lists: Sequence[str]) -> None:
        if len(self._released) > 8:  # nobody settles (no screen): free them now
            self._released.clear()
        self._released += lists

    def _order_texts_now(self) -> list[str]:
        if self._order_due is not None:
            self._order_texts, self._order_due = self._order_due.made(), None
        return self._order_texts

    def _lay_out_texts(self) -> None:  # filtering in a new order: see laid_out
        texts, self._layout_due = self._order_texts, False
        self._order_texts = laid_out(texts)
        if self._view_due is not None and self._view_due[0] is texts:
            self._view_due = (self._order_texts, self._view_due[1])
        self._release(texts)

    def _view_texts_now(self) -> list[str] | None:
        if self._view_due is not None:
            texts, hits = self._view_due
            self._view_texts, self._view_due = list(compress(texts, hits)), None
        return self._view_texts

    def _rebuild_view(self, narrowing: bool = False) -> None:
        """Re-derive the view from the order (or, the filter only stricter, from the view: kept
        when every shown row still matches); the cursor stays on its key, else its index."""
        if self._filter is None:
            self._release_view()
            self._view = self._order if self._placed is None else self._placed
            self._view_texts = self._view_due = None
        else:
            narrowing = narrowing and (self._view_texts is not None or self._view_due is not None)
            if narrowing:
                keys, texts = self._view_list(), self._view_texts_now()
            else:
                keys, texts = self._order_now(), self._order_texts_now()
            assert texts is not None
            hits = self._filter.hits(texts)
            if not (narrowing and all(hits)):  # else "runn" after "run": the same rows
                self._release_view()
                self._view, self._view_texts = list(compress(keys, hits)), None
                self._view_due = (texts, hits)
        self._place_cursor()

    def _release_view(self) -> None:
        if self._view is not self._order and self._view is not self._placed:
            self._release(self._view, self._view_texts or [])

    def _place_cursor(self) -> None:
        """The cursor on its key if it is still shown, else at its index, clamped."""
        previous_key = self._cursor_key
        row = self._rows.get(previous_key) if previous_key is not None else None
        if row is not None and self.matches(row):
            index = spot(self._rows, self._view, row, self._sort_key, self._sort_reverse)
        else:
            index = min(self._cursor_index, len(self._view) - 1)
        self._cursor_index = max(0, index)
        self._cursor_key = self._view[self._cursor_index] if self._view else None
