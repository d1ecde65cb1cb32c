"""The plain kubeconfig, read without PyYAML (issue 18: `yaml` costs the start ~10 ms).

`kubectl config` and the usual tools write kubeconfigs in a small block style: mappings and
`- ` sequences by indentation, plain or simply quoted scalars, `{}` and `[]`. `simple_load`
reads exactly that and returns what PyYAML's safe loader returns for the same text; for
anything else (flow collections, block or escaped scalars, anchors, tags, comments after a
value, multi-line scalars, duplicate keys, tabs, non-ASCII, numbers other than plain
integers, YAML 1.1's other implicit types, errors) it returns NOT_SIMPLE and the caller uses
PyYAML, so no kubeconfig reads differently (tests/unit/test_kubeconfig_text.py compares
both on every text it tries).
"""

from __future__ import annotations

from typing import Any, Final


class _NotSimple(Exception):
    """The text is outside the plain subset: PyYAML reads it."""


NOT_SIMPLE: Final = object()

_TRUE = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_FALSE = frozenset({"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_NULL = frozenset({"~", "null", "Null", "NULL"})
_INDICATORS = frozenset("?:,[]{}#&*!|>'\"%@`<=.")
"""First characters this reader leaves to PyYAML (indicators; `<`, `=` and `.` start
YAML 1.1's merge key, value key and .inf/.nan)."""
_DIGITS = frozenset("0123456789")
_SIGNED = frozenset("0123456789. ")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")


def simple_load(text: str) -> Any:
    """What `yaml.load(text, SafeLoader)` returns, or NOT_SIMPLE when the text is not plain."""
    body = text.replace("\n", "")
    if not (body.isascii() and body.isprintable()):
        return NOT_SIMPLE  # tabs, CR, control characters, a BOM, non-ASCII: PyYAML decides
    lines: list[tuple[int, str]] = []
    for raw in text.split("\n"):
        content = raw.strip(" ")
        if not content or content.startswith("#"):
            continue
        if raw.startswith(("---", "...", "%")):
            return NOT_SIMPLE  # document markers and directives
        lines.append((len(raw) - len(raw.lstrip(" ")), content))
    if not lines:
        return None  # empty, or comments only: an empty document
    try:
        if lines[0][0] != 0 or _is_item(lines[0][1]):
            raise _NotSimple  # a top that is not a mapping: PyYAML's own error or value
        document, end = _Reader(lines).mapping(0, 0)
    except _NotSimple:
        return NOT_SIMPLE
    return document if end == len(lines) else NOT_SIMPLE


def _is_item(content: str) -> bool:
    return content == "-" or content.startswith("- ")


class _Reader:
    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines = lines

    def block(self, at: int, indent: int) -> tuple[Any, int]:
        if _is_item(self.lines[at][1]):
            return self.sequence(at, indent)
        return self.mapping(at, indent)

    def mapping(self, at: int, indent: int) -> tuple[dict[str, Any], int]:
        lines = self.lines
        found: dict[str, Any] = {}
        while at < len(lines):
            column, content = lines[at]
            if column < indent:
                break
            if column > indent or _is_item(content):
                raise _NotSimple
            colon = content.find(":")
            key = content[:colon]
            rest = content[colon + 1 :]
            if colon <= 0 or (rest and rest[0] != " ") or key in found:
                raise _NotSimple
            if not _KEY_CHARS.issuperset(key) or not isinstance(_plain(key), str):
                raise _NotSimple
            at += 1
            rest = rest.strip(" ")
            if rest:
                found[key] = _scalar(rest)
                if at < len(lines) and lines[at][0] > indent:
                    raise _NotSimple  # a scalar continued on the next line
            elif at < len(lines) and lines[at][0] > indent:
                found[key], at = self.block(at, lines[at][0])
            elif at < len(lines) and lines[at][0] == indent and _is_item(lines[at][1]):
                found[key], at = self.sequence(at, indent)  # `key:` then `- ` at its column
            else:
                found[key] = None
        return found, at

    def sequence(self, at: int, indent: int) -> tuple[list[Any], int]:
        lines = self.lines
        items: list[Any] = []
        while at < len(lines):
            column, content = lines[at]
            if column < indent or (column == indent and not _is_item(content)):
                break
            if column > indent:
                raise _NotSimple
            rest = content[1:]
            value = rest.lstrip(" ")
            if not value:
                at += 1
                if at < len(lines) and lines[at][0] > indent:
                    item, at = self.block(at, lines[at][0])
                    items.append(item)
                else:
                    items.append(None)
                continue
            if _is_item(value):
                raise _NotSimple  # `- - x`: a sequence in a sequence on one line
            inner = indent + 1 + len(rest) - len(value)
            if value[0] not in "'\"" and (": " in value or value.endswith(":")):
                lines[at] = (inner, value)  # `- key: v`: a mapping at the item's column
                item, at = self.mapping(at, inner)
                items.append(item)
                continue
            items.append(_scalar(value))
            at += 1
            if at < len(lines) and lines[at][0] > indent:
                raise _NotSimple
        return items, at


def _scalar(text: str) -> Any:
    if text == "{}":
        return {}
    if text == "[]":
        return []
    first = text[0]
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _NotSimple
        return inner.replace("''", "'")
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _NotSimple
        return inner
    return _plain(text)


def _plain(text: str) -> Any:
    """A plain scalar as PyYAML's resolver types it, for the forms this reader accepts."""
    first = text[0]
    if first in _INDICATORS or " #" in text or ": " in text or text.endswith(":"):
        raise _NotSimple
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _NULL:
        return None
    if first in _DIGITS:
        if text.isdigit() and (text == "0" or first != "0"):
            return int(text)
        raise _NotSimple  # octal, floats, timestamps, sexagesimal, underscores
    if first in "+-" and (len(text) == 1 or text[1] in _SIGNED):
        raise _NotSimple  # signed numbers, .inf, `- `
    return text
