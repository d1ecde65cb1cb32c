"""PlainHttps: GET requests over one kept-alive TLS connection, HTTP/1.1, nothing more.

For the start list's thread (early_list.py), which runs while the app still imports: the
standard library's http.client imports the email package for its headers (~7 ms of CPU that the
first frame would wait for under the GIL). A Kubernetes API server's answer to a list is a
status line, headers, and a body sized by Content-Length or sent in chunks; anything this does
not read plainly raises ValueError, and the caller leaves the list to the real client.
"""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import socket
import ssl
from io import BufferedReader
from typing import NamedTuple

MAX_LINE = 65_536
"""A status or header line longer than this is not an API server's."""


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    """Names in lower case; a repeated header keeps its last value."""
    body: bytes


class PlainHttps:
    """One connection to `host:port`, opened with the first request."""

    def __init__(
        self, host: str, port: int, context: ssl.SSLContext, *, authority: str, timeout: float
    ) -> None:
        self.host, self.port, self.context = host, port, context
        self.authority = authority
        """The Host header: the server's host[:port] as its URL writes it."""
        self.timeout = timeout
        self._socket: ssl.SSLSocket | None = None
        self._file: BufferedReader | None = None

    def get(self, target: str, headers: dict[str, str]) -> Answer:
        if self._socket is None:
            # An ASCII name as bytes: getaddrinfo and ssl would otherwise encode it with the
            # idna codec, whose import (~0.7 ms of CPU) the first frame waits for; same bytes.
            name = self.host.encode("ascii") if self.host.isascii() else self.host
            address = (name, self.port)  # getaddrinfo takes bytes too (typeshed says str)
            raw = socket.create_connection(address, timeout=self.timeout)  # type: ignore[arg-type]
            self._socket = self.context.wrap_socket(raw, server_hostname=name)
            self._file = self._socket.makefile("rb")
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.authority}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self._socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status, answer_headers = self._head()
        body = self._body(answer_headers)
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, answer_headers, body)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        if self._socket is not None:
            self._socket.close()
        self._socket, self._file = None, None

    # ------------------------------------------------------------------ reading

    def _line(self) -> bytes:
        assert self._file is not None
        line = self._file.readline(MAX_LINE + 1)
        if not line.endswith(b"\n") or len(line) > MAX_LINE:
            raise ValueError("the answer ended or its line is too long")
        return line.rstrip(b"\r\n")

    def _head(self) -> tuple[int, dict[str, str]]:
        version, _, rest = self._line().partition(b" ")
        if not version.startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP/1 answer: {version!r}")
        status = int(rest[:3])
        headers: dict[str, str] = {}
        while line := self._line():
            name, colon, value = line.partition(b":")
            if not colon or name != name.strip():
                raise ValueError(f"not a header line: {line!r}")
            headers[name.decode("latin-1").lower()] = value.strip().decode("latin-1")
        return status, headers

    def _body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while size := int(self._line().split(b";", 1)[0], 16):
                chunks.append(self._exactly(size))
                if self._line():
                    raise ValueError("a chunk did not end where its size said")
            while self._line():  # trailers
                pass
            return b"".join(chunks)
        if "transfer-encoding" in headers:
            raise ValueError(f"transfer encoding {headers['transfer-encoding']!r}")
        if "content-length" in headers:
            return self._exactly(int(headers["content-length"]))
        raise ValueError("an answer with no length")  # a list's always has one

    def _exactly(self, size: int) -> bytes:
        assert self._file is not None
        data = self._file.read(size)
        if len(data) != size:
            raise ValueError("the answer ended early")
        return data
