"""Plain value types shared by backends, widgets and screens. Standard library only."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

from datetime import UTC, datetime
from enum import Enum
from typing import NamedTuple


class Tone(str, Enum):  # noqa: UP042  (StrEnum would change str() of a member)
    """How a row should look, in words the UI maps to theme colours."""

    NORMAL = "normal"
    OK = "ok"
    WARN = "warn"
    ERROR = "error"
    MUTED = "muted"


class Column(NamedTuple):
    """One table column."""

    name: str
    age: bool = False
    """Cells hold an RFC 3339 timestamp; the table shows its age relative to now."""
    numeric: bool = False
    """Sort by number rather than text (restarts, replicas)."""
    max_width: int = 60


class Row(NamedTuple):
    """One table row: a stable key, one plain string per column, and a tone. A NamedTuple, as
    CachedRow: cheap to make by the hundred thousand, no class to build at import."""

    key: str
    cells: tuple[str, ...]
    tone: Tone = Tone.NORMAL


def parse_timestamp(text: str) -> float | None:
    """Seconds since the epoch for an RFC 3339 timestamp, None when unparsable or empty."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def human_age(seconds: float) -> str:
    """kubectl's duration format: 45s, 5m12s, 3h, 2d4h, 400d, 3y..."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def age_of(timestamp: str, now: float) -> str:
    """The age of an RFC 3339 timestamp at `now` (epoch seconds); `<unknown>` if unparsable."""
    at = parse_timestamp(timestamp)
    return "<unknown>" if at is None else human_age(now - at)


def utc_now() -> float:
    return datetime.now(UTC).timestamp()
