"""How a TableStore orders rows: per-column value keys, ranks of distinct values, and a
comparison wrapper to bisect a list sorted in reverse. Stdlib and kstui.model only."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Sequence
from itertools import chain
from operator import call
from typing import Any

from kstui.model import Column, parse_timestamp

_LEADING_INT = re.compile(r"\s*(-?\d+)")
_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _age_value(cell: str) -> tuple[int, float]:
    at = parse_timestamp(cell)
    return (1, 0.0) if at is None else (0, -at)


def _number_value(cell: str) -> tuple[int, int, str]:
    match = _LEADING_INT.match(cell)
    return (0, int(match.group(1)), "") if match else (1, 0, cell.casefold())


def value_key(column: Column) -> Callable[[str], Any]:
    """How one column's cells compare: ages newest first (unknown last), numbers by their
    leading integer ("3 (5m ago)" sorts as 3; cells without one after numbers), text
    case-insensitively."""
    if column.age:
        return _age_value
    if column.numeric:
        return _number_value
    return str.casefold


def ranks_of(values: set[str], column: Column) -> dict[str, int]:
    """Each distinct cell value's place in the column's order; equal keys share a rank."""
    if column.age and all(map(_RFC3339_UTC.fullmatch, values)):
        # kube's own format: the text orders as the time does (newest first = descending)
        return {value: rank for rank, value in enumerate(sorted(values, reverse=True))}
    key = value_key(column)
    ranks: dict[str, int] = {}
    rank, previous = -1, None
    for value in sorted(values, key=key):
        current = key(value)
        if rank < 0 or current != previous:
            rank, previous = rank + 1, current
        ranks[value] = rank
    return ranks


class Descending:
    """Inverts comparisons, to bisect a list sorted in reverse."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: Descending) -> bool:
        return bool(other.value < self.value)


def identity(value: Any) -> Any:
    return value


FEW_VALUES = 4096
"""Distinct values up to which a sort ranks them and deals the rows into a bucket per rank."""


_POSITIONS: list[int] = []
"""0, 1, 2, …: int objects made once for every sort (dealing 150,000 rows from a range made,
and then freed, 150,000 ints each time)."""


def positions(count: int) -> list[int]:
    """A list starting 0 … count - 1 (longer when an earlier table was bigger)."""
    if len(_POSITIONS) < count:
        _POSITIONS.extend(range(len(_POSITIONS), count))
    return _POSITIONS


def sorted_places(cells: list[str], column: Column) -> Sequence[int]:
    """The positions of `cells` in the column's order; equal values keep their order (a stable
    sort). Few distinct values (statuses, namespaces, nodes) are ranked once and the positions
    dealt into one bucket per rank, in C (no comparisons, no per-row key: cells are interned,
    so each lookup hits a hot string); many (IPs, times) are sorted by their keys directly."""
    count = len(cells)
    distinct = set(cells)
    if len(distinct) <= FEW_VALUES:
        ranks = ranks_of(distinct, column)
        buckets: list[list[int]] = [[] for _ in range(max(ranks.values(), default=0) + 1)]
        if len(buckets) == 1:
            return range(count)  # one value (READY 1/1 everywhere): the order as it is
        deal = {value: buckets[rank].append for value, rank in ranks.items()}
        deque(map(call, map(deal.__getitem__, cells), positions(count)), maxlen=0)
        return list(chain.from_iterable(buckets))
    if column.age and all(map(_RFC3339_UTC.fullmatch, distinct)):
        return sorted(range(count), key=cells.__getitem__, reverse=True)  # stays stable
    values = list(map(value_key(column), cells))
    return sorted(range(count), key=values.__getitem__)
