"""TextViewScreen: describe output or an object's YAML, scrollable, secrets masked on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from kstui.safe_text import inert
from kstui.screens.scrolling import scroll_bindings
from kstui.screens.text_search import SEARCH_BINDINGS, SEARCH_CSS, TextSearch, find_matches
from kstui.widgets.plain import Plain


class TextViewScreen(TextSearch, Screen[None]):
    DEFAULT_CSS = (
        """
    TextViewScreen #title {
        height: auto; max-height: 2; background: $panel; text-style: bold; padding: 0 1;
    }
    TextViewScreen VerticalScroll { padding: 0 1; }
    """
        + SEARCH_CSS
    )
    BINDINGS = [
        Binding("escape,q", "back", "back", id="view.back"),
        *SEARCH_BINDINGS,
        Binding("x", "toggle_secrets", "reveal secrets", id="view.reveal"),
        Binding("c", "copy", "copy all", id="view.copy"),
        *scroll_bindings("view"),
    ]

    def __init__(
        self,
        title: str,
        render_text: Callable[[bool], str],
        *,
        language: str = "",
        has_secrets: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.render_text = render_text
        self.language = language
        self.has_secrets = has_secrets
        self.revealed = False

    def compose(self) -> ComposeResult:
        yield Plain(self._title(), id="title", one_line=True)
        with VerticalScroll():
            yield Static(self._renderable(), id="body")
        yield from self.search_bar()
        yield Footer(compact=True, show_command_palette=False)

    def _title(self) -> str:
        if not self.has_secrets:
            return self.title_text
        if self.revealed:
            return f"{self.title_text} — values revealed"
        return f"{self.title_text}  (values hidden: x reveals)"

    def _renderable(self) -> Any:
        text = inert(self.render_text(self.revealed))  # the object's strings are data
        if self.language and not self.app.no_color:
            from rich.syntax import Syntax  # pygments: ~15 ms, only when a YAML view opens

            syntax = Syntax(
                text, self.language, theme="ansi_dark", word_wrap=False, background_color="default"
            )
            self.highlight_syntax(syntax)
            return syntax
        shown = Text(text)
        self.highlight(shown)
        return shown

    def search_text(self) -> str:
        return inert(self.render_text(self.revealed))

    def search_redraw(self) -> None:
        self.query_one("#body", Static).update(self._renderable())

    def search_line_y(self, line: int) -> int:
        # YAML does not wrap; describe text does
        return line if self.language else super().search_line_y(line)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_secrets":
            return self.has_secrets
        return True

    def action_toggle_secrets(self) -> None:
        self.revealed = not self.revealed
        if self.search_pattern is not None:  # the text changed under the matches
            self.search_found = find_matches(self.search_text(), self.search_pattern)
            self.search_current = 0
        self.query_one("#body", Static).update(self._renderable())
        self.query_one("#title", Plain).update(self._title())
        self.notify("secret values shown" if self.revealed else "secret values hidden")

    def action_copy(self) -> None:
        # what is shown: a paste into a shell must not carry the data's control characters
        self.app.copy_to_clipboard(inert(self.render_text(self.revealed)))
        self.notify("copied to the clipboard (OSC 52)")

    def action_scroll(self, where: str) -> None:
        scroller = self.query_one(VerticalScroll)
        getattr(scroller, f"scroll_{where}")(animate=False)

    def action_back(self) -> None:
        if not self.search_escape():
            self.dismiss(None)
