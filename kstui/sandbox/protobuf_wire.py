"""The protobuf wire format, as far as Kubernetes uses it: varints, fixed numbers,
length-delimited fields and packed runs (stdlib only)."""

from __future__ import annotations

import base64
import struct
from typing import Any


class ProtobufError(ValueError):
    """The body is not a well-formed protobuf message of the kind it names."""


def varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ProtobufError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def fields(buf: bytes) -> dict[int, list[tuple[int, Any]]]:
    """Field number → its (wire type, value)s in order: ints for varint and fixed, bytes for
    length-delimited."""
    found: dict[int, list[tuple[int, Any]]] = {}
    pos, end = 0, len(buf)
    while pos < end:
        value: int | bytes
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        elif wire == 2:
            size, pos = varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > end:
            raise ProtobufError("truncated message")
        found.setdefault(number, []).append((wire, value))
    return found


def signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def to_number(type_: str, wire: int, value: Any) -> Any:
    if wire == 0:
        if type_ == "bool":
            return value != 0
        if type_ in ("int32", "int64"):
            return signed(value, 32 if type_ == "int32" else 64)
        if type_ in ("sint32", "sint64"):
            return (value >> 1) ^ -(value & 1)
        if type_ in ("uint32", "uint64"):
            return value
    elif wire == 1 and type_ in ("double", "fixed64", "sfixed64"):
        number = struct.unpack(
            "<" + {"double": "d", "fixed64": "Q", "sfixed64": "q"}[type_], value
        )[0]
        return json_float(number) if type_ == "double" else number
    elif wire == 5 and type_ in ("float", "fixed32", "sfixed32"):
        number = struct.unpack("<" + {"float": "f", "fixed32": "I", "sfixed32": "i"}[type_], value)[
            0
        ]
        return json_float(number) if type_ == "float" else number
    raise ProtobufError(f"wire type {wire} for a {type_} field")


def json_float(number: float) -> float | int:
    if number != number or number in (float("inf"), float("-inf")):
        raise ProtobufError("NaN or infinite number")
    return int(number) if number.is_integer() and abs(number) < 2**63 else number


PACKED = {
    "int32": 0,
    "int64": 0,
    "uint32": 0,
    "uint64": 0,
    "sint32": 0,
    "sint64": 0,
    "bool": 0,
    "double": 8,
    "fixed64": 8,
    "sfixed64": 8,
    "float": 4,
    "fixed32": 4,
    "sfixed32": 4,
}


def scalars(type_: str, items: list[tuple[int, Any]]) -> list[Any]:
    out: list[Any] = []
    for wire, value in items:
        if wire == 2 and type_ in PACKED:  # a packed run of numbers
            width, pos = PACKED[type_], 0
            while pos < len(value):
                if width:
                    out.append(to_number(type_, 1 if width == 8 else 5, value[pos : pos + width]))
                    pos += width
                else:
                    number, pos = varint(value, pos)
                    out.append(to_number(type_, 0, number))
        else:
            out.append(scalar(type_, wire, value))
    return out


def scalar(type_: str, wire: int, value: Any) -> Any:
    if type_ == "string":
        if wire != 2:
            raise ProtobufError(f"wire type {wire} for a string field")
        return bytes(value).decode("utf-8", "replace")  # encoding/json writes U+FFFD too
    if type_ == "bytes":
        if wire != 2:
            raise ProtobufError(f"wire type {wire} for a bytes field")
        return base64.b64encode(value).decode()
    return to_number(type_, wire, value)


ZERO: dict[str, Any] = {"string": "", "bool": False, "bytes": None}


def last_int(fields: dict[int, list[tuple[int, Any]]], number: int) -> int:
    items = fields.get(number)
    if not items:
        return 0
    wire, value = items[-1]
    if wire != 0:
        raise ProtobufError(f"wire type {wire} for an integer field")
    return int(value)


def last_bytes(fields: dict[int, list[tuple[int, Any]]], number: int) -> bytes | None:
    items = fields.get(number)
    if not items:
        return None
    wire, value = items[-1]
    if wire != 2:
        raise ProtobufError(f"wire type {wire} for a length-delimited field")
    return bytes(value)


def payload(item: tuple[int, Any]) -> bytes:
    wire, value = item
    if wire != 2:
        raise ProtobufError(f"wire type {wire} for an embedded message")
    return bytes(value)
