"""Pure projections from cached Table rows to widget rows: columns, ages and tones."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from kstui.model import Column, Row, Tone

_ERROR_STATES = frozenset(
    {
        "crashloopbackoff",
        "error",
        "failed",
        "imagepullbackoff",
        "errimagepull",
        "oomkilled",
        "evicted",
        "notready",
        "unknown",
        "createcontainerconfigerror",
        "invalidimagename",
        "createcontainererror",
        "runcontainererror",
        "containercannotrun",
        "backoff",
        "lost",
        "false",
        "deadlineexceeded",
        "unhealthy",
        "failure",
    }
)
_WARN_STATES = frozenset(
    {
        "pending",
        "containercreating",
        "podinitializing",
        "terminating",
        "progressing",
        "unschedulable",
        "schedulingdisabled",
        "released",
        "waiting",
        "suspended",
        "installing",
        "upgrading",
        "creating",
        "updating",
        "deleting",
    }
)
_MUTED_STATES = frozenset({"completed", "succeeded", "terminated", "inactive"})
_READY = re.compile(r"^(\d+)/(\d+)$")
_NUMERIC_TYPES = frozenset({"integer", "number"})
_NUMERIC_NAMES = frozenset(
    {
        "restarts",
        "desired",
        "current",
        "available",
        "up-to-date",
        "replicas",
        "count",
        "completions",
    }
)


class TableRowLike(Protocol):
    """What a projection needs from a cached row (backends.cache.CachedRow)."""

    key: str
    namespace: str
    created: str
    cells: tuple[str, ...]


class TableColumnLike(Protocol):
    name: str
    type: str
    priority: int


class Projection(NamedTuple):
    """Which cached cells a view shows, in which columns."""

    columns: tuple[Column, ...]
    cell_indices: tuple[int, ...]
    """Index into CachedRow.cells per shown column; -1 = namespace, -2 = creation time."""
    status_index: int
    """Position (in shown columns) of the status-like column, or -1."""
    ready_index: int


def projection(
    table_columns: Sequence[Any], *, wide: bool = False, with_namespace: bool = False
) -> Projection:
    """The columns to show: kubectl's default (priority 0) or wide set, NAMESPACE first for
    all-namespace views, and Age computed locally from creationTimestamp so it keeps ticking."""
    columns: list[Column] = []
    indices: list[int] = []
    if with_namespace:
        columns.append(Column("NAMESPACE", max_width=30))
        indices.append(-1)
    for index, column in enumerate(table_columns):
        if column.priority and not wide:
            continue
        name = column.name.upper()
        if name == "AGE":
            columns.append(Column("AGE", age=True, max_width=12))
            indices.append(-2)
            continue
        numeric = column.type in _NUMERIC_TYPES or column.name.lower() in _NUMERIC_NAMES
        width = 80 if index == 0 else 50
        columns.append(Column(name, numeric=numeric, max_width=width))
        indices.append(index)
    names = [c.name for c in columns]
    status = next((i for i, n in enumerate(names) if n in ("STATUS", "PHASE", "STATE")), -1)
    ready = names.index("READY") if "READY" in names else -1
    return Projection(tuple(columns), tuple(indices), status, ready)


def project_row(row: TableRowLike, view: Projection) -> Row:
    cells = row.cells
    shown = tuple(
        row.namespace
        if i == -1
        else row.created
        if i == -2
        else (cells[i] if i < len(cells) else "")
        for i in view.cell_indices
    )
    return Row(row.key, shown, tone_of(shown, view))


def project(rows: Iterable[TableRowLike], view: Projection) -> list[Row]:
    return [project_row(row, view) for row in rows]


def tone_of(cells: Sequence[str], view: Projection) -> Tone:
    """k9s-style row colour: red for failures, yellow for in-between, grey for finished."""
    status = cells[view.status_index].lower() if view.status_index >= 0 else ""
    if status:
        # "Init:CrashLoopBackOff" is as bad as "CrashLoopBackOff"; "Init:0/2" is in progress.
        first = status.removeprefix("init:").split(" ", 1)[0]
        if first in _ERROR_STATES:
            return Tone.ERROR
        if status.startswith("init:") or first in _WARN_STATES:
            return Tone.WARN
        if first in _MUTED_STATES:
            return Tone.MUTED
    if view.ready_index >= 0:
        match = _READY.match(cells[view.ready_index])
        if match:
            ready, want = int(match[1]), int(match[2])
            if want == 0:
                return Tone.MUTED
            if ready < want:
                return Tone.WARN
    return Tone.NORMAL
