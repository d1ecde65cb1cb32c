"""The config file's entries that are checked one by one (theme, context patterns, keymap,
aliases), and the error that names the file, the key and what is allowed there."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kstui.backends.errors import KstuiError
from kstui.key_names import KEYS_ALLOWED, normalize_key, normalize_keys
from kstui.lazy_pattern import LazyPattern

_ALIAS_NAME = LazyPattern(r"^[A-Za-z][A-Za-z0-9_-]*$")
_THEME_NAME = LazyPattern(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class ConfigError(KstuiError):
    """The config file (or an environment variable) holds something kstui cannot use."""

    def __init__(
        self,
        source: Path | str,
        key_path: str,
        problem: str,
        allowed: str = "",
        hint: str | None = None,
    ) -> None:
        where = f"{source}: {key_path}" if key_path else str(source)
        super().__init__(
            f"{where}: {problem}",
            f"Allowed: {allowed}" if allowed else "",
            f"fix {source}, or delete it to start with the defaults" if hint is None else hint,
        )
        self.source = str(source)
        self.key_path = key_path
        self.problem = problem
        self.allowed = allowed


def type_name(value: Any) -> str:
    if value is None:
        return "empty"
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    return names.get(type(value), type(value).__name__)


def theme_entry(value: Any, path: Path) -> str:
    if not isinstance(value, str) or not _THEME_NAME.match(value):
        raise ConfigError(
            path,
            "theme",
            f"is {type_name(value)} ({value!r})",
            "a Textual theme name such as textual-dark, textual-light, nord",
        )
    return value


def pattern_entries(document: Mapping[str, Any], key: str, path: Path) -> frozenset[str]:
    value = document.get(key)
    if value is None:
        return frozenset()
    allowed = "a list of context names or glob patterns, e.g. [prod-*, kubesphere-host]"
    if not isinstance(value, list):
        raise ConfigError(path, key, f"is {type_name(value)}", allowed)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(path, f"{key}[{index}]", f"is {type_name(item)} ({item!r})", allowed)
    return frozenset(item.strip() for item in value)


def shell_entries(document: Mapping[str, Any], key: str, path: Path) -> tuple[str, ...]:
    """The shells `s` tries in turn: program names or paths, one word each."""
    value = document.get(key)
    if value is None:
        return ("bash", "sh")
    allowed = "a list of shells to try in turn, e.g. [bash, sh] or [/bin/zsh, sh]"
    if not isinstance(value, list) or not value:
        raise ConfigError(path, key, f"is {type_name(value)} ({value!r})", allowed)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item or re.search(r"[\s\x00-\x1f]", item):
            raise ConfigError(path, f"{key}[{index}]", f"is {type_name(item)} ({item!r})", allowed)
    return tuple(value)


def keymap_entries(section: Mapping[Any, Any], path: Path) -> dict[str, str]:
    keymap: dict[str, str] = {}
    for binding_id, keys in section.items():
        key_path = f"keymap.{binding_id}"
        if not isinstance(binding_id, str) or not binding_id:
            raise ConfigError(
                path,
                key_path,
                f"binding id {binding_id!r} is not a string",
                "binding ids like resource.delete or table.down",
            )
        if not isinstance(keys, str):
            raise ConfigError(path, key_path, f"is {type_name(keys)} ({keys!r})", KEYS_ALLOWED)
        normalized = normalize_keys(keys)
        if normalized is None:
            bad = next(t.strip() for t in keys.split(",") if normalize_key(t.strip()) is None)
            raise ConfigError(path, key_path, f"{bad!r} is not a key name", KEYS_ALLOWED)
        keymap[binding_id] = normalized
    return keymap


def alias_entries(section: Mapping[Any, Any], path: Path) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name, expansion in section.items():
        key_path = f"aliases.{name}"
        if not isinstance(name, str) or not _ALIAS_NAME.match(name):
            raise ConfigError(
                path,
                key_path,
                f"alias name {name!r} is not a word",
                "a letter followed by letters, digits, - or _ (e.g. pp)",
            )
        if not isinstance(expansion, str) or not expansion.strip():
            raise ConfigError(
                path,
                key_path,
                f"is {type_name(expansion)} ({expansion!r})",
                "a non-empty command, e.g. 'pods -n payments'",
            )
        aliases[name] = expansion.strip()
    return aliases
