"""QuotaBars: one used/hard bar per quota line, coloured by how full it is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Protocol

from rich.text import Text
from textual.widget import Widget

from kstui.safe_text import inert_line

WARN_RATIO = 0.7
ERROR_RATIO = 0.9
LABEL_WIDTH = 18
MIN_BAR = 10
MAX_BAR = 48


class QuotaLineLike(Protocol):
    """What a bar needs (backends' QuotaLine has it; widgets never import backends)."""

    @property
    def resource(self) -> str: ...
    @property
    def used(self) -> str: ...
    @property
    def hard(self) -> str: ...
    @property
    def ratio(self) -> float | None: ...


def level(ratio: float | None) -> str:
    """ok / warn / error / unknown: the word the bar's colour is chosen by."""
    if ratio is None:
        return "unknown"
    if ratio >= ERROR_RATIO:
        return "error"
    if ratio >= WARN_RATIO:
        return "warn"
    return "ok"


def percent(ratio: float | None) -> str:
    return "?" if ratio is None else f"{round(ratio * 100)}%"


class QuotaBars(Widget):
    """Attributes down: the screen calls `set_lines`; nothing is posted back."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "quota-bars--label",
        "quota-bars--ok",
        "quota-bars--warn",
        "quota-bars--error",
        "quota-bars--unknown",
        "quota-bars--track",
    }
    DEFAULT_CSS = """
    QuotaBars {
        height: auto;
        padding: 1 1 0 1;
        & > .quota-bars--label { text-style: bold; }
        & > .quota-bars--ok { color: $success; }
        & > .quota-bars--warn { color: $warning; }
        & > .quota-bars--error { color: $error; text-style: bold; }
        & > .quota-bars--unknown { color: $text-muted; }
        & > .quota-bars--track { color: $text-muted; }
    }
    """

    def __init__(self, *, empty_message: str = "no quota set", id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: tuple[QuotaLineLike, ...] = ()
        """The lines drawn, top to bottom, in the order given."""
        self.empty_message = empty_message

    def set_lines(self, lines: Iterable[QuotaLineLike], empty_message: str | None = None) -> None:
        self.lines = tuple(lines)
        if empty_message is not None:
            self.empty_message = empty_message
        self.refresh(layout=True)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.lines))

    def render(self) -> Text:
        if not self.lines:
            return Text(
                inert_line(self.empty_message),
                style=self.get_component_rich_style("quota-bars--unknown"),
                no_wrap=True,
            )
        width = self.content_size.width or 80
        # quota names and amounts are the server's strings: shown inertly
        numbers = [inert_line(f"{line.used or '?'} / {line.hard}") for line in self.lines]
        numbers_width = max(map(len, numbers))
        bar_width = max(MIN_BAR, min(MAX_BAR, width - LABEL_WIDTH - numbers_width - 9))
        label_style = self.get_component_rich_style("quota-bars--label")
        track_style = self.get_component_rich_style("quota-bars--track")
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (line, amount) in enumerate(zip(self.lines, numbers, strict=True)):
            if index:
                text.append("\n")
            fill_style = self.get_component_rich_style(f"quota-bars--{level(line.ratio)}")
            filled = 0 if line.ratio is None else round(min(1.0, max(0.0, line.ratio)) * bar_width)
            text.append(f"{inert_line(line.resource):<{LABEL_WIDTH}}", style=label_style)
            text.append("█" * filled, style=fill_style)
            text.append("░" * (bar_width - filled), style=track_style)
            text.append(f" {percent(line.ratio):>5}  ", style=fill_style)
            text.append(amount)
        return text
