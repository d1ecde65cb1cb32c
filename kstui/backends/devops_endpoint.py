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
from typing import Any, NamedTuple

from kstui.backends.endpoint_entries import (
    EndpointProblem,
    context_entries,
    http_url,
    verify_flag,
)

_KEYS = ("ks_apiserver", "username", "client_id", "client_secret", "ca_file", "verify")


class KsApiEndpoint(NamedTuple):
    url: str
    username: str
    client_id: str = "kubesphere"
    client_secret: str = "kubesphere"
    ca_file: str = ""
    verify: bool = True


DevOpsConfigProblem = EndpointProblem  # the config's endpoint sections fail alike


def parse_devops(section: Mapping[Any, Any]) -> dict[str, KsApiEndpoint]:
    """`devops:` of the config: context → its ks-apiserver; raises DevOpsConfigProblem."""
    found = {}
    for context, entry, where in context_entries(
        section, "devops", _KEYS, "context: {...}", "ks_apiserver and username"
    ):
        url = http_url(
            f"{where}.ks_apiserver", entry.get("ks_apiserver"), "a URL without user:password"
        )
        text = {}
        for key in ("username", "client_id", "client_secret", "ca_file"):
            value = entry.get(key, "")
            if not isinstance(value, str):
                raise DevOpsConfigProblem(f"{where}.{key}", f"is {value!r}", "a string")
            text[key] = value
        if not text["username"]:
            raise DevOpsConfigProblem(f"{where}.username", "is missing", "the KubeSphere user")
        verify = verify_flag(where, entry)
        found[context] = KsApiEndpoint(
            url.rstrip("/"),
            text["username"],
            text["client_id"] or "kubesphere",
            text["client_secret"] or "kubesphere",
            text["ca_file"],
            verify,
        )
    return found
