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
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from kstui.backends.errors import KstuiError

KEYRING_SERVICE = "kstui-prometheus"
"""The keyring's service name; the entry (its "username") is the context or `keyring_entry`."""
AUTH_KINDS = ("none", "bearer", "basic")
_KEYS = ("url", "auth", "username", "keyring_entry", "ca_file", "verify")


@dataclass(frozen=True, slots=True)
class PrometheusEndpoint:
    url: str
    auth: Literal["none", "bearer", "basic"] = "none"
    username: str = ""
    keyring_entry: str = ""
    """The secret's entry in the keyring ("" means the context's name)."""
    ca_file: str = ""
    verify: bool = True


class EndpointProblem(ValueError):
    """A config value kstui cannot use: config.py turns it into a ConfigError."""

    def __init__(self, key_path: str, problem: str, allowed: str) -> None:
        super().__init__(f"{key_path}: {problem}")
        self.key_path, self.problem, self.allowed = key_path, problem, allowed


def parse_endpoints(section: Mapping[Any, Any]) -> dict[str, PrometheusEndpoint]:
    """`prometheus:` of the config: context → endpoint; raises EndpointProblem."""
    found = {}
    for context, entry in section.items():
        where = f"prometheus.{context}"
        if not isinstance(context, str) or not context:
            raise EndpointProblem(where, "the key is not a context name", "context: {url: ...}")
        if not isinstance(entry, dict):
            raise EndpointProblem(where, "is not a mapping", "a mapping with url and auth")
        for key in entry:
            if key not in _KEYS:
                raise EndpointProblem(f"{where}.{key}", "unknown key", ", ".join(_KEYS))
        url = entry.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise EndpointProblem(f"{where}.url", f"is {url!r}", "an http(s) URL")
        if parts.username or parts.password:
            raise EndpointProblem(
                f"{where}.url",
                "carries credentials",
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
        verify = entry.get("verify", True)
        if not isinstance(verify, bool):
            raise EndpointProblem(f"{where}.verify", f"is {verify!r}", "true or false")
        found[context] = PrometheusEndpoint(
            str(url), auth, username or "", text["keyring_entry"], text["ca_file"], verify
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
