"""The rows a WatchCache keeps and the deltas it hands out, and how server-side Table pages
are decoded into them (cells interned, the collector paused around bulk decoding)."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import sys
from enum import Enum
from typing import Any, NamedTuple

from kstui.backends.errors import KstuiError

_FALLBACK_COLUMNS = (
    {"name": "Name", "type": "string", "format": "name"},
    {"name": "Created At", "type": "date"},
)


class CacheState(Enum):
    LOADING = "loading"
    LIVE = "live"
    RETRYING = "retrying"
    FAILED = "failed"


class TableColumn(NamedTuple):
    name: str
    type: str = "string"
    format: str = ""
    priority: int = 0
    description: str = ""


class CachedRow(NamedTuple):
    """One object of the cache, as its list row. A NamedTuple: made 150,000 times on a big
    load (0.2 µs each, a frozen dataclass 0.76 µs) and no class to build at import."""

    key: str
    """The uid, or `namespace/name` when the server sent none."""
    namespace: str
    name: str
    uid: str
    created: str
    """metadata.creationTimestamp as sent (RFC 3339): ages are formatted at render time."""
    resource_version: str
    cells: tuple[str, ...]
    owner: tuple[str, str] | None
    """(kind, name) of the controller ownerReference."""


class CacheDelta(NamedTuple):
    reset: bool
    """Replace everything shown with `upserted` (first delta, or the columns changed)."""
    columns: tuple[TableColumn, ...]
    upserted: list[CachedRow]
    deleted: list[str]
    version: int
    state: CacheState
    error: KstuiError | None
    synced_at: float | None
    loaded: bool


def intern_cell(value: Any) -> str:
    # Interned: "Running", "1/1", node and image names repeat across thousands of rows.
    if value is None:
        return ""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return sys.intern(str(value))
    import orjson  # a rare cell (a list, a map): orjson (and zoneinfo) not at start

    return sys.intern(orjson.dumps(value).decode())


def table_rows(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows; a server that ignored as=Table sent a plain object or list: name and age."""
    if obj.get("kind") == "Table":
        return obj.get("rows") or []
    items = obj.get("items", [obj])
    return [
        {
            "cells": [
                (item.get("metadata") or {}).get("name", ""),
                (item.get("metadata") or {}).get("creationTimestamp", ""),
            ],
            "object": item,
        }
        for item in items
    ]


def table_columns(table: dict[str, Any]) -> tuple[TableColumn, ...]:
    definitions = (
        table.get("columnDefinitions") if table.get("kind") == "Table" else _FALLBACK_COLUMNS
    )
    return tuple(
        TableColumn(
            str(d.get("name", "")),
            str(d.get("type", "string")),
            str(d.get("format", "")),
            int(d.get("priority") or 0),
            str(d.get("description", "")),
        )
        for d in definitions or ()
    )


_OWNERS: dict[tuple[str, str], tuple[str, str]] = {}
"""Controller owners seen, (kind, name) → the one shared tuple (a few per workload)."""


def cached_row(table_row: dict[str, Any]) -> CachedRow:
    meta = (table_row.get("object") or {}).get("metadata") or {}
    cells = tuple(map(intern_cell, table_row.get("cells") or ()))
    name = meta.get("name") or (cells[0] if cells else "")
    if cells and cells[0] == name:
        name = cells[0]  # one string for both
    namespace = sys.intern(meta.get("namespace") or "")
    uid = meta.get("uid") or ""
    owner = None
    for ref in meta.get("ownerReferences") or ():
        if ref.get("controller"):
            owner = (ref.get("kind") or "", ref.get("name") or "")
            if len(_OWNERS) > 100_000:  # rollouts name new ReplicaSets: never grow forever
                _OWNERS.clear()
            # one tuple per owner, shared by its pods (150 pods of a ReplicaSet: 10 KiB less)
            owner = _OWNERS.setdefault(owner, (sys.intern(owner[0]), sys.intern(owner[1])))
            break
    return CachedRow(
        uid or f"{namespace}/{name}",
        namespace,
        name,
        uid,
        sys.intern(meta.get("creationTimestamp") or ""),
        meta.get("resourceVersion") or "",
        cells,
        owner,
    )
