"""`/` = find in what you see: a regex search in a text view (describe, YAML, help).

`/` opens a find line at the bottom; ⏎ highlights every match and jumps to the first; `n`/`N`
go to the next/previous one; esc closes the line, then clears the highlights (a third esc is
the view's own: back). An invalid regex is said so on the find line, which stays open.

The app's `/` (the list filter, kstui/prompting.py) only runs on a screen with a `Prompt`;
these views have none, so the key reaches them. A screen using `TextSearch` composes
`search_bar()`, lists `SEARCH_BINDINGS` in its BINDINGS, and provides `search_text()` (what
is shown, already inert), and `search_redraw()`, and shows the text in a Static `#body`.
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

SEARCH_BINDINGS = [
    Binding("slash", "search_open", "find", id="view.find"),
    # not in the footer (room), but in `?`
    Binding("n", "search_step(1)", "next match", show=False, id="view.find_next"),
    Binding("N", "search_step(-1)", "previous match", show=False, id="view.find_previous"),
]

SEARCH_CSS = """
#find-bar { height: auto; display: none; }
#find-bar.shown { display: block; }
#find-bar Input { border: none; height: 1; padding: 0 1; }
#find-status {
    height: 1; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis;
}
"""

MATCH_STYLE = "reverse"
CURRENT_STYLE = "bold black on yellow"

Match = tuple[int, int, int]
"""(line, start column, end column) of one match."""


def find_matches(text: str, pattern: re.Pattern[str]) -> list[Match]:
    found: list[Match] = []
    for number, line in enumerate(text.split("\n")):
        found.extend(
            (number, hit.start(), hit.end())
            for hit in pattern.finditer(line)
            if hit.end() > hit.start()
        )
    return found


class TextSearch:
    """The find state and actions; mixed into a Screen (see the module docstring)."""

    search_pattern: re.Pattern[str] | None = None
    search_found: list[Match] = []
    search_current = 0

    # ------------------------------------------------------------ provided by the screen
    def search_text(self) -> str:
        raise NotImplementedError

    def search_redraw(self) -> None:
        raise NotImplementedError

    def search_line_y(self, line: int) -> int:
        """The row of `line` in the `#body` Static, which wraps long lines."""
        width = max(1, self.query_one("#body", Static).content_region.width)  # type: ignore[attr-defined]
        console = self.app.console  # type: ignore[attr-defined]
        return sum(
            len(Text(shown).wrap(console, width)) for shown in self.search_text().split("\n")[:line]
        )

    # ------------------------------------------------------------ compose and state
    def search_bar(self) -> ComposeResult:
        with Vertical(id="find-bar"):
            yield Static("", id="find-status", markup=False)
            yield Input(placeholder="find (regex), ⏎ jumps, esc closes", id="find-input")

    def highlight(self, text: Text, offsets: list[int] | None = None) -> None:
        """Style the matches in `text` (a rendering of `search_text()`)."""
        starts = offsets if offsets is not None else line_offsets(self.search_text())
        for index, (line, start, end) in enumerate(self.search_found):
            style = CURRENT_STYLE if index == self.search_current else MATCH_STYLE
            text.stylize(style, starts[line] + start, starts[line] + end)

    def highlight_syntax(self, syntax: Any) -> None:
        for index, (line, start, end) in enumerate(self.search_found):
            style = CURRENT_STYLE if index == self.search_current else MATCH_STYLE
            syntax.stylize_range(style, (line + 1, start), (line + 1, end))

    def _bar(self) -> Vertical:
        return self.query_one("#find-bar", Vertical)  # type: ignore[attr-defined]

    def _status(self, message: str) -> None:
        self.query_one("#find-status", Static).update(Text(message))  # type: ignore[attr-defined]
        self._bar().add_class("shown")

    # ------------------------------------------------------------ actions
    def action_search_open(self) -> None:
        field = self.query_one("#find-input", Input)  # type: ignore[attr-defined]
        self._bar().add_class("shown")
        field.display = True
        self.query_one("#find-status", Static).update(Text("/ find: a regex"))  # type: ignore[attr-defined]
        field.focus()

    def action_search_step(self, step: int) -> None:
        if not self.search_found:
            if self.search_pattern is not None:
                self._status(f"no match for /{self.search_pattern.pattern}/")
            return
        self.search_current = (self.search_current + step) % len(self.search_found)
        self._show_current()

    def search_escape(self) -> bool:
        """Close the find line, else clear the matches; False when there was nothing to do."""
        field = self.query_one("#find-input", Input)  # type: ignore[attr-defined]
        if field.display and self._bar().has_class("shown") and field.has_focus:
            field.display = False
            if self.search_pattern is None:
                self._bar().remove_class("shown")
            self.query_one(VerticalScroll).focus()  # type: ignore[attr-defined]
            return True
        if self.search_pattern is not None or self._bar().has_class("shown"):
            self.search_pattern, self.search_found, self.search_current = None, [], 0
            self._bar().remove_class("shown")
            self.search_redraw()
            return True
        return False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # by name: an `@on` in a mixin is not seen by Textual's message pump
        if event.input.id != "find-input":
            return
        event.stop()
        try:
            pattern = re.compile(event.value)
        except re.error as error:
            self._status(f"invalid regex /{event.value}/: {error}")
            return
        self.search_pattern = pattern
        self.search_found = find_matches(self.search_text(), pattern)
        self.search_current = 0
        event.input.display = False
        self.query_one(VerticalScroll).focus()  # type: ignore[attr-defined]
        self.search_redraw()
        if not self.search_found:
            self._status(f"no match for /{pattern.pattern}/")
            return
        self._show_current()

    def _show_current(self) -> None:
        line = self.search_found[self.search_current][0]
        self.search_redraw()
        scroller = self.query_one(VerticalScroll)  # type: ignore[attr-defined]
        y = self.search_line_y(line)
        scroller.scroll_to(y=max(0, y - scroller.size.height // 3), animate=False)
        self._status(
            f"/{self.search_pattern.pattern if self.search_pattern else ''}/  "
            f"match {self.search_current + 1} of {len(self.search_found)}  "
            "n next · N previous · esc clears"
        )


def line_offsets(text: str) -> list[int]:
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    return starts
