"""The service proxy: `/api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy/{path}`.

This is how a kubeconfig alone reaches in-cluster HTTP services (Prometheus, Alertmanager, the
DevOps API). The sandbox forwards to local servers registered for a service and port.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from kstui.sandbox.api import Call
from kstui.sandbox.status import ApiError

_HOP_HEADERS = {
    "host",
    "authorization",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "upgrade",
    "proxy-authorization",
    "te",
    "trailer",
}


def _split_name(text: str) -> tuple[str, str]:
    """`name`, `name:port` or `scheme:name:port` to (name, port); port may be empty."""
    parts = text.split(":")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1]
    return parts[0], ""


def _port_key(service: dict, port: str) -> str:
    """Resolve a port name or an empty port to the service port number (as a string)."""
    ports = service.get("spec", {}).get("ports") or []
    if not port:
        return str(ports[0]["port"]) if ports else ""
    for entry in ports:
        if port in (str(entry.get("port")), entry.get("name")):
            return str(entry["port"])
    raise ApiError.service_unavailable(
        f'no endpoints available for service "{service["metadata"]["name"]}"'
    )


async def service_proxy(call: Call, session: aiohttp.ClientSession) -> web.StreamResponse:
    name, port = _split_name(call.info.name)
    service = call.store.get(("", "services"), call.info.namespace, name)
    if service is None:
        raise ApiError.not_found("services", name)
    port_key = _port_key(service, port)
    target = call.cluster.proxies.get((call.info.namespace, name, port_key))
    if target is None:
        raise ApiError.service_unavailable(f'no endpoints available for service "{name}"')
    url = f"{target.base_url}/{call.info.rest}"
    request = call.request
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
    body = await request.read()
    try:
        async with session.request(
            request.method,
            url,
            params=request.query,
            headers=headers,
            data=body or None,
            allow_redirects=False,
        ) as upstream:
            response = web.StreamResponse(status=upstream.status)
            for key, value in upstream.headers.items():
                if key.lower() not in _HOP_HEADERS and key.lower() != "content-encoding":
                    response.headers[key] = value
            await response.prepare(request)
            async for chunk in upstream.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response
    except aiohttp.ClientConnectionError as error:
        raise ApiError.service_unavailable(
            f"error trying to reach service: dial tcp {target.base_url}: {error}"
        ) from error
