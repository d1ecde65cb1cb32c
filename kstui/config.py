"""The user config (`$XDG_CONFIG_HOME/kstui/config.yaml`) as frozen values, validated once at start.

Every problem is reported as a ConfigError naming the file, the key path, what was wrong and what
is allowed, so a typo never surfaces later as a strange crash inside a screen.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from kstui.backends.traffic_settings import WINDOWS as TRAFFIC_WINDOWS
from kstui.backends.traffic_settings import GuardSettings
from kstui.config_entries import (
    ConfigError,
    alias_entries,
    keymap_entries,
    pattern_entries,
    shell_entries,
    theme_entry,
    type_name,
)
from kstui.config_example import EXAMPLE_CONFIG
from kstui.key_names import normalize_keys
from kstui.plugins import Plugin, PluginProblem, clash, parse_plugins

if TYPE_CHECKING:  # their parsers load when a config file has their sections
    from kstui.backends.devops_endpoint import KsApiEndpoint
    from kstui.backends.prometheus_endpoint import PrometheusEndpoint

__all__ = [
    "DEFAULT_THEME",
    "EXAMPLE_CONFIG",
    "Config",
    "ConfigError",
    "RefreshSettings",
    "config_path",
    "load_config",
    "normalize_keys",
    "validate_keymap",
    "validate_plugins",
]

DEFAULT_THEME = "textual-dark"


class RefreshSettings(NamedTuple):
    """How live tables refresh and how long idle watches stay open."""

    coalesce_ms: int = 100
    """A table repaints at most once per this many milliseconds, however many events arrive."""
    grace_seconds: float = 30
    """A watch nobody looks at stays open this long, so going back to a screen is instant."""
    page_size: int = 500
    """Objects per list page (`limit`)."""


class LogSettings(NamedTuple):
    """The log view's ring buffer."""

    buffer_lines: int = 5_000
    """Lines kept per log view; older ones are dropped, and the count of dropped lines shown."""


class Config(NamedTuple):
    """Everything the user can set; `load_config` builds it."""

    default_context: str | None = None
    """The kubeconfig context to open at start; None means the kubeconfig's current context."""
    default_namespace: str | None = None
    """The namespace to show at start; None means the context's namespace."""
    keymap: Mapping[str, str] = MappingProxyType({})
    """Binding id → comma-separated keys (Textual's `set_keymap` format, already normalised)."""
    aliases: Mapping[str, str] = MappingProxyType({})
    """Command alias → what it expands to, e.g. `pp` → `pods -n payments`."""
    theme: str = DEFAULT_THEME
    readonly: bool = False
    """Refuse every write (delete, scale, edit...) on every context."""
    readonly_contexts: frozenset[str] = frozenset()
    """Context names or glob patterns (`prod-*`) that are read-only."""
    other_identities: frozenset[str] = frozenset()
    """Context names or glob patterns Workspaces may use although they log in as another user
    than the current context (by SelfSubjectReview); they are marked wherever they serve."""
    refresh: RefreshSettings = RefreshSettings()
    logs: LogSettings = LogSettings()
    shells: tuple[str, ...] = ("bash", "sh")
    """The shells `s` tries in a container, in turn, until the image has one."""
    prometheus: Mapping[str, PrometheusEndpoint] = MappingProxyType({})
    """Context → a Prometheus URL to use instead of the cluster's service proxy."""
    devops: Mapping[str, KsApiEndpoint] = MappingProxyType({})
    """Context → a ks-apiserver (and login) for the DevOps API instead of the service proxy."""
    plugins: tuple[Plugin, ...] = ()
    """The user's commands on a key (kstui/plugins.py), in the config's order."""
    traffic: GuardSettings = GuardSettings()
    """The Traffic section's guard: the margins by which a version may be worse than the
    other before raising its weight needs an override, and the figures' window."""
    no_color: bool = False
    path: Path | None = None
    """The file this was loaded from, for messages; None when built in code."""

    def is_readonly(self, context: str) -> bool:
        """True when writes must be refused on `context`."""
        if self.readonly:
            return True
        return any(fnmatch.fnmatchcase(context, pattern) for pattern in self.readonly_contexts)

    def readonly_reason(self, context: str, *, flag: bool = False) -> str:
        """Why writes are refused on `context`, for messages ("" when they are not). `flag`:
        the app was started read-only (--readonly, or this config's own switch)."""
        if self.readonly:
            return "set by the config or KSTUI_READONLY"
        if flag:
            return "started with --readonly"
        if self.is_readonly(context):
            return f"readonly_contexts matches {context}"
        return ""

    def allows_other_identity(self, context: str) -> bool:
        """True when Workspaces may act through `context` as a user other than the session's."""
        return any(fnmatch.fnmatchcase(context, pattern) for pattern in self.other_identities)


_TOP_LEVEL_KEYS = (
    "default_context",
    "default_namespace",
    "keymap",
    "aliases",
    "theme",
    "readonly",
    "readonly_contexts",
    "other_identities",
    "refresh",
    "logs",
    "shells",
    "prometheus",
    "devops",
    "plugins",
    "traffic",
    "no_color",
)
_REFRESH_KEYS = ("coalesce_ms", "grace_seconds", "page_size")
_LOG_KEYS = ("buffer_lines",)
_TRAFFIC_KEYS = ("error_margin", "latency_margin", "window")
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config lives: `$XDG_CONFIG_HOME/kstui/config.yaml`, else `~/.config/...`."""
    env = os.environ if env is None else env
    xdg = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "kstui" / "config.yaml"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".config" / "kstui" / "config.yaml"


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and return the config; a missing file gives the defaults.
    NO_COLOR (any non-empty value) and KSTUI_READONLY=1 override the file."""
    env = os.environ if env is None else env
    path = config_path(env) if path is None else Path(path)
    document = _read(path)
    config = _build(document, path)
    if env.get("NO_COLOR"):
        config = config._replace(no_color=True)
    readonly_word = env.get("KSTUI_READONLY", "").strip().lower()
    if readonly_word in _TRUE_WORDS:
        config = config._replace(readonly=True)
    elif readonly_word not in _FALSE_WORDS:
        raise ConfigError(
            "environment",
            "KSTUI_READONLY",
            f"{readonly_word!r} is not a switch",
            "1, true, yes or on (0, false, no, off or empty leave it off)",
            hint="set KSTUI_READONLY=1, or unset it",
        )
    return config


def validate_keymap(
    keymap: Mapping[str, str], known_ids: Iterable[str], source: Path | str | None = None
) -> None:
    """Raise ConfigError for the first binding id the app does not have, suggesting the
    closest real ones. The app calls this with its binding ids and `config.path`."""
    known = sorted(set(known_ids))
    known_set = set(known)
    for binding_id in keymap:
        if binding_id in known_set:
            continue
        close = difflib.get_close_matches(binding_id, known, n=3, cutoff=0.5)
        problem = f"unknown binding id {binding_id!r}"
        if close:
            problem += f" (did you mean {' or '.join(repr(c) for c in close)}?)"
        raise ConfigError(
            source or "config",
            f"keymap.{binding_id}",
            problem,
            "one of " + ", ".join(known),
            hint=f"rename or remove keymap.{binding_id} in {source or 'the config'}",
        )


# ---------------------------------------------------------------------------- reading


@functools.cache
def _unique_key_loader() -> Any:
    """SafeLoader that refuses duplicate keys, which PyYAML would silently overwrite. Made
    when a config file is first read: with none, yaml is not imported at start (issue 18)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def construct_unique_mapping(
        loader: UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_unique_mapping
    )
    return UniqueKeyLoader


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            path, "", f"cannot be read ({exc})", "a readable UTF-8 YAML file"
        ) from exc
    import yaml

    try:
        return yaml.load(text, Loader=_unique_key_loader())  # a SafeLoader: no Python tags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            path,
            "",
            f"invalid YAML at {where}: {problem}",
            "a YAML mapping like the example in the README",
        ) from exc


def _build(document: Any, path: Path) -> Config:
    if document is None:
        return Config(path=path)
    if not isinstance(document, dict):
        raise ConfigError(
            path,
            "",
            f"the top level is {type_name(document)}",
            "a mapping of settings: " + ", ".join(_TOP_LEVEL_KEYS),
        )
    _check_keys(document, _TOP_LEVEL_KEYS, path, "")
    refresh = _mapping(document, "refresh", path)
    _check_keys(refresh, _REFRESH_KEYS, path, "refresh.")
    logs = _mapping(document, "logs", path)
    _check_keys(logs, _LOG_KEYS, path, "logs.")
    defaults = RefreshSettings()
    return Config(
        default_context=_optional_text(document, "default_context", path),
        default_namespace=_optional_text(document, "default_namespace", path),
        keymap=MappingProxyType(keymap_entries(_mapping(document, "keymap", path), path)),
        aliases=MappingProxyType(alias_entries(_mapping(document, "aliases", path), path)),
        theme=theme_entry(document.get("theme", DEFAULT_THEME), path),
        readonly=_boolean(document, "readonly", path),
        readonly_contexts=pattern_entries(document, "readonly_contexts", path),
        other_identities=pattern_entries(document, "other_identities", path),
        refresh=RefreshSettings(
            coalesce_ms=int(
                _positive(refresh, "coalesce_ms", defaults.coalesce_ms, path, integer=True)
            ),
            grace_seconds=float(
                _positive(refresh, "grace_seconds", defaults.grace_seconds, path, integer=False)
            ),
            page_size=int(_positive(refresh, "page_size", defaults.page_size, path, integer=True)),
        ),
        logs=LogSettings(
            buffer_lines=int(
                _positive(
                    logs,
                    "buffer_lines",
                    LogSettings().buffer_lines,
                    path,
                    True,
                    section_name="logs",
                )
            )
        ),
        shells=shell_entries(document, "shells", path),
        prometheus=MappingProxyType(_prometheus(_mapping(document, "prometheus", path), path)),
        devops=MappingProxyType(_devops(_mapping(document, "devops", path), path)),
        plugins=_plugins(_mapping(document, "plugins", path), path),
        traffic=_traffic(_mapping(document, "traffic", path), path),
        no_color=_boolean(document, "no_color", path),
        path=path,
    )


def _traffic(section: Mapping[Any, Any], path: Path) -> GuardSettings:
    """`traffic:` error_margin (percentage points), latency_margin (percent), window."""
    _check_keys(section, _TRAFFIC_KEYS, path, "traffic.")
    defaults = GuardSettings()
    window = section.get("window", defaults.window)
    if window not in TRAFFIC_WINDOWS:
        raise ConfigError(
            path, "traffic.window", f"is {window!r}", "one of " + ", ".join(TRAFFIC_WINDOWS)
        )
    margins = {
        key: float(
            _positive(section, key, getattr(defaults, key), path, False, section_name="traffic")
        )
        for key in ("error_margin", "latency_margin")
    }
    return GuardSettings(window=window, **margins)


def _prometheus(section: Mapping[Any, Any], path: Path) -> dict[str, PrometheusEndpoint]:
    if not section:
        return {}
    from kstui.backends.prometheus_endpoint import EndpointProblem, parse_endpoints

    try:
        return parse_endpoints(section)
    except EndpointProblem as problem:
        raise ConfigError(path, problem.key_path, problem.problem, problem.allowed) from None


def _devops(section: Mapping[Any, Any], path: Path) -> dict[str, KsApiEndpoint]:
    if not section:
        return {}
    from kstui.backends.devops_endpoint import DevOpsConfigProblem, parse_devops

    try:
        return parse_devops(section)
    except DevOpsConfigProblem as problem:
        raise ConfigError(path, problem.key_path, problem.problem, problem.allowed) from None


def _plugins(section: Mapping[Any, Any], path: Path) -> tuple[Plugin, ...]:
    try:
        return parse_plugins(section)
    except PluginProblem as problem:
        raise ConfigError(path, problem.key_path, problem.problem, problem.allowed) from None


def validate_plugins(
    plugins: Iterable[Plugin],
    builtin: Mapping[str, Mapping[str, str]],
    source: Path | str | None = None,
) -> None:
    """Raise ConfigError for the first plugin whose key is a built-in key where its rows are
    shown (`builtin`: scope → key → binding id, kstui/screens/plugin_keys.py)."""
    problem = clash(plugins, builtin)
    if problem is not None:
        raise ConfigError(
            source or "config",
            problem.key_path,
            problem.problem,
            problem.allowed,
            hint=f"change {problem.key_path} in {source or 'the config'}",
        )


def _check_keys(
    section: Mapping[Any, Any], allowed: tuple[str, ...], path: Path, prefix: str
) -> None:
    for key in section:
        if key in allowed:
            continue
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        problem = f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
        raise ConfigError(path, f"{prefix}{key}", problem, "one of " + ", ".join(allowed))


def _mapping(document: Mapping[str, Any], key: str, path: Path) -> dict[Any, Any]:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(path, key, f"is {type_name(value)}", "a mapping")
    return value


def _optional_text(document: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            path,
            key,
            f"is {type_name(value)}" + (" (blank)" if isinstance(value, str) else ""),
            "a non-empty string, or null for the kubeconfig's choice",
        )
    return value.strip()


def _boolean(document: Mapping[str, Any], key: str, path: Path) -> bool:
    value = document.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(path, key, f"is {type_name(value)} ({value!r})", "true or false")
    return value


def _positive(
    section: Mapping[str, Any],
    key: str,
    default: float,
    path: Path,
    integer: bool,
    *,
    section_name: str = "refresh",
) -> float:
    value = section.get(key, default)
    allowed = "a whole number above 0" if integer else "a number above 0"
    valid_type = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, valid_type):
        raise ConfigError(
            path, f"{section_name}.{key}", f"is {type_name(value)} ({value!r})", allowed
        )
    if value <= 0:
        raise ConfigError(
            path, f"{section_name}.{key}", f"is {value}, which is not above 0", allowed
        )
    return value
