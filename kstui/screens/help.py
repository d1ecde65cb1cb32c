"""HelpModal: the keys of the view it was opened from, as currently mapped."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from kstui.widgets.plain import Plain

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


class HelpModal(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpModal { align: center middle; }
    HelpModal > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpModal .title { text-style: bold; color: $primary; margin-top: 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close", id="help.close")]

    def __init__(self, view_name: str, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        self.view_name = view_name
        self.lines = lines

    def compose(self) -> ComposeResult:
        width = max((len(keys) for keys, _ in self.lines), default=8) + 2
        body = "\n".join(f"{keys:<{width}}{label}" for keys, label in self.lines)
        with VerticalScroll():
            yield Plain(f"Keys: {self.view_name}", classes="title")
            yield Plain(body)
            yield Static("Commands", classes="title")
            yield Plain(COMMAND_HELP)
            yield Static("esc closes", classes="hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
