"""HelpModal: the keys of the view it was opened from, as currently mapped."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from kstui.safe_text import inert
from kstui.screens.text_search import SEARCH_BINDINGS, SEARCH_CSS, TextSearch, line_offsets

COMMAND_HELP = """\
:po  :deploy  :svc …        any kind by name, short name or kind (tab completes)
:po payments  :po -A         in a namespace / all namespaces
:po @member                  on another context
:po -l app=web               with a label selector
:ns NAME   :ctx NAME   :q    namespace, context, quit
/regex   /!regex   /-l k=v   filter rows, invert, label selector
ctrl+p                       palette: contexts, namespaces, kinds, sections"""


HIDDEN_ACTIONS = frozenset(
    {
        "focus_next",
        "focus_previous",
        "app.focus_next",
        "app.focus_previous",
        "screen.copy_text",
        "copy_text",
        "app.command_palette",
    }
)


def _rank(binding_id: str) -> int:
    """The view's own actions first, then table movement, then app-wide keys."""
    if binding_id.startswith("table."):
        return 1
    if binding_id.startswith("app.") or not binding_id:
        return 2
    return 0


def key_lines(screen: Screen) -> list[tuple[str, str]]:
    """(keys, description) for each binding active on `screen`, app bindings included."""
    seen: dict[str, list[str]] = {}
    order: list[str] = []
    ranks: dict[str, int] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.system or binding.action in HIDDEN_ACTIONS:
            continue
        label = binding.description
        if label not in seen:
            seen[label] = []
            order.append(label)
            ranks[label] = _rank(binding.id or "")
        shown = screen.app.get_key_display(binding)
        if shown not in seen[label]:
            seen[label].append(shown)
        del key
    order.sort(key=lambda label: ranks[label])  # stable: keeps binding order within a rank
    return [(" ".join(seen[label]), label) for label in order]


class HelpModal(TextSearch, ModalScreen[None]):
    DEFAULT_CSS = (
        """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpModal #find-bar { dock: bottom; }
    """
        + SEARCH_CSS
    )
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "close", id="help.close"),
        *SEARCH_BINDINGS,
        Binding("j,down", "scroll('down')", show=False),
        Binding("k,up", "scroll('up')", show=False),
        Binding("g,home", "scroll('home')", show=False),
        Binding("G,end", "scroll('end')", show=False),
    ]

    def __init__(self, view_name: str, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self.view_name = view_name
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._renderable(), id="body")
        yield from self.search_bar()

    def search_text(self) -> str:
        """One text, so `/` finds in all of it: titles, keys and commands."""
        width = max((len(keys) for keys, _ in self.lines), default=8) + 2
        body = "\n".join(f"{keys:<{width}}{label}" for keys, label in self.lines)
        title = f"Keys: {self.view_name}"
        return inert(f"\n{title}\n{body}\n\nCommands\n{COMMAND_HELP}\nesc closes · / finds")

    def _renderable(self) -> Text:
        text = self.search_text()
        shown = Text(text)
        starts = line_offsets(text)
        for line in (1, text.split("\n").index("Commands")):
            shown.stylize(f"bold {self.app.current_theme.primary}", starts[line], starts[line + 1])
        self.highlight(shown, starts)
        return shown

    def search_redraw(self) -> None:
        self.query_one("#body", Static).update(self._renderable())

    def action_scroll(self, where: str) -> None:
        getattr(self.query_one(VerticalScroll), f"scroll_{where}")(animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        if not self.search_escape():
            self.dismiss(None)
