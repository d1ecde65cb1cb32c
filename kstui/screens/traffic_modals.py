"""The Traffic section's questions: the guard (figures, why, and an explicit override), an
exact weight, and a choice among a few actions (take over, restore)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from kstui.backends.traffic_cells import journal_text
from kstui.safe_text import inert
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.plain import Plain

OVERRIDE_WORD = "override"

_BOX = """
    {name} {{ align: center middle; }}
    {name} > Vertical {{
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: thick {border}; background: $surface; padding: 1 2;
    }}
    {name} #question {{ text-style: bold; margin-bottom: 1; }}
    {name} .detail {{ margin-bottom: 1; }}
    {name} #reasons {{ color: $error; text-style: bold; }}
    {name} #said {{ color: $warning; }}
"""


class GuardModal(ModalScreen[bool]):
    """The guard stopped a move: the figures, why, and a field where typing `override` (then
    enter) goes on; esc gives up."""

    DEFAULT_CSS = _BOX.format(name="GuardModal", border="$error")
    BINDINGS = [Binding("escape", "give_up", "give up", id="guard.cancel")]

    def __init__(self, question: str, reasons: list[str], figures: str) -> None:
        super().__init__()
        self.question, self.reasons, self.figures = question, reasons, figures

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"guard: {self.question}", id="question")
            yield Plain("\n".join(self.reasons), id="reasons", classes="detail")
            yield Plain(self.figures, id="figures", classes="detail")
            yield Plain(
                f"type {OVERRIDE_WORD} and enter to go on anyway (recorded in the journal); "
                "esc gives up",
                id="said",
            )
            yield Input(placeholder=OVERRIDE_WORD, id="override")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip().lower() == OVERRIDE_WORD:
            self.dismiss(True)
        else:
            self.query_one("#said", Plain).update(
                f"only the word {OVERRIDE_WORD} goes on; esc gives up"
            )

    def action_give_up(self) -> None:
        self.dismiss(False)


class ExactWeight(ModalScreen[int | None]):
    """The new version's share typed as a number (0 to 100)."""

    DEFAULT_CSS = _BOX.format(name="ExactWeight", border="$primary")
    BINDINGS = [Binding("escape", "give_up", "cancel", id="exact.cancel")]

    def __init__(self, version: str, value: int) -> None:
        super().__init__()
        self.version, self.value = version, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"{inert(self.version)}'s share, 0 to 100 (%)", id="question")
            yield Input(placeholder=f"now {self.value}", type="integer", id="weight")
            yield Plain("", id="said")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.dismiss(None)
        elif text.isdigit() and 0 <= int(text) <= 100:
            self.dismiss(int(text))
        else:
            self.query_one("#said", Plain).update("a whole number from 0 to 100")

    def action_give_up(self) -> None:
        self.dismiss(None)


class Choice(ModalScreen[str | None]):
    """One of a few actions, each with its words; enter picks, esc gives up."""

    DEFAULT_CSS = (
        _BOX.format(name="Choice", border="$primary")
        + """
    Choice OptionList { height: auto; max-height: 10; }
    """
    )
    BINDINGS = [Binding("escape", "give_up", "cancel", id="choice.cancel")]

    def __init__(self, question: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.question, self.options = question, options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.question, id="question")
            yield OptionList(*(Option(inert(label), id=value) for label, value in self.options))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_give_up(self) -> None:
        self.dismiss(None)


def open_journal(screen: Any, service: Any) -> None:
    path = str(service.journal.path)
    screen.app.push_screen(
        TextViewScreen(
            "traffic guard overrides",
            lambda _revealed: journal_text(service.journal.entries(), path),
        )
    )
