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
from kstui.widgets.plain import Plain


class TextViewScreen(Screen[None]):
    DEFAULT_CSS = """
    TextViewScreen #title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    TextViewScreen VerticalScroll { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "back", id="view.back"),
        Binding("x", "toggle_secrets", "reveal secrets", id="view.reveal"),
        Binding("c", "copy", "copy all", id="view.copy"),
        Binding("j,down", "scroll('down')", show=False),
        Binding("k,up", "scroll('up')", show=False),
        Binding("space,pagedown", "scroll('page_down')", show=False),
        Binding("b,pageup", "scroll('page_up')", show=False),
        Binding("g,home", "scroll('home')", show=False),
        Binding("G,end", "scroll('end')", show=False),
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

            return Syntax(
                text, self.language, theme="ansi_dark", word_wrap=False, background_color="default"
            )
        return Text(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_secrets":
            return self.has_secrets
        return True

    def action_toggle_secrets(self) -> None:
        self.revealed = not self.revealed
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
        self.dismiss(None)
