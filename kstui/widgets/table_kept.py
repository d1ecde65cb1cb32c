"""Orders a TableStore keeps per column, so that a sort key reads one instead of sorting.

Sorting 150,000 distinct values (creation times, IPs) costs 90-125 ms, too long for a key. Each
column's order (every key, ascending by the column's value, ties in the tie order) is made once
while the table is idle, in slices of a few ms (`KeptOrders.tend`): the column's distinct values
are ranked and the rows dealt into a bucket per rank (few values), or the rows dealt into
buckets between sampled splitters and each bucket sorted (many). A watch batch only notes which
keys may have moved in which orders, with the row as its order has it (`changed`: a status
update leaves AGE's and IP's orders alone); idle slices or the next sort by that column move
those keys by bisection, and a column with too many of them is made again. Stdlib and
kstui.model only.
"""

from __future__ import annotations

import gc
import random
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, islice, repeat
from operator import call, itemgetter
from typing import Any

from kstui.model import Column, Row
from kstui.widgets import table_order
from kstui.widgets.table_order import identity, kube_times, positions, ranks_of, value_key

SLICE_SECONDS = 0.004
"""Idle work done at a time: a key arriving meanwhile waits no longer than this."""
CHUNK = 8192
"""Rows one step of making an order deals (about a millisecond)."""
BUCKET = 2048
"""Rows per bucket when many values are sorted bucket by bucket (each sort about a ms)."""
TIDY_AT = 32
"""Keys noted in an order from which idle time moves them to their places."""
TIDY_SLICE = 48
"""Keys moved per idle slice (two bisections and a list move each, ~50 us at 150,000 rows)."""
FIX_ON_KEY = 256
"""Keys noted up to which a sort key moves them itself; beyond, it sorts as without an order."""
DROP_AT = 4096
"""Keys noted after which an order is made again rather than moved key by key (a big load)."""

_DONE: list[str] = []  # what a step's iterator gives when it has no more steps

Noted = dict[str, Row | None]
"""Key → the row as an order has it (None: not in it): where to find it, to move it."""


def made_order(
    keys: Sequence[str], cells: Sequence[tuple[str, ...]], index: int, column: Column
) -> Iterator[list[str] | None]:
    """Make the keys' order by one column in steps (None after each, the order at the end):
    `keys` are in tie order, `cells` their cells alongside. The same order as sorting the
    positions stably by the column's value (table_order.sorted_places)."""
    count = len(keys)
    spans = [slice(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    at = positions(count)  # ints made once: dealt and dropped, none made or freed
    values: list[str] = []
    distinct: set[str] = set()
    for span in spans:
        values += map(itemgetter(index), cells[span])
        distinct.update(values[span])
        yield None
    buckets: list[list[int]]
    keyed: list[Any] = values
    if len(distinct) <= table_order.FEW_VALUES:  # a bucket per distinct key, in order
        ranks = ranks_of(distinct, column)  # one step: a few thousand values at most
        buckets = [[] for _ in range(max(ranks.values(), default=-1) + 1)]
        deal = {value: buckets[rank].append for value, rank in ranks.items()}
        for span in spans:
            yield None
            deque(map(call, map(deal.__getitem__, values[span]), at[span]), 0)
    else:  # buckets between sampled splitters, each sorted
        unique = list(distinct)
        parts = [unique[start : start + CHUNK // 8] for start in range(0, len(unique), CHUNK // 8)]
        kube = column.age
        for part in parts:
            kube = kube and kube_times(part)
            yield None
        descending = kube  # kube's format: the text orders as the time does (newest first)
        key = identity if descending else value_key(column)
        if key is not identity:
            keyed = []
            for span in spans:
                yield None
                keyed += map(key, values[span])
        sample = sorted(random.Random(count).sample(keyed, min(count, 64 * count // BUCKET)))
        splitters = sample[64::64]
        buckets = [[] for _ in range(len(splitters) + 1)]
        appends = [bucket.append for bucket in buckets]
        for span in spans:
            yield None
            found = map(bisect_right, repeat(splitters), keyed[span])
            deque(map(call, map(appends.__getitem__, found), at[span]), 0)
        for bucket in buckets:
            yield None
            bucket_keys = list(map(keyed.__getitem__, bucket))
            places = sorted(range(len(bucket)), key=bucket_keys.__getitem__, reverse=descending)
            bucket[:] = map(bucket.__getitem__, places)
        if descending:
            buckets.reverse()
    yield None
    order = list(chain.from_iterable(buckets))
    del buckets
    made: list[str] = []
    for span in spans:
        yield None
        made += map(keys.__getitem__, order[span])
    for span in reversed(spans):  # the keys made (case-folded texts) freed a step at a time
        yield None
        del keyed[span]
    yield made


def _collected() -> Iterator[list[str] | None]:
    """The step after an order is made: it leaves the young generations now (3-5 ms: its
    150,000 references walked once), not in a collection a key's frame sets off."""
    gc.collect(1)
    yield None


class KeptOrders:
    """Each column's order of every key, made when idle and kept through batches."""

    def __init__(self) -> None:
        self.orders: dict[int, list[str]] = {}
        """Column → every key by that column (ascending), but for the keys noted."""
        self.noted: dict[int, Noted] = {}
        """Column → the keys that may be out of place in its order (or being made)."""
        self.used = 0
        """Sort keys served from a kept order."""
        self._making: tuple[int, Iterator[list[str] | None]] | None = None
        self._snapshot: tuple[list[str], list[tuple[str, ...]]] | None = None
        """The tie order (keys and cells) the orders being made are made of."""
        self._columns: tuple[Column, ...] = ()
        self._tie: int | None = None

    def reset(self, columns: tuple[Column, ...], tie: int | None) -> None:
        """Every row or column replaced: drop every order (made again when idle)."""
        self.orders, self.noted, self._making, self._snapshot = {}, {}, None, None
        self._columns, self._tie = columns, tie

    @property
    def due(self) -> bool:
        """Whether idle time has work: an order to make, or noted keys to move."""
        return len(self.orders) < len(self._kept_columns()) or any(
            len(noted) >= TIDY_AT for column, noted in self.noted.items() if column in self.orders
        )

    def _kept_columns(self) -> list[int]:
        return [index for index in range(len(self._columns)) if index != self._tie]

    def changed(self, key: str, previous: Row | None, new: Row | None) -> None:
        """A batch changed one row: note it in every order it may have moved in."""
        tie = self._tie
        if (
            previous is None
            or new is None
            or (tie is not None and previous.cells[tie] != new.cells[tie])
        ):
            columns: Any = list(self.noted.items())
        else:
            old_cells, new_cells = previous.cells, new.cells
            columns = [(c, n) for c, n in self.noted.items() if old_cells[c] != new_cells[c]]
        for index, noted in columns:
            if key not in noted:
                noted[key] = previous
                if len(noted) > DROP_AT:
                    self.drop(index)

    def drop(self, index: int) -> None:
        """Forget one column's order (made again when idle)."""
        self.orders.pop(index, None)
        self.noted.pop(index, None)
        if self._making is not None and self._making[0] == index:
            self._making = None

    def seed(self, index: int, order: list[str]) -> None:
        """A sort made this column's order the slow way: keep it (the caller's copy)."""
        self.drop(index)
        self.orders[index], self.noted[index] = order, {}

    def order(
        self, index: int, rows: dict[str, Row], key_of: Callable[[Row], Any]
    ) -> list[str] | None:
        """The column's order for a sort key, its noted keys moved first; None when there is
        none, or more keys to move than a key's frame has time for."""
        order, noted = self.orders.get(index), self.noted.get(index)
        if order is None or noted is None or len(noted) > FIX_ON_KEY:
            return None
        self._move(order, noted, len(noted), rows, key_of)
        self.used += 1
        return order

    def tend(
        self,
        tie_keys: list[str],
        tie_cells: list[tuple[str, ...]],
        rows: dict[str, Row],
        key_for: Callable[[int], Callable[[Row], Any]],
    ) -> bool:
        """Idle work for about SLICE_SECONDS: make the next missing order a step further, or
        move some noted keys. True while more remains."""
        deadline = time.perf_counter() + SLICE_SECONDS
        while self._step(tie_keys, tie_cells, rows, key_for):
            if time.perf_counter() >= deadline:
                return True
        return self.due

    def _step(
        self,
        tie_keys: list[str],
        tie_cells: list[tuple[str, ...]],
        rows: dict[str, Row],
        key_for: Callable[[int], Callable[[Row], Any]],
    ) -> bool:
        """One step of idle work (a ms or so); False when there is none."""
        if self._making is None:
            missing = [c for c in self._kept_columns() if c not in self.orders]
            if not missing:
                self._snapshot = None
                tidy = [
                    (c, n) for c, n in self.noted.items() if len(n) >= TIDY_AT and c in self.orders
                ]
                if not tidy:
                    return False
                column, noted = tidy[0]
                self._move(self.orders[column], noted, TIDY_SLICE, rows, key_for(column))
                return True
            ready = [c for c in missing if c in self.noted]  # noted since the snapshot
            if self._snapshot is None or not ready:
                # a copy of the tie order to make them of; what changes after it is noted
                self._snapshot = (list(tie_keys), list(tie_cells))
                self.noted.update({c: {} for c in missing})
                ready = missing
            keys, cells = self._snapshot
            column = ready[0]
            self._making = (column, made_order(keys, cells, column, self._columns[column]))
            return True
        column, steps = self._making
        made = next(steps, _DONE)
        if made is _DONE:  # the collection after it done
            self._making = None
        elif made is not None:
            self.orders[column], self._making = made, (column, _collected())
        return True

    @staticmethod
    def _move(
        order: list[str],
        noted: Noted,
        count: int,
        rows: dict[str, Row],
        key_of: Callable[[Row], Any],
    ) -> None:
        """Move up to `count` noted keys to their places (or out, deleted). The order is
        sorted by the rows as it has them: a noted key's as noted, the others' as stored."""
        if not noted:
            return

        def placed(key: str) -> Any:
            row = noted.get(key)
            return key_of(rows[key] if row is None else row)

        moving = list(islice(noted.items(), count))
        spots = sorted(
            bisect_left(order, key_of(row), key=placed) for _, row in moving if row is not None
        )
        for spot in reversed(spots):
            del order[spot]
        for key, _ in moving:
            del noted[key]
        for key, _ in moving:
            row = rows.get(key)
            if row is not None:
                order.insert(bisect_left(order, key_of(row), key=placed), key)
