"""Response bodies: objects, lists, Tables and partial metadata, as the client asked for them.

Stored bytes are sent as they are whenever the request's version is the storage version, so a
10,000-pod list is one join of bytes, not 10,000 decode/encode round trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from kstui.sandbox import convert, tables
from kstui.sandbox.kinds import ResourceKind
from kstui.sandbox.store import Entry


@dataclass(frozen=True, slots=True)
class Representation:
    """What the Accept header asked for."""

    table: bool = False
    table_version: str = "v1"
    partial_metadata: bool = False
    include_object: str = "Metadata"  # Table rows: None | Metadata | Object


def negotiate(accept: str, include_object: str | None) -> Representation:
    for part in accept.split(","):
        params = dict(item.strip().split("=", 1) for item in part.split(";")[1:] if "=" in item)
        kind = params.get("as", "")
        if kind == "Table" and params.get("g", "meta.k8s.io") == "meta.k8s.io":
            return Representation(
                True, params.get("v", "v1"), include_object=include_object or "Metadata"
            )
        if kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return Representation(partial_metadata=True)
        if part.split(";")[0].strip() in ("application/json", "*/*", ""):
            return Representation()
    return Representation()


def object_bytes(kind: ResourceKind, entry: Entry) -> bytes:
    """An object's JSON at the version the request named."""
    if kind.version == kind.storage_version:
        return entry.raw
    obj = convert.from_storage(kind, entry.decode())
    obj["apiVersion"] = kind.api_version
    return orjson.dumps(obj)


def object_dict(kind: ResourceKind, obj: dict[str, Any]) -> dict[str, Any]:
    if kind.version != kind.storage_version:
        obj = convert.from_storage(kind, obj)
        obj["apiVersion"] = kind.api_version
    return obj


def partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def list_bytes(
    kind: ResourceKind,
    entries: Iterable[Entry],
    rv: int,
    continue_token: str = "",
    remaining: int | None = None,
) -> bytes:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if continue_token:
        meta["continue"] = continue_token
        if remaining is not None:
            meta["remainingItemCount"] = remaining
    head = orjson.dumps({"kind": kind.list_kind, "apiVersion": kind.api_version, "metadata": meta})
    items = b",".join(object_bytes(kind, e) for e in entries)
    return head[:-1] + b',"items":[' + items + b"]}"


STREAM_CHUNK = 256 * 1024


def list_chunks(
    kind: ResourceKind, entries: Iterable[Entry], rv: int, continue_token: str = ""
) -> Iterator[bytes]:
    """list_bytes in pieces of about STREAM_CHUNK bytes, for a chunked response: a 10,000-pod list
    never becomes one 20 MiB bytes (nor its copies, nor a 20 MiB TLS write buffer)."""
    head = list_bytes(kind, (), rv, continue_token)[:-2]  # ends with '"items":['
    batch, size = [head], len(head)
    for index, entry in enumerate(entries):
        raw = object_bytes(kind, entry)
        batch.append(b"," + raw if index else raw)
        size += len(raw)
        if size >= STREAM_CHUNK:
            yield b"".join(batch)
            batch, size = [], 0
    batch.append(b"]}")
    yield b"".join(batch)


def partial_list(entries: Iterable[Entry], rv: int, continue_token: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if continue_token:
        meta["continue"] = continue_token
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "items": [partial_metadata(e.decode()) for e in entries],
    }


def table(
    kind: ResourceKind,
    objects: Iterable[dict[str, Any]],
    now: datetime,
    rep: Representation,
    rv: int | None = None,
    continue_token: str = "",
    with_columns: bool = True,
) -> dict[str, Any]:
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": tables.row_cells(kind, obj, now)}
        conditions = tables.row_conditions(kind, obj)
        if conditions:
            row["conditions"] = conditions  # kubectl hides completed pods by these
        if rep.include_object == "Object":
            row["object"] = object_dict(kind, obj)
        elif rep.include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    meta: dict[str, Any] = {}
    if rv is not None:
        meta["resourceVersion"] = str(rv)
    if continue_token:
        meta["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{rep.table_version}",
        "metadata": meta,
        "columnDefinitions": tables.column_definitions(kind) if with_columns else [],
        "rows": rows,
    }
