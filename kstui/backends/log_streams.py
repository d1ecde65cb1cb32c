"""Pod log streams for one view: one container, all of a pod's, every pod of a selector (pods
that appear later are joined, pods that go away are let go), on one context or several.

Every line is asked with `timestamps=true`: the server's RFC 3339 time orders lines of many
pods and clusters (the view shows or hides it). Lines and notes (a pod joined, a stream ended
or failed) go to one `emit` callback as LogLines; nothing here knows about the screen. Given
`emit_lines`, a followed stream's lines go to it instead a chunk at a time, as the server wrote
them (`stamp text`, one str each, with the stream's LogSource): a flood makes no object a line
on its way (LogLines waiting for the view's tick outlived young collections: the collector's
old generation filled with them and was collected about once a second).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kstui.backends.backend import Backend
from kstui.backends.errors import Gone, KstuiError, Unreachable

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

_SINCE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PODS_WATCH_SECONDS = 240
RETRY_SECONDS = 1.0


def parse_since(text: str) -> int:
    """`5m` → 300 seconds; ValueError names what is allowed."""
    found = _SINCE.match(text.strip())
    if not found or int(found.group(1)) == 0:
        raise ValueError(f"since {text!r}: a duration like 30s, 5m, 1h or 2d")
    return int(found.group(1)) * _UNITS[found.group(2)]


def sort_key(stamp: str) -> str:
    """A server timestamp as a string that sorts in time order (Go trims the fraction's
    trailing zeros: `…:05.1Z` must sort before `…:05.12Z`)."""
    if len(stamp) < 20:
        return stamp
    head, rest = stamp[:19], stamp[19:].rstrip("Z")
    fraction = rest[1:] if rest.startswith(".") else ""
    if len(fraction) == 9 and len(stamp) == 30 and stamp[-1] == "Z":
        return stamp  # already in order: the key shares the stamp (~80 B a line less)
    return f"{head}.{fraction:0<9}"


@dataclass(frozen=True, slots=True)
class LogOptions:
    tail: int | None = 500
    """Lines of each container's log before following (None: all of them)."""
    since: int | None = None
    """Only lines of the last this many seconds."""
    previous: bool = False
    """The instance before the current one (what a CrashLoopBackOff needs); never followed."""
    since_time: str = ""
    """Only lines from this RFC 3339 time on (a chart's cursor: the minutes around it)."""
    until_time: str = ""
    """A window's end (RFC 3339): lines after it are not shown, each stream stops at its first
    line past it, and nothing is followed (the pod log API has no end time of its own)."""

    @property
    def followed(self) -> bool:
        return not self.previous and not self.until_time


@dataclass(frozen=True, slots=True)
class LogScope:
    """What one log view follows on one context."""

    context: str
    namespace: str
    """"" with a selector: every namespace."""
    pod: str = ""
    """One pod by name; "" means every pod of `selector`."""
    selector: str = ""
    containers: tuple[str, ...] = ()
    """Only these containers (a pod's chosen one); () means every container."""


@dataclass(slots=True)
class LogLine:
    context: str
    namespace: str
    pod: str
    container: str
    stamp: str
    """The server's timestamp ("" for a note made here)."""
    text: str
    note: bool = False
    """Said by kstui (joined, gone, failed), not written by the container."""
    key: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key:
            self.key = sort_key(self.stamp)


Emit = Callable[[LogLine], None]
LogSource = tuple[str, str, str, str]
"""A stream: (context, namespace, pod, container)."""
EmitLines = Callable[[LogSource, list[str]], None]
"""A chunk of one stream's lines, each `stamp text` as the server sent it."""


def split_stamp(raw: str) -> tuple[str, str]:
    """`2026-01-01T00:00:00.5Z text` → (stamp, text); a line without one keeps its text."""
    head, space, rest = raw.partition(" ")
    if space and len(head) >= 20 and head[4:5] == "-" and head[10:11] == "T":
        return head, rest
    return "", raw


def rfc3339(seconds: float) -> str:
    """Unix seconds as the API's RFC 3339 time (whole seconds, as `sinceTime` takes it)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PodLogs:
    """The streams of one LogScope: a task per (pod, container), started and stopped as a
    watch on the pods says they come and go."""

    def __init__(
        self,
        backend: Backend,
        scope: LogScope,
        options: LogOptions,
        emit: Emit,
        emit_lines: EmitLines | None = None,
    ) -> None:
        self.backend, self.scope, self.options, self.emit = backend, scope, options, emit
        self.emit_lines = emit_lines
        """Where a stream's chunks go as they came (None: each line to `emit`)."""
        self.streams: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        """(namespace, pod, container) → its task."""
        self.instances: dict[tuple[str, str, str], str] = {}
        """(namespace, pod, container) → the startedAt of the instance streamed."""

    def _note(self, namespace: str, pod: str, container: str, text: str) -> None:
        self.emit(
            LogLine(self.scope.context, namespace, pod, container, _now_stamp(), text, note=True)
        )

    def _pods_path(self) -> str:
        namespace = self.scope.namespace
        return f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods"

    def _params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.scope.pod:
            params["fieldSelector"] = f"metadata.name={self.scope.pod}"
        elif self.scope.selector:
            params["labelSelector"] = self.scope.selector
        return params

    async def run(self) -> None:
        """List the pods, stream each, then follow the pods' watch until cancelled (a watch
        whose resourceVersion expired lists again: pods gone meanwhile are let go)."""
        client = await self.backend.open()
        try:
            version = await self._list(client, first=True)
            if not self.options.followed:  # the previous instance, a window: read, then done
                await asyncio.gather(*self.streams.values(), return_exceptions=True)
                return
            while True:
                params = dict(self._params(), resourceVersion=version)
                try:
                    async for event in client.watch(
                        self._pods_path(), params, timeout_seconds=PODS_WATCH_SECONDS
                    ):
                        obj = event.get("object") or {}
                        version = (obj.get("metadata") or {}).get("resourceVersion", version)
                        if event.get("type") == "DELETED":
                            self._pod_gone(obj)
                        elif event.get("type") in ("ADDED", "MODIFIED"):
                            self._pod_seen(obj, first=False)
                except Gone:
                    version = await self._list(client, first=False)
                except Unreachable:  # a dropped connection: watch again from where it was
                    await asyncio.sleep(RETRY_SECONDS)
        finally:
            for task in self.streams.values():
                task.cancel()

    async def _list(self, client: KubeClient, *, first: bool) -> str:
        listed = await client.list(self._pods_path(), self._params())
        pods = listed.get("items") or []
        if not pods and first:
            what = self.scope.pod or f"pods matching {self.scope.selector or 'everything'}"
            self._note(self.scope.namespace, "", "", f"no {what} (yet): waiting for pods")
        present = set()
        for pod in pods:
            meta = pod.get("metadata") or {}
            present.add((meta.get("namespace", ""), meta.get("name", "")))
            self._pod_seen(pod, first=first)
        for namespace, name in {key[:2] for key in self.streams} - present:
            self._pod_gone({"metadata": {"namespace": namespace, "name": name}})
        return str((listed.get("metadata") or {}).get("resourceVersion", ""))

    def _containers(self, pod: dict[str, Any]) -> list[str]:
        names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        wanted = self.scope.containers
        return [name for name in names if not wanted or name in wanted]

    def _pod_seen(self, pod: dict[str, Any], *, first: bool) -> None:
        meta = pod.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        if meta.get("deletionTimestamp"):
            return
        statuses = {
            s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []
        }
        for container in self._containers(pod):
            key = (namespace, name, container)
            status = statuses.get(container) or {}
            state = status.get("state") or {}
            running = (state.get("running") or {}).get("startedAt")
            if not self.options.followed:
                self._start(key, self.options, first=True)
                continue
            if first and key not in self.streams:
                self.instances[key] = running or ""
                self._start(key, self.options, first=True)
            elif running and self.instances.get(key) != running:
                # a pod that joined, or a container that started again: from its first line
                self.instances[key] = running
                if key in self.streams and not self.streams[key].done():
                    continue
                self._note(namespace, name, container, "started: following")
                fresh = replace(self.options, tail=None, since=None, since_time="")
                self._start(key, fresh, first=False)

    def _pod_gone(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        for key in [k for k in self.streams if k[:2] == (namespace, name)]:
            self.streams.pop(key).cancel()
            self.instances.pop(key, None)
            self._note(namespace, name, key[2], "pod deleted: stream stopped")

    def _start(self, key: tuple[str, str, str], options: LogOptions, *, first: bool) -> None:
        old = self.streams.get(key)
        if old is not None and not old.done():
            return
        self.streams[key] = asyncio.create_task(self._stream(key, options))

    async def _stream(self, key: tuple[str, str, str], options: LogOptions) -> None:
        namespace, pod, container = key
        params = {"container": container, "timestamps": "true"}
        if options.previous:
            params["previous"] = "true"
        elif options.followed:
            params["follow"] = "true"
        if options.tail is not None:
            params["tailLines"] = str(options.tail)
        if options.since is not None:
            params["sinceSeconds"] = str(options.since)
        elif options.since_time:
            params["sinceTime"] = options.since_time
        context = self.scope.context
        until = sort_key(options.until_time) if options.until_time else ""
        emit_lines = None if until else self.emit_lines  # a window's end is found line by line
        source = (context, namespace, pod, container)
        try:
            client = await self.backend.open()
            path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
            async with aclosing(client.stream_line_batches(path, params)) as batches:
                async for batch in batches:
                    if emit_lines is not None:
                        emit_lines(source, batch)
                    elif not self._emit_batch(batch, context, namespace, pod, container, until):
                        break  # past the window: the rest of the log is later still
        except KstuiError as error:
            said = error.detail or error.title
            if options.previous and "not found" in said:
                said = "no previous instance: this container has not restarted"
            self._note(namespace, pod, container, f"log stream: {said}")
            return
        if options.previous:
            self._note(namespace, pod, container, "end of the previous instance's log")

    def _emit_batch(
        self, batch: list[str], context: str, namespace: str, pod: str, container: str, until: str
    ) -> bool:
        """One chunk's lines out; False at the first line past `until` (the rest are later)."""
        emit = self.emit
        for raw in batch:
            stamp, text = split_stamp(raw)
            line = LogLine(context, namespace, pod, container, stamp, text)
            if until and stamp and line.key > until:
                return False
            emit(line)
        return True


async def follow_all(
    backends: Sequence[tuple[Backend, LogScope]],
    options: LogOptions,
    emit: Emit,
    followers: list[PodLogs] | None = None,
    emit_lines: EmitLines | None = None,
) -> None:
    """Every scope's streams at once (one per context); a context that fails says so in a
    note and the others go on. `followers` gets each scope's PodLogs (what streams now);
    `emit_lines`, the streams' chunks (PodLogs)."""

    async def one(backend: Backend, scope: LogScope) -> None:
        follower = PodLogs(backend, scope, options, emit, emit_lines)
        if followers is not None:
            followers.append(follower)
        try:
            await follower.run()
        except KstuiError as error:
            emit(
                LogLine(
                    scope.context,
                    scope.namespace,
                    "",
                    "",
                    _now_stamp(),
                    f"pods: {error.title}: {error.detail}",
                    note=True,
                )
            )

    await asyncio.gather(*(one(backend, scope) for backend, scope in backends))
