"""Watch streams: one JSON event per line, replayed from the store's log, never losing one.

A watch starts either with synthetic ADDED events for what exists now (no resourceVersion, or
"0") or from a resourceVersion, replaying everything after it; one older than the log keeps is
answered with an ERROR event carrying a 410 Expired Status, one newer than the store with a 504
ResourceVersionTooLarge Status, as kube-apiserver does. Quiet watches get a BOOKMARK every
`cluster.bookmark_interval` seconds when the client allows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import orjson
from aiohttp import web
from aiohttp.client_exceptions import ClientConnectionResetError

from kstui.sandbox import encoding
from kstui.sandbox.api import Call, await_version
from kstui.sandbox.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Entry

DEFAULT_TIMEOUT = (1800, 3600)


class WatchStream:
    def __init__(self, call: Call) -> None:
        self.call = call
        query = call.query
        self.labels = parse_label_selector(query.get("labelSelector"))
        self.fields = parse_field_selector(query.get("fieldSelector"), call.kind.storage_key)
        if call.info.name:  # GET .../pods/x?watch=1: a watch of one object
            self.fields += parse_field_selector(
                f"metadata.name={call.info.name}", call.kind.storage_key
            )
        self.namespace = call.namespace
        self.bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        self.send_initial = query.get("sendInitialEvents") == "true"
        timeout = query.get("timeoutSeconds")
        try:
            self.timeout = float(timeout) if timeout else float(random.randint(*DEFAULT_TIMEOUT))
        except ValueError as error:
            raise ApiError.bad_request(
                f'strconv.ParseInt: parsing "{timeout}": invalid syntax'
            ) from error
        self.rep = call.representation()
        self.sent_columns = False
        self.last_write = time.monotonic()

    def _matches(self, entry: Entry | None) -> bool:
        if entry is None:
            return False
        if self.namespace and entry.namespace != self.namespace:
            return False
        if self.labels and not labels_match(self.labels, entry.labels):
            return False
        return not (self.fields and not fields_match(self.fields, entry.fields))

    def _line(self, type_: str, entry: Entry) -> bytes:
        kind = self.call.kind
        if self.rep.table:
            table = encoding.table(
                kind,
                [entry.decode()],
                self.call.cluster.clock.now(),
                self.rep,
                with_columns=not self.sent_columns,
            )
            self.sent_columns = True
            return orjson.dumps({"type": type_, "object": table}) + b"\n"
        if self.rep.partial_metadata:
            obj = encoding.partial_metadata(entry.decode())
            return orjson.dumps({"type": type_, "object": obj}) + b"\n"
        return (
            b'{"type":"'
            + type_.encode()
            + b'","object":'
            + encoding.object_bytes(kind, entry)
            + b"}\n"
        )

    def _bookmark(self, rv: int, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        kind = self.call.kind
        return (
            orjson.dumps(
                {
                    "type": "BOOKMARK",
                    "object": {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": meta},
                }
            )
            + b"\n"
        )

    @staticmethod
    def _error(error: ApiError) -> bytes:
        return orjson.dumps({"type": "ERROR", "object": error.status()}) + b"\n"

    def _translate(self, type_: str, new: Entry, old: Entry | None) -> str | None:
        """The event this watcher sees: an object leaving its selector is DELETED for it."""
        if type_ == "ADDED":
            return type_ if self._matches(new) else None
        if type_ == "DELETED":
            return type_ if self._matches(old or new) else None
        was, now = self._matches(old), self._matches(new)
        if was and now:
            return "MODIFIED"
        if now:
            return "ADDED"
        if was:
            return "DELETED"
        return None

    async def _stream(
        self,
        response: web.StreamResponse,
        position: int,
        sent: int,
        started_generation: int,
        deadline: float,
    ) -> None:
        """Events after `position` until the deadline, a fault, or the client leaving."""
        call = self.call
        store = call.store
        faults = call.cluster.faults
        interval = call.cluster.bookmark_interval
        while True:
            if faults.watches_silent:  # a stuck server: nothing at all, not even the deadline
                if not faults.hung and time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.1)
                continue
            events = store.events_since(position)
            if events is None:
                await response.write(
                    self._error(
                        ApiError.expired(
                            f"too old resource version: {position} ({store.oldest_rv + 1})"
                        )
                    )
                )
                break
            buffer: list[bytes] = []
            limit = faults.drop_watches_after
            for event in events:
                if limit is not None and sent + len(buffer) >= limit:
                    break  # the watch ends here; a resumed one gets the rest
                if event.key != call.kind.storage_key:
                    continue
                seen_as = self._translate(event.type, event.new, event.old)
                if seen_as == "DELETED" and event.type == "MODIFIED" and event.old is not None:
                    # Left the selector: the last matching state, at this event's version.
                    gone = event.old.decode()
                    gone["metadata"]["resourceVersion"] = str(event.rv)
                    buffer.append(self._line(seen_as, Entry(event.key, gone)))
                elif seen_as is not None:
                    buffer.append(self._line(seen_as, event.new))
            if events:
                position = events[-1].rv
            if buffer:
                await response.write(b"".join(buffer))
                sent += len(buffer)
                self.last_write = time.monotonic()
            elif self.bookmarks and time.monotonic() - self.last_write >= interval:
                # Every event up to `position` (any kind) is delivered: a quiet kind's watcher
                # learns the current version, and that the server is still there.
                await response.write(self._bookmark(position))
                self.last_write = time.monotonic()
            if faults.watch_generation != started_generation or (
                faults.drop_watches_after is not None and sent >= faults.drop_watches_after
            ):
                if faults.abrupt_drop and call.request.transport is not None:
                    call.request.transport.close()
                    return
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Wake at least twice a second so injected faults take effect promptly.
            await store.wait_for_change(position, min(remaining, 0.5))
        await response.write_eof()

    async def run(self) -> web.StreamResponse:
        call = self.call
        store = call.store
        faults = call.cluster.faults
        rv_param = call.query.get("resourceVersion", "")
        if rv_param not in ("", "0") and not self.send_initial:
            await await_version(call, rv_param)  # before the 200: errors go out as a Status
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Cache-Control": "no-cache, private"}
        )
        response.enable_chunked_encoding()
        await response.prepare(call.request)
        started_generation = faults.watch_generation
        deadline = time.monotonic() + self.timeout
        sent = 0
        if rv_param in ("", "0") or self.send_initial:
            position = store.rv
            # Entries are immutable: this list is the state at `position`, even while the
            # writes below wait for the socket; sent in pieces, 10k pods never make one 20 MiB
            # bytes (nor a 20 MiB TLS buffer).
            entries = list(
                store.select(
                    call.kind.storage_key, self.namespace or None, self.labels, self.fields
                )
            )
            buffer, size = [], 0
            for entry in entries:
                buffer.append(self._line("ADDED", entry))
                size += len(buffer[-1])
                if size >= encoding.STREAM_CHUNK:
                    await response.write(b"".join(buffer))
                    buffer, size = [], 0
                    await asyncio.sleep(0)  # hear a client that left before the next write
            if self.send_initial and self.bookmarks:
                buffer.append(self._bookmark(position, initial_end=True))
            if buffer:
                await response.write(b"".join(buffer))
        else:
            try:
                position = int(rv_param)
            except ValueError:
                await response.write(
                    self._error(ApiError.bad_request(f"invalid resource version: {rv_param}"))
                )
                return response
        # The client may go away mid-write: then there is nothing left to tell it.
        with contextlib.suppress(ConnectionResetError, ClientConnectionResetError):
            await self._stream(response, position, sent, started_generation, deadline)
        return response


async def watch(call: Call) -> web.StreamResponse:
    return await WatchStream(call).run()
