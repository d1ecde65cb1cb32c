"""A Prometheus URL set per context in the config, and its secret in the OS keyring.

The config names only the keyring entry; the bearer token or basic-auth password is stored by
`kstui credentials set-prometheus CONTEXT` and read when the first query goes out:

    prometheus:
      prod-eu:                      # a kubeconfig context
        url: https://prometheus.example.com
        auth: bearer                # none | bearer | basic
        username: ops               # basic only
        keyring_entry: prod-eu      # default: the context's name

The secret is never written to a file or a log, and never part of an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from kstui.backends.endpoint_entries import (
    EndpointProblem,
    context_entries,
    http_url,
    verify_flag,
)
from kstui.backends.errors import KstuiError

KEYRING_SERVICE = "kstui-prometheus"
"""The keyring's service name; the entry (its "username") is the context or `keyring_entry`."""
AUTH_KINDS = ("none", "bearer", "basic")
_KEYS = ("url", "auth", "username", "keyring_entry", "ca_file", "verify")


class PrometheusEndpoint(NamedTuple):
    url: str
    auth: Literal["none", "bearer", "basic"] = "none"
    username: str = ""
    keyring_entry: str = ""
    """The secret's entry in the keyring ("" means the context's name)."""
    ca_file: str = ""
    verify: bool = True


def parse_endpoints(section: Mapping[Any, Any]) -> dict[str, PrometheusEndpoint]:
    """`prometheus:` of the config: context → endpoint; raises EndpointProblem."""
    found = {}
    for context, entry, where in context_entries(
        section, "prometheus", _KEYS, "context: {url: ...}", "a mapping with url and auth"
    ):
        url = http_url(
            f"{where}.url",
            entry.get("url"),
            "a URL without user:password (the secret goes in the keyring)",
        )
        auth = entry.get("auth", "none")
        if auth not in AUTH_KINDS:
            raise EndpointProblem(f"{where}.auth", f"is {auth!r}", " | ".join(AUTH_KINDS))
        username = entry.get("username", "")
        if auth == "basic" and (not isinstance(username, str) or not username):
            raise EndpointProblem(f"{where}.username", "is missing", "the basic-auth user name")
        text = {k: entry.get(k, "") for k in ("keyring_entry", "ca_file")}
        for key, value in text.items():
            if not isinstance(value, str):
                raise EndpointProblem(f"{where}.{key}", f"is {value!r}", "a string")
        found[context] = PrometheusEndpoint(
            url,
            auth,
            username or "",
            text["keyring_entry"],
            text["ca_file"],
            verify_flag(where, entry),
        )
    return found


def entry_name(endpoint: PrometheusEndpoint | None, context: str) -> str:
    return (endpoint.keyring_entry if endpoint else "") or context


def secret_for(endpoint: PrometheusEndpoint, context: str) -> str:
    """The secret from the OS keyring; a KstuiError that names the entry (never a value)."""
    import keyring
    from keyring.errors import KeyringError

    entry = entry_name(endpoint, context)
    try:
        secret = keyring.get_password(KEYRING_SERVICE, entry)
    except KeyringError as error:
        raise KstuiError(
            f"the OS keyring cannot be read ({type(error).__name__})",
            "",
            f"kstui credentials set-prometheus {context}",
        ) from None
    if not secret:
        raise KstuiError(
            f"no secret in the keyring for entry {entry!r}",
            "",
            f"store it with: kstui credentials set-prometheus {context}",
        )
    return secret


def store_secret(entry: str, secret: str) -> str:
    """Put the secret in the OS keyring; returns the keyring backend's name."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise KstuiError(
            "no OS keyring is available to store the secret",
            "",
            "install and unlock a keyring (Secret Service, KWallet, macOS Keychain)",
        )
    keyring.set_password(KEYRING_SERVICE, entry, secret)
    return type(backend).__name__
