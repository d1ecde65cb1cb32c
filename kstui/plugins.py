"""User plugins (the config's `plugins:`): a key, the kinds of rows it applies to, and a
command run with the selected row's values. Pure: parsed and checked here, expanded into an
argv here; kstui/screens/plugin_run.py runs them.

A command is a list of arguments and never goes through a shell: `$NAME` in an argument is
replaced by the row's name inside that one argument, so a value such as `$(rm -rf ~)` or
`a b; c` stays one argument, literally. Variables: $CONTEXT, $CLUSTER, $NAMESPACE, $NAME,
$CONTAINER, $KIND and $COL-<column> (the selected row's cell in that column, e.g.
$COL-STATUS or ${COL-NOMINATED NODE}); `$$` is a literal `$`. Any other `$` followed by an
uppercase name is refused when the config is read (a typo such as $NAMESPCE would otherwise
pass through unnoticed); `$1` or `$line` (lowercase) are left alone for scripts."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from kstui.key_names import KEYS_ALLOWED, normalize_key
from kstui.lazy_pattern import LazyPattern

VARIABLES = ("CONTEXT", "CLUSTER", "NAMESPACE", "NAME", "CONTAINER", "KIND")
COLUMN_PREFIX = "COL-"
CONTAINERS = "containers"
"""The kind name of a pod's container rows (the containers view)."""
ALL = "all"
"""Every kind of row, container rows included."""

_NAME = LazyPattern(r"^[A-Za-z][A-Za-z0-9_-]*$")
_KIND = LazyPattern(r"^[a-z0-9][a-z0-9.-]*$")
# $$, ${...}, $COL-<name>, $UPPER_NAME; anything else after `$` is left as it is
_TOKEN = LazyPattern(r"\$(?:(\$)|\{([^}]*)\}|(COL-[A-Za-z0-9_.-]+)|([A-Z][A-Z0-9_]*))")
_FIELDS = ("key", "kinds", "command", "description", "background", "confirm", "safe")


class PluginProblem(Exception):
    """A plugin entry kstui cannot use: where (`plugins.NAME.key`), what, and what is allowed."""

    def __init__(self, key_path: str, problem: str, allowed: str = "") -> None:
        super().__init__(f"{key_path}: {problem}")
        self.key_path, self.problem, self.allowed = key_path, problem, allowed


class MissingValue(Exception):
    """The selected row has no value for a variable the command uses ($COL-X of no column)."""


class Plugin(NamedTuple):
    name: str
    key: str
    """One key, as Textual names it (`shift+d` is `D`)."""
    kinds: tuple[str, ...]
    """Lowercase kind names (plural, singular, short or `resource.group`), `containers`, `all`."""
    command: tuple[str, ...]
    background: bool = False
    """Output into a pane (with the exit code) instead of the terminal handed over."""
    confirm: bool = False
    safe: bool = False
    """Writes nothing: allowed in read-only mode."""
    description: str = ""

    @property
    def binding_id(self) -> str:
        return f"plugin.{self.name}"

    @property
    def label(self) -> str:
        return f"{self.name} (plugin)"

    def applies_to(self, names: Iterable[str]) -> bool:
        """Whether a row known by `names` (its kind's names, or `containers`) is one of ours."""
        return ALL in self.kinds or not set(self.kinds).isdisjoint(names)

    def uses(self, variable: str) -> bool:
        return any(variable in variables_in(argument) for argument in self.command)

    def how(self) -> str:
        """`background, asks first, safe in read-only mode`: for help and the palette."""
        parts = ["background" if self.background else "foreground"]
        parts += ["asks first"] * self.confirm + ["safe in read-only mode"] * self.safe
        return ", ".join(parts)


def variables_in(argument: str) -> list[str]:
    """The variables an argument names, in order (`$$` is none)."""
    return [
        match.group(2) or match.group(3) or match.group(4)
        for match in _TOKEN.finditer(argument)
        if not match.group(1)
    ]


def expand(
    command: Iterable[str], values: Mapping[str, str], columns: Mapping[str, str]
) -> list[str]:
    """The argv: each argument with its variables replaced by the row's values, one argument
    each whatever the values hold. `columns`: column name → the row's cell (names matched
    without case; `-` or `_` in a name stand for a space). Raises MissingValue."""
    by_name = {_column_key(name): cell for name, cell in columns.items()}

    def value(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        name = match.group(2) or match.group(3) or match.group(4)
        if name.startswith(COLUMN_PREFIX):
            column = name.removeprefix(COLUMN_PREFIX)
            if _column_key(column) not in by_name:
                known = ", ".join(columns) or "none"
                raise MissingValue(f"no column {column!r} in this list (its columns: {known})")
            return by_name[_column_key(column)]
        if name not in values:
            raise MissingValue(f"no value for ${name} here")
        return values[name]

    return [_TOKEN.sub(value, argument) for argument in command]


def _column_key(name: str) -> str:
    return re.sub(r"[\s_-]+", " ", name.strip()).upper()


# ---------------------------------------------------------------------------- the config


def parse_plugins(section: Mapping[Any, Any]) -> tuple[Plugin, ...]:
    """The config's `plugins:` mapping (name → fields) as Plugins. Raises PluginProblem."""
    plugins = [_plugin(name, fields) for name, fields in section.items()]
    _check_overlaps(plugins)
    return tuple(plugins)


def _plugin(name: Any, fields: Any) -> Plugin:
    where = f"plugins.{name}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise PluginProblem(
            where, f"plugin name {name!r} is not a word", "a letter, then letters, digits, - or _"
        )
    if not isinstance(fields, dict):
        raise PluginProblem(where, f"is {_type(fields)}", "a mapping with key, kinds and command")
    for field in fields:
        if field not in _FIELDS:
            raise PluginProblem(
                f"{where}.{field}", f"unknown field {field!r}", "one of " + ", ".join(_FIELDS)
            )
    for field in ("key", "kinds", "command"):
        if field not in fields:
            raise PluginProblem(f"{where}.{field}", "is missing", _ALLOWED[field])
    return Plugin(
        name=name,
        key=_key(fields["key"], f"{where}.key"),
        kinds=_kinds(fields["kinds"], f"{where}.kinds"),
        command=_command(fields["command"], f"{where}.command"),
        background=_switch(fields, "background", where),
        confirm=_switch(fields, "confirm", where),
        safe=_switch(fields, "safe", where),
        description=_description(fields.get("description", ""), f"{where}.description"),
    )


_ALLOWED = {
    "key": "one key, e.g. shift+d, ctrl+l or f5 (" + KEYS_ALLOWED.split(":", 1)[1].strip() + ")",
    "kinds": "a list of kinds (pods, deploy, services.v1, containers, or all)",
    "command": (
        "a list of arguments, e.g. [kubectl, --context, $CONTEXT, -n, $NAMESPACE, describe, "
        "$KIND, $NAME]; no shell reads it"
    ),
}


def _key(value: Any, where: str) -> str:
    key = normalize_key(value.strip()) if isinstance(value, str) and "," not in value else None
    if key is None:
        raise PluginProblem(where, f"{value!r} is not one key", _ALLOWED["key"])
    if re.fullmatch(r"shift\+[a-z]", key):  # Textual reports shift+d as D
        key = key[-1].upper()
    return key


def _kinds(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise PluginProblem(where, f"is {_type(value)}", _ALLOWED["kinds"])
    kinds = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not _KIND.match(item.strip().lower()):
            raise PluginProblem(f"{where}[{index}]", f"{item!r} is not a kind", _ALLOWED["kinds"])
        kind = item.strip().lower()
        kinds.append(CONTAINERS if kind == "container" else kind)
    return tuple(dict.fromkeys(kinds))


def _command(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise PluginProblem(
            where, "is one string: it would need a shell to split it", _ALLOWED["command"]
        )
    if not isinstance(value, list) or not value:
        raise PluginProblem(where, f"is {_type(value)}", _ALLOWED["command"])
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise PluginProblem(f"{where}[{index}]", f"is {_type(item)}", "a string")
        for variable in variables_in(str(item)):
            if variable not in VARIABLES and not variable.startswith(COLUMN_PREFIX):
                raise PluginProblem(
                    f"{where}[{index}]",
                    f"unknown variable ${variable}",
                    "$" + ", $".join(VARIABLES) + ", $COL-<column>; $$ for a literal $",
                )
    if not str(value[0]).strip():
        raise PluginProblem(f"{where}[0]", "is blank", "the program to run")
    return tuple(str(item) for item in value)


def _switch(fields: Mapping[str, Any], name: str, where: str) -> bool:
    value = fields.get(name, False)
    if not isinstance(value, bool):
        raise PluginProblem(f"{where}.{name}", f"is {_type(value)} ({value!r})", "true or false")
    return value


def _description(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise PluginProblem(where, f"is {_type(value)}", "a line of text")
    return " ".join(value.split())


def _type(value: Any) -> str:
    if value is None:
        return "empty"
    return {bool: "a boolean", str: "a string", list: "a list", dict: "a mapping"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _check_overlaps(plugins: list[Plugin]) -> None:
    """Two plugins on one key must apply to different kinds of rows."""
    for index, plugin in enumerate(plugins):
        for other in plugins[:index]:
            if other.key == plugin.key and (
                ALL in other.kinds or ALL in plugin.kinds or set(other.kinds) & set(plugin.kinds)
            ):
                raise PluginProblem(
                    f"plugins.{plugin.name}.key",
                    f"{plugin.key!r} is also plugin {other.name}'s on the same kinds",
                    "a key no other plugin uses on these kinds",
                )


SCOPES = ("resources", CONTAINERS)
"""Where plugin keys live: the resource lists (any kind) and a pod's containers view."""


def scopes_of(plugin: Plugin) -> list[str]:
    found = []
    if ALL in plugin.kinds or any(kind != CONTAINERS for kind in plugin.kinds):
        found.append("resources")
    if ALL in plugin.kinds or CONTAINERS in plugin.kinds:
        found.append(CONTAINERS)
    return found


def clash(
    plugins: Iterable[Plugin], builtin: Mapping[str, Mapping[str, str]]
) -> PluginProblem | None:
    """The first plugin whose key is a built-in key where its rows are shown (`builtin`:
    scope → key → the binding id that has it), as a problem; None when there is none."""
    for plugin in plugins:
        for scope in scopes_of(plugin):
            taken = builtin.get(scope, {})
            if plugin.key in taken:
                where = "pod containers" if scope == CONTAINERS else "resource lists"
                return PluginProblem(
                    f"plugins.{plugin.name}.key",
                    f"{plugin.key!r} is already {taken[plugin.key]} on {where}",
                    "a key no built-in binding has there (? in kstui lists them)",
                )
    return None
