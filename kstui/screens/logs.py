"""LogsScreen: one view for every scope of logs: one container, all of a pod's, every pod of a
workload or label selector (pods joining and leaving), on one context or several merged in
time order. Lines are data: made inert, never markup; prefixes are coloured by name.

While it follows: include, exclude and highlight by regex (log_asks.py), JSON pretty or
flattened, `/` with n/N, pause (counting what arrives), save; a bounded ring whose dropped
lines are counted in the title."""

from __future__ import annotations

import gc
import time
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kstui.backends.backend import Backend
from kstui.backends.log_streams import (
    LogLine,
    LogOptions,
    LogScope,
    LogSource,
    PodLogs,
    follow_all,
)
from kstui.heap import HEAP
from kstui.screens.log_asks import ASK_BINDINGS, LogAsks
from kstui.screens.log_buffer import JSON_MODES, LogBuffer, LogLook, Packed, Settling
from kstui.screens.log_rows import fit_heading, plain_rows, rows_of
from kstui.screens.log_write import LogWriter
from kstui.widgets.footer import Footer
from kstui.widgets.log_lines import LogLines
from kstui.widgets.plain import Plain

DEFAULT_LINES = 5_000
"""The ring's size when the config does not say (`logs: {buffer_lines: N}`)."""
FLUSH_SECONDS = 0.05
REDRAW_SECONDS = 0.5
FREEZE_LINES = 10_000
"""Once this many lines have come in, the heap is frozen out of the collector's way, once
(kstui/heap.py): a full collection then walks only what was made since, which a flood turns
over (its lines are a str and ints, untracked; what it drops in cycles, such as the footer's
keys each time the ask bar opens and closes, is collected as it goes). Freezing again every
10,000 lines pinned what was alive at each freeze, so every tenth freeze settled the heap, a
full collection of the app (200–700 ms mid-flood: bench/logs.py's worst keystrokes). The heap
is settled when the view closes. Meanwhile young collections wait for more allocations
(Heap.flooding), till the view closes."""
FOLLOWING = "following"
SCROLLED_UP = "paused (scrolled up) — end/G resumes"
PAUSED = "paused (f) — f resumes"


def configured_lines(app: object) -> int:
    config = getattr(getattr(app, "settings", None), "config", None)
    logs = getattr(config, "logs", None)
    return int(getattr(logs, "buffer_lines", DEFAULT_LINES))


class LogsScreen(LogAsks, Screen[None]):
    DEFAULT_CSS = """
    LogsScreen #title {
        height: 1; background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    LogsScreen #title.-ended { background: $warning 30%; }
    LogsScreen LogLines { padding: 0 1; }
    LogsScreen #ask-bar { height: auto; display: none; }
    LogsScreen #ask-bar.shown { display: block; }
    LogsScreen #ask-bar Input { border: none; height: 1; padding: 0 1; }
    LogsScreen #ask-status {
        height: 1; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    BINDINGS = [
        Binding("escape,q", "back", "back", id="logs.back"),
        Binding("f", "toggle_follow", "pause/follow", id="logs.follow"),
        Binding("G,end", "bottom", "bottom", show=False, id="logs.bottom"),
        Binding("ctrl+l", "clear", "clear", id="logs.clear"),
        Binding("ctrl+t", "toggle_timestamps", "timestamps", id="logs.timestamps"),
        Binding("W", "toggle_wrap", "wrap", id="logs.wrap"),
        Binding("J", "json_mode", "json", id="logs.json"),
        Binding("B", "previous", "previous", id="logs.previous"),
        *ASK_BINDINGS,
    ]

    def __init__(
        self,
        scopes: Sequence[tuple[Backend, LogScope]],
        options: LogOptions | None = None,
        *,
        buffer_lines: int | None = None,
        title: str = "",
    ) -> None:
        super().__init__()
        self.scopes = list(scopes)
        self.options = options or LogOptions()
        self.buffer_lines = buffer_lines
        self.buffer = LogBuffer(buffer_lines or DEFAULT_LINES)
        first = self.scopes[0][1]
        pods = {(scope.namespace, scope.pod) for _b, scope in self.scopes}
        several_pods = len(pods) > 1 or any(not scope.pod for _b, scope in self.scopes)
        several_containers = any(len(scope.containers) > 1 for _b, scope in self.scopes)
        self.look = LogLook(
            show_context=len({scope.context for _b, scope in self.scopes}) > 1,
            show_pod=several_pods,
            show_container=several_containers,  # else once a pod shows a second container
        )
        self.pod = first.pod
        self.namespace = first.namespace
        self.container = first.containers[0] if len(first.containers) == 1 else None
        self.all_of = list(first.containers) if len(first.containers) > 1 else []
        self._title = title
        self._pending = Packed()
        """What arrived since the last tick, packed as the ring keeps it (no object a line)."""
        self._cut_off = 0
        """Lines of a flood between two ticks cut from `_pending` (the oldest): dropped."""
        self._settling = Settling()
        self._keys = array("q")
        """The key (epoch ns) of each line in `shown` (line i of `shown` is the LogLines' entry
        i). The view's entry is the line's text; its tag the prefix width and the line's
        source, its mark the key: the ring makes the line again from them when drawn."""
        self._lines_in = 0
        self._frozen = False
        self._rewrite_from: int | None = None
        """Lines merged in before ones already shown: the view is written again from here."""
        self.line_count = 0
        self.held = 0
        """Lines that arrived while paused (shown on resume)."""
        self.paused = False
        self.state = FOLLOWING
        self._ended = ""
        self._redraw_needed = False
        self.followers: list[PodLogs] = []
        """Each context's streams, (namespace, pod, container) → task."""
        self._containers_seen: dict[tuple[str, str], set[str]] = {}
        self.at_end = True
        """Following the newest line (False once the user scrolls up)."""
        self._redrawing = False
        self._last_redraw = 0.0
        self._writer = LogWriter()

    @classmethod
    def of_pod(
        cls,
        backend: Backend,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        all_of: Sequence[str] = (),
        options: LogOptions | None = None,
    ) -> LogsScreen:
        """One pod's log: one container, or `all_of` these interleaved."""
        containers = tuple(all_of) if all_of else ((container,) if container else ())
        scope = LogScope(backend.name, namespace, pod=pod, containers=containers)
        return cls([(backend, scope)], options)

    # ------------------------------------------------------------------ what it shows
    @property
    def heading(self) -> str:
        if self._title:
            return self._title
        _backend, scope = self.scopes[0]
        contexts = ",".join(scope.context for _b, scope in self.scopes)
        where = scope.namespace or "all namespaces"
        if scope.pod:
            which = (
                f" [all: {', '.join(self.all_of)}]"
                if self.all_of
                else f" [{self.container}]"
                if self.container
                else ""
            )
            what = f"{where}/{scope.pod}{which}"
        else:
            what = f"{where} -l {scope.selector}" if scope.selector else where
        previous = " (previous instance)" if self.options.previous else ""
        return f"logs {what}{previous} @ {contexts}"

    def status_text(self, width: int = 0) -> str:
        """Heading · state · dropped count · modes; within `width` the heading is cut first
        (its longest name in the middle), so the counts are drawn even on a narrow title
        (never silent)."""
        state = self._ended or (
            f"paused (f): {self.held} new lines — f resumes" if self.paused else self.state
        )
        parts = [state]
        if self.buffer.dropped:
            parts.append(f"{self.buffer.dropped} older lines dropped (ring of {self.buffer.limit})")
        modes = []
        if self.look.json_mode != "raw":
            modes.append(f"json {self.look.json_mode}")
        for name in ("include", "exclude", "highlight"):
            pattern = getattr(self.look, name)
            if pattern is not None:
                modes.append(f"{name} /{pattern.pattern}/")
        if modes:
            parts.append(" ".join(modes))
        heading, tail = self.heading, " · " + " · ".join(parts)
        if width:
            heading = fit_heading(heading, width - len(tail))
        return (heading + tail) if heading else tail[3:]

    def compose(self) -> ComposeResult:
        yield Plain(self.heading, id="title", one_line=True)
        yield LogLines(id="log", render=self.rows_of, plain=self.plain_of)
        yield from self.ask_bar()
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self.buffer_lines is None:
            self.buffer = LogBuffer(configured_lines(self.app))
        self._show_title()
        self.set_interval(FLUSH_SECONDS, self._flush)
        self.follow_log()
        log = self.query_one(LogLines)
        self.watch(log, "scroll_y", self._scrolled, init=False)
        log.focus()

    def on_unmount(self) -> None:
        HEAP.flooding(self, False)
        HEAP.released()  # the heap was frozen with this view's lines in it: let them go

    def rows_of(self, text: str, tag: int, key: int) -> list[Text]:
        """One view entry as the Text rows the log shows (inert, styled, never markup);
        its prefix padded to the width it was written with."""
        line = self.buffer.line(text, key, tag >> 16)
        return rows_of(self.look, self.find_pattern, line, tag & 0xFFFF)

    def plain_of(self, text: str, tag: int, key: int) -> list[str]:
        return plain_rows(self.look, self.buffer.line(text, key, tag >> 16), tag & 0xFFFF)

    def _write(self, log: LogLines, start: int, scroll: bool) -> None:
        """The ring's lines from `start` on into the view (those the filters let through)."""
        self._writer.write(log, self.buffer, self.look, start, self._keys)
        if scroll:  # at once: the next tick must see the view at its end, not a scroll pending
            log.scroll_end(animate=False, immediate=True, x_axis=False)

    def redraw(self) -> None:
        self._last_redraw = time.monotonic()
        log = self.query_one(LogLines)
        self._redrawing = True
        log.clear()
        self._keys = array("q")
        self.look.widths.clear()
        self._write(log, 0, self.following_now(log))
        self._redraw_needed = False
        self._rewrite_from = None
        self.call_after_refresh(setattr, self, "_redrawing", False)

    def _rewrite(self, log: LogLines) -> None:
        """The view again from the first line merged in before shown ones: only its tail."""
        self._last_redraw = time.monotonic()
        start, self._rewrite_from = self._rewrite_from or 0, None
        at = bisect_left(self._keys, start)
        log.truncate(at)
        del self._keys[at:]
        self._write(log, bisect_left(self.buffer.keys, start), self.following_now(log))
        self._trim(log)

    def _trim(self, log: LogLines) -> None:
        """The view lets go of what the ring dropped (in chunks, a sixteenth of the ring:
        dropping is a move of a few arrays, and what the view holds past the ring is memory)."""
        if len(self._keys) <= self.buffer.limit + self.buffer.limit // 16 or not self.buffer.keys:
            return
        if log.leaving_end:  # a scroll up on its way is in today's rows: trim after it
            return
        at = bisect_left(self._keys, self.buffer.keys[0])
        log.drop_front(at)  # the view's place kept: "scrolled up" stays true
        self._keys = self._keys[at:]

    def following_now(self, log: LogLines) -> bool:
        return not self.paused and self.at_end and not log.leaving_end

    def _scrolled(self, old: float, new: float) -> None:
        """The user scrolled up (the view went up, not by a redraw): stop at that line;
        back at the end (G, end, scrolling down): follow again."""
        log = self.query_one(LogLines)
        if new < old and not self._redrawing:
            if new == log.scroll_target_y:
                # Landed. Not before: an animated scroll steps towards a place set when the
                # key was read, and the ring's front dropped meanwhile would move the rows
                # under it (it then came to rest at the end again, following).
                log.leaving_end = False
            self.at_end = new >= log.max_scroll_y
        elif new >= log.max_scroll_y:
            self.at_end = True

    def _flush(self) -> None:
        """What arrived since the last tick, as one batch: one repaint, not one per line."""
        log = self.query_one(LogLines)
        now = time.monotonic()
        batch = self._settling.take(self._pending, now)
        self._pending = Packed()
        if self._cut_off:
            cut, self._cut_off = self._cut_off, 0
            self.buffer.dropped += cut
            self.buffer.received += cut
            self.line_count += cut
        if batch:
            self.line_count += len(batch)
            if not self.buffer.add_packed(batch) or self.paused:
                first = self.buffer.oldest_added
                self._rewrite_from = min(first, self._rewrite_from or first)
            self._lines_in += len(batch)
            if self._lines_in >= FREEZE_LINES and not self._frozen:
                self._frozen = True
                gc.freeze()
                HEAP.flooding(self)
            if self.paused:
                self.held += len(batch)
            elif not self._redraw_needed and self._rewrite_from is None:
                start = len(self.buffer.texts) - len(batch)
                self._write(log, start, self.following_now(log))
                self._trim(log)
        if not self.paused and now - self._last_redraw >= REDRAW_SECONDS:
            if self._redraw_needed:  # the look changed (a second container: prefixes)
                self.redraw()
            elif self._rewrite_from is not None:  # merged in between: at most twice a second
                self._rewrite(log)
        self._show_state(log)

    def _show_state(self, log: LogLines) -> None:
        """The title says "following" only while new lines really scroll into view."""
        state = FOLLOWING if self.at_end else SCROLLED_UP
        self.state = state
        self._show_title()

    def _show_title(self) -> None:
        title = self.query_one("#title", Plain)
        text = self.status_text(title.content_region.width)
        if getattr(self, "_last_title", None) != text:
            self._last_title = text
            title.update(text, layout=False)  # one row whatever it says: no reflow

    def emit(self, line: LogLine) -> None:
        if line.container and not line.note:
            self._seen(line.context, line.pod, line.container)
        self.buffer.pack_into(line, self._pending)
        self._cut()

    def emit_lines(self, source: LogSource, raws: list[str]) -> None:
        """A chunk of one stream's lines as the server sent them (`stamp text`)."""
        if source[3]:
            self._seen(source[0], source[2], source[3])
        self.buffer.pack_lines(source, raws, self._pending)
        self._cut()

    def _seen(self, context: str, pod: str, container: str) -> None:
        if not self.look.show_container:
            seen = self._containers_seen.setdefault((context, pod), set())
            seen.add(container)  # a pod's second container: every line names its own
            if len(seen) > 1:
                self.look.show_container = self._redraw_needed = True

    def _cut(self) -> None:
        pending = self._pending
        if len(pending) > 4 * self.buffer.limit:  # a flood between two ticks
            # cut by time, not by arrival: the ring would keep only the newest anyway
            over = len(pending) - self.buffer.limit
            self._pending = pending.pick(pending.by_time()[over:])
            self._pending.newest = pending.newest
            self._cut_off += over  # counted with the tick that adds the rest: the ring's
            # counts, its lines and the title then agree whenever they are looked at

    @work(exclusive=True, group="logs", exit_on_error=False)
    async def follow_log(self) -> None:
        self.followers = []
        await follow_all(self.scopes, self.options, self.emit, self.followers, self.emit_lines)
        self._flush()
        self._ended = (
            "previous instance"
            if self.options.previous
            else "the window's lines (not followed)"
            if self.options.until_time
            else "stream ended"
        )
        self.query_one("#title", Plain).add_class("-ended")
        self._show_title()

    # ------------------------------------------------------------------ actions
    def action_toggle_follow(self) -> None:
        self.paused = not self.paused
        if not self.paused:
            held, self.held = self.held, 0
            self.at_end = True
            log = self.query_one(LogLines)
            if self._redraw_needed:
                self.redraw()
            elif self._rewrite_from is not None:
                self._rewrite(log)  # the lines held: written after the ones shown
            log.scroll_end(animate=False, immediate=True)
            self.notify(f"following: {held} lines arrived while paused")
        self._show_state(self.query_one(LogLines))

    def action_bottom(self) -> None:
        log = self.query_one(LogLines)
        self.at_end, log.leaving_end = True, False
        if self.paused:
            self.action_toggle_follow()
        log.scroll_end(animate=False, immediate=True)
        self._show_state(log)

    def action_clear(self) -> None:
        self.buffer.clear()
        self.redraw()

    def action_toggle_timestamps(self) -> None:
        self.look.timestamps = not self.look.timestamps
        self.redraw()

    def action_toggle_wrap(self) -> None:
        log = self.query_one(LogLines)
        log.set_wrap(not log.wrap)
        self.notify("wrap on" if log.wrap else "wrap off: ←/→ scroll sideways")

    def action_json_mode(self) -> None:
        modes = JSON_MODES
        self.look.json_mode = modes[(modes.index(self.look.json_mode) + 1) % len(modes)]
        self.redraw()
        self._show_title()

    def action_previous(self) -> None:
        """The previous instance of the same containers (a CrashLoopBackOff's last run)."""
        previous = not self.options.previous
        options = replace(self.options, previous=previous)
        self.app.push_screen(LogsScreen(self.scopes, options, buffer_lines=self.buffer.limit))

    def restart(self, options: LogOptions) -> None:
        """Follow again with new tail/since: the buffer starts afresh."""
        self.options = options
        self.buffer.clear()
        self._pending = Packed()
        self._settling.clear()
        self._ended = ""
        self.query_one("#title", Plain).remove_class("-ended")
        self.redraw()
        self.follow_log()

    def action_back(self) -> None:
        if self.ask_escape():
            return
        self.dismiss(None)
