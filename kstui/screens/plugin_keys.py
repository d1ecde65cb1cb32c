"""The built-in keys where a plugin's rows are shown, as the user's keymap has them: a plugin
key that is one of them is refused when the config is read (config.validate_plugins)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding

from kstui.key_names import normalize_key
from kstui.plugins import CONTAINERS


def builtin_keys(
    app_class: type, keymap: Mapping[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Scope (`resources`, `containers`) → key → the id of the binding that has it: the
    screen's own keys, its table's, the app's (help, quit, palette, `:`, `/`, sections)."""
    from kstui.screens.containers import ContainersScreen
    from kstui.screens.resources import ResourcesScreen
    from kstui.screens.sections import section_bindings
    from kstui.widgets.resource_table import ResourceTable

    palette = Binding("ctrl+p", "command_palette", id="app.command_palette")  # Textual's own
    shared = [*_declared(app_class), palette, *section_bindings(), *_declared(ResourceTable)]
    return {
        "resources": _keys([*_declared(ResourcesScreen), *shared], keymap or {}),
        CONTAINERS: _keys([*_declared(ContainersScreen), *shared], keymap or {}),
    }


def _declared(cls: type) -> list[Binding]:
    merged = getattr(cls, "_merged_bindings", None)
    if merged is None:
        return []
    return [binding for bindings in merged.key_to_bindings.values() for binding in bindings]


def _keys(bindings: Iterable[Binding], keymap: Mapping[str, str]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for binding in bindings:
        mapped = keymap.get(binding.id or "") if binding.id else None
        for key in (mapped or binding.key).split(","):
            name = normalize_key(key.strip()) or key.strip()
            keys.setdefault(name, binding.id or binding.action)
    return keys
