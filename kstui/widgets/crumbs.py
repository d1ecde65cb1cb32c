"""Crumbs: the breadcrumbs line (the steps that led here, the current view and its count).

However narrow the terminal, the current view and its count stay on screen: the oldest steps
give way first (`… › pods(payments)[12]`), then what follows the count (the filter, a view
being fetched), and only then is the current view itself shortened, never the count.
`fit_crumbs` is that rule as a plain function; the widget applies it at its own width.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widget import Widget

from kstui.safe_text import inert_line

SEPARATOR = " › "
ELIDED = "…"
"""Stands for the oldest steps once they no longer fit."""


def cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, an ellipsis marking a cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + ELIDED if width > 0 else ""


def fit_crumbs(steps: Sequence[str], count: str = "", extra: str = "", width: int = 80) -> str:
    """The breadcrumbs in `width` cells. `steps` run from the oldest to the current view;
    `count` follows the current view (`[12]`) and is always shown whole; `extra` (filter,
    loading note) follows the count. What gives way, in order: the oldest steps (replaced by
    one `…`), then `extra` (cut at its end), then the current view (cut at its end)."""
    if not steps:
        return cut(count + extra, width)
    *older, current = steps
    for dropped in range(len(older) + 1):
        kept = ([ELIDED] if dropped else []) + older[dropped:]
        text = SEPARATOR.join([*kept, current + count])
        if cell_len(text + extra) <= width:
            return text + extra
    lead = ELIDED + SEPARATOR if older else ""
    head = lead + current + count
    if cell_len(head) <= width:
        return head + cut(extra, width - cell_len(head))
    room = width - cell_len(count)
    if room <= 0:
        return cut(count, width)
    if lead and room - cell_len(lead) < cell_len(ELIDED) + 3:
        lead = ""  # too narrow to say that steps came before: the view's own name first
    return lead + cut(current, room - cell_len(lead)) + count


class Crumbs(Widget):
    """One line of breadcrumbs, fitted to its width whenever it is drawn. The steps, the count
    and the extra text may hold cluster data: each is made inert before it is measured."""

    DEFAULT_CSS = """
    Crumbs { height: 1; }
    """

    def __init__(self, steps: Sequence[str] | str = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._steps: tuple[str, ...] = ()
        self._count = ""
        self._extra = ""
        self.show(steps)

    def show(self, steps: Sequence[str] | str, count: str = "", extra: str = "") -> None:
        """`steps` oldest first (a string is split at ` › `), the last one the current view."""
        if isinstance(steps, str):
            steps = steps.split(SEPARATOR) if steps else ()
        shown = (tuple(map(inert_line, steps)), inert_line(count), inert_line(extra))
        if shown != (self._steps, self._count, self._extra):  # a watch delta often is not
            self._steps, self._count, self._extra = shown
            self.refresh()

    def update(self, text: str) -> None:
        """The whole line as one string (as a Static would take it)."""
        self.show(text)

    def render(self) -> Text:
        width = self.content_size.width
        text = fit_crumbs(self._steps, self._count, self._extra, width) if width else ""
        return Text(text, no_wrap=True, overflow="crop", end="")
