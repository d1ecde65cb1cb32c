"""The command palette (ctrl+p): the plugins of the list's rows, kstui's sections, contexts,
namespaces and kinds, then Textual's own commands (theme, keys, quit…), in that order, from
one provider."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from kstui.safe_text import inert_line

if TYPE_CHECKING:
    from kstui.backends.session import Session


class PaletteHost(Protocol):
    """What the palette needs of the app (named here, so this module never imports it)."""

    session: Session

    def action_section(self, name: str) -> object: ...
    def switch_context(self, context: str) -> object: ...
    def switch_namespace(self, namespace: str) -> object: ...
    def go_to_kind(self, kind: str) -> object: ...


KSTUI_FIRST = 1000.0
"""Added to a kstui entry's match score: the palette orders hits by score alone, and every
kstui entry comes before Textual's own."""


class KstuiCommands(Provider):
    def _entries(self) -> list[tuple[str, Any, str]]:
        """(text, callback, help); names come from the kubeconfig and the server, so both
        strings are inert and must never be read as markup (the palette reads str as markup)."""
        return [
            (inert_line(text), callback, escape(inert_line(help_text)))
            for text, callback, help_text in self._raw_entries()
        ]

    def _raw_entries(self) -> list[tuple[str, Any, str]]:
        app = cast(PaletteHost, self.app)
        from kstui.screens.sections import SECTIONS

        session = app.session
        plugins = getattr(self.screen, "plugin_commands", list)  # the config's, for its rows
        entries: list[tuple[str, Any, str]] = list(plugins())
        for name, section in SECTIONS.items():
            entries.append(
                (
                    f"section: {name}",
                    partial(app.action_section, name),
                    f"open the {name} section ({section.key}): {section.title}",
                )
            )
        for context in session.contexts:
            entries.append(
                (
                    f"context: {context}",
                    partial(app.switch_context, context),
                    "switch the whole app to this context",
                )
            )
        entries.append(
            ("namespace: all", partial(app.switch_namespace, ""), "list every namespace")
        )
        for namespace in sorted(session.known_namespaces()):
            entries.append(
                (
                    f"namespace: {namespace}",
                    partial(app.switch_namespace, namespace),
                    "switch namespace",
                )
            )
        for kind in session.backend().kinds.all():
            entries.append(
                (
                    f"kind: {kind.resource}",
                    partial(app.go_to_kind, kind.qualified),
                    f"{kind.kind} ({kind.api_version})",
                )
            )
        return entries

    def _textual_entries(self, *, discover: bool) -> list[tuple[str, Any, str]]:
        """Textual's commands (the app's get_system_commands), after kstui's."""
        commands = self.app.get_system_commands(self.screen)
        found = [
            (name, callback, help_text)
            for name, help_text, callback, shown in commands
            if shown or not discover
        ]
        return sorted(found, key=lambda entry: entry[0])

    async def discover(self) -> Hits:
        for text, callback, help_text in self._entries()[:40]:
            yield DiscoveryHit(Content(text), callback, text=text, help=help_text)
        for text, callback, help_text in self._textual_entries(discover=True):
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._entries():
            score = matcher.match(text)
            if score > 0:
                shown = Content(text) if "[" in text else matcher.highlight(text)
                yield Hit(KSTUI_FIRST + score, shown, callback, text=text, help=help_text)
        for text, callback, help_text in self._textual_entries(discover=False):
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
