"""Prompt: the one-line `:` command and `/` filter input at the bottom of a screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events, on
from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

from kstui.safe_text import inert_cells
from kstui.widgets.default_css import without_default_css_of


class LineSuggester(Suggester):
    """Suggests the first whole-line completion from a callback (fresh on every keystroke)."""

    def __init__(self, complete: Callable[[str], list[str]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._complete = complete

    async def get_suggestion(self, value: str) -> str | None:
        found = self._complete(value)
        return found[0] if found else None


class Prompt(Input):
    """Hidden until opened. Modes: "command" (`:`) or "filter" (`/`)."""

    # Input's own CSS is left out (default_css.py); what a one-line prompt uses of it is here.
    # The four properties Input's rules also set are !important: a plain Input mounted later
    # (a modal's) brings those rules back, and its `:focus` border would otherwise win.
    DEFAULT_CSS = """
    Prompt {
        height: 1 !important;
        border: none !important;
        padding: 0 1 !important;
        background: $panel !important;
        color: $foreground;
        width: 100%;
        display: none;
        scrollbar-size-horizontal: 0;
        pointer: text;
        &:focus { background-tint: $foreground 5%; }
        &.-open { display: block; }
        &>.input--cursor {
            background: $input-cursor-background;
            color: $input-cursor-foreground;
            text-style: $input-cursor-text-style;
        }
        &>.input--selection {
            background: $input-selection-background;
            color: $input-selection-foreground;
        }
        &>.input--placeholder, &>.input--suggestion { color: $text-disabled; }
        &:ansi {
            color: ansi_default;
            &>.input--cursor { background: ansi_white; color: ansi_black; }
            &>.input--placeholder, &>.input--suggestion { text-style: dim; color: ansi_default; }
        }
    }
    """
    BINDINGS = [
        Binding("tab", "complete(1)", "complete", show=False, id="prompt.complete"),
        Binding(
            "shift+tab",
            "complete(-1)",
            "complete, backwards",
            show=False,
            id="prompt.complete_back",
        ),
        Binding("escape", "cancel", "cancel", show=False, id="prompt.cancel"),
        # ⏎ typed ahead at the shell, before the terminal left line mode, reads as a line
        # feed: ctrl+j, which submits as in readline
        Binding("ctrl+j", "submit", "submit", show=False, id="prompt.submit_line_feed"),
    ]

    class Entered(Message):
        def __init__(self, prompt: Prompt, mode: str, value: str) -> None:
            self.prompt = prompt
            self.mode = mode
            self.value = value
            super().__init__()

        @property
        def control(self) -> Prompt:
            return self.prompt

    class Edited(Message):
        def __init__(self, prompt: Prompt, mode: str, value: str) -> None:
            self.prompt = prompt
            self.mode = mode
            self.value = value
            super().__init__()

        @property
        def control(self) -> Prompt:
            return self.prompt

    class Cancelled(Message):
        def __init__(self, prompt: Prompt, mode: str) -> None:
            self.prompt = prompt
            self.mode = mode
            super().__init__()

        @property
        def control(self) -> Prompt:
            return self.prompt

    class Settled(Message):
        """Posted by the prompt's owner once it has acted on Entered or Cancelled: the keys
        typed after ⏎ or esc, held meanwhile (see key_gate), may go on."""

    ENDING_ACTIONS = frozenset({"submit", "cancel"})

    def _get_default_css(self) -> list[Any]:
        return without_default_css_of(super()._get_default_css(), Input)

    def __init__(self, complete: Callable[[str], list[str]], *, id: str | None = None) -> None:
        # completions hold kubeconfig and namespace names: shown (and typed) inertly
        def safe_complete(text: str) -> list[str]:
            return [inert_cells(found) for found in complete(text)]

        super().__init__(suggester=LineSuggester(safe_complete), id=id, select_on_focus=False)
        self.mode = "command"
        self._complete = safe_complete
        self._cycle: Cycle | None = None
        """The candidates repeated tabs step through, while the line is the one tab put."""

    def open(self, mode: str, value: str = "") -> None:
        self.mode = mode
        self.placeholder = (
            "kind, ns NAME, ctx NAME, q…  (tab completes)"
            if mode == "command"
            else "regex, !inverse, -l label=selector  (enter keeps, esc clears)"
        )
        self.value = value
        self.add_class("-open")
        # At once, not after a refresh (what focus() does): the very next key read is ours.
        self.screen.set_focus(self)
        self.cursor_position = len(value)

    def close(self) -> None:
        self.remove_class("-open")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def _own_binding(self, key: str) -> Binding | None:
        active = self.app.active_bindings.get(key)
        return active.binding if active is not None and active.node is self else None

    def ends_on(self, key: str) -> bool:
        """Will this key, read now, submit or cancel the open prompt?"""
        binding = self._own_binding(key) if self.is_open else None
        return binding is not None and binding.action in self.ENDING_ACTIONS

    async def _on_key(self, event: events.Key) -> None:
        """Run our own bindings (⏎, esc, tab, ⌫, ←...) here, in the order the keys came:
        left to bubble up to the app, they ran after the keys typed behind them."""
        if event.is_printable:
            return
        binding = self._own_binding(event.key)
        if binding is None:
            return
        event.stop()
        event.prevent_default()
        await self.run_action(binding.action)

    def action_complete(self, step: int = 1) -> None:
        """Tab: the only candidate, or what all candidates share; then each candidate in
        turn on every further tab (shift+tab: backwards), round to the first again."""
        if self.mode != "command":
            return
        cycle = self._cycle
        if cycle is None or cycle.shown != self.value:
            found = self._complete(self.value)
            if not found:
                return
            cycle = Cycle(found, -1 if step > 0 else 0, "")
            shared = _common_prefix(found, self.value)
            if len(found) == 1 or (step > 0 and shared != found[0]):
                cycle.index = 0 if shared == found[0] else -1
                self._show(cycle, shared)
                return
        count = len(cycle.found)
        cycle.index = (cycle.index + step) % count
        if cycle.found[cycle.index] == self.value and count > 1:
            cycle.index = (cycle.index + step) % count  # tab put it there already
        self._show(cycle, cycle.found[cycle.index])

    def _show(self, cycle: Cycle, line: str) -> None:
        cycle.shown = self.value = line
        self.cursor_position = len(line)
        self._cycle = cycle

    def action_cancel(self) -> None:
        self.close()
        self.post_message(self.Cancelled(self, self.mode))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close()
        self.post_message(self.Entered(self, self.mode, event.value))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.has_class("-open"):
            self.post_message(self.Edited(self, self.mode, event.value))


class Cycle:
    """Tab's candidates for what was typed, the one shown and the line tab put. A plain
    class, as the messages above: a dataclass costs the start ~0.5 ms to make (issue 18)."""

    __slots__ = ("found", "index", "shown")

    def __init__(self, found: list[str], index: int, shown: str) -> None:
        self.found = found
        self.index = index
        self.shown = shown


def _common_prefix(options: list[str], typed: str) -> str:
    prefix = options[0]
    for option in options[1:]:
        while not option.startswith(prefix):
            prefix = prefix[:-1]
    return prefix if len(prefix) > len(typed) else options[0]
