"""What the log view keeps and how it shows a line, toolkit-free: a bounded ring in time order
with its dropped-line count, the include/exclude/highlight regexes, JSON pretty or flattened
to chosen fields, and the prefix (cluster, pod, container) each line carries."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from kstui.backends.log_streams import LogLine

JSON_MODES = ("raw", "pretty", "fields")


class LogBuffer:
    """The newest `limit` lines in time order; older ones are dropped and counted."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.lines: list[LogLine] = []
        self.keys: list[str] = []
        self.dropped = 0
        self.received = 0

    def add(self, batch: list[LogLine]) -> bool:
        """Add lines; True when they all went at the end (the view appends), False when one
        was older than a line already kept (the view redraws: a merge across streams)."""
        batch.sort(key=lambda line: line.key)
        self.received += len(batch)
        appended = True
        for line in batch:
            if not self.keys or line.key >= self.keys[-1]:
                self.lines.append(line)
                self.keys.append(line.key)
            else:
                at = bisect.bisect_right(self.keys, line.key)
                self.lines.insert(at, line)
                self.keys.insert(at, line.key)
                appended = False
        over = len(self.lines) - self.limit
        if over > 0:
            del self.lines[:over]
            del self.keys[:over]
            self.dropped += over
        return appended

    def clear(self) -> None:
        self.lines.clear()
        self.keys.clear()


QUIET_SECONDS = 1.0
MAX_HOLD_SECONDS = 2.0


class Settling:
    """Lines that came, held while several streams merge: a line waits until every stream
    heard within QUIET_SECONDS has sent a newer one (their chunks then go to the ring in time
    order, appended, instead of rewriting the view's tail), never longer than
    MAX_HOLD_SECONDS. One stream's lines never wait."""

    def __init__(self) -> None:
        self.waiting: list[tuple[float, list[LogLine]]] = []
        self.newest: dict[tuple[str, str, str, str], tuple[str, float]] = {}
        """Each stream's newest line: its key and when it came."""

    def __len__(self) -> int:
        return sum(len(lines) for _at, lines in self.waiting)

    def clear(self) -> None:
        self.waiting.clear()

    def take(self, arrived: list[LogLine], now: float) -> list[LogLine]:
        """Add what arrived this tick; the lines that may go on now."""
        if arrived:
            for line in arrived:
                if not line.note:
                    stream = (line.context, line.namespace, line.pod, line.container)
                    self.newest[stream] = (line.key, now)
            self.waiting.append((now, arrived))
        active = [key for key, at in self.newest.values() if now - at <= QUIET_SECONDS]
        mark = min(active) if len(active) > 1 else None
        batch: list[LogLine] = []
        kept: list[tuple[float, list[LogLine]]] = []
        for at, lines in self.waiting:
            if mark is None or now - at >= MAX_HOLD_SECONDS:
                batch += lines
                continue
            rest = [line for line in lines if line.key > mark]
            if len(rest) < len(lines):
                batch += [line for line in lines if line.key <= mark]
            if rest:
                kept.append((at, rest))
        self.waiting = kept
        return batch


def compile_regex(text: str) -> re.Pattern[str] | None:
    """The user's regex (None for ""); re.error says what is wrong."""
    return re.compile(text) if text else None


@dataclass(slots=True)
class LogLook:
    """How lines are shown: filters, highlight, JSON, timestamps, which prefixes."""

    include: re.Pattern[str] | None = None
    exclude: re.Pattern[str] | None = None
    highlight: re.Pattern[str] | None = None
    json_mode: str = "raw"
    json_fields: tuple[str, ...] = ()
    timestamps: bool = False
    show_context: bool = False
    show_pod: bool = False
    show_container: bool = False
    widths: dict[str, int] = field(default_factory=dict)
    """Column widths found so far (the prefix grows to the longest, never shrinks)."""

    def wanted(self, line: LogLine, shown: str) -> bool:
        if line.note:
            return True
        if self.include is not None and not self.include.search(shown):
            return False
        return not (self.exclude is not None and self.exclude.search(shown))

    def body(self, line: LogLine) -> list[str]:
        """The line's text as shown: one line, or several for pretty JSON."""
        text = line.text
        if self.json_mode != "raw" and text.lstrip().startswith("{"):
            text_lines = json_lines(text, self.json_mode, self.json_fields)
        else:
            text_lines = [text]
        if self.timestamps and line.stamp:
            text_lines[0] = f"{line.stamp} {text_lines[0]}"
        return text_lines


def _flatten(value: Any, path: str, into: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            _flatten(inner, f"{path}.{key}" if path else str(key), into)
    else:
        into[path] = value


def json_lines(text: str, mode: str, fields: tuple[str, ...]) -> list[str]:
    """A JSON object line pretty-printed, or flattened (`a.b=1 c=x`) to `fields` (every
    field when none are chosen); a line that is not JSON stays as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    if not isinstance(value, dict):
        return [text]
    if mode == "pretty":
        return json.dumps(value, indent=2, ensure_ascii=False).split("\n")
    flat: dict[str, Any] = {}
    _flatten(value, "", flat)
    keys = [key for key in fields if key in flat] if fields else list(flat)
    return [
        " ".join(
            f"{key}={item if isinstance(item, str) else json.dumps(item)}"
            for key, item in ((key, flat[key]) for key in keys)
        )
    ]
