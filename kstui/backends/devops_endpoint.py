"""How each context reaches the DevOps API (API.md §9.4), from the config:

    devops:
      prod-eu:                            # a kubeconfig context
        ks_apiserver: https://ks.example.com
        username: alice                   # asked once for a password; only the refresh
                                          # token is kept, in the OS keyring
        client_id: kubesphere             # KubeSphere's built-in OAuth client (the default)
        client_secret: kubesphere
        ca_file: /etc/ks-ca.pem
        verify: true

A context not listed uses the service proxy to `kubesphere-devops-system/devops-apiserver:9090`
with the context's own credentials; devops-apiserver then sees the user `anonymous`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

_KEYS = ("ks_apiserver", "username", "client_id", "client_secret", "ca_file", "verify")


@dataclass(frozen=True, slots=True)
class KsApiEndpoint:
    url: str
    username: str
    client_id: str = "kubesphere"
    client_secret: str = "kubesphere"
    ca_file: str = ""
    verify: bool = True


class DevOpsConfigProblem(ValueError):
    """A config value kstui cannot use: config.py turns it into a ConfigError."""

    def __init__(self, key_path: str, problem: str, allowed: str) -> None:
        super().__init__(f"{key_path}: {problem}")
        self.key_path, self.problem, self.allowed = key_path, problem, allowed


def parse_devops(section: Mapping[Any, Any]) -> dict[str, KsApiEndpoint]:
    """`devops:` of the config: context → its ks-apiserver; raises DevOpsConfigProblem."""
    found = {}
    for context, entry in section.items():
        where = f"devops.{context}"
        if not isinstance(context, str) or not context:
            raise DevOpsConfigProblem(where, "the key is not a context name", "context: {...}")
        if not isinstance(entry, dict):
            raise DevOpsConfigProblem(where, "is not a mapping", "ks_apiserver and username")
        for key in entry:
            if key not in _KEYS:
                raise DevOpsConfigProblem(f"{where}.{key}", "unknown key", ", ".join(_KEYS))
        url = entry.get("ks_apiserver")
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise DevOpsConfigProblem(f"{where}.ks_apiserver", f"is {url!r}", "an http(s) URL")
        if parts.username or parts.password:
            raise DevOpsConfigProblem(
                f"{where}.ks_apiserver", "carries credentials", "a URL without user:password"
            )
        text = {}
        for key in ("username", "client_id", "client_secret", "ca_file"):
            value = entry.get(key, "")
            if not isinstance(value, str):
                raise DevOpsConfigProblem(f"{where}.{key}", f"is {value!r}", "a string")
            text[key] = value
        if not text["username"]:
            raise DevOpsConfigProblem(f"{where}.username", "is missing", "the KubeSphere user")
        verify = entry.get("verify", True)
        if not isinstance(verify, bool):
            raise DevOpsConfigProblem(f"{where}.verify", f"is {verify!r}", "true or false")
        found[context] = KsApiEndpoint(
            str(url).rstrip("/"),
            text["username"],
            text["client_id"] or "kubesphere",
            text["client_secret"] or "kubesphere",
            text["ca_file"],
            verify,
        )
    return found
