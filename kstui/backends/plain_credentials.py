"""The common kubeconfig credentials read without the `kubernetes` package (importing it costs
250-400 ms, on the path to the first rows): a token, a token file, basic auth, a client
certificate and key, a CA, insecure-skip-tls-verify, each as the package's KubeConfigLoader
reads them (data before file, `-data` base64-decoded into a scratch file, the token before
basic auth). Anything else (an auth-provider, a key kstui does not know) answers None, and
the caller uses the loader as before."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import base64
import binascii
import os
from pathlib import Path
from typing import Any, NamedTuple

USER_KEYS = frozenset(
    {
        "token",
        "tokenFile",
        "username",
        "password",
        "client-certificate",
        "client-certificate-data",
        "client-key",
        "client-key-data",
    }
)
CLUSTER_KEYS = frozenset(
    {
        "server",
        "certificate-authority",
        "certificate-authority-data",
        "insecure-skip-tls-verify",
        "tls-server-name",
        "proxy-url",
        "extensions",
        "disable-compression",
    }
)


_CONTROL_NAMES = {
    "\r": "a carriage return (\\r)",
    "\n": "a newline (\\n)",
    "\t": "a tab (\\t)",
    "\x00": "a NUL byte",
}


def bad_character(token: str) -> str:
    """'' for a token fit for an Authorization header, else which character is not and where:
    control characters break the header, non-ASCII ones cannot be sent at all."""
    for index, char in enumerate(token):
        if not " " <= char <= "~":
            name = _CONTROL_NAMES.get(char, f"U+{ord(char):04X}")
            kind = (
                "a control character"
                if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F
                else "a non-ASCII character"
            )
            return f"{kind}, {name}, at character {index + 1} of {len(token)}"
    return ""


class PlainConfiguration(NamedTuple):
    """What tls_contexts.tls_context and the caller read of a kubernetes Configuration."""

    ssl_ca_cert: str | None
    cert_file: str | None
    key_file: str | None
    verify_ssl: bool
    authorization: str


def plain_configuration(
    cluster_body: dict[str, Any], user_body: dict[str, Any], scratch: str
) -> PlainConfiguration | None:
    """The context's credentials, or None when only the kubernetes loader can read them.
    `-data` values are written under `scratch` (the caller removes it)."""
    if not set(user_body) <= USER_KEYS or not set(cluster_body) <= CLUSTER_KEYS:
        return None
    try:
        authorization = _authorization(user_body)
        return PlainConfiguration(
            ssl_ca_cert=_as_file(cluster_body, "certificate-authority", scratch),
            cert_file=_as_file(user_body, "client-certificate", scratch),
            key_file=_as_file(user_body, "client-key", scratch),
            verify_ssl=not cluster_body.get("insecure-skip-tls-verify", False),
            authorization=authorization,
        )
    except (ValueError, OSError, binascii.Error, TypeError):
        return None  # the loader says what is wrong, in its words


def _authorization(user_body: dict[str, Any]) -> str:
    if "token" in user_body or "tokenFile" in user_body:
        token = user_body.get("token")
        if token is None:  # the caller rereads a token file (strict); the loader reads it raw
            token = Path(user_body["tokenFile"]).read_text()
        if token:
            return f"Bearer {token}"
    if "username" in user_body and "password" in user_body:
        pair = f"{user_body['username']}:{user_body['password']}".encode("latin-1")
        return f"Basic {base64.b64encode(pair).decode()}"
    return ""


def _as_file(body: dict[str, Any], key: str, scratch: str) -> str | None:
    data = body.get(f"{key}-data")
    if data:
        content = base64.standard_b64decode(str(data))
        path = os.path.join(scratch, key)  # one file a key: the scratch is this call's
        with open(path, "wb") as stream:
            stream.write(content)
        return path
    given = body.get(key)
    return str(given) if given else None
