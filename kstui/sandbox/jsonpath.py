"""The subset of Kubernetes JSONPath that CRD printer columns use (client-go util/jsonpath).

Supported: `.a.b`, escaped dots in names (`.labels.kubesphere\\.io/workspace`), `['a.b/c']`,
`[0]`, `[-1]`, `[1:3]`, `[*]`, `.*`, `..name` (recursive descent) and filters
`[?(@.type=="Ready")]` with ==, !=, <, <=, >, >= or a bare `[?(@.field)]` existence test.
Like the apiserver (AllowMissingKeys), a missing key or an index out of range yields no result.
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Any

__all__ = ["JSONPathError", "evaluate", "first", "parse"]


class JSONPathError(ValueError):
    """The path is not valid (kube-apiserver rejects such a CRD column)."""


# Steps: ("field", name) ("index", i) ("slice", start, stop, step) ("wild",) ("recursive",)
#        ("filter", steps, op, literal)
Step = tuple[Any, ...]

# Characters that end an unescaped field name, as in client-go's parser (isTerminator).
_TERMINATORS = frozenset(" .,[]$@{}()=!<>")
_FILTER = re.compile(r"\s*@((?:[^=!<>\s]|\\.)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*$")
_MISSING = object()
_OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@functools.lru_cache(maxsize=512)
def parse(path: str) -> tuple[Step, ...]:
    """Parse a JSONPath; `{...}` braces and a leading `$` are optional."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[Step] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("..", i):
            steps.append(("recursive",))
            i += 1  # the second dot starts the field that follows
        elif ch == ".":
            i += 1
            if i == len(text):
                raise JSONPathError(f"dangling '.' in {path!r}")
            if text[i] == "*":
                steps.append(("wild",))
                i += 1
            elif text[i] != "[":
                name, i = _read_name(text, i)
                steps.append(("field", name))
        elif ch == "[":
            end = _closing_bracket(text, i)
            steps.append(_parse_bracket(text[i + 1 : end].strip(), path))
            i = end + 1
        elif i == 0:
            name, i = _read_name(text, i)  # a path may start without a dot: `metadata.name`
            steps.append(("field", name))
        else:
            raise JSONPathError(f"unexpected {ch!r} at {i} in {path!r}")
    return tuple(steps)


def evaluate(obj: Any, path: str) -> list[Any]:
    """Every value `path` selects in `obj`, in document order; [] when nothing matches."""
    return _run(parse(path), [obj])


def first(obj: Any, path: str) -> Any:
    """The first value `path` selects, or None."""
    found = evaluate(obj, path)
    return found[0] if found else None


def _read_name(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch in _TERMINATORS:
            break
        out.append(ch)
        i += 1
    if not out:
        raise JSONPathError(f"empty field name at {i} in {text!r}")
    return "".join(out), i


def _closing_bracket(text: str, start: int) -> int:
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise JSONPathError(f"unclosed '[' in {text!r}")


def _parse_bracket(inner: str, path: str) -> Step:
    if inner == "*":
        return ("wild",)
    if inner[:1] in "'\"" and inner[-1:] == inner[:1] and len(inner) >= 2:
        return ("field", _unquote(inner))
    if inner.startswith("?(") and inner.endswith(")"):
        match = _FILTER.match(inner[2:-1])
        if not match:
            raise JSONPathError(f"bad filter {inner!r} in {path!r}")
        sub, op, literal = match.groups()
        return ("filter", parse(sub) if sub else (), op or "exists", _literal(literal, path))
    try:
        if ":" in inner:
            parts = [int(p) if p.strip() else None for p in inner.split(":")]
            if len(parts) > 3:
                raise ValueError(inner)
            parts += [None] * (3 - len(parts))
            return ("slice", *parts)
        return ("index", int(inner))
    except ValueError:
        raise JSONPathError(f"bad subscript [{inner}] in {path!r}") from None


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _literal(text: str | None, path: str) -> Any:
    if text is None:
        return None
    if text[:1] in "'\"" and text[-1:] == text[:1] and len(text) >= 2:
        return _unquote(text)
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise JSONPathError(f"bad filter literal {text!r} in {path!r}") from None


def _run(steps: tuple[Step, ...], values: list[Any]) -> list[Any]:
    for step in steps:
        values = [out for value in values for out in _apply(step, value)]
        if not values:
            break
    return values


def _apply(step: Step, value: Any) -> list[Any]:
    kind = step[0]
    if kind == "field":
        found = value.get(step[1], _MISSING) if isinstance(value, dict) else _MISSING
        return [] if found is _MISSING else [found]
    if kind == "index":
        if not isinstance(value, list):
            return []
        index = step[1] + len(value) if step[1] < 0 else step[1]
        return [value[index]] if 0 <= index < len(value) else []
    if kind == "slice":
        return list(value[slice(*step[1:])]) if isinstance(value, list) else []
    if kind == "wild":
        if isinstance(value, dict):
            return list(value.values())
        return list(value) if isinstance(value, list) else []
    if kind == "recursive":
        return list(_descend(value))
    if kind == "filter":
        return [item for item in value if _matches(item, step)] if isinstance(value, list) else []
    raise JSONPathError(f"unknown step {step!r}")


def _descend(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        value = list(value.values())
    for child in value if isinstance(value, list) else ():
        yield from _descend(child)


def _matches(item: Any, step: Step) -> bool:
    _, sub, op, literal = step
    lefts = _run(sub, [item])
    if not lefts:
        return False  # client-go skips elements where the left side is missing
    left = lefts[0]
    if op == "exists":
        return True
    if isinstance(left, bool) != isinstance(literal, bool):
        return False
    numbers = (int, float)
    if not (isinstance(left, numbers) and isinstance(literal, numbers)) and type(left) is not type(
        literal
    ):
        return False  # client-go refuses to compare values of different kinds
    try:
        return bool(_OPERATORS[op](left, literal))
    except TypeError:
        return False
