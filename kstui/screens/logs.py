"""LogsScreen: follow one container's log, or all of a pod's containers interleaved (Observe
deepens this: many pods, search, JSON)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

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
FOLLOWING = "following"
SCROLLED_UP = "paused (scrolled up) — end/G resumes"
PAUSED = "paused (f) — f resumes"


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
        Binding("ctrl+l", "clear", "clear", id="logs.clear"),
    ]

    def __init__(
        self,
        backend: Backend,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        tail: int = 500,
        all_of: Sequence[str] = (),
    ) -> None:
        """`all_of`: follow each of these containers, every line prefixed with its name."""
        super().__init__()
        self.backend = backend
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.all_of = list(all_of)
        self.tail = tail
        self._pending: list[str] = []
        self.line_count = 0
        self.state = FOLLOWING
        self._ended = False

    @property
    def heading(self) -> str:
        which = (
            f" [all: {', '.join(self.all_of)}]"
            if self.all_of
            else f" [{self.container}]"
            if self.container
            else ""
        )
        return f"logs {self.namespace}/{self.pod}{which} @ {self.backend.name}"

    def compose(self) -> ComposeResult:
        yield Plain(f"{self.heading} · {FOLLOWING}", id="title", one_line=True)
        yield Log(max_lines=MAX_LINES, auto_scroll=True, highlight=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self._flush)
        self.follow_log()

    def _flush(self) -> None:
        """Write what arrived since the last tick as one batch: one repaint, not one per line."""
        log = self.query_one(Log)
        if self._pending:
            lines, self._pending = self._pending, []
            # a container's output is data: its escape sequences are shown, never emitted
            log.write_lines(list(map(inert, lines)))
            self.line_count += len(lines)
        self._show_state(log)

    def _show_state(self, log: Log) -> None:
        """The title says "following" only while new lines really scroll into view."""
        state = (
            PAUSED
            if not log.auto_scroll
            else FOLLOWING
            if log.is_vertical_scroll_end
            else SCROLLED_UP
        )
        if state != self.state and not self._ended:
            self.state = state
            self.query_one("#title", Plain).update(f"{self.heading} · {state}")

    async def _stream(self, container: str | None, prefix: str) -> None:
        params = {"follow": "true", "tailLines": str(self.tail)}
        if container:
            params["container"] = container
        client = await self.backend.open()
        path = f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/log"
        async for line in client.stream_lines(path, params):
            self._pending.append(prefix + line)
            if len(self._pending) > MAX_LINES:
                del self._pending[:-MAX_LINES]

    async def _one_of_all(self, container: str, prefix: str) -> None:
        """One container of "all": its failure is a line of its own; the others go on."""
        try:
            await self._stream(container, prefix)
        except KstuiError as error:
            self._pending.append(f"{prefix}(log stream: {error.title}: {error.detail})")

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def follow_log(self) -> None:
        width = max((len(name) for name in self.all_of), default=0)
        try:
            if self.all_of:
                await asyncio.gather(
                    *(self._one_of_all(name, f"{name:<{width}} │ ") for name in self.all_of)
                )
            else:
                await self._stream(self.container, "")
        except KstuiError as error:
            self._end(f"{self.heading} · {error.title}")
            self.notify(error.detail or error.title, title="log stream", severity="error")
            return
        self._end(f"{self.heading} · stream ended")

    def _end(self, text: str) -> None:
        self._flush()
        self._ended = True
        title = self.query_one("#title", Plain)
        title.update(text)
        title.add_class("-ended")

    def action_toggle_follow(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = not log.auto_scroll
        if log.auto_scroll:
            log.scroll_end(animate=False)
        self.notify("following" if log.auto_scroll else "paused scrolling")
        self._show_state(log)

    def action_bottom(self) -> None:
        log = self.query_one(Log)
        log.auto_scroll = True
        log.scroll_end(animate=False, immediate=True)
        self._show_state(log)

    def action_clear(self) -> None:
        self.query_one(Log).clear()

    def action_back(self) -> None:
        self.dismiss(None)
