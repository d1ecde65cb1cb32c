"""Lists and watches of KubeClient: pages as they arrive (a start list's taken from
early_list.py), whole lists, watch events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson

from kstui.backends.early_list import claim
from kstui.backends.errors import api_error
from kstui.backends.kube_transport import KubeTransport
from kstui.backends.kube_wire import decode


class KubeLists(KubeTransport):
    """list_pages, list and watch."""

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
