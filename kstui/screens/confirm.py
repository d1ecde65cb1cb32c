"""ConfirmModal: a yes/no question that names exactly what will happen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button

from kstui.widgets.plain import Plain


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 70; max-width: 95%; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmModal.-safe > Vertical { border: thick $primary; }
    ConfirmModal #question { text-style: bold; margin-bottom: 1; }
    ConfirmModal #detail { color: $text-muted; margin-bottom: 1; max-height: 20; overflow-y: auto; }
    ConfirmModal Horizontal { height: auto; align-horizontal: right; }
    ConfirmModal Button { margin-left: 2; min-width: 10; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "no", id="confirm.no"),
        Binding("left,right,tab", "app.focus_next", show=False),
    ]

    def __init__(
        self, question: str, detail: str = "", *, yes: str = "Delete", dangerous: bool = True
    ) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes
        self.set_class(not dangerous, "-safe")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.question, id="question")
            if self.detail:
                yield Plain(self.detail, id="detail")
            with Horizontal():
                yield Button("Cancel (n)", id="no")
                yield Button(
                    f"{self.yes_label} (y)",
                    id="yes",
                    variant="error" if not self.has_class("-safe") else "primary",
                )

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
