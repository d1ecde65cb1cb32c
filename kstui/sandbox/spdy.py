"""The SPDY/3.1 server side of port-forward tunneled over WebSocket (subprotocol
`SPDY/3.1+portforward.k8s.io`), as kubectl 1.31+ speaks it: each binary message carries SPDY
frames. Per forwarded connection the client opens an error stream and a data stream (headers
`streamtype`, `port`, `requestid`); the server answers SYN_REPLY, carries the bytes as DATA
frames, and ends both streams with FIN when the connection is over. Only what port-forward
needs: no server-initiated streams, no flow control (the responders answer in small pieces)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

TUNNEL_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = (
    1, 2, 3, 4, 6, 7, 8, 9,
)  # fmt: skip
FLAG_FIN = 0x01
_VERSION = 3
_CHUNK = 32 * 1024

# The header compression dictionary of the SPDY/3 draft (section 2.6.10.1): length-prefixed
# words, then a run of status codes, dates and media types.
_SPACED = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language "
    "accept-ranges age allow authorization cache-control connection content-base "
    "content-encoding content-language content-length content-location content-md5 "
    "content-range content-type date etag expect expires from host if-match if-modified-since "
    "if-none-match if-range if-unmodified-since last-modified location max-forwards pragma "
    "proxy-authenticate proxy-authorization range referer retry-after server te trailer "
    "transfer-encoding upgrade user-agent vary via warning www-authenticate method get status"
)
_WORDS = [*_SPACED.split(), "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie"]
_WORDS += ["keep-alive", "origin"]
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(struct.pack(">I", len(w)) + w.encode() for w in _WORDS) + _TAIL.encode()


@dataclass(slots=True)
class Stream:
    id: int
    headers: dict[str, str]
    closed_by_client: bool = False


@dataclass(slots=True)
class Events:
    """What one batch of frames asked for: streams opened, data, streams the client ended."""

    opened: list[Stream] = field(default_factory=list)
    data: list[tuple[Stream, bytes]] = field(default_factory=list)
    ended: list[Stream] = field(default_factory=list)
    goaway: bool = False


class SpdySession:
    """Frames in (bytes of binary messages), events out; `send` writes frames back."""

    def __init__(self, send: Callable[[bytes], Awaitable[None]]) -> None:
        self.send = send
        self.buffer = b""
        self.streams: dict[int, Stream] = {}
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(level=9, zdict=DICTIONARY)

    def _headers(self, block: bytes) -> dict[str, str]:
        raw = self._inflate.decompress(block)
        count = struct.unpack(">I", raw[:4])[0] if len(raw) >= 4 else 0
        headers, at = {}, 4
        for _ in range(count):
            size = struct.unpack(">I", raw[at : at + 4])[0]
            name = raw[at + 4 : at + 4 + size].decode(errors="replace").lower()
            at += 4 + size
            size = struct.unpack(">I", raw[at : at + 4])[0]
            headers[name] = raw[at + 4 : at + 4 + size].decode(errors="replace").split("\0")[0]
            at += 4 + size
        return headers

    def _block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack(">I", len(headers))
        for name, value in headers.items():
            raw += struct.pack(">I", len(name)) + name.encode()
            raw += struct.pack(">I", len(value)) + value.encode()
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    @staticmethod
    def _control(kind: int, flags: int, payload: bytes) -> bytes:
        return struct.pack(">HHI", 0x8000 | _VERSION, kind, (flags << 24) | len(payload)) + payload

    async def feed(self, data: bytes) -> Events:
        self.buffer += data
        events = Events()
        while len(self.buffer) >= 8:
            length = int.from_bytes(self.buffer[5:8], "big")
            if len(self.buffer) < 8 + length:
                break
            head, payload = self.buffer[:8], self.buffer[8 : 8 + length]
            self.buffer = self.buffer[8 + length :]
            flags = head[4]
            if head[0] & 0x80:
                await self._on_control(int.from_bytes(head[2:4], "big"), flags, payload, events)
                continue
            stream = self.streams.get(int.from_bytes(head[:4], "big") & 0x7FFFFFFF)
            if stream is None:
                continue
            if payload:
                events.data.append((stream, payload))
            if flags & FLAG_FIN:
                stream.closed_by_client = True
                events.ended.append(stream)
        return events

    async def _on_control(self, kind: int, flags: int, payload: bytes, events: Events) -> None:
        if kind == SYN_STREAM:
            stream_id = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            stream = Stream(stream_id, self._headers(payload[10:]))
            self.streams[stream_id] = stream
            await self.send(self._control(SYN_REPLY, 0, payload[:4] + self._block({})))
            events.opened.append(stream)
            if flags & FLAG_FIN:
                stream.closed_by_client = True
                events.ended.append(stream)
        elif kind == HEADERS:
            self._headers(payload[4:])  # keeps the shared compression context in step
        elif kind == PING:
            await self.send(self._control(PING, 0, payload))
        elif kind == RST_STREAM:
            reset = self.streams.pop(int.from_bytes(payload[:4], "big") & 0x7FFFFFFF, None)
            if reset is not None:
                events.ended.append(reset)
        elif kind == GOAWAY:
            events.goaway = True

    async def write(self, stream: Stream, data: bytes, fin: bool = False) -> None:
        for start in range(0, max(len(data), 1), _CHUNK):
            piece = data[start : start + _CHUNK]
            last = start + _CHUNK >= len(data)
            flags = FLAG_FIN if fin and last else 0
            header = struct.pack(">II", stream.id, (flags << 24) | len(piece))
            await self.send(header + piece)

    async def close(self, stream: Stream) -> None:
        if stream.id in self.streams:
            del self.streams[stream.id]
            await self.write(stream, b"", fin=True)
