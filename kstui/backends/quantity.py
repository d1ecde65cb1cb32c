"""Kubernetes resource quantities ("500m", "1.5Gi", "2e3"): parsed exactly, compared, summed.

Pure (stdlib only). Values are Decimals so "0.1" + "0.2" is "0.3" and "1Gi" is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

# resource.Quantity's grammar: <signedNumber><suffix>, suffix binary, decimal SI or exponent.
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$"
)

BINARY_SUFFIXES: dict[str, int] = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""


def parse_quantity(text: str) -> Decimal:
    """The exact value of a quantity; raises QuantityError for anything the API would refuse."""
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise QuantityError(f"{text!r} is not a quantity (e.g. 500m, 2, 1.5Gi, 4G)")
    try:
        number = Decimal(match["number"])
    except InvalidOperation as error:  # the regex should make this unreachable
        raise QuantityError(f"{text!r} is not a number") from error
    suffix = match["suffix"] or ""
    if suffix in BINARY_SUFFIXES:
        return number * (Decimal(1024) ** BINARY_SUFFIXES[suffix])
    if suffix in DECIMAL_SUFFIXES:
        return number.scaleb(DECIMAL_SUFFIXES[suffix])
    exponent = Decimal(suffix[1:])
    if exponent != exponent.to_integral_value():
        raise QuantityError(f"{text!r}: the exponent must be a whole number")
    return number.scaleb(int(exponent))


def is_binary(text: str) -> bool:
    """Whether a quantity is written with a binary suffix (memory, storage)."""
    return text.strip()[-2:] in BINARY_SUFFIXES


def format_quantity(value: Decimal, binary: bool = False) -> str:
    """A short exact spelling: the largest suffix that keeps the number whole ("48Gi",
    "12", "5500m"); falls back to a plain decimal when no suffix fits."""
    if value == 0:
        return "0"
    if binary and value == value.to_integral_value():
        for suffix, power in sorted(BINARY_SUFFIXES.items(), key=lambda item: -item[1]):
            scaled = value / (Decimal(1024) ** power)
            if scaled == scaled.to_integral_value():
                return f"{int(scaled)}{suffix}"
        return str(int(value))
    for suffix, power in sorted(DECIMAL_SUFFIXES.items(), key=lambda item: -item[1]):
        scaled = value.scaleb(-power)
        if scaled == scaled.to_integral_value():
            return f"{int(scaled)}{suffix}"
    return format(value.normalize(), "f")


def quantity_ratio(used: str, hard: str) -> float | None:
    """used/hard, or None when either is missing or unparsable, or hard is zero."""
    try:
        used_value, hard_value = parse_quantity(used), parse_quantity(hard)
    except QuantityError:
        return None
    if hard_value == 0:
        return None
    return float(used_value / hard_value)


def sum_quantities(values: Iterable[str]) -> str:
    """The total of several quantities, spelled in binary units if any addend was; unparsable
    addends are skipped (a quota total is still worth showing)."""
    total = Decimal(0)
    binary = False
    for text in values:
        try:
            total += parse_quantity(text)
        except QuantityError:
            continue
        binary = binary or is_binary(text)
    return format_quantity(total, binary)
