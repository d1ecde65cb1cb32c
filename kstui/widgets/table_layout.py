"""ResourceTable's layout, as plain functions: column widths (natural and fitted to the
viewport) and the text of the header and of one row. No widget state: the table keeps the
widths and passes them in, so these are cheap to test and to reuse."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import attrgetter, itemgetter

from rich.cells import cell_len, set_cell_size

from kstui.model import Column, Row, age_of
from kstui.safe_text import inert_line

COLUMN_GAP = 2
LEFT_PAD = 1
MIN_SQUEEZED_COLUMN = 16
"""NAME (or the widest column) is cut down to this before the table scrolls sideways."""
MIN_NAMESPACE_COLUMN = 12
"""All namespaces at 80 columns: NAMESPACE is cut down to this before NAME is cut at all."""
MIN_KEPT_NAME = 24
"""NAME is cut down to this before the columns beside it (STATUS, RESTARTS) are."""
MIN_DETAIL_COLUMN = 10
"""The columns beside NAME are cut down to this before NAME is cut below MIN_KEPT_NAME."""
MIN_TIGHT_COLUMN = 5
"""Last resort before scrolling sideways: the columns beside NAME, down to this ("cpu…")."""
MIN_LAST_COLUMN = 8
"""The last column shrinks (with an ellipsis) down to this width before the table scrolls."""
AGE_WIDTH = 6
"""Widest usual `human_age` text ("7y364d"); wider texts grow the column when first shown."""

_CELLS = attrgetter("cells")


def text_width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def shown_width(text: str) -> int:
    """Cells `text` takes once drawn (control characters are drawn as visible escapes)."""
    return cell_len(text if text.isprintable() else inert_line(text))


def fit(text: str, width: int) -> str:
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


def header_widths(columns: Sequence[Column]) -> list[int]:
    """Starting widths: each header (+1 keeps room for the sort arrow, so sorting never shifts
    the columns), at least AGE_WIDTH for ages, capped by Column.max_width."""
    return [
        min(max(len(column.name) + 1, AGE_WIDTH if column.age else 0), column.max_width)
        for column in columns
    ]


def grow_widths(widths: list[int], columns: Sequence[Column], rows: Iterable[Row]) -> bool:
    """Widen `widths` in place to fit `rows` (grow-only, capped); True when one grew."""
    cells = list(map(_CELLS, rows))
    if not cells or not columns:
        return False
    joined = "".join(map("".join, cells))
    measure = len if joined.isascii() and joined.isprintable() else shown_width
    grew = False
    for index, column in enumerate(columns):
        if column.age or widths[index] >= column.max_width:
            continue
        widest = max(map(measure, map(itemgetter(index), cells)))
        widest = min(widest, column.max_width)
        if widest > widths[index]:
            widths[index] = widest
            grew = True
    return grew


def fit_widths(widths: Sequence[int], available: int, columns: Sequence[Column] = ()) -> list[int]:
    """The natural widths fitted into `available` cells, rather than hide the last columns
    behind a horizontal scroll: the last column is squeezed first; then, when the columns are
    known, NAMESPACE (down to MIN_NAMESPACE_COLUMN), NAME (down to MIN_KEPT_NAME), the other
    columns (widest first, down to MIN_DETAIL_COLUMN), NAME again (down to
    MIN_SQUEEZED_COLUMN) and the other columns again (down to MIN_TIGHT_COLUMN). Without the
    columns, the widest column is cut instead of NAME."""
    fitted = list(widths)
    if not fitted:
        return fitted
    before_last = LEFT_PAD + sum(fitted[:-1]) + COLUMN_GAP * (len(fitted) - 1)
    floor = min(fitted[-1], MIN_LAST_COLUMN)
    fitted[-1] = max(floor, min(fitted[-1], available - before_last))
    overflow = total_width(fitted) - available
    if overflow <= 0 or len(fitted) == 1:
        return fitted
    names = [column.name for column in columns] if len(columns) == len(fitted) else []
    last = len(fitted) - 1
    if "NAME" not in names[:last]:  # 80 columns, long names: cut the widest column
        widest = max(range(last), key=fitted.__getitem__)
        _shrink(fitted, [widest], MIN_SQUEEZED_COLUMN, overflow)
        return fitted
    name = names.index("NAME")
    namespace = names.index("NAMESPACE") if "NAMESPACE" in names[:last] else -1
    details = [index for index in range(last) if index not in (name, namespace)]
    for shrinking, floor in (
        ([namespace] if namespace >= 0 else [], MIN_NAMESPACE_COLUMN),
        ([name], MIN_KEPT_NAME),
        (details, MIN_DETAIL_COLUMN),
        ([name], MIN_SQUEEZED_COLUMN),
        (details, MIN_TIGHT_COLUMN),
    ):
        overflow = _shrink(fitted, shrinking, floor, overflow)
        if overflow <= 0:
            break
    return fitted


def _shrink(fitted: list[int], indexes: Sequence[int], floor: int, overflow: int) -> int:
    """Take up to `overflow` cells from these columns, a cell at a time from the widest, none
    below `floor`; what is still left over."""
    while overflow > 0 and indexes:
        widest = max(indexes, key=fitted.__getitem__)
        if fitted[widest] <= floor:
            break
        fitted[widest] -= 1
        overflow -= 1
    return overflow


def total_width(fitted: Sequence[int]) -> int:
    return LEFT_PAD + sum(fitted) + COLUMN_GAP * max(0, len(fitted) - 1)


def column_lefts(fitted: Sequence[int]) -> list[int]:
    """Where each column starts, in content cells (its gap to the left included)."""
    lefts, x = [], LEFT_PAD
    for width in fitted:
        lefts.append(x)
        x += width + COLUMN_GAP
    return lefts


def row_text(
    row: Row, columns: Sequence[Column], fitted: Sequence[int], widths: list[int], now: float
) -> tuple[str, bool]:
    """One row's line, and whether an age cell grew its column's natural width (in place)."""
    parts = []
    grew = False
    for index, (column, width) in enumerate(zip(columns, fitted, strict=True)):
        cell = row.cells[index]
        if column.age:
            cell = age_of(cell, now)
            if len(cell) > widths[index] and widths[index] < column.max_width:
                widths[index] = min(len(cell), column.max_width)
                grew = True
        parts.append(fit(cell, width))
    return " " * LEFT_PAD + (" " * COLUMN_GAP).join(parts), grew


def header_text(
    columns: Sequence[Column], fitted: Sequence[int], sort_column: int, reverse: bool
) -> str:
    arrow = "↓" if reverse else "↑"
    names = [
        column.name + (arrow if index == sort_column else "")
        for index, column in enumerate(columns)
    ]
    return " " * LEFT_PAD + (" " * COLUMN_GAP).join(
        fit(name, width) for name, width in zip(names, fitted, strict=True)
    )


def message_lines(text: str, width: int) -> list[str]:
    """An empty table's message (a title, the server's reason, a hint: one per line) wrapped
    to `width` cells, so that nothing of it is cut at 80 columns."""
    return list(_wrapped_message(text, width))


@lru_cache(maxsize=32)
def _wrapped_message(text: str, width: int) -> tuple[str, ...]:
    """Wrapped once per message and width: each of an empty table's lines asks (the first
    frame's table is empty: 40-odd textwrap runs per frame were ~5 ms of it)."""
    lines: list[str] = []
    for part in text.split("\n"):
        part = inert_line(part).strip()
        if part:
            lines += textwrap.wrap(part, max(1, width), break_on_hyphens=False) or [part]
    return tuple(fit(line, width).rstrip() for line in lines)
