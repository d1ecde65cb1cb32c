"""Live events, grouped: the core/v1 Events of a namespace, of every namespace (warnings only,
if asked) or of one object (and what it owns, by name prefix), kept from a list and a watch,
with repeats (same object, reason and message) folded into one row whose count is summed and
whose first and last seen span them all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import Gone, Unreachable
from kstui.model import Column, Row, Tone, parse_timestamp

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

COLUMNS = (
    Column("LAST SEEN", age=True),
    Column("TYPE"),
    Column("REASON", max_width=20),
    Column("OBJECT", max_width=30),
    Column("COUNT", numeric=True),
    Column("MESSAGE", max_width=200),
    Column("FIRST SEEN", age=True),
)
NAMESPACED_COLUMNS = (Column("NAMESPACE"), *COLUMNS)
WATCH_SECONDS = 240
RETRY_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class EventScope:
    namespace: str
    """"" for every namespace."""
    warnings: bool = False
    """Only events of type Warning (by field selector: the server filters)."""
    object_kind: str = ""
    object_name: str = ""
    """Events about this object, and about objects named after it (its pods, replica sets)."""

    def params(self) -> dict[str, str]:
        fields = ["type=Warning"] if self.warnings else []
        return {"fieldSelector": ",".join(fields)} if fields else {}

    def path(self) -> str:
        namespace = self.namespace
        return f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"

    def wants(self, event: dict[str, Any]) -> bool:
        if not self.object_name:
            return True
        involved = event.get("involvedObject") or {}
        name = str(involved.get("name") or "")
        if involved.get("kind") == self.object_kind and name == self.object_name:
            return True
        return name.startswith(self.object_name + "-")  # its replica sets, pods, jobs' pods


def _stamp(event: dict[str, Any], first: bool) -> str:
    series = event.get("series") or {}
    for value in (
        event.get("firstTimestamp" if first else "lastTimestamp"),
        None if first else series.get("lastObservedTime"),
        event.get("eventTime"),
        (event.get("metadata") or {}).get("creationTimestamp"),
    ):
        if value:
            return str(value)
    return ""


@dataclass(slots=True)
class EventGroup:
    namespace: str
    type: str
    reason: str
    object: str
    message: str
    count: int
    first: str
    last: str

    def row(self, with_namespace: bool) -> Row:
        cells = (
            self.last,
            self.type,
            self.reason,
            self.object,
            str(self.count),
            self.message,
            self.first,
        )
        key = "\x00".join((self.namespace, self.object, self.reason, self.message))
        tone = Tone.WARN if self.type == "Warning" else Tone.NORMAL
        return Row(key, (self.namespace, *cells) if with_namespace else cells, tone)


def group(events: list[dict[str, Any]]) -> list[EventGroup]:
    """Events folded by (namespace, object, reason, message): counts summed, first the
    earliest, last the latest; newest last seen first."""
    groups: dict[tuple[str, str, str, str], EventGroup] = {}
    for event in events:
        involved = event.get("involvedObject") or {}
        namespace = str((event.get("metadata") or {}).get("namespace") or "")
        what = f"{str(involved.get('kind') or '').lower()}/{involved.get('name') or ''}"
        reason = str(event.get("reason") or "")
        message = " ".join(str(event.get("message") or "").split())
        count = int(event.get("count") or (event.get("series") or {}).get("count") or 1)
        first = _stamp(event, first=True)
        last = _stamp(event, first=False)
        key = (namespace, what, reason, message)
        found = groups.get(key)
        if found is None:
            groups[key] = EventGroup(
                namespace, str(event.get("type") or ""), reason, what, message, count, first, last
            )
            continue
        found.count += count
        if (parse_timestamp(first) or 0) < (parse_timestamp(found.first) or 0):
            found.first = first
        if (parse_timestamp(last) or 0) > (parse_timestamp(found.last) or 0):
            found.last = last
            found.type = str(event.get("type") or found.type)
    return sorted(groups.values(), key=lambda g: parse_timestamp(g.last) or 0, reverse=True)


class LiveEvents:
    """The events of a scope by uid, from a list then a watch; `changed` is called after the
    list and after each watch event (cheap: the consumer groups when it next paints)."""

    def __init__(self, scope: EventScope, changed: Callable[[], None]) -> None:
        self.scope = scope
        self.changed = changed
        self.events: dict[str, dict[str, Any]] = {}

    def groups(self) -> list[EventGroup]:
        return group(list(self.events.values()))

    async def run(self, client: KubeClient) -> None:
        version = await self._list(client)
        while True:
            params = dict(self.scope.params(), resourceVersion=version)
            try:
                async for change in client.watch(
                    self.scope.path(), params, timeout_seconds=WATCH_SECONDS
                ):
                    event = change.get("object") or {}
                    meta = event.get("metadata") or {}
                    version = meta.get("resourceVersion", version)
                    if change.get("type") == "BOOKMARK" or not self.scope.wants(event):
                        continue
                    uid = str(meta.get("uid"))
                    if change.get("type") == "DELETED":
                        self.events.pop(uid, None)
                    else:
                        self.events[uid] = event
                    self.changed()
            except Gone:  # the resourceVersion expired: list again
                version = await self._list(client)
            except Unreachable:  # a dropped connection: watch again from where it was
                await asyncio.sleep(RETRY_SECONDS)

    async def _list(self, client: KubeClient) -> str:
        listed = await client.list(self.scope.path(), self.scope.params())
        self.events = {
            str((event.get("metadata") or {}).get("uid")): event
            for event in listed.get("items") or []
            if self.scope.wants(event)
        }
        self.changed()
        return str((listed.get("metadata") or {}).get("resourceVersion", ""))
