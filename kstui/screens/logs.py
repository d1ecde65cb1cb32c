"""LogsScreen: follow one container's log (Observe deepens this: many pods, search, JSON)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Log

from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.safe_text import inert
from kstui.widgets.plain import Plain
from kstui.widgets.textual_leaks import Footer

MAX_LINES = 5_000
"""A ring buffer: a chatty container must not grow memory without bound."""
FLUSH_SECONDS = 0.05


class LogsScreen(Screen[None]):
    DEFAULT_CSS = """
    LogsScreen #title { height: 1; background: $panel; text-style: bold; padding: 0 1; }
    LogsScreen #title.-ended { background: $warning 30%; }
    LogsScreen Log { padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "back", id="logs.back"),
        Binding("f", "toggle_follow", "follow on/off", id="logs.follow"),
        Binding("G,end", "bottom", "bottom", show=False, id="logs.bottom"),
        Binding("c", "clear", "clear", id="logs.clear"),
    ]

    def __init__(
        self, backend: Backend, namespace: str, pod: str, container: str | None, *, tail: int = 500
    ) -> None:
        super().__init__()
        self.backend = backend
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.tail = tail
        self._pending: list[str] = []
        self.line_count = 0

    @property
    def heading(self) -> str:
        where = f"{self.namespace}/{self.pod}" + (f" [{self.container}]" if self.container else "")
        return f"logs {where} @ {self.backend.name}"

    def compose(self) -> ComposeResult:
        yield Plain(self.heading + " · following", id="title", one_line=True)
        yield Log(max_lines=MAX_LINES, auto_scroll=True, highlight=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self._flush)
        self.follow_log()

    def _flush(self) -> None:
        """Write what arrived since the last tick as one batch: one repaint, not one per line."""
        if self._pending:
            lines, self._pending = self._pending, []
            # a container's output is data: its escape sequences are shown, never emitted
            self.query_one(Log).write_lines(list(map(inert, lines)))
            self.line_count += len(lines)

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def follow_log(self) -> None:
        title = self.query_one("#title", Plain)
        params = {"follow": "true", "tailLines": str(self.tail)}
        if self.container:
            params["container"] = self.container
        try:
            client = await self.backend.open()
            path = f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/log"
            async for line in client.stream_lines(path, params):
                self._pending.append(line)
                if len(self._pending) > MAX_LINES:
                    del self._pending[:-MAX_LINES]
        except KstuiError as error:
            self._flush()
            title.update(f"{self.heading} · {error.title}")
            title.add_class("-ended")
            self.notify(error.detail or error.title, title="log stream", severity="error")
            return
        self._flush()
        title.update(f"{self.heading} · stream ended")
        title.add_class("-ended")

    def action_toggle_follow(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = not log.auto_scroll
        if log.auto_scroll:
            log.scroll_end(animate=False)
        self.notify("following" if log.auto_scroll else "paused scrolling")

    def action_bottom(self) -> None:
        self.query_one(Log).scroll_end(animate=False)

    def action_clear(self) -> None:
        self.query_one(Log).clear()

    def action_back(self) -> None:
        self.dismiss(None)
