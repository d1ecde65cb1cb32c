"""`pods/{name}/log`: each container's deterministic lines, as a body or a chunked follow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from kstui.sandbox.api import Call
from kstui.sandbox.clock import parse_time
from kstui.sandbox.loggen import LogGenerator, LogLine, format_line, format_rfc3339nano
from kstui.sandbox.status import ApiError

FOLLOW_POLL = 0.25
LOG_ANNOTATION = "sandbox.kstui.io/log"
"""Literal lines (newline-separated) each container of the pod has printed last: lets a test
put exact text, escape sequences included, into a log."""
LOG_ONLY_ANNOTATION = "sandbox.kstui.io/log-only"
""""true": the literal lines are the whole log (a Helm job's pod prints nothing else)."""
LOG_RATE_ANNOTATION = "sandbox.kstui.io/log-rate"
"""Lines a second each container of the pod writes (a bench's flood; 1 to 10,000)."""


def _rate(pod: dict[str, Any]) -> float | None:
    text = ((pod["metadata"].get("annotations") or {}).get(LOG_RATE_ANNOTATION) or "").strip()
    try:
        rate = float(text)
    except ValueError:
        return None
    return min(max(rate, 1.0), 10_000.0)


def _container(call: Call, pod: dict[str, Any]) -> dict[str, Any]:
    name = call.query.get("container")
    containers = pod["spec"].get("containers") or []
    pod_name = pod["metadata"]["name"]
    if not name:
        if len(containers) != 1:
            choices = " ".join(c["name"] for c in containers)
            raise ApiError.bad_request(
                f"a container name must be specified for pod {pod_name}, choose one of: [{choices}]"
            )
        return containers[0]
    for container in containers + (pod["spec"].get("initContainers") or []):
        if container["name"] == name:
            return container
    raise ApiError.bad_request(f"container {name} is not valid for pod {pod_name}")


def _status_of(pod: dict[str, Any], container: str) -> dict[str, Any]:
    status = pod.get("status") or {}
    for entry in (status.get("containerStatuses") or []) + (
        status.get("initContainerStatuses") or []
    ):
        if entry.get("name") == container:
            return entry
    return {}


def _instance(
    pod: dict[str, Any], container: dict[str, Any], previous: bool, call: Call
) -> tuple[LogGenerator, datetime | None]:
    """The generator for the container instance asked for, and when it stopped (None: running)."""
    meta = pod["metadata"]
    status = _status_of(pod, container["name"])
    state = status.get("state") or {}
    restarts = int(status.get("restartCount") or 0)
    last = (status.get("lastState") or {}).get("terminated")

    def generator(instance: int, started: str) -> LogGenerator:
        return LogGenerator(
            meta["namespace"],
            meta["name"],
            container["name"],
            container.get("image", ""),
            parse_time(started),
            instance,
            _rate(pod),
        )

    if previous:
        if not last or restarts == 0:
            raise ApiError.bad_request(
                f'previous terminated container "{container["name"]}" in pod "{meta["name"]}" '
                "not found"
            )
        return generator(restarts - 1, last["startedAt"]), parse_time(last["finishedAt"])
    if "running" in state:
        return generator(restarts, state["running"]["startedAt"]), None
    if "terminated" in state:
        done = state["terminated"]
        return generator(restarts, done["startedAt"]), parse_time(done["finishedAt"])
    if last:  # waiting to restart (CrashLoopBackOff): kubelet serves the last run's logs
        return generator(max(restarts - 1, 0), last["startedAt"]), parse_time(last["finishedAt"])
    reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
    raise ApiError.bad_request(
        f'container "{container["name"]}" in pod "{meta["name"]}" is waiting to start: {reason}'
    )


def _since(call: Call, now: datetime) -> datetime | None:
    if call.query.get("sinceSeconds"):
        return now - timedelta(seconds=int(call.query["sinceSeconds"]))
    if call.query.get("sinceTime"):
        return parse_time(call.query["sinceTime"])
    return None


def _initial_lines(
    gen: LogGenerator, until: datetime, since: datetime | None, tail: int | None
) -> list[LogLine]:
    if tail is not None:
        lines = gen.tail(tail, until)
        return [line for line in lines if since is None or line.at >= since]
    start = since or gen.started_at
    return list(gen.lines_between(start, until))


async def pod_log(call: Call) -> web.StreamResponse:
    store = call.store
    pod = store.get(("", "pods"), call.info.namespace, call.info.name)
    if pod is None:
        raise ApiError.not_found("pods", call.info.name)
    container = _container(call, pod)
    query = call.query
    previous = query.get("previous") in ("true", "1")
    timestamps = query.get("timestamps") in ("true", "1")
    follow = query.get("follow") in ("true", "1")
    tail = int(query["tailLines"]) if query.get("tailLines") else None
    limit = int(query["limitBytes"]) if query.get("limitBytes") else None
    clock = call.cluster.clock
    now = clock.now()
    generator, stopped = _instance(pod, container, previous, call)
    until = min(now, stopped) if stopped else now
    lines = [
        format_line(line, timestamps) + "\n"
        for line in _initial_lines(generator, until, _since(call, now), tail)
    ]
    if (
        stopped is not None
        and (previous or "running" not in (_status_of(pod, container["name"]).get("state") or {}))
        and generator.instance < int(_status_of(pod, container["name"]).get("restartCount") or 0)
    ):
        lines += [text + "\n" for text in generator.crash_tail()]
    annotations = pod["metadata"].get("annotations") or {}
    literal = annotations.get(LOG_ANNOTATION)
    if annotations.get(LOG_ONLY_ANNOTATION) == "true":
        lines = []
    if literal is not None:
        # kubelet stamps every line it was asked to, these too (when they were printed: now)
        stamp = f"{format_rfc3339nano(until)} " if timestamps else ""
        lines += [stamp + text + "\n" for text in literal.split("\n")]
        if tail is not None:
            lines = lines[-tail:] if tail else []
    body = "".join(lines).encode()
    if limit is not None:
        body = body[:limit]
    if not follow or stopped is not None:
        return web.Response(body=body, content_type="text/plain")

    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(call.request)
    written = len(body)
    await response.write(body)
    position = until
    uid = pod["metadata"]["uid"]
    while limit is None or written < limit:
        await clock.sleep(FOLLOW_POLL)
        current = store.entry(("", "pods"), call.info.namespace, call.info.name)
        if current is None or current.uid != uid:
            break  # the pod is gone: kubelet closes the stream
        now = clock.now()
        quiet = annotations.get(LOG_ONLY_ANNOTATION) == "true"
        chunk = (
            b""
            if quiet
            else "".join(
                format_line(line, timestamps) + "\n"
                for line in generator.lines_between(position, now)
            ).encode()
        )
        position = now
        if chunk:
            if limit is not None:
                chunk = chunk[: limit - written]
            await response.write(chunk)
            written += len(chunk)
    await response.write_eof()
    return response
