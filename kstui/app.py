"""KstuiApp: the shell around the registered sections: global keys, `:` commands, contexts;
owns the Session."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from textual import on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from kstui.backends.backend import BackendSettings
from kstui.backends.errors import KstuiError
from kstui.backends.kubeconfig import KubeConfig
from kstui.backends.session import Session
from kstui.command_running import CommandRunning
from kstui.config import Config
from kstui.heap import HEAP
from kstui.prompting import PROMPT_BINDINGS
from kstui.safe_text import inert, inert_line
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import notify_failure
from kstui.screens.live_list import LiveList
from kstui.screens.resources import ResourcesScreen, Target
from kstui.screens.sections import SECTIONS, section_bindings, section_views
from kstui.widgets.textual_leaks import forget_styles_of_removed_widgets

HISTORY = 50
"""Steps Esc can go back through in a section; older ones are dropped."""
FOOTER_WAIT = 0.5
"""Seconds the footers' keys wait at most for the start list's rows (env.first_rows)."""


class AppSettings(NamedTuple):
    kubeconfig: KubeConfig
    context: str
    namespace: str
    """The namespace lists open in; "" for all namespaces."""
    config: Config = Config()
    readonly: bool = False
    screen: str = "resources"
    """The section to open on."""
    kind: str = "pods"
    frozen_now: float | None = None
    """Tests and snapshots freeze ages and the data-age clock."""
    cache_dir: Path | None = None
    """Where discovery is cached (default $XDG_CACHE_HOME/kstui)."""
    write_timeout: float = 30.0
    """Seconds a write waits for its answer before it is read back."""


LATER_MODULES = (
    "kstui.commands",
    "kstui.command_line",
    "kstui.screens.help",
    "kstui.screens.observe_open",
    "kstui.screens.port_forwards",
    "kstui.screens.text_view",
    "kstui.screens.pod_operate",
    "kstui.screens.logs",
    "kstui.screens.events",
    "kstui.screens.pod_copy",
    "kstui.screens.pod_attach",
    "kstui.screens.plugin_output",
    "kstui.screens.command_output",
)
"""Modules only later screens and keys need: imported when first used, not for the first
frame (tests/unit/test_start_imports.py keeps them off the start path). all_bindings()
imports them, as it does every section's screens."""


def _commands() -> type[Any]:
    """The palette's provider, imported when the palette first opens (textual.command is
    ~40 ms the first frame need not pay)."""
    from kstui.commands import KstuiCommands

    return KstuiCommands


def build_app(settings: AppSettings) -> KstuiApp:
    """The one way the app is made: by the CLI, the UI tests and the snapshots."""
    return KstuiApp(settings)


def all_bindings() -> list[Binding]:
    """Every binding kstui declares (each section's screens imported), app and section keys
    included: for keymap validation and the one-key-one-meaning check."""
    from kstui.screens import observe_chart
    from kstui.widgets import prompt, resource_table, stage_graph, usage_chart

    section_modules = {section.screen_module() for section in SECTIONS.values()}
    for module in (*LATER_MODULES, *section_modules):
        importlib.import_module(module)  # registers the section's screens
    classes: list[Any] = [
        KstuiApp,
        prompt.Prompt,
        resource_table.ResourceTable,
        usage_chart.UsageChart,
        stage_graph.StageGraphView,
        observe_chart.ChartPane,
        *_subclasses(Screen, section_modules),
    ]
    declared = [
        binding
        for cls in classes
        for binding in cls.__dict__.get("BINDINGS", [])
        if isinstance(binding, Binding)
    ]
    return declared + section_bindings()


def binding_ids() -> set[str]:
    """Every remappable binding id, for validating the user's keymap at start."""
    return {binding.id for binding in all_bindings() if binding.id}


def _subclasses(cls: type, modules: set[str]) -> list[type]:
    """Every kstui or section screen class (Textual's own carry no binding ids we map)."""
    found: list[type] = []
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        if sub.__module__.startswith("kstui.") or sub.__module__ in modules:
            found.append(sub)
        found.extend(_subclasses(sub, modules))
    return found


class KstuiApp(CommandRunning, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "kstui"
    COMMANDS: ClassVar = {_commands}  # Textual's own commands included, after kstui's
    BINDINGS: ClassVar = [
        *PROMPT_BINDINGS,
        Binding("question_mark", "help", "help", id="app.help"),
        Binding("ctrl+q", "quit", "quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(self, settings: AppSettings) -> None:
        # The app opens on the section's screen, as its default screen (get_default_screen):
        # not Textual's empty one switched away from (switch_mode holds every frame back
        # 50 ms, and re-applies all CSS once more); and not as a mode's screen, which the app
        # awaits the mount of with every frame held (its first render thrown away).
        self.DEFAULT_MODE = settings.screen  # type: ignore[misc]  # read by App.__init__
        super().__init__()
        self.settings = settings
        config = settings.config
        self.session = Session(
            settings.kubeconfig,
            settings.context,
            settings.namespace,
            readonly=lambda context: config.readonly_reason(context, flag=settings.readonly),
            settings=BackendSettings(
                grace_seconds=config.refresh.grace_seconds,
                page_size=config.refresh.page_size,
                cache_dir=settings.cache_dir,
                write_timeout=settings.write_timeout,
            ),
            aliases=config.aliases,
        )
        self.coalesce_seconds = config.refresh.coalesce_ms / 1000
        self.first_frame = asyncio.Event()
        self.first_rows = asyncio.Event()
        self.env = ScreenEnv(
            self.session,
            frozen_now=settings.frozen_now,
            first_frame=self.first_frame,
            first_rows=self.first_rows,
            coalesce_seconds=self.coalesce_seconds,
            start_kind=settings.kind,
            open_resources=self._open_resources,
            open_logs=self._open_logs,
            open_yaml=self.open_yaml,
            complete=self._complete,
        )
        self.services: dict[str, Any] = {}
        """Section name → its service, made when the section first opens."""
        for binding in section_bindings():
            self._bindings._add_binding(binding)
        for name in SECTIONS:
            if name != settings.screen:  # that one's mode is added once it is up (on_mount)
                self.add_mode(name, partial(self._section_screen, name))
        if forget_styles_of_removed_widgets not in HEAP.before_settle:
            HEAP.before_settle.append(forget_styles_of_removed_widgets)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification (screens' `self.notify` lands here) shows its text literally:
        messages carry server words, which are never markup and never reach the terminal raw."""
        super().notify(
            inert(message),
            title=inert_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def section_names(self) -> tuple[str, ...]:
        return tuple(SECTIONS)

    section_views = staticmethod(section_views)

    def service(self, name: str) -> Any:
        """The section's service, made when it is first asked for (not for the first frame)."""
        section = SECTIONS[name]
        if name not in self.services and section.service is not None:
            self.services[name] = section.service(self.session, self.settings.config)
        return self.services.get(name)

    def _section_screen(self, name: str) -> Screen[Any]:
        return SECTIONS[name].make_screen(self.env, self.service(name))

    async def _reset_section(self, name: str) -> None:
        """Start a section afresh (after a context switch): its service and its screens
        belonged to the old context; both are made again when it next opens."""
        self.services.pop(name, None)
        await self.remove_mode(name)
        self.add_mode(name, partial(self._section_screen, name))

    # ------------------------------------------------------------------ navigation

    def _open_resources(self, target: Target) -> None:
        """A section's screen jumps into the browser (scoped to a project); Esc comes back."""
        self.push_screen(ResourcesScreen(self.env, target))

    def _open_logs(self, context: str, namespace: str, pods: Sequence[str]) -> None:
        if pods:  # the first pod's, every container
            from kstui.screens.observe_open import pods_logs

            self.push_screen(pods_logs(self.session, context, namespace, pods))

    @work(group="open-yaml", exclusive=True, exit_on_error=False)
    async def open_yaml(self, context: str, kind: str, namespace: str, name: str) -> None:
        from kstui.backends import actions, describe
        from kstui.screens.text_view import TextViewScreen

        backend = self.session.backend(context or None)
        try:
            client = await backend.open()
            resolved = await backend.resolve(kind)
            obj = await actions.fetch(client, resolved, namespace, name)
        except KstuiError as error:
            notify_failure(self, error)
            return
        where = f"{namespace}/{name}" if namespace else name
        secret = obj.get("kind") == "Secret"
        self.push_screen(
            TextViewScreen(
                f"yaml {resolved.kind} {where} @ {backend.name}",
                lambda reveal: describe.shown_yaml(obj, reveal),
                language="yaml",
                has_secrets=secret,
            )
        )

    def _complete(self, text: str) -> list[str]:
        from kstui import command_line

        screen = self.screen
        context = screen.context if isinstance(screen, ResourcesScreen) else None
        backend = self.session.backend(context)
        return command_line.complete(
            text,
            kinds=backend.kinds.aliases(),
            namespaces=sorted(self.session.known_namespaces(backend.name)),
            contexts=self.session.contexts,
            aliases=self.session.aliases,
            sections=[*SECTIONS, *section_views()],
        )

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        pushed = super().push_screen(screen, *args, **kwargs)
        self._trim_history(kwargs.get("mode") or self.current_mode)
        return pushed

    def _trim_history(self, mode: str) -> None:
        """Keep a section's first screen and its last HISTORY steps: every step is a screen,
        and an endless trail of them is memory nobody walks back through."""
        stack = self._screen_stacks[mode]
        while len(stack) > HISTORY + 1:
            oldest = next(
                (screen for screen in stack[1:-1] if not isinstance(screen, ModalScreen)), None
            )
            if oldest is None:
                return
            stack.remove(oldest)
            oldest._pop_result_callback()
            AwaitComplete(self._replace_screen(oldest)).call_next(self)  # as pop_screen does

    def get_default_screen(self) -> Screen[Any]:
        return self._section_screen(self.settings.screen)

    def on_mount(self) -> None:
        self.add_mode(self.settings.screen, partial(self._section_screen, self.settings.screen))
        config = self.settings.config
        if config.keymap:
            self.set_keymap(dict(config.keymap))
        if config.theme != self.theme and config.theme in self.available_themes:
            self.theme = config.theme  # a theme change re-parses all CSS: only when asked

    def on_ready(self) -> None:
        """The first frame is on its way: now the lists may start (the start list came early:
        early_list.py; httpx loads once its rows are drawn: kube_transport.py)."""
        from kstui.backends.early_list import first_frame_drawn

        self.call_after_refresh(HEAP.started)  # the collector paused for the start (heap.py)
        self.call_after_refresh(first_frame_drawn)  # the start list reads further (early_list.py)
        self._start_network()

    def _start_network(self) -> None:
        self.first_frame.set()
        self.set_timer(FOOTER_WAIT, self.first_rows.set)  # a list that fails or takes its time
        self.watch_namespaces()

    async def on_unmount(self) -> None:
        from kstui.screens.port_forwards import forwards_of

        await forwards_of(self).stop_all()
        await self.session.aclose()

    # ------------------------------------------------------------------ background

    @work(exclusive=True, group="namespaces", exit_on_error=False)
    async def watch_namespaces(self) -> None:
        """Namespace names for completion and the palette (a tenant may not list them)."""
        backend = self.session.backend()
        names = backend.namespace_names

        def named(_delta: object) -> None:
            names.clear()
            names.update(name for _namespace, name in live.names.values())

        live = LiveList(coalesce_seconds=0.5, on_delta=named, stop_when_forbidden=True)
        with contextlib.suppress(KstuiError):
            await backend.open()
            assert backend.caches is not None
            await live.follow(backend.caches, "/api/v1/namespaces")

    @on(ResourcesScreen.Loaded)
    def _loaded(self, event: ResourcesScreen.Loaded) -> None:
        """Move what is loaded out of the collector's way (10k+ rows: a full GC pass mid-keystroke,
        PERFORMANCE.md); settled, not just frozen, which would pin every list closed before.
        After the frame that shows them: a collection then took ~100 ms before the rows."""
        self.call_after_refresh(HEAP.loaded, event.rows)
        self.call_after_refresh(self.first_rows.set)
        client = self.session.backend().client
        if client is not None:  # a start list's rows are drawn: the network stack may load
            self.call_after_refresh(client.release_network)

    # ------------------------------------------------------------------ actions

    def action_help(self) -> None:
        from kstui.screens.help import HelpModal, key_lines

        if isinstance(self.screen, HelpModal):
            return
        name = type(self.screen).__name__.removesuffix("Screen").lower()
        plugins: list[str] = getattr(self.screen, "plugin_help", list)()  # the config's
        self.push_screen(HelpModal(name, key_lines(self.screen), plugins))  # section keys too

    def action_section(self, name: str) -> None:
        if name in SECTIONS:
            self.switch_mode(name)
