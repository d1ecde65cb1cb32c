"""EarlyList: the start screen's list asked for on a thread while the app is still starting.

`kstui` knows what its first screen lists (`--kind`, the namespace) as soon as the kubeconfig is
read, yet Textual's imports and the first frame come before any request could be sent. So the
start asks at once, on a thread with a plain HTTP/1.1 client (plain_https.py: waiting for the
server releases the GIL; neither httpx nor http.client is imported), page by page as the cache
would (`limit`, `continue`), and keeps each page's bytes: a few before the app's first frame,
the rest once it is drawn. The first `KubeClient.list_pages` of the same list on the same server
takes them (`claim`) as its first pages, and asks for the rest itself.

It only ever shortens the wait: any doubt (an exec plugin or auth provider, a proxy, a
tls-server-name, a plain http server, an answer that is not 200) and the thread stops, and the
list is asked for as before, so errors keep their messages. The rows and the resourceVersion
come from the server's own pages, so the cache watches from the list's resourceVersion as always.
"""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import concurrent.futures
import contextlib
import json
import os
import re
import ssl
import threading
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from kstui.backends.kubeconfig import KubeConfig
from kstui.backends.plain_credentials import CLUSTER_KEYS, USER_KEYS

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
"""Rows as the server's table printer has them (kube_wire.py sends the same)."""
AHEAD = 24
"""Pages fetched ahead of the consumer once the app has drawn its first frame (about 9 MB of
bytes at 500 pods a page)."""
BEFORE_FIRST_FRAME = 3
"""Pages fetched before it (1,500 pods at the default page size): reading a page takes the
GIL from the app's start at every TLS record, and at 10,000 pods 21 pages read meanwhile
made the first frame ~5% later."""
TIMEOUT = 30.0
CLAIM_WITHIN = 30.0
"""Seconds the pages wait for their list: unclaimed (the first screen listed something else),
they are dropped."""
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
_METADATA = re.compile(rb'"metadata"\s*:\s*\{')


class Page(NamedTuple):
    content: bytes
    token: str
    """Its `metadata.continue` ("" on the last page)."""


_Slot = concurrent.futures.Future  # resolves to (Page, next slot) or None at the end


class EarlyList:
    """One list asked for on a thread; `pages()` hands its pages over as they arrive."""

    def __init__(
        self,
        config: KubeConfig,
        context: str,
        path: str,
        query: Mapping[str, Any],
        accept: str,
        *,
        user_agent: str = "kstui",
    ) -> None:
        self.config, self.context = config, context
        server = config.contexts[context].server.rstrip("/")
        self.key = _key(context, "https" + server[5:], path, query, accept)
        self.path, self.query, self.accept = path, dict(query), accept
        self.user_agent = user_agent
        self.connection: Any = None
        """The context's KubeConnection once the thread made it: the backend adopts it."""
        self.stopped = threading.Event()
        self.claimed = threading.Event()
        self._room_before = min(BEFORE_FIRST_FRAME, AHEAD)
        self._ahead = threading.Semaphore(self._room_before)
        """Room for pages not yet taken: BEFORE_FIRST_FRAME, then AHEAD from `go_on`."""
        self._going = False
        self._first: _Slot = concurrent.futures.Future()

    def go_on(self) -> None:
        """The app's first frame is drawn, or the list is claimed: AHEAD pages may be in hand.
        Once; on the app's thread."""
        if not self._going:
            self._going = True
            if self._room_before < AHEAD:
                self._ahead.release(AHEAD - self._room_before)

    def stop(self) -> None:
        self.stopped.set()
        self._ahead.release()  # a thread waiting for room wakes and sees it

    # ------------------------------------------------------------------ the thread

    def run(self) -> None:
        """On the thread: the context's credentials (plain ones: no plugin runs), then the
        pages, one after the other: BEFORE_FIRST_FRAME, then at most AHEAD in hand."""
        from kstui.backends.credentials import KubeConnection
        from kstui.backends.plain_https import PlainHttps

        slot = self._first
        conn: PlainHttps | None = None
        try:
            connection = KubeConnection(self.config, self.context)
            self.connection = connection
            server = urlsplit(connection.server)
            verify = connection.verify
            context = verify if isinstance(verify, ssl.SSLContext) else _unverified()
            conn = PlainHttps(
                server.hostname or "",
                server.port or 443,
                context,
                authority=server.netloc.rpartition("@")[2],
                timeout=TIMEOUT,
            )
            headers = {
                "Accept": self.accept,
                "Accept-Encoding": "gzip",  # as httpx asks: a remote cluster's big pages shrink
                "User-Agent": self.user_agent,
                **connection.current_headers(),
            }
            query = dict(self.query)
            prefix = server.path.rstrip("/")
            while not self.stopped.is_set():
                if not self._ahead.acquire(timeout=CLAIM_WITHIN) or self.stopped.is_set():
                    break
                answer = conn.get(f"{prefix}{self.path}?{urlencode(query)}", headers)
                if answer.status != 200:
                    break  # the list asks again, and says what is wrong in its words
                content = _decoded(answer.body, answer.headers.get("content-encoding"))
                if content is None:
                    break
                page = Page(content, _continue_token(content))
                following: _Slot = concurrent.futures.Future()
                slot.set_result((page, following))
                slot = following
                if not page.token:
                    break
                query["continue"] = page.token
        except Exception:
            pass
        finally:
            if conn is not None:
                conn.close()
            if not slot.done():
                slot.set_result(None)
        if not self.claimed.wait(CLAIM_WITHIN):
            _drop(self)

    # ------------------------------------------------------------------ the consumer

    async def pages(self) -> AsyncIterator[Page]:
        """The pages in order, each as it arrives; ends where the thread stopped (the last
        page has no token: the list is complete; otherwise the caller continues from the
        last token, or asks from the start when no page came)."""
        import asyncio

        slot = self._first
        try:
            while True:
                # A page already here is taken without a turn of the loop: the pages that came
                # while the app started reach the table together, in one frame.
                item = slot.result() if slot.done() else await asyncio.wrap_future(slot)
                if item is None:
                    return
                page, slot = item
                self._ahead.release()
                yield page
        finally:
            self.stop()


def _decoded(content: bytes, encoding: str | None) -> bytes | None:
    """The answer's bytes as sent (gzip undone, off the GIL); None for an encoding not asked."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "gzip":
        return zlib.decompress(content, 16 + zlib.MAX_WBITS)
    return content if encoding == "identity" else None


def _unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _continue_token(content: bytes) -> str:
    """`metadata.continue` of a list, read from the metadata object alone (it precedes the
    rows or items, as the API server writes them); the whole answer when it cannot be told."""
    rows = content.find(b'"rows"')
    head = content[: rows if rows >= 0 else 0]
    found = _METADATA.search(head)
    metadata: Any = None
    if found is not None:
        try:
            metadata, _end = json.JSONDecoder().raw_decode(head.decode("utf-8"), found.end() - 1)
        except ValueError:
            metadata = None
    if not isinstance(metadata, dict):
        import orjson

        metadata = (orjson.loads(content) or {}).get("metadata")
    return str((metadata or {}).get("continue") or "")


def _key(
    context: str, server: str, path: str, query: Mapping[str, Any], accept: str
) -> tuple[Any, ...]:
    """The same list by the same user (the context) on the same server."""
    return (context, server, path, tuple(sorted((k, str(v)) for k, v in query.items())), accept)


# ---------------------------------------------------------------------- the one slot

_PENDING: list[EarlyList] = []


def eligible(config: KubeConfig, context: str) -> bool:
    """Only the plain credentials (tokens, certificates, a CA) over https, straight to the
    server: what the standard library's client does exactly as httpx does."""
    info = config.contexts.get(context)
    if info is None or not info.server.lower().startswith("https://"):
        return False
    cluster = config.clusters.get(info.cluster)
    user = config.users.get(info.user) if info.user else None
    if cluster is None or (info.user and user is None):
        return False
    if not set(cluster.body) <= CLUSTER_KEYS or not set(user.body if user else {}) <= USER_KEYS:
        return False
    if cluster.body.get("tls-server-name") or cluster.body.get("proxy-url"):
        return False
    return not any(os.environ.get(name) for name in _PROXY_VARIABLES)


def begin(
    config: KubeConfig, context: str, path: str, query: Mapping[str, Any], accept: str
) -> None:
    """Ask for the list on a thread (when `eligible`); `claim` hands it to the first
    list_pages of the same list on the same server."""
    if not eligible(config, context):
        return
    early = EarlyList(config, context, path, query, accept)
    _PENDING.append(early)
    threading.Thread(target=early.run, name="kstui early list", daemon=True).start()


def claim(
    context: str, server: str, path: str, query: Mapping[str, Any], accept: str
) -> EarlyList | None:
    """The early list of exactly this list, by this context on this server, once."""
    key = _key(context, server, path, query, accept)
    for early in list(_PENDING):
        if early.key == key:
            _drop(early)
            early.claimed.set()
            early.go_on()
            return early
    return None


def first_frame_drawn() -> None:
    """The app drew its first frame: the start lists may read further ahead (AHEAD)."""
    for early in list(_PENDING):
        early.go_on()


def connection_of(config: KubeConfig, context: str) -> Any:
    """The KubeConnection an early list of this kubeconfig made for `context`, if it is made
    (the same credentials, read once), else None."""
    for early in list(_PENDING):
        if early.config is config and early.context == context and early.connection is not None:
            return early.connection
    return None


def _drop(early: EarlyList) -> None:
    with contextlib.suppress(ValueError):
        _PENDING.remove(early)


def begin_first_list(
    config: KubeConfig, context: str, kind: str, namespace: str, page_size: int
) -> None:
    """The start screen's list (`--kind` in `namespace`, "" for all), as its watch cache
    will ask for it: Table rows with their metadata, `page_size` a page. A kind only
    discovery knows is not asked for early."""
    from kstui.backends.kinds import BUILTIN, UnknownKind

    try:
        resolved = BUILTIN.resolve(kind)
    except UnknownKind:
        return
    path = resolved.path(namespace or None)
    begin(config, context, path, {"includeObject": "Metadata", "limit": page_size}, TABLE_ACCEPT)
