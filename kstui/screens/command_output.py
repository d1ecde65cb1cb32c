"""A command's output pane (`ctrl+e`): open at once, its output shown as it comes (the last
MAX_LINES lines of each stream kept, the dropped ones counted), the title saying it still runs
and then its exit code. Leaving the pane (esc/q) cancels the exec: the WebSocket is closed,
and with it the process (as kubelet kills an exec whose stream ends)."""

from __future__ import annotations

import codecs
import shlex
from collections import deque
from typing import Any

from textual.widgets import Static

from kstui.backends.errors import KstuiError
from kstui.backends.pod_exec import STDOUT, ExecTarget, open_exec
from kstui.screens.failures import notify_failure
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.plain import Plain

MAX_LINES = 5000
"""Lines kept per stream: a command that never ends must not fill the memory."""


class Lines:
    """One stream's text, bounded: complete lines (the last `limit`), the line being written,
    and how many lines were dropped from the top."""

    def __init__(self, limit: int = MAX_LINES) -> None:
        self.lines: deque[str] = deque()
        self.limit = limit
        self.partial = ""
        self.dropped = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> None:
        text = self.partial + self._decoder.decode(data)
        *complete, self.partial = text.split("\n")
        self.lines.extend(complete)
        while len(self.lines) > self.limit:
            self.lines.popleft()
            self.dropped += 1

    def text(self) -> str:
        body = "".join(line + "\n" for line in self.lines) + self.partial
        if self.dropped:
            body = (
                f"({self.dropped} earlier lines dropped: the last {self.limit} are kept)\n" + body
            )
        return body

    def __bool__(self) -> bool:
        return bool(self.lines or self.partial or self.dropped)


def joined(out: str, err: str) -> str:
    """stdout, then stderr under its own rule, as the pane shows and copies them."""
    text = out
    if err:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "── stderr ──\n" + err
    return text


class OutputPane(TextViewScreen):
    """The pane of one running command, which belongs to the pane: `produce` feeds `out` and
    `err` and returns the exit code; leaving the pane cancels it."""

    REFRESH = 0.1
    """Seconds between redraws while output streams in."""

    def __init__(self, head: str, limit: int = MAX_LINES) -> None:
        self.head = head
        self.out, self.err = Lines(limit), Lines(limit)
        self.state = "running (esc stops it)"
        self.finished = False
        self._dirty = False
        super().__init__(self.head, lambda _reveal: self.body())

    async def produce(self) -> int:
        raise NotImplementedError

    def body(self) -> str:
        text = joined(self.out.text(), self.err.text())
        if text:
            return text
        return "(no output)" if self.finished else "(no output yet)"

    def _title(self) -> str:
        return f"{self.head}  ·  {self.state}"

    def on_mount(self) -> None:
        self.set_interval(self.REFRESH, self._redraw)
        self.run_worker(self._read(), group="exec", exit_on_error=False)

    def feed(self, stream: int, data: bytes) -> None:
        (self.out if stream == STDOUT else self.err).feed(data)
        self._dirty = True

    async def _read(self) -> None:
        try:
            self.state = f"exit {await self.produce()}"
        except KstuiError as error:
            self.state = f"failed: {error.title}"
            notify_failure(self.app, error)
        self.finished = True
        self._dirty = True
        self._redraw()

    def _redraw(self) -> None:
        if not self._dirty or not self.is_mounted:
            return
        self._dirty = False
        self.query_one("#title", Plain).update(self._title())
        self.query_one("#body", Static).update(self._renderable())

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "exec")  # the WebSocket is closed on the way out


class CommandOutputScreen(OutputPane):
    """`ctrl+e`: a command's exec in a container."""

    def __init__(
        self, client: Any, target: ExecTarget, argv: list[str], context: str, limit: int = MAX_LINES
    ) -> None:
        self.client = client
        self.target = target
        self.argv = argv
        super().__init__(f"$ {shlex.join(argv)}  ·  {target.where} @ {context}", limit)

    async def produce(self) -> int:
        async with open_exec(self.client, self.target, self.argv) as stream:
            while (output := await stream.next()) is not None:
                self.feed(*output)
            return stream.exit_code()
