"""What KubeClient (kube.py) puts on the wire and reads back: the Connection it needs, content
types, JSON decoding with the collector paused, and HTTP failures as typed KstuiErrors."""

from __future__ import annotations

import contextlib
import importlib
import ssl
from typing import TYPE_CHECKING, Any, Literal, Protocol

import orjson

from kstui.backends.connect_errors import proxy_failure, tls_failure
from kstui.backends.early_list import TABLE_ACCEPT as TABLE_ACCEPT
from kstui.backends.errors import Unreachable, api_error
from kstui.heap import gc_paused

if TYPE_CHECKING:  # loaded with the first request (kube_transport.py), not with this module
    import httpx

PatchType = Literal["merge", "json", "strategic", "apply"]

PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}

METADATA_ACCEPT = (
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
)
"""A list of the objects' metadata only (a Secret's data is never sent)."""
FIELD_MANAGER = "kstui"


class Connection(Protocol):
    """What KubeClient needs from a kubeconfig context (see kubeconfig.py)."""

    context_name: str
    server: str
    """Base URL, e.g. https://10.0.0.1:6443 (no trailing slash)."""
    verify: ssl.SSLContext | bool
    """An SSLContext carrying CA and client certificate, or False for insecure-skip-tls-verify."""
    proxy: str | None

    async def auth_headers(self) -> dict[str, str]:
        """Authorization headers, refreshing expired exec/token-file credentials first."""
        ...

    async def refresh(self) -> bool:
        """Called after a 401: fetch fresh credentials; True if they changed (worth a retry)."""
        ...


NETWORK_STACK = (
    "httpx",
    "httpcore",  # imported by httpx with its first client (with trio and anyio, when there)
    "httpcore._backends.anyio",  # and these with its first connection
    "anyio._backends._asyncio",
    "anyio.streams.tls",
)


def import_network_stack() -> None:
    """On a thread (KubeClient's first request): the imports of its first client."""
    for name in NETWORK_STACK:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def decode(content: bytes) -> Any:
    """orjson with GC paused: decoding a big list allocates millions of objects at once."""
    with gc_paused():
        return orjson.loads(content)


def what(connection: Connection, method: str, path: str) -> str:
    """A request as messages name it: `GET /api/v1/pods on prod`."""
    return f"{method} {path} on {connection.context_name}"


def unreachable(connection: Connection, method: str, path: str, exc: Exception) -> Unreachable:
    """No answer at all: TLS, proxy, timeout or connection failure, named for the user."""
    import httpx

    server = connection.server
    named = tls_failure(connection, exc) or proxy_failure(connection, exc)
    if named is not None:
        return named
    if isinstance(exc, httpx.TimeoutException):
        return Unreachable(
            f"{server} did not answer in time (context {connection.context_name})",
            f"{what(connection, method, path)}: {type(exc).__name__}",
            "check the network or VPN, then retry",
        )
    return Unreachable(
        f"cannot reach {server} (context {connection.context_name})",
        f"{type(exc).__name__}: {exc}",
        "check that the cluster is running and the server address is right",
    )


def raise_for(
    connection: Connection, method: str, path: str, response: httpx.Response, content: bytes
) -> None:
    """An error answer as a typed KstuiError (its Status body, Retry-After on a 429)."""
    body: Any = None
    try:
        body = orjson.loads(content) if content else None
    except orjson.JSONDecodeError:
        body = {"message": content[:500].decode(errors="replace")}
    retry_after = None
    if response.status_code == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
    raise api_error(response.status_code, body, what(connection, method, path), retry_after)


def write_params(dry_run: bool) -> dict[str, Any]:
    params: dict[str, Any] = {"fieldManager": FIELD_MANAGER}
    if dry_run:
        params["dryRun"] = "All"
    return params
