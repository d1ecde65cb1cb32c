"""A tiny protobuf writer for tests: raw wire helpers (field numbers written by hand from the
upstream generated.proto files) and a table-driven encoder of Go-style JSON objects."""

from __future__ import annotations

import base64
import struct
from datetime import datetime
from typing import Any

import orjson

from kstui.sandbox import protobuf

MAGIC = b"k8s\x00"


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative numbers: ten bytes of two's complement, as Go writes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def vint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def blob(number: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def double(number: int, value: float) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<d", value)


def entry(number: int, key: str, value: bytes | str) -> bytes:
    """One map entry (key=1, value=2)."""
    return blob(number, blob(1, key) + blob(2, value))


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """runtime.Unknown: typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3,
    contentType=4."""
    return (
        MAGIC
        + blob(1, blob(1, api_version) + blob(2, kind))
        + blob(2, raw)
        + blob(3, "")
        + blob(4, "")
    )


# ------------------------------------------------------------------ table-driven encoder


def _seconds(text: str) -> tuple[int, int]:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    whole = int(moment.timestamp())
    return whole, moment.microsecond * 1000


def encode_message(ref: str, value: Any) -> bytes:
    table = protobuf.table()
    if ref in ("meta/v1.Time", "meta/v1.MicroTime"):
        if value is None:
            return b""
        seconds, nanos = _seconds(value)
        return vint(1, seconds) + (vint(2, nanos) if nanos else b"")
    if ref in ("resource.Quantity", "resource.QuantityValue"):
        return blob(1, value)
    if ref == "intstr.IntOrString":
        return (
            vint(1, 1) + blob(3, value) if isinstance(value, str) else vint(1, 0) + vint(2, value)
        )
    if ref in ("runtime.RawExtension", "meta/v1.FieldsV1", "apiextensions/v1.JSON"):
        return b"" if value is None else blob(1, orjson.dumps(value))
    fields = table.messages[ref]
    if ref in table.slices:
        (only,) = fields.items()
        return b"".join(_one(only[0], only[1].type, item) for item in value or [])
    out = b""
    for number, spec in fields.items():
        if spec.inline:
            out += blob(number, encode_message(spec.type, value))
            continue
        if spec.json not in value or value[spec.json] is None:
            continue
        item = value[spec.json]
        if spec.kind == "map":
            for key, val in item.items():
                out += blob(number, _one(1, spec.key, key) + _one(2, spec.type, val))
        elif spec.repeated:
            for one in item:
                out += _one(number, spec.type, one)
        else:
            out += _one(number, spec.type, item)
    return out


def _one(number: int, type_: str, value: Any) -> bytes:
    if "." in type_:
        return blob(number, encode_message(type_, value))
    if type_ == "string":
        return blob(number, value)
    if type_ == "bytes":
        return blob(number, base64.b64decode(value))
    if type_ == "double":
        return double(number, value)
    return vint(number, int(value))


def encode(obj: dict[str, Any]) -> bytes:
    """A Go-style JSON object as the body client-go would send for it as protobuf."""
    ref = protobuf.table().message_for(obj["apiVersion"], obj["kind"])
    assert ref is not None, f"no table entry for {obj['apiVersion']}/{obj['kind']}"
    return envelope(obj["apiVersion"], obj["kind"], encode_message(ref, obj))
