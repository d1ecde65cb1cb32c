"""KstuiApp: sections, global keys, the `:` commands, contexts; owns the Session."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from kstui.backends.backend import BackendSettings
from kstui.backends.errors import KstuiError
from kstui.backends.kubeconfig import KubeConfig
from kstui.backends.session import Session
from kstui.command_line import GoTo, Quit, SetContext, SetNamespace, ShowHelp
from kstui.commands import KstuiCommands
from kstui.config import Config
from kstui.heap import HEAP
from kstui.safe_text import inert, inert_line
from kstui.screens.help import HelpModal, key_lines
from kstui.screens.live_list import LiveList
from kstui.screens.resources import ResourcesScreen, Target
from kstui.widgets.key_gate import KeyGate
from kstui.widgets.textual_leaks import forget_styles_of_removed_widgets

HISTORY = 50
"""Steps Esc can go back through in a section; older ones are dropped."""

SECTIONS: dict[str, str] = {"resources": "1", "workspaces": "2"}
"""Section name → number key. Later sections (apps, pipelines, observe, traffic, triage) join
here as they are built."""


@dataclass(frozen=True, slots=True)
class AppSettings:
    kubeconfig: KubeConfig
    context: str
    namespace: str
    """The namespace lists open in; "" for all namespaces."""
    config: Config = field(default_factory=Config)
    readonly: bool = False
    screen: str = "resources"
    kind: str = "pods"
    frozen_now: float | None = None
    """Tests and snapshots freeze ages and the data-age clock."""
    cache_dir: Path | None = None
    """Where discovery is cached (default $XDG_CACHE_HOME/kstui)."""
    write_timeout: float = 30.0
    """Seconds a write waits for its answer before it is read back."""


def binding_ids() -> set[str]:
    """Every remappable binding id, for validating the user's keymap at start."""
    import kstui.screens.project_detail
    import kstui.screens.tenancy_forms
    import kstui.screens.workspace_detail
    import kstui.screens.workspace_forms
    import kstui.screens.workspaces  # noqa: F401  (registers the section's screens)
    from kstui.widgets import prompt, resource_table

    classes: list[Any] = [KstuiApp, prompt.Prompt, resource_table.ResourceTable,
                          *_subclasses(Screen)]
    return {binding.id for cls in classes for binding in cls.__dict__.get("BINDINGS", [])
            if isinstance(binding, Binding) and binding.id}


def _subclasses(cls: type) -> list[type]:
    """Every kstui screen class (the built-in Textual ones carry no binding ids we map)."""
    found = []
    for sub in cls.__subclasses__():
        if sub.__module__.startswith("kstui."):
            found.append(sub)
        found.extend(_subclasses(sub))
    return found


class KstuiApp(KeyGate):
    CSS_PATH = "app.tcss"
    TITLE = "kstui"
    COMMANDS: ClassVar = App.COMMANDS | {KstuiCommands}
    BINDINGS: ClassVar = [
        Binding("question_mark", "help", "help", id="app.help"),
        Binding("1", "section('resources')", "resources", show=False,
                id="app.section.resources"),
        Binding("2", "section('workspaces')", "workspaces", show=False,
                id="app.section.workspaces"),
        Binding("ctrl+q", "quit", "quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(self, settings: AppSettings) -> None:
        super().__init__()
        self.settings = settings
        config = settings.config
        self.session = Session(
            settings.kubeconfig, settings.context, settings.namespace,
            readonly=lambda context: settings.readonly or config.is_readonly(context),
            settings=BackendSettings(grace_seconds=config.refresh.grace_seconds,
                                     page_size=config.refresh.page_size,
                                     cache_dir=settings.cache_dir,
                                     write_timeout=settings.write_timeout),
            aliases=config.aliases)
        self.coalesce_seconds = config.refresh.coalesce_ms / 1000
        self.first_frame = asyncio.Event()
        self._workspace_service: Any = None
        for name in SECTIONS:
            self.add_mode(name, lambda name=name: self._section_screen(name))
        if forget_styles_of_removed_widgets not in HEAP.before_settle:
            HEAP.before_settle.append(forget_styles_of_removed_widgets)

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification (screens' `self.notify` lands here) shows its text literally:
        messages carry server words, which are never markup and never reach the terminal raw."""
        super().notify(inert(message), title=inert_line(title), severity=severity,
                       timeout=timeout, markup=False)

    def _section_screen(self, name: str) -> Screen[None]:
        if name == "workspaces":
            from kstui.screens.workspaces import WorkspacesScreen

            return WorkspacesScreen(self.session, self.workspace_service,
                                    open_resources=self._open_resources,
                                    frozen_now=self.settings.frozen_now,
                                    first_frame=self.first_frame)
        return self._resources(Target(self.settings.kind))

    @property
    def workspace_service(self) -> Any:
        """Made when the Workspaces section first opens (it is not needed for the first frame)."""
        if self._workspace_service is None:
            from kstui.backends.workspaces import WorkspaceService

            self._workspace_service = WorkspaceService(
                self.session, other_identities=self.settings.config.allows_other_identity)
        return self._workspace_service

    async def _reset_workspaces(self) -> None:
        """The workspace service maps contexts to clusters for one current context: after a
        switch, start the section afresh (it is rebuilt when next opened)."""
        self._workspace_service = None
        await self.remove_mode("workspaces")
        self.add_mode("workspaces", lambda: self._section_screen("workspaces"))

    def _open_resources(self, target: Target) -> None:
        """A tenancy screen jumps into the browser (scoped to a project); Esc comes back."""
        self.push_screen(self._resources(target))

    def _resources(self, target: Target) -> ResourcesScreen:
        return ResourcesScreen(self.session, target, frozen_now=self.settings.frozen_now,
                               coalesce_seconds=self.coalesce_seconds,
                               first_frame=self.first_frame)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        pushed = super().push_screen(screen, *args, **kwargs)
        self._trim_history(kwargs.get("mode") or self.current_mode)
        return pushed

    def _trim_history(self, mode: str) -> None:
        """Keep a section's first screen and its last HISTORY steps: every step is a screen,
        and an endless trail of them is memory nobody walks back through."""
        stack = self._screen_stacks[mode]
        while len(stack) > HISTORY + 1:
            oldest = next((screen for screen in stack[1:-1]
                           if not isinstance(screen, ModalScreen)), None)
            if oldest is None:
                return
            stack.remove(oldest)
            oldest._pop_result_callback()
            AwaitComplete(self._replace_screen(oldest)).call_next(self)  # as pop_screen does

    def on_mount(self) -> None:
        config = self.settings.config
        if config.keymap:
            self.set_keymap(dict(config.keymap))
        if config.theme != self.theme and config.theme in self.available_themes:
            self.theme = config.theme  # a theme change re-parses all CSS: only when asked
        self.switch_mode(self.settings.screen)

    def on_ready(self) -> None:
        """The first frame is composed: now the network (and httpx, ssl and the kubernetes
        package for credentials) may start. Ready arrives before the frame has reached the
        terminal; measured under a pty, starting the imports at once held the first frame back
        ~100 ms, while 50 ms later the frame shows first and the rows arrive no later."""
        self.set_timer(0.05, self._start_network)

    def _start_network(self) -> None:
        self.first_frame.set()
        self.watch_namespaces()

    async def on_unmount(self) -> None:
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
        """Move what is loaded so far out of the collector's way: with 10k+ rows a full GC
        pass would otherwise land in the middle of a keystroke (PERFORMANCE.md). The heap is
        settled, not just frozen: a plain freeze would pin every list closed before it."""
        HEAP.loaded(event.rows)

    # ------------------------------------------------------------------ actions

    def action_help(self) -> None:
        if isinstance(self.screen, HelpModal):
            return
        name = type(self.screen).__name__.removesuffix("Screen").lower()
        self.push_screen(HelpModal(name, key_lines(self.screen)))

    def action_section(self, name: str) -> None:
        if name in SECTIONS:
            self.switch_mode(name)

    @on(ResourcesScreen.CommandEntered)
    async def _command(self, event: ResourcesScreen.CommandEntered) -> None:
        command, screen = event.command, event.screen
        if isinstance(command, Quit):
            self.exit()
        elif isinstance(command, ShowHelp):
            self.action_help()
        elif isinstance(command, SetNamespace):
            await self.switch_namespace(command.namespace)
        elif isinstance(command, SetContext):
            await self.switch_context(command.context)
        elif isinstance(command, GoTo):
            if command.context and command.context not in self.session.kubeconfig.contexts:
                self._unknown_context(command.context)
                return
            await self.push_screen(self._resources(Target(
                command.kind, command.namespace, command.context or screen.target.context,
                command.selector, crumb=screen.crumbs())))

    def _unknown_context(self, name: str) -> None:
        known = ", ".join(self.session.contexts)
        self.notify(f"no context {name!r} in the kubeconfig; known: {known}",
                    title="context", severity="error")

    async def switch_context(self, name: str, kind: str | None = None) -> None:
        """Leave every screen of the old context, open the new one, close the old backend."""
        if name not in self.session.kubeconfig.contexts:
            self._unknown_context(name)
            return
        current = self.screen
        kind = kind or (current.target.kind if isinstance(current, ResourcesScreen) else "pods")
        if self.current_mode == "workspaces":
            await self.switch_mode("resources")
        self.session.context = name
        self.session.namespace = self.session.kubeconfig.context(name).namespace
        await self._reset_workspaces()
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        base = self.screen
        if isinstance(base, ResourcesScreen):
            base.retarget(Target(kind))
        await self.session.close_others(name)
        self.watch_namespaces()

    async def switch_namespace(self, namespace: str) -> None:
        self.session.namespace = namespace
        screen = self.screen
        if isinstance(screen, ResourcesScreen):
            screen.retarget(replace(screen.target, namespace=None, focus=""))

    async def go_to_kind(self, kind: str) -> None:
        crumb = self.screen.crumbs() if isinstance(self.screen, ResourcesScreen) else ""
        await self.push_screen(self._resources(Target(kind, crumb=crumb)))
