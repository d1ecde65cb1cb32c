"""What every Table printer shares: column definitions, times and ages, field access, labels,
selectors and quantities, printed the way kube-apiserver's printers print them (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

Obj = dict[str, Any]
Cells = Callable[[Obj, datetime], list[Any]]

NAME_DOC = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
AGE_DOC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the "
    "system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/"
    "sig-architecture/api-conventions.md#metadata"
)


def col(
    name: str, description: str = "", type_: str = "string", priority: int = 0, fmt: str = ""
) -> dict[str, Any]:
    """One columnDefinitions entry; the server always sends all five fields."""
    return {
        "name": name,
        "type": type_,
        "format": fmt,
        "description": description,
        "priority": priority,
    }


NAME = col("Name", NAME_DOC, fmt="name")
AGE = col("Age", AGE_DOC)


@dataclass(frozen=True, slots=True)
class Printer:
    columns: tuple[dict[str, Any], ...]
    cells: Cells


# ---------------------------------------------------------------- time

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (Time or MicroTime); None when unset. ValueError when malformed."""
    if value in (None, "", "null"):
        return None
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    # fromisoformat takes at most microseconds; MicroTime and friends may carry more digits.
    value = re.sub(r"\.(\d{1,6})\d*", lambda m: "." + m.group(1).ljust(6, "0"), value)
    return datetime.fromisoformat(value.replace("t", "T").replace("z", "Z"))


def human_duration(delta: timedelta) -> str:
    """apimachinery duration.HumanDuration: ~2-3 significant figures (`5s`, `3h12m`, `2y30d`)."""
    seconds = int(delta.total_seconds())  # truncates toward zero, like Go's int(d.Seconds())
    if seconds < -1:
        return "<invalid>"  # more than the 2s of clock skew the server tolerates
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    days = hours // 24
    if hours < 24 * 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """translateTimestampSince: `<unknown>` for an unset time."""
    try:
        moment = parse_time(timestamp)
    except ValueError:
        return "<invalid>"
    return "<unknown>" if moment is None else human_duration(now - moment)


def age(obj: Obj, now: datetime) -> str:
    return since(dig(obj, "metadata", "creationTimestamp"), now)


# ---------------------------------------------------------------- object helpers


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """obj[path[0]][path[1]]...; `default` when any step is missing or null."""
    for key in path:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return default
        if obj is None:
            return default
    return obj


def name_of(obj: Obj) -> str:
    return dig(obj, "metadata", "name", default="")


def condition_true(conditions: list[Obj] | None, type_: str) -> bool:
    """Whether the first condition of `type_` has status True (as the printers check it)."""
    for condition in conditions or ():
        if condition.get("type") == type_:
            return condition.get("status") == "True"
    return False


def format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: `k=v,...` sorted by key, `<none>` when empty."""
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "<none>"


def selector_string(selector: Obj | None) -> str:
    """LabelSelectorAsSelector(...).String(); "" for a nil or empty selector."""
    requirements: list[tuple[str, str]] = [
        (k, f"{k}={v}") for k, v in (selector or {}).get("matchLabels", {}).items()
    ]
    for expr in (selector or {}).get("matchExpressions") or ():
        key, op = expr.get("key", ""), expr.get("operator")
        values = sorted(expr.get("values") or ())
        joined = values[0] if len(values) == 1 else ",".join(values)
        text = {
            "In": f"{key} in ({joined})",
            "NotIn": f"{key} notin ({joined})",
            "Exists": key,
            "DoesNotExist": f"!{key}",
        }.get(op or "")
        if text is None:
            return "<invalid>"
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def format_label_selector(selector: Obj | None) -> str:
    """metav1.FormatLabelSelector: like selector_string, but `<none>` when empty."""
    return selector_string(selector) or "<none>"


def container_cells(pod_spec: Obj | None) -> list[str]:
    """layoutContainerCells: container names and images, comma-joined."""
    containers = (pod_spec or {}).get("containers") or []
    return [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    ]


# ---------------------------------------------------------------- quantities

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}
_QUANTITY = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))([a-zA-Z]*|[eE][+-]?\d+)")


def parse_quantity(text: Any) -> tuple[Fraction, str]:
    """A resource.Quantity as (value, format); format is "binary", "decimal" or "exponent"."""
    match = _QUANTITY.fullmatch(str(text).strip())
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    number, suffix = match.groups()
    try:
        value = Fraction(Decimal(number))
    except InvalidOperation:
        raise ValueError(f"not a quantity: {text!r}") from None
    if suffix in _BINARY:
        return value * 1024 ** _BINARY[suffix], "binary"
    if suffix in _DECIMAL:
        return value * Fraction(10) ** _DECIMAL[suffix], "decimal"
    if suffix[:1] in "eE" and suffix[1:].lstrip("+-").isdigit():
        return value * Fraction(10) ** int(suffix[1:]), "exponent"
    raise ValueError(f"not a quantity: {text!r}")


def format_quantity(value: Fraction, fmt: str) -> str:
    """Quantity.String(): the canonical form kube-apiserver serializes."""
    if value == 0:
        return "0"
    nanos = value * 10**9
    if nanos.denominator != 1:  # finer than 1n: the server rounds up
        nanos = Fraction(math.ceil(nanos))
    if fmt == "binary" and not -1024 < value < 1024 and value.denominator == 1:
        number, power = int(value), 0
        while number % 1024 == 0 and power < 6:
            number, power = number // 1024, power + 1
        return f"{number}{['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][power]}"
    mantissa, exponent = int(nanos), -9
    while mantissa % 10 == 0:
        mantissa, exponent = mantissa // 10, exponent + 1
    shift = exponent % 3  # lower the exponent to a multiple of 3
    mantissa, exponent = mantissa * 10**shift, exponent - shift
    if fmt == "exponent" or exponent not in _DECIMAL_SUFFIX:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"


def canonical_quantity(text: Any) -> str:
    """A quantity as the server would print it; "0" when unset, the input when unparsable."""
    if text in (None, ""):
        return "0"
    try:
        return format_quantity(*parse_quantity(text))
    except ValueError:
        return str(text)
