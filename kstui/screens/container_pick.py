"""ContainerPickModal: which container of a several-container pod `l` follows (or all of them),
or which one a command or a shell runs in."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kstui.widgets.plain import Plain

ALL = "\x00all"
"""The answer for "all containers" (no container name can hold a NUL)."""


class ContainerPickModal(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ContainerPickModal { align: center middle; }
    ContainerPickModal > Vertical {
        width: 60; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    ContainerPickModal #question { text-style: bold; margin-bottom: 1; }
    ContainerPickModal OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape,q", "cancel", "cancel", id="container_pick.cancel")]

    def __init__(
        self, pod: str, containers: Sequence[str], *, question: str = "", offer_all: bool = True
    ) -> None:
        super().__init__()
        self.pod = pod
        self.containers = list(containers)
        self.question = question or f"logs of {pod}: which container?"
        self.offer_all = offer_all

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Plain(self.question, id="question")
            # names are server data: Option prompts given as Text are never parsed as markup
            options = [Option(Text(name), id=name) for name in self.containers]
            if self.offer_all:
                options.append(Option(Text("all containers (interleaved)"), id=ALL))
            yield OptionList(*options)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
