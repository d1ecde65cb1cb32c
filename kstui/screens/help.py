"""HelpModal: the keys of the view it was opened from, as currently mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from kstui.safe_text import inert
from kstui.screens.scrolling import scroll_bindings
from kstui.screens.text_search import SEARCH_BINDINGS, SEARCH_CSS, TextSearch, line_offsets

COMMAND_HELP = """\
:po  :deploy  :svc …        any kind by name, short name or kind (tab completes)
:po payments  :po -A         in a namespace / all namespaces
:po @member                  on another context
:po -l app=web               with a label selector
:ns NAME   :ctx NAME   :q    namespace, context, quit
/regex   /!regex   /-l k=v   filter rows, invert, label selector
ctrl+p                       palette: contexts, namespaces, kinds, sections"""


PLUGINS = "Plugins (the config's plugins: on these rows)"

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
    """The view's own actions first, then movement, then app-wide keys."""
    if binding_id.startswith(("table.", "view.", "help.")) and binding_id != "help.close":
        return 1
    if binding_id.startswith("app.") or not binding_id:
        return 2
    return 0


@dataclass(frozen=True, slots=True)
class KeyLine:
    keys: str
    label: str
    binding_id: str
    """What `keymap:` in the config calls this binding ("" for the toolkit's own)."""


def key_lines(screen: Screen) -> list[KeyLine]:
    """One line per binding active on `screen`, app bindings included, keys merged by label."""
    seen: dict[str, list[str]] = {}
    ids: dict[str, str] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.system or binding.action in HIDDEN_ACTIONS:
            continue
        label = binding.description
        if label not in seen:
            seen[label] = []
            ids[label] = binding.id or ""
        shown = screen.app.get_key_display(binding)
        if shown not in seen[label]:
            seen[label].append(shown)
    order = sorted(seen, key=lambda label: _rank(ids[label]))  # stable: binding order kept
    return [KeyLine(" ".join(seen[label]), label, ids[label]) for label in order]


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
        Binding("escape,q", "dismiss", "close", id="help.close"),
        # `?` toggles: the key that opened help, meaning help, closes it
        Binding("question_mark", "dismiss", show=False, id="help.help"),
        *SEARCH_BINDINGS,
        *scroll_bindings("help"),
    ]

    def __init__(self, view_name: str, lines: list[KeyLine], plugins: Sequence[str] = ()) -> None:
        super().__init__()
        self.view_name = view_name
        self.lines = lines
        self.plugins = list(plugins)
        """The config's plugins for this view's rows (plugin_run.RunsPlugins.plugin_help)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self._renderable(), id="body")
        yield from self.search_bar()

    def search_text(self) -> str:
        """One text, so `/` finds in all of it: titles, keys and commands."""
        keys_width = max((len(line.keys) for line in self.lines), default=8) + 2
        label_width = max((len(line.label) for line in self.lines), default=8) + 2
        body = "\n".join(
            f"{line.keys:<{keys_width}}{line.label:<{label_width}}{line.binding_id}".rstrip()
            for line in self.lines
        )
        title = f"Keys: {self.view_name}  (right: the binding id, for keymap: in the config)"
        plugins = "".join(f"{line}\n" for line in ["", PLUGINS, *self.plugins] if self.plugins)
        return inert(
            f"\n{title}\n{body}\n{plugins}\nCommands\n{COMMAND_HELP}\nesc closes · / finds"
        )

    def _renderable(self) -> Text:
        text = self.search_text()
        shown = Text(text)
        starts = line_offsets(text)
        lines = text.split("\n")
        headings = [title for title in ("Commands", PLUGINS) if title in lines]
        for line in (1, *map(lines.index, headings)):
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
