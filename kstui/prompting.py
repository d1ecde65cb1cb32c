"""The `:` prompt and the `/` filter, for every section: the app owns the keys and the routing.

A screen takes part by composing a `Prompt` (its completions come from `ScreenEnv.complete`);
`/` filters the focused ResourceTable of the screen (or its first shown one). A screen without
a Prompt (describe, YAML, help) gets `/` itself: it finds in its text (screens/text_search.py).
Optional screen hooks, all duck-typed so a new screen needs none of them:

- `prompt_opening()`: a view about to open late would take the prompt's keys; drop it.
- `filter_changed(table)`: the screen shows the filter somewhere (the browser's crumbs).
- `select_labels(selector)`: what `/-l k=v` does (the browser lists with that selector).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen

from kstui.widgets.key_gate import KeyGate
from kstui.widgets.resource_table import ResourceTable

if TYPE_CHECKING:  # the prompt's module loads with the first prompt, after the first frame
    from kstui.command_line import Command
    from kstui.widgets.prompt import Prompt


PROMPT_BINDINGS = [
    # Priority: run when the key is read, so the keys read after it go to the prompt
    # (an Input that has focus keeps its printable keys: typing `/` into it still types).
    Binding("slash", "prompt('filter')", "filter", priority=True, id="resource.filter"),
    Binding("colon", "prompt('command')", "command", priority=True, id="resource.command"),
]
"""The app's BINDINGS begin with these (a mixin's own would not be read: widgets/mixin_bases.py)."""


class PromptRouting(KeyGate):
    """The app's `:` and `/`: they open the current screen's Prompt and act on what it gives."""

    _filtered: ResourceTable | None = None
    """The table the open `/` prompt filters."""

    def _screen_prompt(self, screen: Screen[Any]) -> Prompt | None:
        from kstui.widgets.prompt import Prompt

        try:
            return screen.query_one(Prompt)
        except NoMatches:
            return None

    @staticmethod
    def filter_table(screen: Screen[Any]) -> ResourceTable | None:
        """The table `/` filters: the focused one, else the first one shown."""
        if isinstance(screen.focused, ResourceTable):
            return screen.focused
        return next(
            (
                table
                for table in screen.query(ResourceTable)
                if table.display and table.is_on_screen
            ),
            None,
        ) or next(iter(screen.query(ResourceTable)), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "prompt":
            return self._screen_prompt(self.screen) is not None
        return True

    def action_prompt(self, mode: str) -> None:
        screen = self.screen
        prompt = self._screen_prompt(screen)
        if prompt is None:
            return
        opening = getattr(screen, "prompt_opening", None)
        if opening is not None:
            opening()
        value = ""
        if mode == "filter":
            self._filtered = self.filter_table(screen)
            value = self._filtered.filter_text if self._filtered is not None else ""
        prompt.open(mode, value)

    def _set_filter(self, screen: Screen[Any], text: str) -> None:
        table = self._filtered
        if table is None or not table.is_attached:
            return
        table.set_filter(text)
        changed = getattr(screen, "filter_changed", None)
        if changed is not None:
            changed(table)

    def _refocus(self, screen: Screen[Any]) -> None:
        table = (
            self._filtered
            if self._filtered is not None and self._filtered.is_attached
            else self.filter_table(screen)
        )
        if table is not None:
            screen.set_focus(table)

    def on_prompt_edited(self, event: Prompt.Edited) -> None:
        if event.mode == "filter" and not event.value.startswith("-l"):
            self._set_filter(event.control.screen, event.value)

    async def on_prompt_entered(self, event: Prompt.Entered) -> None:
        screen = event.control.screen
        try:
            self._refocus(screen)
            await self._carry_out(screen, event.mode, event.value.strip())
        finally:
            # Behind whatever the command posted: when this arrives it has been acted on,
            # so the keys typed after ⏎ go to what is focused then.
            self.settle_keys()

    def on_prompt_cancelled(self, event: Prompt.Cancelled) -> None:
        screen = event.control.screen
        if event.mode == "filter":
            self._set_filter(screen, "")
        self._refocus(screen)
        self.settle_keys()

    async def _carry_out(self, screen: Screen[Any], mode: str, value: str) -> None:
        if mode == "filter":
            if value.startswith("-l"):
                self._set_filter(screen, "")
                select = getattr(screen, "select_labels", None)
                if select is None:
                    self.notify(
                        "-l selects by label in resource lists only",
                        title="filter",
                        severity="warning",
                    )
                else:
                    await select(value[2:].strip())
                return
            self._set_filter(screen, value)
            return
        if not value:
            return
        from kstui import command_line  # on the first command, not for the first frame

        try:
            command = command_line.parse(
                value,
                self.session.aliases,  # type: ignore[attr-defined]
                sections=self.section_names(),
                views=self.section_views(),
            )
        except command_line.CommandError as error:
            self.notify(str(error), title="command", severity="error")
            return
        await self.run_command(command, screen)

    def section_names(self) -> tuple[str, ...]:
        return ()

    def section_views(self) -> dict[str, tuple[str, str]]:
        """`:word` → (section, view)."""
        return {}

    async def run_command(self, command: Command, screen: Screen[Any]) -> None:
        raise NotImplementedError
