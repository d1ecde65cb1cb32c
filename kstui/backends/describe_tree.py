"""Any object's fields as an indented tree, the way kubectl describe prints custom resources:
field names spelled out ("Display Name"), label-like maps kept verbatim, long values cut."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

MAX_TREE_VALUE_LENGTH = 200


def shorten(value: str, limit: int) -> str:
    """One line of at most `limit` characters (newlines folded), cut with "..."."""
    flat = " ".join(value.split()) if "\n" in value else value
    return flat if len(flat) <= limit else flat[:limit] + "..."


def tree(
    value: Mapping[str, Any],
    indent: int,
    verbatim: bool = False,
) -> Iterator[tuple[int, str, str | None]]:
    """(indent, label, value) rows: value None for a heading, label "" for a list scalar.
    Field names are spelled out as kubectl does for custom resources ("Display Name");
    keys of label-like maps are data and stay as they are."""
    for key, item in value.items():
        label = str(key) if verbatim else _spell_out(str(key))
        if isinstance(item, Mapping) and item:
            keep = str(key) in _DATA_MAPS and not any(
                isinstance(v, Mapping | list) for v in item.values()
            )
            yield indent, label, None
            yield from tree(item, indent + 2, keep)
        elif isinstance(item, list) and item:
            yield indent, label, None
            for element in item:
                if isinstance(element, Mapping) and element:
                    # The first field carries the item's "- ", the rest line up under it.
                    first, *rest = tree(element, indent + 4)
                    yield indent + 2, f"- {first[1]}", first[2]
                    yield from rest
                else:
                    yield indent + 2, "", _scalar(element)
        else:
            yield indent, label, _scalar(item)


_DATA_MAPS = frozenset(
    {
        "labels",
        "matchLabels",
        "annotations",
        "nodeSelector",
        "data",
        "binaryData",
        "selector",
        "parameters",
        "values",
        "capacity",
        "allocatable",
        "limits",
        "requests",
        "hard",
        "used",
    }
)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None or value == {} or value == []:
        return "<none>"
    return shorten(str(value), MAX_TREE_VALUE_LENGTH)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_IDENTIFIER = re.compile(r"^[a-z][A-Za-z0-9]*$")


def _spell_out(key: str) -> str:
    if not _IDENTIFIER.match(key):
        return key  # "app.kubernetes.io/name", "disable_concurrent": data, not field names
    return " ".join(part[:1].upper() + part[1:] for part in _CAMEL.split(key))
