"""What the log view keeps and how it shows a line, toolkit-free: a bounded ring in time order
with its dropped-line count, the include/exclude/highlight regexes, JSON pretty or flattened
to chosen fields, and the prefix (cluster, pod, container) each line carries."""

from __future__ import annotations

import bisect
import calendar
import json
import re
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from kstui.backends.log_streams import LogLine, sort_key

JSON_MODES = ("raw", "pretty", "fields")


_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d{1,9}))?Z")
ODD = 15
"""A line's stamp code when its stamp is not rebuilt from its key (none, or not in the
server's form): the stamp is kept in its source's entry instead."""
SourceKey = tuple[str, str, str, str, bool, str]
"""(context, namespace, pod, container, note, the stamp when ODD else "")."""


class Stamps:
    """A server stamp as epoch nanoseconds and the digits of its fraction, and back to the
    same text (Go trims the fraction's trailing zeros, kstui's own notes keep six digits: the
    digit count rebuilds either exactly). Consecutive lines share a second: its text is kept."""

    def __init__(self) -> None:
        self._head, self._seconds = "", 0
        self._back_seconds, self._back_head = -1, ""

    def parse(self, stamp: str) -> tuple[int, int]:
        """(nanoseconds, digits 0–9), or (a best key, ODD) when the text would not come back."""
        if stamp[:19] == self._head and stamp[-1:] == "Z":  # the second of the line before
            fraction, digits = stamp[20:-1], len(stamp) - 21
            if stamp[19] == "Z":
                return self._seconds * 1_000_000_000, 0
            if stamp[19] == "." and 0 < digits <= 9 and fraction.isascii() and fraction.isdigit():
                return self._seconds * 1_000_000_000 + int(fraction.ljust(9, "0")), digits
        found = _STAMP.fullmatch(stamp)
        if found is None:
            return self._odd_key(stamp), ODD
        head = stamp[:19]
        if head != self._head:
            self._head = head
            self._seconds = calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
        fraction = found.group(1) or ""
        return self._seconds * 1_000_000_000 + int(f"{fraction:0<9}"), len(fraction)

    @staticmethod
    def _odd_key(stamp: str) -> int:
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            return 0
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000

    def text(self, key: int, digits: int) -> str:
        seconds, nanos = divmod(key, 1_000_000_000)
        if seconds != self._back_seconds:
            self._back_seconds = seconds
            self._back_head = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        if not digits:
            return self._back_head + "Z"
        return f"{self._back_head}.{f'{nanos:09d}'[:digits]}Z"


class _Lines(Sequence[LogLine]):
    """The ring's lines as LogLines, made when asked (tests, a merge's rewrite): not kept."""

    def __init__(self, ring: LogBuffer) -> None:
        self.ring = ring

    def __len__(self) -> int:
        return len(self.ring.texts)

    @overload
    def __getitem__(self, index: int) -> LogLine: ...
    @overload
    def __getitem__(self, index: slice) -> list[LogLine]: ...
    def __getitem__(self, index: int | slice) -> LogLine | list[LogLine]:
        ring = self.ring
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return ring.line(ring.texts[index], ring.keys[index], ring.metas[index])


class LogBuffer:
    """The newest `limit` lines in time order; older ones are dropped and counted.

    Compact: a line is its text (one str) and two ints in arrays: its key (the server's stamp
    as epoch nanoseconds) and `meta` (its source in `sources`: context, namespace, pod,
    container, note; and the digits of its stamp's fraction). Its stamp is made again when it
    is drawn or saved; no object, tuple or stamp string is kept per line."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.texts: list[str] = []
        self.keys = array("q")
        self.metas = array("q")
        self.sources: list[SourceKey] = []
        self._source_ids: dict[SourceKey, int] = {}
        self.stamps = Stamps()
        self.dropped = 0
        self.received = 0
        self.oldest_added = 0
        """The key of the oldest line of the last batch added."""

    @property
    def lines(self) -> _Lines:
        return _Lines(self)

    def pack(self, line: LogLine) -> tuple[int, int]:
        """A line's key and meta."""
        key, digits = self.stamps.parse(line.stamp)
        odd = line.stamp if digits == ODD else ""
        source: SourceKey = (line.context, line.namespace, line.pod, line.container, line.note, odd)
        found = self._source_ids.get(source)
        if found is None:
            found = self._source_ids[source] = len(self.sources)
            self.sources.append(source)
        return key, found << 4 | digits

    def line(self, text: str, key: int, meta: int) -> LogLine:
        """One kept line as a LogLine again (its stamp as the server wrote it)."""
        context, namespace, pod, container, note, odd = self.sources[meta >> 4]
        digits = meta & 0xF
        stamp = odd if digits == ODD else self.stamps.text(key, digits)
        return LogLine(context, namespace, pod, container, stamp, text, note, sort_key(stamp))

    def add(self, batch: list[LogLine]) -> bool:
        """Add lines; True when they all went at the end (the view appends), False when one
        was older than a line already kept (the view redraws: a merge across streams)."""
        packed = sorted(((*self.pack(line), line.text) for line in batch), key=_first)
        if packed:
            self.oldest_added = packed[0][0]
        self.received += len(batch)
        appended = True
        texts, keys, metas = self.texts, self.keys, self.metas
        for key, meta, text in packed:
            if not keys or key >= keys[-1]:
                texts.append(text)
                keys.append(key)
                metas.append(meta)
            else:
                at = bisect.bisect_right(keys, key)
                texts.insert(at, text)
                keys.insert(at, key)
                metas.insert(at, meta)
                appended = False
        over = len(texts) - self.limit
        if over > 0:
            del texts[:over]
            del keys[:over]
            del metas[:over]
            self.dropped += over
        return appended

    def clear(self) -> None:
        self.texts.clear()
        del self.keys[:]
        del self.metas[:]


def _first(item: tuple[int, int, str]) -> int:
    return item[0]


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
