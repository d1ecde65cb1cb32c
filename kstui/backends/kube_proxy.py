"""Service proxy requests of KubeClient, and the one request whose answer's headers
matter (exchange)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from kstui.backends.kube_transport import KubeTransport


class KubeProxy(KubeTransport):
    """proxy and exchange."""

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
