"""Protobuf request bodies (`application/vnd.kubernetes.protobuf`) decoded to the JSON a Go
client would have sent for the same object.

client-go's typed clients (kubectl 1.32+, Helm, operators) write built-in kinds as protobuf:
the magic `k8s\\0`, then a runtime.Unknown envelope (typeMeta, raw, contentEncoding,
contentType) whose raw is the kind's message. The field table (data/proto_fields.json) comes
from the upstream generated.proto files and Go types (tools/gen_proto_fields.py); each message
is walked with it and turned into what encoding/json writes for the Go struct: omitempty zero
values left out, other zero values written (`"resources": {}`, `"creationTimestamp": null`),
`,inline` structs merged into their parent. The JSON path never comes here.
"""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from kstui.sandbox import protobuf_wire as wire
from kstui.sandbox.protobuf_wire import ProtobufError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
TABLE_PATH = Path(__file__).resolve().parent / "data" / "proto_fields.json"
# Options kinds are registered in every group version; clients name whichever they like.
_OPTIONS = {
    "DeleteOptions",
    "CreateOptions",
    "UpdateOptions",
    "PatchOptions",
    "GetOptions",
    "ListOptions",
}
_MAX_DEPTH = 100


class UnknownKind(ProtobufError):
    """A well-formed envelope naming a kind this server has no protobuf table for."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__(f"no protobuf decoding for {kind}.{api_version}")
        self.api_version, self.kind = api_version, kind


# ------------------------------------------------------------------ the table


class _Field:
    __slots__ = (
        "inline",
        "json",
        "key",
        "kind",
        "omitempty",
        "omitzero",
        "pointer",
        "repeated",
        "type",
    )

    def __init__(self, row: list[Any]) -> None:
        _, self.json, type_, flags = row
        self.repeated, self.omitempty = "r" in flags, "o" in flags
        self.omitzero = "z" in flags  # Go 1.24's omitzero: zero structs (a zero Time) too
        self.pointer, self.inline = "p" in flags, "i" in flags
        self.key = ""
        if type_.startswith("map:"):
            _, self.key, type_ = type_.split(":", 2)
        self.type = type_
        self.kind = "map" if self.key else ("message" if "." in type_ else "scalar")


class _Table:
    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.kinds: dict[str, str] = data["kinds"]
        self.slices: set[str] = set(data["slices"])
        self.messages: dict[str, dict[int, _Field]] = {
            name: {row[0]: _Field(row) for row in rows} for name, rows in data["messages"].items()
        }

    def message_for(self, api_version: str, kind: str) -> str | None:
        found = self.kinds.get(f"{api_version}/{kind}")
        if found is None and kind in _OPTIONS:
            found = self.kinds.get(f"meta.k8s.io/v1/{kind}")
        return found


_table: _Table | None = None


def table() -> _Table:
    global _table  # loaded on the first protobuf request: JSON-only servers never pay for it
    if _table is None:
        _table = _Table(TABLE_PATH)
    return _table


# ------------------------------------------------------------------ well-known messages


def _time(buf: bytes, micro: bool) -> str | None:
    if not buf:  # a zero metav1.Time is marshalled as no bytes at all, and as JSON null
        return None
    fields = wire.fields(buf)
    seconds = wire.signed(wire.last_int(fields, 1), 64)
    # Time keeps whole seconds (as its JSON does); MicroTime truncates to microseconds
    nanos = int(wire.signed(wire.last_int(fields, 2), 32) / 1000) * 1000 if micro else 0
    seconds, nanos = divmod(seconds * 1_000_000_000 + nanos, 1_000_000_000)
    try:
        t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError as error:
        raise ProtobufError(f"time out of range: {seconds}") from error
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return text + (f".{nanos // 1000:06d}Z" if micro else "Z")


def _duration(buf: bytes) -> str:
    """Go's time.Duration.String()."""
    ns = wire.signed(wire.last_int(wire.fields(buf), 1), 64)
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns == 0:
        return "0s"
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _fraction(ns, size) + unit
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _fraction(rest, 1_000_000_000) + "s"
    if hours or minutes:
        text = f"{minutes}m" + text
    if hours:
        text = f"{hours}h" + text
    return sign + text


def _fraction(value: int, unit: int) -> str:
    whole, part = divmod(value, unit)
    if not part:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{part:0{digits}d}".rstrip("0")


def _raw_json(buf: bytes, number: int = 1) -> Any:
    raw = wire.last_bytes(wire.fields(buf), number)
    if not raw:
        return None
    if raw.startswith(MAGIC):  # an embedded object written as protobuf
        return decode(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ProtobufError(f"embedded object is not JSON: {error}") from error


def _int_or_string(buf: bytes) -> int | str:
    fields = wire.fields(buf)
    if wire.last_int(fields, 1) == 1:
        return (wire.last_bytes(fields, 3) or b"").decode("utf-8", "replace")
    return wire.signed(wire.last_int(fields, 2), 32)


def _quantity(buf: bytes) -> str:
    return (wire.last_bytes(wire.fields(buf), 1) or b"").decode("utf-8", "replace") or "0"


def _or_array(value: dict[str, Any]) -> Any:  # JSONSchemaPropsOrArray
    return value.get("JSONSchemas") or value.get("Schema")


def _or_bool(value: dict[str, Any]) -> Any:  # JSONSchemaPropsOrBool
    schema = value.get("Schema")
    return schema if schema is not None else bool(value.get("Allows"))


def _or_strings(value: dict[str, Any]) -> Any:  # JSONSchemaPropsOrStringArray
    return value.get("Property") or value.get("Schema")


_SPECIAL = {
    "meta/v1.Time": lambda buf: _time(buf, micro=False),
    "meta/v1.MicroTime": lambda buf: _time(buf, micro=True),
    "meta/v1.Duration": _duration,
    "meta/v1.FieldsV1": _raw_json,
    "runtime.RawExtension": _raw_json,
    "apiextensions/v1.JSON": _raw_json,
    "intstr.IntOrString": _int_or_string,
    "resource.Quantity": _quantity,
    "resource.QuantityValue": _quantity,
}
_AFTER = {  # structs whose MarshalJSON writes something other than their fields
    "apiextensions/v1.JSONSchemaPropsOrArray": _or_array,
    "apiextensions/v1.JSONSchemaPropsOrBool": _or_bool,
    "apiextensions/v1.JSONSchemaPropsOrStringArray": _or_strings,
}


# ------------------------------------------------------------------ messages


def _message(name: str, buf: bytes, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise ProtobufError("message nested too deeply")
    special = _SPECIAL.get(name)
    if special is not None:
        return special(buf)
    schema = table().messages.get(name)
    if schema is None:
        raise ProtobufError(f"no field table for {name}")
    fields = wire.fields(buf)
    if name in table().slices:  # `type ExtraValue []string`: JSON is the bare array
        (only,) = schema.values()
        return _repeated(only, fields.get(1, []), depth) or None
    out: dict[str, Any] = {}
    for number, spec in schema.items():
        items = fields.get(number)
        if spec.kind == "map":
            value: Any = _map(spec, items or [], depth)
            empty = not value
            if empty and not spec.omitempty:
                value = None  # a nil map
        elif spec.repeated:
            value = _repeated(spec, items or [], depth)
            empty = not value
            if empty and not spec.omitempty:
                value = None  # a nil slice
        elif spec.kind == "message":
            if items:  # a message's repeats merge: their bytes concatenate
                value = _message(spec.type, b"".join(wire.payload(i) for i in items), depth + 1)
            elif spec.pointer:
                value = None
            else:
                value = _message(spec.type, b"", depth + 1)
            if spec.inline:
                if isinstance(value, dict):
                    out.update(value)
                continue
            # structs are never "empty" to encoding/json; pointers and slice types are
            empty = value is None if spec.pointer else (spec.type in table().slices and not value)
        else:
            if items:
                value = wire.scalars(spec.type, items)[-1]
            else:
                value = None if spec.pointer else wire.ZERO.get(spec.type, 0)
            empty = value is None if spec.pointer else value in ("", 0, False, None)
        if (empty and spec.omitempty) or (spec.omitzero and value in (None, {}, "", 0, False)):
            continue
        out[spec.json] = value
    after = _AFTER.get(name)
    return after(out) if after is not None else out


def _repeated(spec: _Field, items: list[tuple[int, Any]], depth: int) -> list[Any]:
    if spec.kind == "message":
        return [_message(spec.type, wire.payload(item), depth + 1) for item in items]
    return wire.scalars(spec.type, items)


def _map(spec: _Field, items: list[tuple[int, Any]], depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        entry = wire.fields(wire.payload(item))
        key: Any = wire.ZERO.get(spec.key, 0)
        if entry.get(1):
            key = wire.scalars(spec.key, entry[1])[-1]
        if "." in spec.type:
            value: Any = _message(
                spec.type, b"".join(wire.payload(i) for i in entry.get(2, [])), depth + 1
            )
        elif entry.get(2):
            value = wire.scalars(spec.type, entry[2])[-1]
        else:
            value = "" if spec.type == "bytes" else wire.ZERO.get(spec.type, 0)
        out[key if isinstance(key, str) else orjson.dumps(key).decode()] = value
    return out


# ------------------------------------------------------------------ the envelope


def envelope(data: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, raw) of a `k8s\\0` + runtime.Unknown body."""
    if not data.startswith(MAGIC):
        raise ProtobufError("missing the k8s\\x00 prefix")
    fields = wire.fields(data[len(MAGIC) :])
    type_meta = wire.fields(wire.last_bytes(fields, 1) or b"")
    api_version = (wire.last_bytes(type_meta, 1) or b"").decode("utf-8", "replace")
    kind = (wire.last_bytes(type_meta, 2) or b"").decode("utf-8", "replace")
    encoding = (wire.last_bytes(fields, 3) or b"").decode("utf-8", "replace")
    if encoding:
        raise ProtobufError(f'unsupported content encoding "{encoding}"')
    return api_version, kind, wire.last_bytes(fields, 2) or b""


def decode(data: bytes) -> dict[str, Any]:
    """A protobuf request body as the JSON object a Go client would have sent."""
    api_version, kind, raw = envelope(data)
    name = table().message_for(api_version, kind)
    if name is None:
        raise UnknownKind(api_version, kind)
    try:
        body = _message(name, raw)
    except struct.error as error:  # a packed run cut short
        raise ProtobufError(f"truncated number: {error}") from error
    return {"kind": kind, "apiVersion": api_version, **body}
