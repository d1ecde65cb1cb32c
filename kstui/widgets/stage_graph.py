"""StageGraphView: a run's stages drawn in the terminal, top to bottom in run order, a
parallel group's branches side by side (wrapped onto more lines when the view is narrow), each
box with its state mark and colour, its duration, and under it the running step (or why it
waits). A cursor picks one box (up/down between groups, left/right between branches); the
picked box is posted as `Picked(key)`.

Data in through `show(groups)`: groups of Boxes, toolkit-free values (no backend types).
Drawn with the Line API: one cached Strip per line, laid out again only on new data or a new
width, so a 40-stage run repaints in well under a millisecond per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from kstui.safe_text import inert_line

TONES = {
    "ok": Style(color="green"),
    "error": Style(color="red", bold=True),
    "running": Style(color="cyan", bold=True),
    "paused": Style(color="magenta", bold=True),
    "warn": Style(color="yellow"),
    "muted": Style(dim=True),
    "normal": Style(),
}
_DETAIL = Style(dim=True)
_HEADER = Style(dim=True, italic=True)
_PICKED = Style(reverse=True)
MIN_CELL = 22
"""A branch box's least width; narrower views wrap a group's branches onto more lines."""


@dataclass(frozen=True, slots=True)
class Box:
    key: str
    mark: str
    label: str
    duration: str = ""
    detail: str = ""
    """Under the box: the running step, the failed step, why it waits."""
    tone: str = "normal"


@dataclass(frozen=True, slots=True)
class BoxGroup:
    name: str
    boxes: tuple[Box, ...]
    parallel: bool = False


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(width - 1, 0)] + "…"


class StageGraphView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    StageGraphView { height: auto; max-height: 50%; min-height: 3; padding: 0 1; }
    """
    BINDINGS = [
        Binding("down,j", "move(1, 0)", "down", show=False, id="graph.cursor_down"),
        Binding("up,k", "move(-1, 0)", "up", show=False, id="graph.cursor_up"),
        Binding("right", "move(0, 1)", "next branch", show=False, id="graph.cursor_right"),
        Binding("left", "move(0, -1)", "previous branch", show=False, id="graph.cursor_left"),
        Binding("g", "edge(0)", "first", show=False, id="graph.first"),
        Binding("G", "edge(1)", "last", show=False, id="graph.last"),
    ]

    class Picked(Message):
        def __init__(self, graph: StageGraphView, key: str) -> None:
            super().__init__()
            self.graph, self.key = graph, key

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.groups: list[BoxGroup] = []
        self.empty = "no stages yet"
        self.row, self.col = 0, 0
        self._lines: list[list[tuple[str, Style, tuple[int, int] | None]]] = []
        self._box_line: dict[tuple[int, int], int] = {}
        self._width = 0

    # ------------------------------------------------------------------ data in

    def show(self, groups: Sequence[BoxGroup], empty: str = "no stages yet") -> None:
        """New boxes; the cursor stays on the box with the same key when there is one."""
        picked = self.picked_key
        self.groups = [g for g in groups if g.boxes]
        self.empty = empty
        if picked is not None:
            for r, group in enumerate(self.groups):
                for c, box in enumerate(group.boxes):
                    if box.key == picked:
                        self.row, self.col = r, c
        self.row = min(self.row, max(len(self.groups) - 1, 0))
        if self.groups:
            self.col = min(self.col, len(self.groups[self.row].boxes) - 1)
        self._layout(force=True)
        if picked is None and self.groups:
            self.post_message(self.Picked(self, self.groups[self.row].boxes[self.col].key))

    @property
    def picked_key(self) -> str | None:
        if not self.groups:
            return None
        return self.groups[self.row].boxes[self.col].key

    def pick(self, key: str) -> None:
        for r, group in enumerate(self.groups):
            for c, box in enumerate(group.boxes):
                if box.key == key:
                    self._move_to(r, c)
                    return

    # ------------------------------------------------------------------ layout

    def _layout(self, force: bool = False) -> None:
        width = max(self.scrollable_content_region.width, 20)
        if not force and width == self._width:
            return
        self._width = width
        lines: list[list[tuple[str, Style, tuple[int, int] | None]]] = []
        self._box_line = {}
        for r, group in enumerate(self.groups):
            if group.parallel:
                lines.append([(_fit(f"┌ {group.name} · parallel", width), _HEADER, None)])
                per_line = max(1, min(len(group.boxes), width // MIN_CELL))
                cell = width // per_line
            else:
                per_line, cell = 1, width
            for start in range(0, len(group.boxes), per_line):
                chunk = list(enumerate(group.boxes))[start : start + per_line]
                top: list[tuple[str, Style, tuple[int, int] | None]] = []
                under: list[tuple[str, Style, tuple[int, int] | None]] = []
                for c, box in chunk:
                    self._box_line[(r, c)] = len(lines)
                    tail = f" {box.duration}" if box.duration else ""
                    room = cell - 1 - len(tail) - 2
                    text = f"{box.mark} {_fit(inert_line(box.label), room).rstrip()}{tail}"
                    top.append((_fit(text, cell - 1), TONES.get(box.tone, Style()), (r, c)))
                    top.append((" ", Style(), None))
                    detail = inert_line(box.detail)
                    under.append((_fit(f"  {detail}" if detail else "", cell), _DETAIL, None))
                lines.append(top)
                if any(box.detail for _, box in chunk):
                    lines.append(under)
        self._lines = lines
        self.virtual_size = Size(width, max(len(lines), 1))
        self.refresh()

    def on_resize(self) -> None:
        self._layout()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._layout()
        return max(len(self._lines), 1)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + self.scroll_offset.y
        if not self._lines:
            return Strip([Segment(_fit(self.empty if y == 0 else "", width), _DETAIL)], width)
        if index >= len(self._lines):
            return Strip.blank(width)
        picked = (self.row, self.col)
        segments = []
        for text, style, where in self._lines[index]:
            chosen = where == picked and self.has_focus
            segments.append(Segment(text, style + _PICKED if chosen else style))
        if not self.has_focus:  # the pick stays visible, underlined
            segments = [
                Segment(s.text, (s.style or Style()) + Style(underline=True))
                if where == picked
                else s
                for s, (_, _, where) in zip(segments, self._lines[index], strict=True)
            ]
        return Strip(segments).crop_extend(0, width, Style())

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------ keys

    def _move_to(self, row: int, col: int) -> None:
        if not self.groups:
            return
        row = max(0, min(row, len(self.groups) - 1))
        col = max(0, min(col, len(self.groups[row].boxes) - 1))
        if (row, col) == (self.row, self.col):
            return
        self.row, self.col = row, col
        line = self._box_line.get((row, col), 0)
        if line < self.scroll_offset.y or line >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=max(line - 1, 0), animate=False)
        self.refresh()
        self.post_message(self.Picked(self, self.groups[row].boxes[col].key))

    def action_move(self, rows: int, cols: int) -> None:
        if rows:
            self._move_to(self.row + rows, self.col)
        else:
            self._move_to(self.row, self.col + cols)

    def action_edge(self, last: int) -> None:
        self._move_to(len(self.groups) - 1 if last else 0, 0)
