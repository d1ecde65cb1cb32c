"""How a TableStore moves a batch's rows in its aligned lists (keys first, then what goes with
each key: cells, search texts), sorted by a row key: found by bisection, with the rows read
from the store's dict. Stdlib and kstui.model only."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from kstui.model import Row
from kstui.widgets.table_order import Descending, identity


class BatchOutcome(NamedTuple):
    """What one `TableStore.apply` changed, so the widget repaints no more than needed."""

    changed: list[Row]
    """Rows that are new or differ from the stored ones, padded to the column count."""
    view_rebuilt: bool
    """The view was re-derived (order or membership changed); the cursor may have moved."""


SMALL_BATCH = 64
"""Rows a batch moves one list.insert / del at a time; more are spliced in one pass."""
MERGE_SHARE = 8
"""A batch of at least 1/MERGE_SHARE of the rows there are (the rest of a list after its first
page: 511 rows into 500, 9,500 into 500) is merged in one sort of both runs, not placed by a
bisection each (a Python key call per step: ~5 ms for 511 rows, ~100 ms for 9,500)."""


def padded(row: Row, width: int) -> Row:
    """The row with exactly `width` cells, so rendering and sorting never index past the end."""
    if len(row.cells) == width:
        return row
    return Row(row.key, (*row.cells, *[""] * width)[:width], row.tone)


def spot(
    rows: Mapping[str, Row],
    keys: Sequence[str],
    row: Row,
    sort_key: Callable[[Row], Any],
    reverse: bool,
) -> int:
    """Where `row` sits (or would) in `keys`, which are in `sort_key` order; rows in it
    are read from `rows`, so it must hold what `keys` was sorted by."""
    wrap: Callable[[Any], Any] = Descending if reverse else identity
    return bisect_left(keys, wrap(sort_key(row)), key=lambda k: wrap(sort_key(rows[k])))


def take_out(
    rows: Mapping[str, Row],
    lists: list[list[Any]],
    gone: list[Row],
    sort_key: Callable[[Row], Any],
    reverse: bool,
) -> None:
    """Remove stored rows from aligned lists (keys first) sorted by `sort_key`."""
    if not gone:
        return
    keys = lists[0]
    if len(gone) > SMALL_BATCH:
        leaving = {row.key for row in gone}
        kept = [i for i, key in enumerate(keys) if key not in leaving]
        for values in lists:
            values[:] = [values[i] for i in kept]
        return
    spots = sorted(spot(rows, keys, row, sort_key, reverse) for row in gone)
    for index in reversed(spots):
        for values in lists:
            del values[index]


def put_in(
    rows: Mapping[str, Row],
    lists: list[list[Any]],
    new: list[Row],
    sort_key: Callable[[Row], Any],
    reverse: bool,
    values_of: Callable[[Row], tuple[Any, ...]],
) -> None:
    """Insert rows (already in `rows`) into aligned lists sorted by `sort_key`."""
    if not new:
        return
    wrap: Callable[[Any], Any] = Descending if reverse else identity
    keys = [wrap(sort_key(row)) for row in new]
    order = sorted(range(len(new)), key=keys.__getitem__)
    placed = [new[i] for i in order]
    if not lists[0]:  # the first load: nothing to find places among (1,000 bisections at 1k)
        for target, values in zip(lists, zip(*map(values_of, placed), strict=True), strict=True):
            target[:] = values
        return
    if len(new) > SMALL_BATCH and len(new) * MERGE_SHARE >= len(lists[0]):
        placed_keys = [keys[i] for i in order]
        _merge_in(rows, lists, placed, placed_keys, lambda row: wrap(sort_key(row)), values_of)
        return
    spots = [spot(rows, lists[0], row, sort_key, reverse) for row in placed]
    items = list(zip(spots, map(values_of, placed), strict=True))
    if len(new) <= SMALL_BATCH:
        for index, values in reversed(items):
            for target, value in zip(lists, values, strict=True):
                target.insert(index, value)
        return
    merged: list[list[Any]] = [[] for _ in lists]
    start = 0
    for index, values in items:
        for out, source, value in zip(merged, lists, values, strict=True):
            out += source[start:index]
            out.append(value)
        start = index
    for out, source in zip(merged, lists, strict=True):
        source[:] = [*out, *source[start:]]


def _merge_in(
    rows: Mapping[str, Row],
    lists: list[list[Any]],
    placed: list[Row],
    placed_keys: list[Any],
    key_of: Callable[[Row], Any],
    values_of: Callable[[Row], tuple[Any, ...]],
) -> None:
    """`placed` (sorted, their `key_of` in `placed_keys`) merged into aligned lists sorted by
    `key_of`: the new rows first, then the stored ones, sorted stably (two sorted runs: one
    merge pass in C), so a new row goes before a stored one of the same key, as bisect_left
    would put it."""
    keys = placed_keys + [key_of(rows[key]) for key in lists[0]]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    new_values = list(zip(*map(values_of, placed), strict=True))
    for target, fresh in zip(lists, new_values, strict=True):
        both = [*fresh, *target]
        target[:] = [both[i] for i in order]


class Moves:
    """Where one batch's rows go in a TableStore's lists (`TableStore.apply`). A plain class:
    the module is on the start path, and a dataclass is built at import."""

    __slots__ = (
        "changed",
        "in_place",
        "into",
        "out",
        "reshaped",
        "tie_into",
        "tie_out",
        "view_into",
        "view_out",
        "view_same",
    )

    def __init__(self) -> None:
        self.changed: list[Row] = []
        self.out: list[Row] = []
        """Stored rows leaving their place in the order (deleted or moving)."""
        self.into: list[Row] = []
        """Rows taking a new place in the order."""
        self.tie_out: list[Row] = []
        self.tie_into: list[Row] = []
        self.in_place: list[Row] = []
        """Changed, in the same place in the tie order."""
        self.view_out: list[Row] = []
        self.view_into: list[Row] = []
        self.view_same: list[Row] = []
        self.reshaped = False
        """A row stayed in place but came into or left the filter."""

    @classmethod
    def of(
        cls,
        final: dict[str, Row | None],
        rows: Mapping[str, Row],
        sort_key: Callable[[Row], Any],
        tie_key: Callable[[Row], Any],
        matches: Callable[[Row], bool],
        patching: bool,
        note: Callable[[str, Row | None, Row | None], None],
    ) -> Moves:
        """Sort out a batch (key → new row, None when deleted) against the stored `rows`;
        `patching`: the filtered view moves its rows too. `note` hears of every changed row."""
        moves = cls()
        out, into, changed = moves.out, moves.into, moves.changed
        for key, new in final.items():
            previous = rows.get(key)
            if previous is not None and new is not None and previous == new:
                continue
            note(key, previous, new)
            moved = previous is None or new is None or sort_key(previous) != sort_key(new)
            if previous is not None and moved:
                out.append(previous)
            if new is not None:
                changed.append(new)
                if moved:
                    into.append(new)
            if previous is None or new is None or tie_key(previous) != tie_key(new):
                if previous is not None:
                    moves.tie_out.append(previous)
                if new is not None:
                    moves.tie_into.append(new)
            elif new is not None:
                moves.in_place.append(new)
            was = previous is not None and matches(previous)
            now = new is not None and matches(new)
            moves.reshaped = moves.reshaped or (not moved and was != now)
            if patching:
                if was and (moved or not now):
                    moves.view_out.append(previous)  # type: ignore[arg-type]
                if now and (moved or not was):
                    moves.view_into.append(new)  # type: ignore[arg-type]
                if was and now and not moved:
                    moves.view_same.append(new)  # type: ignore[arg-type]
        return moves
