"""Slider: a value between two ends (a share of 100 by default), drawn on one line with what
each end gets (the left end's share is the value, filled), and a mark where the applied value
stands. Data in through `set_value` and
`set_current`; `Slider.Changed` out when the value moves. Labels are data (inert)."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from kstui.safe_text import inert

FILLED = "█"
EMPTY = "░"
MARK = "┃"


def layout(
    value: int, current: int, width: int, left: str, right: str, maximum: int = 100
) -> list[tuple[str, str]]:
    """The line as (text, part) pairs, part being "left", "right", "bar-left", "bar-right",
    "mark" or "knob": `left 25% ██●░░░░░ 75% right`: the filled bar is the value's share,
    named on the left (so → grows it); the rest is the right end's. Pure."""
    head = f"{left} {value:>3}% "
    tail = f" {maximum - value:>3}% {right}"
    room = max(width - len(head) - len(tail), 3)
    knob = round(value / maximum * (room - 1))
    mark = round(current / maximum * (room - 1))
    cells: list[tuple[str, str]] = [(head, "left")]
    for index in range(room):
        if index == knob:
            cells.append(("●", "knob"))
        elif index == mark and current != value:
            cells.append((MARK, "mark"))
        elif index < knob:
            cells.append((FILLED, "bar-left"))
        else:
            cells.append((EMPTY, "bar-right"))
    cells.append((tail, "right"))
    return cells


class Slider(Widget, can_focus=True):
    """A share between two ends; its keys belong to the screen that holds it."""

    DEFAULT_CSS = """
    Slider { height: 1; padding: 0 1; }
    """
    COMPONENT_CLASSES = {
        "slider--left",
        "slider--right",
        "slider--bar-left",
        "slider--bar-right",
        "slider--knob",
        "slider--mark",
    }
    DEFAULT_CSS += """
    Slider > .slider--left { color: $text; }
    Slider > .slider--right { color: $text; }
    Slider > .slider--bar-left { color: $primary; }
    Slider > .slider--bar-right { color: $accent; }
    Slider > .slider--knob { color: $warning; text-style: bold; }
    Slider > .slider--mark { color: $text-muted; }
    Slider:focus > .slider--knob { color: $warning; text-style: bold reverse; }
    """

    value: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, slider: Slider, value: int) -> None:
            super().__init__()
            self.slider, self.value = slider, value

    def __init__(
        self,
        left: str = "",
        right: str = "",
        *,
        maximum: int = 100,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.left, self.right = inert(left), inert(right)
        self.maximum = maximum
        self.current = 0
        """The value in force (marked when the slider is elsewhere)."""

    def set_ends(self, left: str, right: str) -> None:
        self.left, self.right = inert(left), inert(right)
        self.refresh()

    def set_current(self, current: int) -> None:
        self.current = max(0, min(self.maximum, current))
        self.refresh()

    def set_value(self, value: int) -> None:
        self.value = max(0, min(self.maximum, value))

    def move(self, step: int) -> None:
        self.set_value(self.value + step)

    def watch_value(self, value: int) -> None:
        self.post_message(self.Changed(self, value))

    def render(self) -> Text:
        parts = layout(
            self.value, self.current, self.content_size.width, self.left, self.right, self.maximum
        )
        text = Text(no_wrap=True, overflow="crop")
        for chunk, part in parts:
            text.append(chunk, self.get_component_rich_style(f"slider--{part}"))
        return text
