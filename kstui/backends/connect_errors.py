"""What went wrong before the API server could answer, named precisely: the CA problem of a
failed TLS verification (never "turn verification off"), or a proxy-url that is the one
unreachable, not the server behind it."""

from __future__ import annotations

import ssl
from typing import Any

from kstui.backends.errors import Unreachable

# OpenSSL X509_V_ERR_* codes of ssl.SSLCertVerificationError.verify_code
_NOT_YET_VALID, _EXPIRED = 9, 10
_HOSTNAME_MISMATCH, _IP_MISMATCH = 62, 64


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of `kind` in exc's chain (httpx wraps the ssl and socket ones)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def tls_failure(connection: Any, exc: BaseException) -> Unreachable | None:
    """The server's certificate did not verify: which check failed and against what CA."""
    failed = _cause(exc, ssl.SSLCertVerificationError)
    if failed is None and "CERTIFICATE_VERIFY_FAILED" not in str(exc):
        return None
    server, context = connection.server, connection.context_name
    ca = getattr(connection, "ca_origin", "") or "the kubeconfig's certificate-authority"
    code = getattr(failed, "verify_code", 0)
    message = str(getattr(failed, "verify_message", "") or exc)
    where = f"{server} (context {context})"
    if code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        return Unreachable(
            f"certificate of {where} is for another host",
            f"{message}; the certificate is not valid for the address in the kubeconfig",
            "check the server address (or tls-server-name)",
        )
    if code in (_EXPIRED, _NOT_YET_VALID):
        state = "has expired" if code == _EXPIRED else "is not yet valid"
        return Unreachable(
            f"certificate of {where} {state}",
            "the server presents a certificate outside its validity dates",
            "renew the server's certificate, or check this machine's clock",
        )
    return Unreachable(
        f"certificate signed by unknown authority: {where}",
        f"the server's certificate is not signed by the CA in {ca} ({message})",
        "check the CA or the server address",
    )


def proxy_failure(connection: Any, exc: BaseException) -> Unreachable | None:
    """With a proxy-url, a connection that failed before TLS or HTTP began failed at the
    proxy: say so, naming it, not the server behind it."""
    proxy = getattr(connection, "proxy", None)
    if not proxy or _cause(exc, ssl.SSLError) is not None:
        return None
    server, context = connection.server, connection.context_name
    name = type(exc).__name__
    if name == "ProxyError":  # the proxy answered the CONNECT with an error status
        return Unreachable(
            f"proxy {proxy} refused the tunnel to {server} (context {context})",
            f"the proxy answered: {exc}",
            "check that the proxy can reach the server and allows it (proxy-url in the kubeconfig)",
        )
    if name == "ConnectError":
        return Unreachable(
            f"cannot reach proxy {proxy} (context {context})",
            f"proxy-url of the cluster; {name}: {exc}",
            "check that the proxy runs and proxy-url in the kubeconfig is right",
        )
    return None
