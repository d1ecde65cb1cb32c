"""KubeTransport: the core of KubeClient (kube.py): the httpx clients (made with the first
request, the network stack loaded on a thread), one request and its answer, a write's outcome
when its answer is lost, and GET (kube_wire.py: what it sends and how failures become
errors)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

import orjson

from kstui.backends import write_outcome
from kstui.backends.errors import ApiError, NoAnswer, Unreachable
from kstui.backends.kube_wire import (
    Connection,
    decode,
    import_network_stack,
    raise_for,
    unreachable,
    what,
)

if TYPE_CHECKING:  # imported off the loop before the first request (network_stack)
    import httpx

NETWORK_HOLD = 1.0
"""Seconds at most the network stack waits for a start list's rows to be drawn: its imports
on a thread would share the GIL with that frame."""


class KubeTransport:
    """KubeClient's transport: one per context. Paths are API paths
    (`/api/v1/namespaces/x/pods`)."""

    def __init__(
        self,
        connection: Connection,
        *,
        timeout: float = 30.0,
        write_timeout: float = 30.0,
        user_agent: str = "kstui",
    ) -> None:
        self.connection = connection
        self.write_timeout = write_timeout
        """How long a write waits for its answer before it is read back (write_outcome.py)."""
        self._timeout, self._user_agent = timeout, user_agent
        self._http_client: httpx.AsyncClient | None = None
        """Made with the first request: httpx, httpcore and their imports (100-200 ms) are
        loaded on a thread meanwhile, so a list handed over early (early_list.py) is on the
        screen first."""
        self._network: asyncio.Future[None] | None = None
        self._network_hold: asyncio.Event | None = None
        self._streams: httpx.AsyncClient | None = None
        """Log streams' own pool, unbounded: each followed container holds a connection for
        as long as it streams, so 100 of them must not wait for the requests' 50."""
        self.not_found_listeners: list[Callable[[str], None]] = []
        """Told the path of every GET answered 404: a cache may still list it (cache.py)."""

    def hold_network(self) -> None:
        """A start list comes early (early_list.py): the network stack waits for its rows to
        be drawn (release_network), NETWORK_HOLD s at most."""
        if self._network is None and self._network_hold is None:
            self._network_hold = asyncio.Event()

    def release_network(self) -> None:
        """The rows a start list brought are on screen: the network stack may load now."""
        if self._network_hold is not None:
            self._network_hold.set()

    async def _load_network(self) -> None:
        hold = self._network_hold
        if hold is not None:  # a list came early: its rows are drawn first (release_network)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(NETWORK_HOLD):
                    await hold.wait()
        await asyncio.to_thread(import_network_stack)

    async def _http(self) -> httpx.AsyncClient:
        if self._http_client is None:
            if self._network is None:
                self._network = asyncio.ensure_future(self._load_network())
            await asyncio.shield(self._network)
            if self._http_client is None:
                self._http_client = self._client(max_connections=50)
        return self._http_client

    def _client(self, max_connections: int | None) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(
            base_url=self.connection.server,
            verify=self.connection.verify,
            proxy=self.connection.proxy,
            timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
            headers={"User-Agent": self._user_agent, "Accept": "application/json"},
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        if self._http_client is not None:
            await self._http_client.aclose()
        if self._streams is not None:
            await self._streams.aclose()

    # ------------------------------------------------------------------ plumbing

    def _what(self, method: str, path: str) -> str:
        return what(self.connection, method, path)

    def _unreachable(self, method: str, path: str, exc: Exception) -> Unreachable:
        return unreachable(self.connection, method, path, exc)

    def _raise_for(self, method: str, path: str, response: httpx.Response, content: bytes) -> None:
        raise_for(self.connection, method, path, response, content)

    @asynccontextmanager
    async def _open(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        read_timeout: float | Literal["default"] | None = "default",
        http: httpx.AsyncClient | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """A streamed response with a 2xx status; errors are raised typed. Retries once
        after a 401 when the credentials could be refreshed (exec plugins, token files)."""
        default_client = await self._http()
        import httpx  # loaded by _http, on a thread

        for attempt in (0, 1):
            request_headers = dict(await self.connection.auth_headers())
            if headers:
                request_headers.update(headers)
            extra: dict[str, Any] = {}
            if read_timeout != "default":
                extra["timeout"] = httpx.Timeout(read_timeout, connect=10.0)
            client = http or default_client
            request = client.build_request(
                method, path, params=params, content=content, headers=request_headers, **extra
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise self._unreachable(method, path, exc) from exc
            try:
                if response.status_code == 401 and attempt == 0 and await self.connection.refresh():
                    continue
                if response.status_code >= 300:
                    content_bytes = await response.aread()
                    self._raise_for(method, path, response, content_bytes)
                yield response
                return
            finally:
                await response.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str = "application/json",
        accept: str | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON answer (None for an empty body)."""
        headers: dict[str, str] = {}
        if body is not None:
            content = orjson.dumps(body)
        if content is not None:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        write = write_outcome.is_write(method, path, params)
        try:
            async with self._open(
                method,
                path,
                params=params,
                content=content,
                headers=headers,
                read_timeout=self.write_timeout if write else "default",
            ) as response:
                import httpx  # loaded by _open (on a thread, not here on the loop)

                try:
                    data = await response.aread()
                except httpx.HTTPError as exc:
                    raise self._unreachable(method, path, exc) from exc
        except Unreachable as error:
            if not write or error.__cause__ is None:
                raise
            return await self._settle(method, path, content, content_type, error)
        if not data:
            return None
        try:
            return decode(data)
        except orjson.JSONDecodeError:
            return data.decode(errors="replace")

    async def _settle(
        self, method: str, path: str, content: bytes | None, content_type: str, error: Unreachable
    ) -> Any:
        """A write that failed in transport. Never sent: it failed. Sent but unanswered:
        read the object back; applied → its state as the answer, else NoAnswer."""
        cause = error.__cause__
        if not write_outcome.was_sent(cause):  # type: ignore[arg-type]
            raise Unreachable(
                error.title, f"{error.detail} (the {method} was not sent)", error.hint
            ) from cause
        outcome = await write_outcome.settle(
            self, method, path, content, content_type, self.write_timeout
        )
        if outcome.applied:
            write_outcome.report(outcome)
            return (
                outcome.latest
                if outcome.latest is not None
                else {"kind": "Status", "apiVersion": "v1", "status": "Success"}
            )
        raise NoAnswer(
            f"{self._what(method, path)}: no answer",
            outcome.text,
            "send it again"
            if outcome.applied is False
            else "look at the object before you send it again",
            applied=outcome.applied,
            waited=self.write_timeout,
            said=outcome.said,
        ) from cause

    # ------------------------------------------------------------------ verbs

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None, accept: str | None = None
    ) -> Any:
        try:
            return await self.request("GET", path, params=params, accept=accept)
        except ApiError as error:
            if error.status_code == 404:
                for listener in self.not_found_listeners:
                    listener(path)
            raise
