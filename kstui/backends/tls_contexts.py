"""TLS contexts for a kubeconfig context: its CA and client certificate (static, or returned by
an exec plugin), with kubectl's checks and messages that name the file to fix."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import KubeconfigError
from kstui.backends.kubeconfig import ContextInfo, Entry

if TYPE_CHECKING:
    from kstui.backends.exec_credentials import ExecCredential


def origin_of(body: dict[str, Any], key: str, source: Path) -> str:
    """Where a kubeconfig value came from, for messages: inline data or a file path."""
    if body.get(f"{key}-data"):
        return f"{key}-data in {source}"
    return f"{key} {body.get(key)} (set in {source})"


def tls_context(
    info: ContextInfo,
    cluster: Entry,
    cluster_body: dict[str, Any],
    user: Entry | None,
    user_body: dict[str, Any],
    configuration: Any,
) -> ssl.SSLContext | bool:
    """An SSLContext with the CA and the client certificate (httpx 0.28 ignores `cert=` when
    `verify` is given, so the certificate goes into the context)."""
    ca_file, cert_file, key_file = (
        configuration.ssl_ca_cert,
        configuration.cert_file,
        configuration.key_file,
    )
    insecure = not configuration.verify_ssl
    where = f'context "{info.name}"'
    if insecure and ca_file:
        raise KubeconfigError(
            f'cluster "{info.cluster}" sets both a certificate authority and '
            f"insecure-skip-tls-verify ({where})",
            "kubectl refuses a root certificate with the insecure flag "
            f"(both set in {cluster.source})",
            f"remove insecure-skip-tls-verify in {cluster.source}",
        )
    if bool(cert_file) != bool(key_file):
        have, missing = (
            ("client-certificate", "client-key")
            if cert_file
            else ("client-key", "client-certificate")
        )
        raise KubeconfigError(
            f'user "{info.user}" has a {have} but no {missing} ({where})',
            f"in {user.source if user else cluster.source}",
            f"add {missing} (or {missing}-data) next to {have}",
        )
    if insecure and not cert_file:
        return False
    try:
        context = unverified_context() if insecure else ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise KubeconfigError(
            f'certificate authority of cluster "{info.cluster}" cannot be loaded ({where})',
            f"{origin_of(cluster_body, 'certificate-authority', cluster.source)}: {exc}",
            "point certificate-authority(-data) at the cluster's CA certificate in PEM form",
        ) from exc
    if cert_file:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (ssl.SSLError, OSError) as exc:
            source = user.source if user else cluster.source
            raise KubeconfigError(
                f'client certificate of user "{info.user}" cannot be loaded ({where})',
                f"{origin_of(user_body, 'client-certificate', source)}: {exc}",
                "client-certificate and client-key must be a matching PEM "
                "certificate and private key",
            ) from exc
    return context


def unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def load_client_pem(context: ssl.SSLContext, credential: ExecCredential, where: str) -> None:
    """ssl loads certificates from files only: a private directory, removed at once."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kstui-exec-") as scratch:
        cert, key = Path(scratch) / "tls.crt", Path(scratch) / "tls.key"
        cert.write_text(credential.cert_pem)
        key.write_text(credential.key_pem)
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError as exc:
            raise KubeconfigError(
                f"{where} returned an unusable client certificate",
                str(exc),
                "clientCertificateData and clientKeyData must be a matching "
                "PEM certificate and key",
            ) from exc
