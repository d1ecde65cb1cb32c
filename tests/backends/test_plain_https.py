"""PlainHttps (the start list's HTTP/1.1 client) against a real TLS server on a socket: bodies
sized by Content-Length or sent in chunks (as an API server sends a big gzipped list), kept-alive
and closed connections, and answers it must refuse rather than misread."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from kstui.backends.plain_https import PlainHttps
from tests.conftest import RunningSandbox


class CannedServer:
    """A TLS server on localhost that answers each request with the next canned answer; an
    answer of None closes the connection (the client must open a new one)."""

    def __init__(self, answers: list[bytes | None]) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        ca = trustme.CA()
        self.client_context = ssl.create_default_context()
        ca.configure_trust(self.client_context)
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("localhost").configure_cert(server_context)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.server_context = server_context
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with self.server_context.wrap_socket(raw, server_side=True) as conn:
                received = b""
                while self.answers:
                    while b"\r\n\r\n" not in received:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        received += chunk
                    if b"\r\n\r\n" not in received:
                        break
                    request, _, received = received.partition(b"\r\n\r\n")
                    self.requests.append(request)
                    answer = self.answers.pop(0)
                    if answer is None:
                        break
                    conn.sendall(answer)

    def client(self) -> PlainHttps:
        return PlainHttps(
            "localhost",
            self.port,
            self.client_context,
            authority=f"localhost:{self.port}",
            timeout=10,
        )

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[[list[bytes | None]], CannedServer]]:
    """Make a CannedServer; each is closed after the test."""
    made: list[CannedServer] = []

    def make(answers: list[bytes | None]) -> CannedServer:
        made.append(CannedServer(answers))
        return made[-1]

    yield make
    for server in made:
        server.close()


def chunked(body: bytes, size: int) -> bytes:
    parts = [
        f"{len(body[i : i + size]):x};ext=1\r\n".encode() + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\nX-Trailer: yes\r\n\r\n"


def test_a_chunked_gzipped_list_and_a_sized_answer_on_one_connection(
    serve: Callable[[list[bytes | None]], CannedServer],
) -> None:
    listed = b'{"kind":"Table","rows":[' + b",".join(b'{"n":%d}' % i for i in range(5000)) + b"]}"
    packed = gzip.compress(listed)
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + chunked(packed, 1000),
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n\r\nrefused",
        ]
    )
    client = server.client()
    first = client.get("/api/v1/pods?limit=500", {"Accept": "application/json"})
    second = client.get("/api/v1/secrets", {})
    client.close()
    assert (first.status, first.headers["content-encoding"]) == (200, "gzip")
    assert gzip.decompress(first.body) == listed
    assert (second.status, second.body) == (403, b"refused")
    assert server.connections == 1  # kept alive
    assert server.requests[0].startswith(b"GET /api/v1/pods?limit=500 HTTP/1.1\r\n")
    assert f"Host: localhost:{server.port}".encode() in server.requests[0]
    assert b"Accept: application/json" in server.requests[0]


def test_a_closed_connection_is_opened_again_for_the_next_request(
    serve: Callable[[list[bytes | None]], CannedServer],
) -> None:
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain",
        ]
    )
    client = server.client()
    assert client.get("/a", {}).body == b"ok"
    assert client.get("/b", {}).body == b"again"
    client.close()
    assert server.connections == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"ICY 200 OK\r\nContent-Length: 2\r\n\r\nok",  # not HTTP/1
        b"HTTP/1.1 200 OK\r\n\r\nno length",  # a list's answer always has one
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # ends early
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",  # not chunked
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n Folded: header\r\nContent-Length: 2\r\n\r\nok",
    ],
)
def test_an_answer_it_cannot_read_plainly_is_refused(
    serve: Callable[[list[bytes | None]], CannedServer], answer: bytes
) -> None:
    server = serve([answer, None])
    client = server.client()
    with pytest.raises((ValueError, OSError)):
        client.get("/api/v1/pods", {})
    client.close()


def test_its_bodies_are_the_api_servers_own(sandbox: RunningSandbox, tmp_path: Path) -> None:
    import httpx

    from kstui.backends.credentials import KubeConnection
    from kstui.backends.kubeconfig import load_kubeconfig

    connection = KubeConnection(load_kubeconfig(str(sandbox.kubeconfig)), "host")
    host, port = connection.server.removeprefix("https://").rsplit(":", 1)
    assert isinstance(connection.verify, ssl.SSLContext)
    client = PlainHttps(host, int(port), connection.verify, authority=f"{host}:{port}", timeout=10)
    headers = {"Accept": "application/json", **connection.current_headers()}
    with httpx.Client(base_url=connection.server, verify=connection.verify) as reference:
        for path in ("/api/v1/namespaces", "/api/v1/pods?limit=5", "/version"):
            answer = client.get(path, headers)
            expected = reference.get(path, headers=headers)
            assert answer.status == expected.status_code == 200
            assert answer.body == expected.content
    client.close()
