"""Running the user's plugins (kstui/plugins.py) from a list: the selected row's values
expanded into an argv (never a shell string), then run as a local program, either in the
foreground (the app suspended, the terminal the program's until it ends, as a shell is) or in
the background (its output streamed into the command output pane with its exit code).

`RunsPlugins` is the screens' part: the plugins' keys bound on the screen (hidden where the
rows are not of their kinds), read-only mode disabling those not marked `safe` (pressed, the
key says why), the `?` help lines and the palette's entries."""

# Annotations are objects here, not strings (no `from __future__ import annotations`): typing
# compiles each string-typed NamedTuple field on its own at import (~17 µs a field, issue 18).

import os
import shlex
import signal
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, NamedTuple

from textual import work
from textual.app import App
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen

from kstui.backends.errors import KstuiError
from kstui.plugins import MissingValue, Plugin, expand
from kstui.screens.disabled_keys import readonly_notice
from kstui.screens.failures import notify_failure
from kstui.widgets.mixin_bases import ScreenMixin


class Subject(NamedTuple):
    """The selected row, as plugins see it."""

    what: str
    """`pod payments/web`: for messages."""
    values: dict[str, str]
    """CONTEXT, CLUSTER, NAMESPACE, NAME, KIND, and CONTAINER on a container row."""
    columns: dict[str, str]
    """Column name → the row's cell, as shown."""
    pod: Callable[[], Awaitable[dict[str, Any]]] | None
    """A pod row's object, for picking its container when the command names $CONTAINER."""
    env: dict[str, str]
    """Set for the program besides kstui's environment (KUBECONFIG: the files kstui read)."""


async def in_foreground(app: App[Any], plugin: Plugin, argv: list[str], env: dict[str, str]) -> int:
    """The terminal is the program's until it ends; ctrl+c there stops the program, not
    kstui (a handler, not SIG_IGN: the program gets the default back when it starts)."""
    failure: BaseException | None = None
    code = 0
    with app.batch_update(), app.suspend():
        previous = signal.signal(signal.SIGINT, lambda *_: None)
        try:
            from kstui.screens.plugin_spawn import spawn

            code = await (await spawn(plugin, argv, env, piped=False)).wait()
        except BaseException as error:
            failure = error
        finally:
            signal.signal(signal.SIGINT, previous)
    if failure is not None:
        raise failure
    return code


async def run_plugin(screen: Screen[Any], plugin: Plugin, subject: Subject) -> None:
    """Expand, confirm if asked, run; every refusal or failure said."""
    from textual.app import SuspendNotSupported

    from kstui.screens.plugin_output import PluginOutputScreen
    from kstui.screens.pod_operate import pick_container

    app = screen.app
    values = dict(subject.values)
    if plugin.uses("CONTAINER") and not values.get("CONTAINER") and subject.pod is not None:
        pod = await subject.pod()
        container = await pick_container(screen, pod, f"plugin {plugin.name}")
        if container is None:
            return
        values["CONTAINER"] = container
    try:
        argv = expand(plugin.command, values, subject.columns)
    except MissingValue as missing:
        app.notify(f"{missing}", title=f"plugin {plugin.name}", severity="warning", markup=False)
        return
    if plugin.confirm:
        question = f"Run plugin {plugin.name} on {subject.what}?"
        from kstui.screens.confirm import ConfirmModal  # on first use, not at start

        confirm = ConfirmModal(question, "$ " + shlex.join(argv), yes="Run", dangerous=False)
        if not await app.push_screen_wait(confirm):
            return
    if plugin.background:
        app.push_screen(PluginOutputScreen(plugin, argv, subject.env))
        return
    try:
        code = await in_foreground(app, plugin, argv, subject.env)
    except KstuiError as error:
        notify_failure(app, error)
        return
    except SuspendNotSupported:
        app.notify("a foreground plugin needs a terminal of its own", severity="warning")
        return
    ended = f"exit {code}" if code >= 0 else f"killed by signal {-code}"
    app.notify(
        shlex.join(argv),
        title=f"plugin {plugin.name} ended: {ended}",
        severity="information" if code == 0 else "warning",
        timeout=10,
        markup=False,
    )


def configured_plugins(app: object) -> tuple[Plugin, ...]:
    config = getattr(getattr(app, "settings", None), "config", None)
    return tuple(getattr(config, "plugins", ()))


def plugin_name(binding: Binding) -> str | None:
    """`dig` of a plugin's binding (`plugin('dig')`), None for any other binding."""
    action = binding.action
    if not action.startswith("plugin(") or not action.endswith(")"):
        return None
    return action.removeprefix("plugin(").removesuffix(")").strip("'\"")


class RunsPlugins(ScreenMixin):
    """A list whose rows plugins run on. The screen says what its rows are (`plugin_kinds`),
    whether writes are refused (`plugin_readonly`) and what the selected row is
    (`plugin_subject`); call `bind_plugins()` when mounted."""

    def plugin_kinds(self) -> frozenset[str]:
        """The names a plugin's `kinds` may give this list's rows by (none: not known yet)."""
        return frozenset()

    def plugin_readonly(self) -> str:
        """Why writes are refused here ("" when they are not)."""
        return ""

    async def plugin_subject(self) -> Subject | None:
        return None

    @property
    def plugins(self) -> dict[str, Plugin]:
        return {plugin.name: plugin for plugin in configured_plugins(self.app)}

    def bind_plugins(self) -> None:
        """Each plugin's key on this screen (its keymap id `plugin.NAME`)."""
        for plugin in self.plugins.values():
            binding = Binding(
                plugin.key, f"plugin({plugin.name!r})", plugin.label, show=False,
                id=plugin.binding_id,
            )  # fmt: skip
            keys = self._bindings.key_to_bindings  # its lists are the class's: not edited
            keys[plugin.key] = [binding, *keys.get(plugin.key, [])]
        self.refresh_bindings()

    def applicable(self) -> list[Plugin]:
        kinds = self.plugin_kinds()
        return [plugin for plugin in self.plugins.values() if plugin.applies_to(kinds)]

    def check_plugin(self, name: str) -> bool | None:
        """check_action's answer for a plugin: hidden off its kinds, disabled when refused."""
        plugin = self.plugins.get(name)
        if plugin is None or not plugin.applies_to(self.plugin_kinds()):
            return False
        return None if self.plugin_denial(plugin) else True

    def plugin_denial(self, plugin: Plugin) -> str:
        why = "" if plugin.safe else self.plugin_readonly()
        if not why:
            return ""
        notice = readonly_notice(f"plugin {plugin.name}", why)
        return f"{notice}; a plugin that writes nothing may be marked safe: true"

    def plugin_why(self, binding: ActiveBinding) -> str:
        """A disabled plugin key, pressed: why ("" for other keys)."""
        name = plugin_name(binding.binding)
        plugin = self.plugins.get(name or "")
        return self.plugin_denial(plugin) if plugin is not None else ""

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_plugin(self, name: str) -> None:
        plugin = self.plugins.get(name)
        if plugin is None or not plugin.applies_to(self.plugin_kinds()):
            return
        if denial := self.plugin_denial(plugin):  # the palette has no disabled entries
            self.notify(denial, severity="warning", markup=False)
            return
        subject = await self.plugin_subject()
        if subject is not None:
            await run_plugin(self, plugin, subject)

    def plugin_commands(self) -> list[tuple[str, Any, str]]:
        """The palette's entries: the plugins of this list's rows."""
        return [
            (
                f"plugin: {plugin.name}",
                partial(self.action_plugin, plugin.name),
                f"{plugin.description or shown(plugin.command)} "
                f"({self.app.get_key_display(Binding(plugin.key, ''))}, {plugin.how()})",
            )
            for plugin in self.applicable()
        ]

    def plugin_help(self) -> list[str]:
        """`?`'s lines for the plugins of this list's rows: key and name, how it runs and on
        what, the command as its arguments (no shell reads it: quoted only around spaces)."""
        keys = {p.name: self.app.get_key_display(Binding(p.key, "")) for p in self.applicable()}
        width = max(map(len, keys.values()), default=0) + 2
        lines = []
        for plugin in self.applicable():
            about = f": {plugin.description}" if plugin.description else ""
            lines.append(f"{keys[plugin.name]:<{width}}{plugin.name}{about}")
            lines.append(" " * width + f"{plugin.how()} · on {', '.join(plugin.kinds)}")
            lines.append(" " * width + shown(plugin.command))
        return lines


def shown(argv: Iterable[str]) -> str:
    """Arguments for reading: quoted only when blank or holding white space."""
    return " ".join(
        shlex.quote(arg) if not arg or any(c.isspace() for c in arg) else arg for arg in argv
    )


def kubeconfig_env(files: Any) -> dict[str, str]:
    """KUBECONFIG for a plugin: the files kstui read, so `kubectl --context $CONTEXT` finds it."""
    paths = [str(path) for path in files or ()]
    return {"KUBECONFIG": os.pathsep.join(paths)} if paths else {}
