"""The mixins of screens and of the app are plain classes at run time (widgets/mixin_bases.py):
each class built on one must still be a Textual Screen or App, and a mixin must declare nothing
Textual would read only from its own classes (the type checker sees neither)."""

from __future__ import annotations

import importlib

from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen

from kstui.app import all_bindings
from kstui.command_running import CommandRunning
from kstui.prompting import PromptRouting
from kstui.screens.disabled_keys import ExplainsDisabledKeys
from kstui.screens.plugin_rows import PluginsOnContainers, PluginsOnResources
from kstui.screens.plugin_run import RunsPlugins
from kstui.screens.sending import WritesInFlight
from kstui.widgets.key_gate import KeyGate

SCREEN_MIXINS = (
    ExplainsDisabledKeys,
    WritesInFlight,
    RunsPlugins,
    PluginsOnResources,
    PluginsOnContainers,
)
APP_MIXINS = (KeyGate, PromptRouting, CommandRunning)


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_class_built_on_a_mixin_is_a_screen_or_the_app() -> None:
    all_bindings()  # imports every section's screens
    importlib.import_module("kstui.screens.containers")  # opened from a pod: not a section's
    mixins = set(SCREEN_MIXINS + APP_MIXINS)
    built = set()
    for mixin, base in [(m, Screen) for m in SCREEN_MIXINS] + [(m, App) for m in APP_MIXINS]:
        for sub in _subclasses(mixin) - mixins:
            assert issubclass(sub, base), f"{sub.__qualname__} is built on {mixin.__name__}"
            built.add(sub.__name__)
    assert {"ResourcesScreen", "ContainersScreen", "KstuiApp"} <= built


def test_a_mixin_declares_nothing_only_textual_classes_may() -> None:
    for mixin in SCREEN_MIXINS + APP_MIXINS:
        assert not issubclass(mixin, DOMNode), mixin  # light: Textual builds none of it
        for name in ("BINDINGS", "DEFAULT_CSS", "CSS"):
            assert name not in vars(mixin), f"{mixin.__name__}.{name} would not be read"
        handlers = [name for name, value in vars(mixin).items() if hasattr(value, "_textual_on")]
        assert not handlers, f"{mixin.__name__}: @on handlers {handlers} would not run"
