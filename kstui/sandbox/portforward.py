"""`pods/{name}/portforward` over WebSocket (kubelet's `portforward.k8s.io` protocol, also
offered as v4.channel.k8s.io): `?ports=P` repeated; port i has the data channel 2i and the error
channel 2i+1, each opened by the server with the port as two little-endian bytes. Behind the
ports are small responders: the web page of web images, `/metrics` on a declared metrics port,
Redis PING/PONG, an application's `/healthz`."""

from __future__ import annotations

import posixpath
import struct
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from kstui.sandbox import streams
from kstui.sandbox.api import Call
from kstui.sandbox.shell import Box
from kstui.sandbox.spdy import TUNNEL_PROTOCOL, SpdySession, Stream
from kstui.sandbox.status import ApiError

PROTOCOLS = ("portforward.k8s.io", "v4.channel.k8s.io")
_WEB_ROOTS = {"nginx": "/usr/share/nginx/html", "httpd": "/usr/local/apache2/htdocs"}


def _ports(call: Call) -> list[int]:
    raw = [p for value in call.query.getall("ports", []) for p in value.split(",") if p]
    if not raw:
        raise ApiError.bad_request("at least 1 port must be specified")
    ports = []
    for value in raw:
        if not value.isdigit() or not 0 < int(value) < 65536:
            raise ApiError.bad_request(f'unable to parse "{value}" as a port: invalid port')
        ports.append(int(value))
    return ports


class Responder:
    """What listens on one port of one container, fed a connection's bytes."""

    def __init__(self, box: Box, container: dict[str, Any], port: int) -> None:
        self.box = box
        self.port = port
        declared = {p.get("containerPort"): p.get("name", "") for p in container.get("ports") or []}
        app = box.image.app
        if app == "redis":
            self.kind = "redis" if port == 6379 or port in declared else ""
        elif app in _WEB_ROOTS:
            self.kind = "web" if port in (80, 8080) or port in declared else ""
        elif port in declared:
            self.kind = "metrics" if "metric" in declared[port] else "app"
        else:
            self.kind = ""
        self.buffer = b""

    @property
    def listening(self) -> bool:
        return bool(self.kind)

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        if self.kind == "redis":
            return self._redis()
        out = b""
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            request = head.split(b"\r\n")[0].decode(errors="replace").split()
            method, path = [*request, "GET", "/"][:2]
            out += self._http(method, path.split("?")[0])
        return out

    def _redis(self) -> bytes:
        out = b""
        while b"\r\n" in self.buffer:
            if self.buffer.startswith(b"*"):  # RESP array: *N, then $len + value pairs
                lines = self.buffer.split(b"\r\n")
                count = int(lines[0][1:] or 0)
                if len(lines) < 2 + 2 * count:
                    break
                words = [lines[2 + 2 * i].decode(errors="replace") for i in range(count)]
                self.buffer = b"\r\n".join(lines[1 + 2 * count :])
            else:
                line, self.buffer = self.buffer.split(b"\r\n", 1)
                words = line.decode(errors="replace").split()
            if not words:
                continue
            command = words[0].upper()
            if command == "PING":
                out += _bulk(words[1]) if len(words) > 1 else b"+PONG\r\n"
            elif command == "ECHO" and len(words) > 1:
                out += _bulk(words[1])
            else:
                args = " ".join(f"'{w}'" for w in words[1:])
                error = f"-ERR unknown command '{words[0]}', with args beginning with: {args}"
                out += error.encode() + b"\r\n"
        return out

    def _http(self, method: str, path: str) -> bytes:
        server = "nginx/" + self.box.image.tag if self.box.image.app == "nginx" else "sandbox"
        status, kind, body = 404, "text/plain", b"404 page not found\n"
        if self.kind == "web":
            root = _WEB_ROOTS[self.box.image.app]
            file = posixpath.normpath(posixpath.join(root, "." + path))
            if self.box.fs.is_dir(file):
                file = posixpath.join(file, "index.html")
            if file.startswith(root) and file in self.box.fs.files:
                kind = "text/html" if file.endswith(".html") else "application/octet-stream"
                status, body = 200, self.box.fs.files[file]
        elif path == "/metrics" and self.kind in ("metrics", "app"):
            status, kind = 200, "text/plain; version=0.0.4; charset=utf-8"
            body = (
                "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n"
                f'http_requests_total{{code="200",port="{self.port}"}} 1027\n'
                "# HELP up Whether the app is up.\n# TYPE up gauge\nup 1\n"
            ).encode()
        elif path in ("/healthz", "/readyz", "/livez") or (path == "/" and self.kind == "app"):
            status, kind = 200, "application/json"
            body = orjson.dumps({"status": "ok", "host": self.box.hostname}) + b"\n"
        reason = {200: "OK", 404: "Not Found"}[status]
        head = (
            f"HTTP/1.1 {status} {reason}\r\nServer: {server}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return head + (b"" if method == "HEAD" else body)


def _bulk(word: str) -> bytes:
    data = word.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def _refused(call: Call, pod: dict[str, Any], port: int) -> bytes:
    uid = pod["metadata"].get("uid", "")
    return (
        f"error forwarding port {port} to pod {uid}, uid : failed to execute portforward in "
        f"network namespace: failed to connect to localhost:{port} inside namespace, IPv4: "
        f"dial tcp4 127.0.0.1:{port}: connect: connection refused"
    ).encode()


def _responder(call: Call, pod: dict[str, Any], port: int) -> Responder | None:
    """Whichever running container listens on the port (they share the pod's network)."""
    for container in pod["spec"].get("containers") or []:
        if streams._running(pod, container["name"]) is None:
            continue
        candidate = Responder(streams.box_of(call.cluster, pod, container), container, port)
        if candidate.listening:
            return candidate
    return None


async def forward(call: Call) -> web.StreamResponse:
    pod = call.store.get(("", "pods"), call.info.namespace, call.info.name)
    if pod is None:
        raise ApiError.not_found("pods", call.info.name)
    offered = call.request.headers.get("Sec-WebSocket-Protocol", "")
    tunneled = TUNNEL_PROTOCOL in [p.strip() for p in offered.split(",")]
    ports = [] if tunneled else _ports(call)  # a tunnel names its ports in stream headers
    if not (pod.get("spec") or {}).get("nodeName"):
        raise ApiError.bad_request(f"pod {call.info.name} does not have a host assigned")
    if (pod.get("status") or {}).get("phase") != "Running":
        raise ApiError.bad_request(
            f"pod {call.info.name} is not running and cannot be port-forwarded"
        )
    ws = web.WebSocketResponse(protocols=(TUNNEL_PROTOCOL, *PROTOCOLS), autoping=True)
    if not ws.can_prepare(call.request).ok:
        raise ApiError.bad_request("Upgrade request required")
    responders = [_responder(call, pod, port) for port in ports]
    await ws.prepare(call.request)
    if ws.ws_protocol == TUNNEL_PROTOCOL:
        return await streams.run(call, ws, _tunnel(call, ws, pod))
    return await streams.run(call, ws, _channels(call, ws, pod, ports, responders))


async def _channels(
    call: Call,
    ws: web.WebSocketResponse,
    pod: dict[str, Any],
    ports: list[int],
    responders: list[Responder | None],
) -> None:
    """kubelet's WebSocket port-forward: one connection per port, on channels 2i and 2i+1."""
    for index, port in enumerate(ports):
        opening = struct.pack("<H", port)
        await ws.send_bytes(bytes([2 * index]) + opening)
        await ws.send_bytes(bytes([2 * index + 1]) + opening)
    gone = streams.pod_gone(call, pod["metadata"].get("uid", ""))
    async for message in streams.receive(ws, gone):
        if message.type != WSMsgType.BINARY or not message.data:
            continue
        channel, data = message.data[0], message.data[1:]
        index = channel // 2
        if channel % 2 or index >= len(ports):
            continue
        responder = responders[index]
        if responder is None:
            await ws.send_bytes(bytes([channel + 1]) + _refused(call, pod, ports[index]))
            break
        answer = responder.feed(data)
        if answer:
            await streams.send_chunked(ws, channel, answer)


async def _tunnel(call: Call, ws: web.WebSocketResponse, pod: dict[str, Any]) -> None:
    """kubectl's port-forward: SPDY streams in the WebSocket, a pair per local connection."""
    session = SpdySession(ws.send_bytes)
    pairs: dict[str, dict[str, Stream]] = {}
    responders: dict[int, Responder | None] = {}
    gone = streams.pod_gone(call, pod["metadata"].get("uid", ""))
    async for message in streams.receive(ws, gone):
        if message.type != WSMsgType.BINARY:
            continue
        events = await session.feed(message.data)
        for stream in events.opened:
            pair = pairs.setdefault(stream.headers.get("requestid", ""), {})
            pair[stream.headers.get("streamtype", "")] = stream
            if stream.headers.get("streamtype") != "data":
                continue
            port = int(stream.headers.get("port") or 0)
            responders[stream.id] = _responder(call, pod, port)
            if responders[stream.id] is None:
                if "error" in pair:
                    await session.write(pair["error"], _refused(call, pod, port))
                await _end(session, pair)
        for stream, data in events.data:
            responder = responders.get(stream.id)
            answer = responder.feed(data) if responder is not None else b""
            if answer:
                await session.write(stream, answer)
        for stream in events.ended:
            if stream.headers.get("streamtype") == "data":
                await _end(session, pairs.pop(stream.headers.get("requestid", ""), {}))
        if events.goaway:
            break


async def _end(session: SpdySession, pair: dict[str, Stream]) -> None:
    for kind in ("data", "error"):
        if kind in pair:
            await session.close(pair[kind])
