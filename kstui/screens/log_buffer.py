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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, overload

from kstui.backends.log_streams import LogLine, LogSource, sort_key

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


class Packed:
    """Lines on their way to the ring, packed as it keeps them (a key, a meta and a text each)
    in two arrays and a list: no object a line, so what waits for a tick or a merge gives the
    collector nothing to walk. `newest`: each stream's last line's key (Settling's mark)."""

    __slots__ = ("keys", "metas", "newest", "texts")

    def __init__(self) -> None:
        self.keys = array("q")
        self.metas = array("q")
        self.texts: list[str] = []
        self.newest: dict[LogSource, int] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def extend(self, other: Packed) -> None:
        self.keys.extend(other.keys)
        self.metas.extend(other.metas)
        self.texts.extend(other.texts)

    def pick(self, indices: Sequence[int]) -> Packed:
        """These lines, in this order."""
        picked = Packed()
        if len(indices) == 1:
            at = indices[0]
            picked.keys.append(self.keys[at])
            picked.metas.append(self.metas[at])
            picked.texts.append(self.texts[at])
        elif indices:
            get: Callable[[Any], tuple[Any, ...]] = itemgetter(*indices)
            picked.keys.extend(get(self.keys))
            picked.metas.extend(get(self.metas))
            picked.texts.extend(get(self.texts))
        return picked

    def by_time(self) -> list[int]:
        """The lines' indices in time order (equal times in arrival order)."""
        return sorted(range(len(self.keys)), key=self.keys.__getitem__)


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

    def pack_into(self, line: LogLine, into: Packed) -> None:
        key, meta = self.pack(line)
        into.keys.append(key)
        into.metas.append(meta)
        into.texts.append(line.text)
        if not line.note:
            into.newest[(line.context, line.namespace, line.pod, line.container)] = key

    def pack_lines(self, source: LogSource, raws: list[str], into: Packed) -> None:
        """A chunk of one stream's lines as the server sent them (`stamp text`): packed as
        `pack` packs their LogLines, without making them."""
        if not raws:
            return
        base: SourceKey = (*source, False, "")
        found = self._source_ids.get(base)
        if found is None:
            found = self._source_ids[base] = len(self.sources)
            self.sources.append(base)
        meta, parse = found << 4, self.stamps.parse
        keys, metas, texts = into.keys, into.metas, into.texts
        key = 0
        for raw in raws:
            stamp, space, text = raw.partition(" ")
            if space and len(stamp) >= 20 and stamp[4:5] == "-" and stamp[10:11] == "T":
                key, digits = parse(stamp)
                if digits == ODD:
                    key, odd_meta = self.pack(LogLine(*source, stamp, text))
                    keys.append(key)
                    metas.append(odd_meta)
                    texts.append(text)
                    continue
                keys.append(key)
                metas.append(meta | digits)
                texts.append(text)
            else:  # no stamp: split_stamp keeps the whole line, its key is the oldest
                key = 0
                keys.append(0)
                metas.append(meta | ODD)
                texts.append(raw)
        into.newest[source] = key

    def line(self, text: str, key: int, meta: int) -> LogLine:
        """One kept line as a LogLine again (its stamp as the server wrote it)."""
        context, namespace, pod, container, note, odd = self.sources[meta >> 4]
        digits = meta & 0xF
        stamp = odd if digits == ODD else self.stamps.text(key, digits)
        return LogLine(context, namespace, pod, container, stamp, text, note, sort_key(stamp))

    def add(self, batch: list[LogLine]) -> bool:
        """Add lines; True when they all went at the end (the view appends), False when one
        was older than a line already kept (the view redraws: a merge across streams)."""
        packed = Packed()
        for line in batch:
            self.pack_into(line, packed)
        return self.add_packed(packed)

    def add_packed(self, batch: Packed) -> bool:
        """`add` for lines packed on their way."""
        self.received += len(batch)
        if not batch:
            return True
        ordered = batch.pick(batch.by_time())
        self.oldest_added = ordered.keys[0]
        appended = True
        texts, keys, metas = self.texts, self.keys, self.metas
        if not keys or ordered.keys[0] >= keys[-1]:  # all at the end: the usual flood
            texts.extend(ordered.texts)
            keys.extend(ordered.keys)
            metas.extend(ordered.metas)
        else:
            for key, meta, text in zip(ordered.keys, ordered.metas, ordered.texts, strict=True):
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


QUIET_SECONDS = 1.0
MAX_HOLD_SECONDS = 2.0


class Settling:
    """Lines that came, held while several streams merge: a line waits until every stream
    heard within QUIET_SECONDS has sent a newer one (their chunks then go to the ring in time
    order, appended, instead of rewriting the view's tail), never longer than
    MAX_HOLD_SECONDS. One stream's lines never wait."""

    def __init__(self) -> None:
        self.waiting: list[tuple[float, Packed]] = []
        self.newest: dict[LogSource, tuple[int, float]] = {}
        """Each stream's newest line: its key and when it came."""

    def __len__(self) -> int:
        return sum(len(lines) for _at, lines in self.waiting)

    def clear(self) -> None:
        self.waiting.clear()

    def take(self, arrived: Packed, now: float) -> Packed:
        """Add what arrived this tick; the lines that may go on now."""
        if arrived:
            for stream, key in arrived.newest.items():
                self.newest[stream] = (key, now)
            self.waiting.append((now, arrived))
        active = [key for key, at in self.newest.values() if now - at <= QUIET_SECONDS]
        mark = min(active) if len(active) > 1 else None
        batch = Packed()
        kept: list[tuple[float, Packed]] = []
        for at, lines in self.waiting:
            if mark is None or now - at >= MAX_HOLD_SECONDS or max(lines.keys) <= mark:
                batch.extend(lines)
            elif min(lines.keys) > mark:
                kept.append((at, lines))
            else:
                keys = lines.keys
                batch.extend(lines.pick([i for i, key in enumerate(keys) if key <= mark]))
                kept.append((at, lines.pick([i for i, key in enumerate(keys) if key > mark])))
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
