"""KubeClient: the Kubernetes API over httpx, async, with typed errors from Status bodies
(kube_wire.py: what it sends and how failures become errors)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

import orjson

from kstui.backends import write_outcome
from kstui.backends.early_list import claim
from kstui.backends.errors import (
    ApiError,
    Gone,
    KstuiError,
    NoAnswer,
    Unauthorized,
    Unreachable,
    api_error,
)
from kstui.backends.kube_wire import (
    FIELD_MANAGER,
    PATCH_CONTENT_TYPES,
    TABLE_ACCEPT,
    Connection,
    PatchType,
    decode,
    import_network_stack,
    raise_for,
    unreachable,
    what,
    write_params,
)

if TYPE_CHECKING:  # imported off the loop before the first request (network_stack)
    import httpx

Lines = list[str]  # one chunk's lines of a streamed answer
NETWORK_HOLD = 1.0
"""Seconds at most the network stack waits for a start list's rows to be drawn: its imports
on a thread would share the GIL with that frame."""


class KubeClient:
    """One per context. Paths are API paths (`/api/v1/namespaces/x/pods`)."""

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

    async def list_pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        accept: str | None = None,
        limit: int = 500,
    ) -> AsyncIterator[dict[str, Any]]:
        """Each page of a list as it arrives (`limit`/`continue`). A 410 on a continue token
        means the snapshot expired; it is raised as Gone and the caller relists. The next
        page is asked for before this one is handed over: the server prepares it while the
        caller decodes and shows this one."""
        query = dict(params or {})
        if limit:
            query["limit"] = limit
        connection = self.connection
        early = claim(connection.context_name, connection.server, path, query, accept or "")
        if early is not None:  # asked for while the app started (early_list.py)
            token = None
            async for early_page in early.pages():
                token = early_page.token
                yield decode(early_page.content)
            if token == "":
                return  # the whole list came early
            self.release_network()  # the rest is this client's to ask for
            if token:
                query = {**query, "continue": token}
        page = await self.get(path, query, accept=accept)
        while True:
            token = (page.get("metadata") or {}).get("continue")
            following: asyncio.Task[dict[str, Any]] | None = None
            if token:
                query = {**query, "continue": token}
                following = asyncio.ensure_future(self.get(path, query, accept=accept))
            try:
                yield page
            except BaseException:
                if following is not None:
                    following.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await following
                raise
            if following is None:
                return
            page = await following

    async def list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        accept: str | None = None,
        limit: int = 500,
    ) -> dict[str, Any]:
        """The whole list, pages joined; `metadata.resourceVersion` from the last page."""
        items: list[Any] = []
        rows: list[Any] = []
        last: dict[str, Any] = {}
        async for page in self.list_pages(path, params, accept, limit):
            items.extend(page.get("items") or [])
            rows.extend(page.get("rows") or [])
            if not last:
                first = page
            last = page
        result = dict(first)
        result["metadata"] = dict(last.get("metadata") or {})
        result["metadata"].pop("continue", None)
        if "rows" in first:
            result["rows"] = rows
        else:
            result["items"] = items
        return result

    async def watch(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        accept: str | None = None,
        timeout_seconds: int = 300,
        on_open: Callable[[], None] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Watch events (`{"type", "object"}`) until the server ends the stream. An ERROR
        event with code 410 (or an HTTP 410) raises Gone; other ERROR events raise ApiError.
        `on_open` runs once the server accepted the watch, before any event: a quiet list may
        send nothing for minutes, and a cache needs to know it is live again."""
        query = dict(params or {})
        query.update(
            {"watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": str(timeout_seconds)}
        )
        async with self._open(
            "GET",
            path,
            params=query,
            headers={"Accept": accept} if accept else None,
            read_timeout=timeout_seconds + 30,
        ) as response:
            import httpx  # loaded by _open

            if on_open is not None:
                on_open()
            try:
                async for line in response.aiter_lines():
                    if not line:
                        continue
                    event = orjson.loads(line)
                    if event.get("type") == "ERROR":
                        status = event.get("object") or {}
                        code = int(status.get("code") or 500)
                        raise api_error(code, status, self._what("WATCH", path))
                    yield event
            except httpx.HTTPError as exc:
                raise self._unreachable("WATCH", path, exc) from exc

    async def create(self, path: str, body: dict[str, Any], *, dry_run: bool = False) -> Any:
        return await self.request("POST", path, params=write_params(dry_run), body=body)

    async def replace(self, path: str, body: dict[str, Any], *, dry_run: bool = False) -> Any:
        return await self.request("PUT", path, params=write_params(dry_run), body=body)

    async def patch(
        self,
        path: str,
        patch: Any,
        patch_type: PatchType = "merge",
        *,
        dry_run: bool = False,
        force: bool = False,
    ) -> Any:
        params = write_params(dry_run)
        if patch_type == "apply":
            params["fieldManager"] = FIELD_MANAGER
            if force:
                params["force"] = "true"
            content = patch.encode() if isinstance(patch, str) else json.dumps(patch).encode()
        else:
            content = orjson.dumps(patch)
        return await self.request(
            "PATCH",
            path,
            params=params,
            content=content,
            content_type=PATCH_CONTENT_TYPES[patch_type],
        )

    async def delete(
        self,
        path: str,
        *,
        propagation: str | None = None,
        dry_run: bool = False,
        grace_seconds: int | None = None,
    ) -> Any:
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation:
            options["propagationPolicy"] = propagation
        if grace_seconds is not None:
            options["gracePeriodSeconds"] = grace_seconds
        if dry_run:
            options["dryRun"] = ["All"]
        return await self.request("DELETE", path, body=options)

    async def stream_line_batches(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncGenerator[Lines, None]:
        """Lines of a streamed text answer (pod logs with follow=true), without timeout, a
        chunk at a time: the lines each read completed (one step of the reader per chunk, not
        per line: a flood of short lines was mostly that step)."""
        await self._http()  # the network stack, loaded on a thread
        import httpx
        from httpx._decoders import LineDecoder

        if self._streams is None:
            self._streams = self._client(max_connections=None)
        async with self._open(
            "GET",
            path,
            params=params,
            read_timeout=None,
            headers={"Accept": "*/*"},
            http=self._streams,
        ) as response:
            decoder = LineDecoder()  # what httpx's aiter_lines splits with (splitlines')
            try:
                async for text in response.aiter_text():
                    lines = decoder.decode(text)
                    if lines:
                        yield lines
                rest = decoder.flush()
                if rest:
                    yield rest
            except httpx.HTTPError as exc:
                raise self._unreachable("GET", path, exc) from exc

    async def proxy(
        self,
        namespace: str,
        service: str,
        path: str,
        *,
        port: str | int = "",
        scheme: str = "",
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """A request to a Service through the API server's service proxy."""
        target = (
            f"{scheme}:{service}:{port}" if scheme else (f"{service}:{port}" if port else service)
        )
        url = f"/api/v1/namespaces/{namespace}/services/{target}/proxy/{path.lstrip('/')}"
        return await self.request(method, url, params=params, body=body)

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[bytes, dict[str, str]]:
        """One request whose answer's headers matter (the DevOps API's progressive logs
        through the service proxy): the body's bytes and the headers; errors typed."""
        content = orjson.dumps(body) if body is not None else None
        headers = (
            {"Content-Type": "application/json", "Accept": "*/*"} if content else {"Accept": "*/*"}
        )
        async with self._open(
            method, path, params=params, content=content, headers=headers
        ) as response:
            import httpx  # loaded by _open

            try:
                data = await response.aread()
            except httpx.HTTPError as exc:
                raise self._unreachable(method, path, exc) from exc
            return data, dict(response.headers)

    async def whoami(self) -> dict[str, Any]:
        """`status.userInfo` from a SelfSubjectReview: who the API server thinks we are."""
        review = await self.create(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        return dict((review.get("status") or {}).get("userInfo") or {})

    async def can_i(
        self,
        verb: str,
        resource: str,
        *,
        group: str = "",
        namespace: str = "",
        name: str = "",
        subresource: str = "",
    ) -> tuple[bool, str]:
        """A SelfSubjectAccessReview: (allowed, reason)."""
        attributes = {"verb": verb, "resource": resource, "group": group}
        if namespace:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        if subresource:
            attributes["subresource"] = subresource
        review = await self.create(
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes},
            },
        )
        status = review.get("status") or {}
        return bool(status.get("allowed")), str(status.get("reason") or "")


__all__ = [
    "TABLE_ACCEPT",
    "ApiError",
    "Connection",
    "Gone",
    "KstuiError",
    "KubeClient",
    "PatchType",
    "Unauthorized",
]
