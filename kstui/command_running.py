"""What the `:` prompt and the palette ask the app to do: open a section or a list, switch
the context or the namespace, quit, help. KstuiApp runs them; the prompt parses them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from kstui.backends.errors import KstuiError
from kstui.backends.kinds import UnknownKind
from kstui.prompting import PromptRouting
from kstui.screens.resources import ResourcesScreen, Target
from kstui.screens.sections import SECTIONS

if TYPE_CHECKING:
    from kstui.backends.session import Session
    from kstui.command_line import Command, GoTo
    from kstui.screens.env import ScreenEnv

KIND_CHECK_S = 5.0
"""How long `:kind` waits to learn whether the kind exists (discovery) before it opens anyway."""

BROWSER = "resources"
"""The section a context switch falls back to when the current one cannot follow it."""


class CommandRunning(PromptRouting):
    """The app's side of commands; the session, the sections and the background namespace
    watch are the app's own (app.py)."""

    session: Session
    env: ScreenEnv
    services: dict[str, Any]

    def action_help(self) -> None:
        raise NotImplementedError

    async def _reset_section(self, name: str) -> None:
        raise NotImplementedError

    def watch_namespaces(self) -> Any:
        raise NotImplementedError

    async def on_resources_screen_command_entered(
        self, event: ResourcesScreen.CommandEntered
    ) -> None:
        await self.run_command(event.command, event.screen)

    async def run_command(self, command: Command, screen: Screen[Any]) -> None:
        from kstui import command_line
        from kstui.command_line import GoTo, OpenSection, Quit, SetContext, SetNamespace, ShowHelp

        if isinstance(command, Quit):
            self.exit()
        elif isinstance(command, ShowHelp):
            self.action_help()
        elif isinstance(command, OpenSection):
            await self.switch_mode(command.name)
            if command.view:  # its screens open their views by a `view` action
                await self.run_action(f"view({command.view!r})", self.screen)
        elif isinstance(command, SetNamespace):
            await self.switch_namespace(command.namespace)
        elif isinstance(command, SetContext):
            await self.switch_context(command.context)
        elif isinstance(
            command, command_line.OpenLogs | command_line.OpenEvents | command_line.OpenForwards
        ):
            from kstui.screens.observe_open import open_command

            here = screen.context if isinstance(screen, ResourcesScreen) else None
            await open_command(self, self.session, command, here, self.env.frozen_now)
        elif isinstance(command, GoTo):
            if command.context and command.context not in self.session.kubeconfig.contexts:
                self._unknown_context(command.context)
                return
            browsing = screen if isinstance(screen, ResourcesScreen) else None
            context = command.context or (browsing.context if browsing else None)
            if await self._known_kind(command.kind, context):
                await self.open_list(command, screen)

    async def open_list(self, command: GoTo, screen: Screen[Any]) -> None:
        """`:kind` and the palette's kinds, by the one namespace rule (session.py): on the
        context named, else the one browsed; in the namespace named, else that context's
        current one (Target.namespace None)."""
        browsing = screen if isinstance(screen, ResourcesScreen) else None
        context = command.context or (browsing.context if browsing else None)
        crumb = browsing.crumbs() if browsing is not None else ""
        target = Target(command.kind, command.namespace, context, command.selector)
        await self.push_screen(ResourcesScreen(self.env, target._replace(crumb=crumb)))

    async def _known_kind(self, kind: str, context: str | None) -> bool:
        """False (and says so, with the closest kinds) when no kind answers to `kind`: the
        user stays where they were. Any other trouble is the list's to show."""
        try:
            await asyncio.wait_for(self.session.backend(context).resolve(kind), KIND_CHECK_S)
        except UnknownKind as error:
            self.notify(str(error), title="command", severity="error")
            return False
        except (KstuiError, TimeoutError):
            pass
        return True

    def _unknown_context(self, name: str) -> None:
        known = ", ".join(self.session.contexts)
        self.notify(
            f"no context {name!r} in the kubeconfig; known: {known}",
            title="context",
            severity="error",
        )

    async def switch_context(self, name: str, kind: str | None = None) -> None:
        """Leave every screen of the old context, open the new one, close the old backend.
        Every other section starts afresh; the browser lists the same kind on the new one."""
        if name not in self.session.kubeconfig.contexts:
            self._unknown_context(name)
            return
        current = self.screen
        kind = kind or (current.target.kind if isinstance(current, ResourcesScreen) else "pods")
        if self.current_mode != BROWSER:
            await self.switch_mode(BROWSER)
        self.session.context = name  # and so its own current namespace (session.py)
        for section in SECTIONS:
            if section != BROWSER:
                await self._reset_section(section)
        self.services.pop(BROWSER, None)
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        base = self.screen
        if isinstance(base, ResourcesScreen):
            base.retarget(Target(kind))
        await self.session.close_others(name)
        self.watch_namespaces()

    async def switch_namespace(self, namespace: str) -> None:
        """`:ns NAME`: refused when the server says there is no such namespace; switched, with a
        warning, when it cannot be checked (a tenant may not read namespaces)."""
        screen = self.screen
        backend = self.session.backend(
            screen.context if isinstance(screen, ResourcesScreen) else None
        )
        exists = await backend.namespace_exists(namespace) if namespace else True
        if exists is False:
            self.notify(
                f"namespace {namespace!r} does not exist on {backend.name}: staying in "
                f"{self.session.namespace_of(backend.name) or 'all namespaces'}",
                title="namespace",
                severity="error",
            )
            return
        if exists is None:
            self.notify(
                f"could not check that namespace {namespace!r} exists on {backend.name}; "
                "switched anyway",
                title="namespace",
                severity="warning",
            )
        self.session.set_namespace(namespace, backend.name)
        if isinstance(screen, ResourcesScreen):
            screen.retarget(screen.target._replace(namespace=None, focus=""))

    async def go_to_kind(self, kind: str) -> None:
        """The palette's `kind:` entries (known kinds): exactly `:kind`."""
        from kstui.command_line import GoTo

        await self.open_list(GoTo(kind), self.screen)
