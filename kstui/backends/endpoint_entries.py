"""What every per-context endpoint section of the config (`prometheus:`, `devops:`) checks
alike: context names as keys, a mapping of known keys each, an http(s) URL without credentials
in it, a `verify` flag. Pure; config.py turns an EndpointProblem into a ConfigError."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit


class EndpointProblem(ValueError):
    """A config value kstui cannot use: config.py turns it into a ConfigError."""

    def __init__(self, key_path: str, problem: str, allowed: str) -> None:
        super().__init__(f"{key_path}: {problem}")
        self.key_path, self.problem, self.allowed = key_path, problem, allowed


def context_entries(
    section: Mapping[Any, Any], name: str, keys: tuple[str, ...], shape: str, holds: str
) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(context, entry, its key path) for each entry of the `name:` section, each checked to be
    a mapping of `keys` under a context name (`shape` and `holds` say what is expected)."""
    for context, entry in section.items():
        where = f"{name}.{context}"
        if not isinstance(context, str) or not context:
            raise EndpointProblem(where, "the key is not a context name", shape)
        if not isinstance(entry, dict):
            raise EndpointProblem(where, "is not a mapping", holds)
        for key in entry:
            if key not in keys:
                raise EndpointProblem(f"{where}.{key}", "unknown key", ", ".join(keys))
        yield context, entry, where


def http_url(key_path: str, url: Any, without_credentials: str) -> str:
    """`url` when it is an http(s) URL with a host and no user:password in it."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointProblem(key_path, f"is {url!r}", "an http(s) URL")
    if parts.username or parts.password:
        raise EndpointProblem(key_path, "carries credentials", without_credentials)
    return str(url)


def verify_flag(where: str, entry: Mapping[str, Any]) -> bool:
    verify = entry.get("verify", True)
    if not isinstance(verify, bool):
        raise EndpointProblem(f"{where}.verify", f"is {verify!r}", "true or false")
    return verify
