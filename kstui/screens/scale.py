"""ScaleModal: ask for a replica count, validated before anything is sent."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kstui.widgets.plain import Plain


class ScaleModal(ModalScreen[int | None]):
    DEFAULT_CSS = """
    ScaleModal { align: center middle; }
    ScaleModal > Vertical {
        width: 60; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2;
    }
    ScaleModal #error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", id="scale.cancel")]

    def __init__(self, target: str, current: int) -> None:
        super().__init__()
        self.target = target
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(f"Scale {self.target} (now {self.current})")
            yield Input(str(self.current), id="replicas", type="integer")
            yield Static("", id="error")
            yield Static("enter applies, esc cancels", classes="hint")

    def on_mount(self) -> None:
        replicas = self.query_one("#replicas", Input)
        replicas.focus()
        replicas.select_all()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text.isdigit():
            self.query_one("#error", Static).update("replicas must be a whole number ≥ 0")
            return
        count = int(text)
        if count > 10_000:
            self.query_one("#error", Static).update("more than 10,000 replicas? refusing")
            return
        self.dismiss(count)

    def action_cancel(self) -> None:
        self.dismiss(None)
