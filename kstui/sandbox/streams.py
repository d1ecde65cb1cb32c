"""`pods/{name}/exec` and `pods/{name}/attach` over WebSocket, as kubelet serves them behind
kube-apiserver: subprotocols v5.channel.k8s.io (preferred) and v4.channel.k8s.io; each binary
message is one channel byte (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize, v5: 255 close)
and its data. The error channel carries a metav1.Status with the exit code, and the programs
are the emulated shell's (shell.py) over the container's in-memory filesystem."""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from kstui.sandbox import podlogs
from kstui.sandbox.api import Call
from kstui.sandbox.clock import parse_time
from kstui.sandbox.loggen import format_line
from kstui.sandbox.shell import Box, Shell, exec_failure
from kstui.sandbox.shell_fs import build_filesystem, environment, hostname_of, image_of
from kstui.sandbox.status import ApiError

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_BOXES: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str, str], Box]] = (
    weakref.WeakKeyDictionary()
)
_MAIN = {
    "nginx": "nginx: master process nginx -g daemon off;",
    "httpd": "httpd -DFOREGROUND",
    "redis": "redis-server *:6379",
    "postgres": "postgres",
}


def _flag(call: Call, name: str, default: bool = False) -> bool:
    value = call.query.get(name)
    return default if value is None else value in ("true", "1", "")


def _running(pod: dict[str, Any], name: str) -> dict[str, Any] | None:
    for entry in (pod.get("status") or {}).get("containerStatuses") or []:
        if entry.get("name") == name:
            return (entry.get("state") or {}).get("running")
    return None


def _target(call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod and its running container, or the error kube-apiserver (or kubelet) answers."""
    pod = call.store.get(("", "pods"), call.info.namespace, call.info.name)
    if pod is None:
        raise ApiError.not_found("pods", call.info.name)
    if not (pod.get("spec") or {}).get("nodeName"):
        raise ApiError.bad_request(f"pod {call.info.name} does not have a host assigned")
    container = podlogs._container(call, pod)
    if call.info.subresource == "exec" and not call.query.getall("command", []):
        raise ApiError.bad_request("you must specify at least 1 command")
    if not any(_flag(call, name) for name in ("stdin", "stdout", "stderr")):
        raise ApiError.bad_request("you must specify at least 1 of stdin, stdout, stderr")
    return pod, container


class NotRunning(Exception):
    """kubelet finds no running container of that name: a 500 with a plain-text body."""


def box_of(cluster: Any, pod: dict[str, Any], container: dict[str, Any]) -> Box:
    meta = pod["metadata"]
    key = (meta["namespace"], meta["name"], meta.get("uid", ""), container["name"])
    boxes = _BOXES.setdefault(cluster, {})
    if key in boxes:
        return boxes[key]
    image = image_of(container.get("image", ""))

    def lookup(kind: tuple[str, str], namespace: str, name: str) -> dict[str, Any] | None:
        return cluster.store.get(kind, namespace, name)

    context = {
        **(pod["spec"].get("securityContext") or {}),
        **(container.get("securityContext") or {}),
    }
    started = (_running(pod, container["name"]) or {}).get("startedAt")
    since = parse_time(started).strftime("%b %e %H:%M") if started else "Jan  1 00:00"
    main = " ".join([*(container.get("command") or []), *(container.get("args") or [])])
    box = Box(
        image=image,
        fs=build_filesystem(pod, container, image, lookup),
        env=environment(pod, container, image, lookup),
        hostname=hostname_of(pod),
        main=main or _MAIN.get(image.app, "/app/" + image.name.rsplit("/", 1)[-1].split(":")[0]),
        uid=int(context.get("runAsUser") or 0),
        gid=int(context.get("runAsGroup") or 0),
        since=since,
    )
    boxes[key] = box
    return box


class Session:
    """A shell reading its stdin: a terminal's line discipline with a tty (echo, prompt, CR/LF,
    backspace, ctrl+c, ctrl+d), plain lines without one."""

    def __init__(self, shell: Shell, tty: bool) -> None:
        self.shell = shell
        self.tty = tty
        self.line = ""
        self.escape = False
        self.done = False

    def opening(self) -> list[tuple[int, bytes]]:
        return [(STDOUT, self.shell.prompt().encode())] if self.tty else []

    def _run(self, line: str) -> list[tuple[int, bytes]]:
        out, err, _ = self.shell.run_line(line)
        if self.shell.exited is not None:
            self.done = True
        if not self.tty:
            return [(STDOUT, out), (STDERR, err)]
        text = (out + err).replace(b"\n", b"\r\n")
        return [(STDOUT, text + (b"" if self.done else self.shell.prompt().encode()))]

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        sent: list[tuple[int, bytes]] = []
        for char in data.decode(errors="replace"):
            if self.done:
                break
            if not self.tty:
                if char == "\n":
                    sent += self._run(self.line)
                    self.line = ""
                else:
                    self.line += char
                continue
            if self.escape:  # ESC [ ... letter: arrow keys and the like, not shown
                self.escape = not char.isalpha() and char != "~"
                continue
            if char == "\x1b":
                self.escape = True
            elif char in "\r\n":
                line, self.line = self.line, ""
                sent += [(STDOUT, b"\r\n"), *self._run(line)]
            elif char in "\x7f\x08":
                if self.line:
                    self.line = self.line[:-1]
                    sent.append((STDOUT, b"\x08 \x08"))
            elif char == "\x03":
                self.line = ""
                sent.append((STDOUT, b"^C\r\n" + self.shell.prompt().encode()))
            elif char == "\x04":
                if not self.line:
                    self.shell.exited = self.shell.status
                    self.done = True
                    sent.append((STDOUT, b"exit\r\n" if self.shell.name == "bash" else b"\r\n"))
            elif char == "\x15":
                sent.append((STDOUT, b"\x08 \x08" * len(self.line)))
                self.line = ""
            elif char >= " ":
                self.line += char
                sent.append((STDOUT, char.encode()))
        return sent

    def end(self) -> list[tuple[int, bytes]]:
        """stdin closed: a last unterminated line runs, then the shell ends."""
        sent = self._run(self.line) if self.line and not self.done else []
        self.done = True
        return sent


def _status(code: int, argv: list[str]) -> dict[str, Any]:
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing command "
        f"[{' '.join(argv)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


CHUNK = 32 * 1024
"""Bytes per message, as kubelet copies a stream (clients cap a message's size)."""


async def send_chunked(ws: web.WebSocketResponse, channel: int, data: bytes) -> None:
    for start in range(0, len(data), CHUNK):
        await ws.send_bytes(bytes([channel]) + data[start : start + CHUNK])


async def _send(ws: web.WebSocketResponse, channel: int, data: bytes, flags: set[int]) -> None:
    if data and channel in flags and not ws.closed:
        await send_chunked(ws, channel, data)


class PodGone(Exception):
    """The pod was deleted mid-stream: its containers, and the process, are killed."""


KILLED = 137
"""The exit status of a process killed with its container (128 + SIGKILL)."""


async def receive(ws: web.WebSocketResponse, gone: Callable[[], bool]) -> Any:
    """The client's messages, checking every FOLLOW_POLL whether the pod is still there."""
    while not ws.closed:
        try:
            message = await ws.receive(timeout=podlogs.FOLLOW_POLL)
        except TimeoutError:
            if gone():
                raise PodGone from None
            continue
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
            return
        yield message


async def _messages(ws: web.WebSocketResponse, gone: Callable[[], bool]) -> Any:
    """(channel, data) per binary message until the client closes stdin (v5) or leaves."""
    async for message in receive(ws, gone):
        if message.type != WSMsgType.BINARY or not message.data:
            continue
        channel, data = message.data[0], message.data[1:]
        if channel == CLOSE and data[:1] == bytes([STDIN]):
            return
        yield channel, data


class StreamDropped(Exception):
    """The `drop-streams` fault: the connection is cut."""


def pod_gone(call: Call, uid: str) -> Callable[[], bool]:
    """Whether the pod is gone; raises StreamDropped once the fault drops open streams."""
    faults = call.cluster.faults
    generation = faults.stream_generation

    def gone() -> bool:
        if faults.stream_generation != generation:
            raise StreamDropped
        current = call.store.entry(("", "pods"), call.info.namespace, call.info.name)
        return current is None or current.uid != uid

    return gone


async def stream(call: Call) -> web.StreamResponse:
    pod, container = _target(call)
    if _running(pod, container["name"]) is None:
        text = f'container not found ("{container["name"]}")'
        return web.Response(status=500, text=text, content_type="text/plain")
    ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True)
    if not ws.can_prepare(call.request).ok:
        raise ApiError.bad_request("Upgrade request required")
    await ws.prepare(call.request)
    tty = _flag(call, "tty")
    flags = {STDOUT, ERROR} if _flag(call, "stdout") else {ERROR}
    if _flag(call, "stderr"):
        flags.add(STDERR)
    box = box_of(call.cluster, pod, container)
    gone = pod_gone(call, pod["metadata"].get("uid", ""))

    async def body() -> None:
        try:
            if call.info.subresource == "attach":
                status = await _attach(call, ws, box, pod, container, tty, flags, gone)
            else:
                status = await _exec(call, ws, box, tty, flags, gone)
        except PodGone:
            status = _status(KILLED, call.query.getall("command", []))
        await _send(ws, ERROR, orjson.dumps(status), flags)

    return await run(call, ws, body())


async def run(
    call: Call, ws: web.WebSocketResponse, body: Awaitable[None]
) -> web.WebSocketResponse:
    """A stream's body, then the WebSocket's close; the `drop-streams` fault cuts the
    connection instead, with no close frame (a server or proxy that went away)."""
    try:
        await body
    except StreamDropped:
        if call.request.transport is not None:
            call.request.transport.abort()
        return ws
    except (ConnectionError, PodGone):
        pass  # the client left, or the pod is gone and its connections with it
    with contextlib.suppress(ConnectionError):
        await ws.close()
    return ws


async def _exec(
    call: Call,
    ws: web.WebSocketResponse,
    box: Box,
    tty: bool,
    flags: set[int],
    gone: Callable[[], bool],
) -> dict[str, Any]:
    argv = call.query.getall("command")
    program = posixpath.basename(argv[0])
    if not box.image.has(argv[0]):
        return ApiError.internal(exec_failure(box.image, argv[0])).status()
    pid = box.spawn(" ".join(argv))
    try:
        shell = Shell(box, program if program in box.image.shells else "sh", tty)
        if program in box.image.shells and "-c" not in argv[1:2] and _flag(call, "stdin"):
            return await _interactive(ws, Session(shell, tty), flags, argv, gone)
        if program == "sleep" or (program == "tail" and "-f" in argv[1:]):
            return await _lasting(ws, shell, argv, flags, gone)
        stdin = b""
        if _flag(call, "stdin"):
            async for channel, data in _messages(ws, gone):
                if channel == STDIN:
                    stdin += data
        out, err, code = shell.execute(argv, stdin)
        code = shell.exited if shell.exited is not None else code
        if tty:
            out, err = (out + err).replace(b"\n", b"\r\n"), b""
        await _send(ws, STDOUT, out, flags)
        await _send(ws, STDERR, err, flags)
        return _status(code, argv)
    finally:
        box.running.pop(pid, None)


async def _lasting(
    ws: web.WebSocketResponse,
    shell: Shell,
    argv: list[str],
    flags: set[int],
    gone: Callable[[], bool],
) -> dict[str, Any]:
    """`sleep N` and `tail -f FILE` as the exec's program: they last until their time is up,
    the client leaves (the process is killed with the stream) or the pod is gone."""
    seconds: float | None = None
    if posixpath.basename(argv[0]) == "sleep":
        try:
            seconds = float(argv[1])
        except (IndexError, ValueError):
            await _send(ws, STDERR, b"sleep: invalid number\n", flags)
            return _status(1, argv)
    else:
        out, err, code = shell.execute(argv)
        await _send(ws, STDOUT, out, flags)
        await _send(ws, STDERR, err, flags)
        if code:
            return _status(code, argv)

    async def until_left() -> None:
        async for _ in receive(ws, gone):
            pass

    try:
        await asyncio.wait_for(until_left(), seconds)
    except TimeoutError:
        return _status(0, argv)
    return _status(KILLED, argv)


def terminal_size(data: bytes, before: tuple[int, int]) -> tuple[int, int]:
    try:
        size = orjson.loads(data)
        return int(size["Height"]), int(size["Width"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return before


async def _interactive(
    ws: web.WebSocketResponse,
    session: Session,
    flags: set[int],
    argv: list[str],
    gone: Callable[[], bool],
) -> dict[str, Any]:
    for channel, data in session.opening():
        await _send(ws, channel, data, flags)
    async for channel, data in _messages(ws, gone):
        if channel == RESIZE:  # {"Width": 120, "Height": 40}: what `stty size` answers
            session.shell.size = terminal_size(data, session.shell.size)
        if channel != STDIN:
            continue
        for out_channel, out in session.feed(data):
            await _send(ws, out_channel, out, flags)
        if session.done:
            break
    else:
        for out_channel, out in session.end():
            await _send(ws, out_channel, out, flags)
    shell = session.shell
    return _status(shell.exited if shell.exited is not None else shell.status, argv)


async def _attach(
    call: Call,
    ws: web.WebSocketResponse,
    box: Box,
    pod: dict[str, Any],
    container: dict[str, Any],
    tty: bool,
    flags: set[int],
    gone: Callable[[], bool],
) -> dict[str, Any]:
    """A container whose main process is a shell with stdin gets that shell; any other prints
    its log lines as they come, until the client leaves or the pod is gone."""
    main = posixpath.basename((container.get("command") or [""])[0])
    if container.get("stdin") and main in box.image.shells and _flag(call, "stdin"):
        await _interactive(ws, Session(Shell(box, main, tty), tty), flags, [main], gone)
        return _status(0, [main])
    generator, _ = podlogs._instance(pod, container, False, call)
    clock = call.cluster.clock
    position: datetime = clock.now()
    while not ws.closed:
        try:
            message = await ws.receive(timeout=podlogs.FOLLOW_POLL)
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                break
        except TimeoutError:
            pass
        if gone():
            break
        now = clock.now()
        lines = "".join(
            format_line(line, False) + "\n" for line in generator.lines_between(position, now)
        )
        position = now
        data = lines.encode().replace(b"\n", b"\r\n") if tty else lines.encode()
        await _send(ws, STDOUT, data, flags)
    return _status(0, [])
