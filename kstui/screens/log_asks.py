"""The log view's one-line questions: `/` find (n/N), include, exclude and highlight regexes
changed live, the JSON fields to flatten to, tail and since, and the file to save to. An
invalid answer is said on the line, which stays open; esc closes it, then clears the find."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from kstui.backends.log_streams import LogOptions, parse_since
from kstui.screens.log_buffer import compile_regex
from kstui.widgets.log_lines import LogLines

ASK_BINDINGS = [
    Binding("slash", "ask('find')", "find", id="logs.find"),
    Binding("n", "find_step(1)", "next match", show=False, id="logs.find_next"),
    Binding("N", "find_step(-1)", "previous match", show=False, id="logs.find_previous"),
    Binding("I", "ask('include')", "include", id="logs.include"),
    Binding("X", "ask('exclude')", "exclude", id="logs.exclude"),
    Binding("h", "ask('highlight')", "highlight", id="logs.highlight"),
    Binding("F", "ask('fields')", "json fields", show=False, id="logs.json_fields"),
    Binding("O", "ask('options')", "tail/since", show=False, id="logs.stream_options"),
    Binding("C", "ask('save')", "capture to a file", id="logs.save"),
]

QUESTIONS = {
    "find": "/ find: a regex, ⏎ jumps to the first match, n/N next/previous",
    "include": "include: show only lines matching this regex (empty: every line)",
    "exclude": "exclude: hide lines matching this regex (empty: hide none)",
    "highlight": "highlight: mark matches of this regex (empty: none)",
    "fields": "json fields: flatten JSON lines to these fields, e.g. level msg user.id",
    "options": "stream: tail=N|all since=5m|none (follows again)",
    "save": "save the lines shown to this file",
}


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kstui" / "logs"


def default_path(name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "logs"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        folder = state_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        folder = Path.cwd()
    return folder / f"{safe}-{stamp}.log"


def save_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (0600), also when it existed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, text.encode())
    finally:
        os.close(descriptor)


def parse_options(text: str, current: LogOptions) -> LogOptions:
    tail, since = current.tail, current.since
    for word in text.split():
        key, _eq, value = word.partition("=")
        if key == "tail":
            if value == "all":
                tail = None
            elif value.isdigit():
                tail = int(value)
            else:
                raise ValueError(f"tail {value!r}: a number of lines or all")
        elif key == "since":
            since = None if value in ("", "none") else parse_since(value)
        else:
            raise ValueError(f"{word!r}: say tail=N and/or since=5m")
    return LogOptions(tail, since, current.previous, current.since_time if since is None else "")


class LogAsks:
    """Mixed into LogsScreen: its bar, its questions, find and save."""

    asking = ""
    find_pattern: re.Pattern[str] | None = None
    find_hits: list[int] = []
    find_current = 0

    @property
    def shown(self) -> Sequence[tuple[int, str]]:
        """(first row in the LogLines, plain text) of each line shown, made on demand."""
        return self._log().shown

    def ask_bar(self) -> ComposeResult:
        with Vertical(id="ask-bar"):
            yield Static("", id="ask-status", markup=False)
            yield Input(id="ask-input")

    def _q(self, selector: str, kind: Any) -> Any:
        return self.query_one(selector, kind)  # type: ignore[attr-defined]

    def _log(self) -> LogLines:
        return self.query_one(LogLines)  # type: ignore[attr-defined]

    def say(self, message: str) -> None:
        self._q("#ask-status", Static).update(Text(message))
        self._q("#ask-bar", Vertical).add_class("shown")

    def action_ask(self, what: str) -> None:
        self.asking = what
        field = self._q("#ask-input", Input)
        look = self.look  # type: ignore[attr-defined]
        value = ""
        if what in ("include", "exclude", "highlight"):
            pattern = getattr(look, what)
            value = pattern.pattern if pattern is not None else ""
        elif what == "fields":
            value = " ".join(look.json_fields)
        elif what == "options":
            options = self.options  # type: ignore[attr-defined]
            value = f"tail={'all' if options.tail is None else options.tail}"
            value += f" since={options.since}s" if options.since else ""
        elif what == "save":
            value = str(default_path(self.heading))  # type: ignore[attr-defined]
        field.value = value
        field.display = True
        self.say(QUESTIONS[what])
        field.focus()

    def ask_escape(self) -> bool:
        """Close the question, else clear the find; False when there was nothing to do."""
        field = self._q("#ask-input", Input)
        bar = self._q("#ask-bar", Vertical)
        if field.display and bar.has_class("shown") and field.has_focus:
            field.display = False
            if self.find_pattern is None:
                bar.remove_class("shown")
            self._log().focus()
            return True
        if self.find_pattern is not None or bar.has_class("shown"):
            self.find_pattern, self.find_hits = None, []
            bar.remove_class("shown")
            self.redraw()  # type: ignore[attr-defined]
            return True
        return False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "ask-input":
            return
        event.stop()
        value = event.value  # a regex's spaces count
        try:
            said = self.answer(self.asking, value)
        except (re.error, ValueError, OSError) as error:
            self.say(f"{self.asking}: {error} — fix it, or esc")
            return
        event.input.display = False
        self._log().focus()
        if said:
            self.say(said)
        elif self.find_pattern is None:
            self._q("#ask-bar", Vertical).remove_class("shown")
        self._show_title()  # type: ignore[attr-defined]

    def answer(self, what: str, value: str) -> str:
        """Apply an answer; what to say on the bar ("" for nothing). Raises on a bad one."""
        look = self.look  # type: ignore[attr-defined]
        if what in ("include", "exclude", "highlight"):
            try:
                setattr(look, what, compile_regex(value))
            except re.error as error:
                raise re.error(f"invalid regex /{value}/: {error}") from None
            self.redraw()  # type: ignore[attr-defined]
            return ""
        if what == "fields":
            look.json_fields = tuple(value.replace(",", " ").split())
            look.json_mode = "fields"
            self.redraw()  # type: ignore[attr-defined]
            return ""
        if what == "options":
            self.restart(parse_options(value, self.options))  # type: ignore[attr-defined]
            return ""
        if what == "save":
            path = Path(value.strip()).expanduser()
            save_private(path, "\n".join(plain for _row, plain in self.shown) + "\n")
            self.notify(f"saved {len(self.shown)} lines to {path} (mode 0600)")  # type: ignore[attr-defined]
            self.saved_to = path
            return ""
        try:
            pattern = re.compile(value)
        except re.error as error:
            raise re.error(f"invalid regex /{value}/: {error}") from None
        self.find_pattern = pattern
        self.redraw()  # type: ignore[attr-defined]
        self.find_hits = [i for i, (_row, plain) in enumerate(self.shown) if pattern.search(plain)]
        self.find_current = len(self.find_hits) - 1
        if not self.find_hits:
            return f"no match for /{value}/"
        return self._jump()

    def _jump(self) -> str:
        row = self.shown[self.find_hits[self.find_current]][0]
        log = self._log()
        if not self.paused:  # type: ignore[attr-defined]
            self.action_toggle_follow()  # type: ignore[attr-defined]
        log.scroll_to(y=max(0, row - log.size.height // 3), animate=False, immediate=True)
        pattern = self.find_pattern.pattern if self.find_pattern else ""
        return (
            f"/{pattern}/ match {self.find_current + 1} of {len(self.find_hits)} · "
            "n next · N previous · esc clears (paused: f follows)"
        )

    def action_find_step(self, step: int) -> None:
        if not self.find_hits:
            if self.find_pattern is not None:
                self.say(f"no match for /{self.find_pattern.pattern}/")
            return
        self.find_current = (self.find_current + step) % len(self.find_hits)
        self.say(self._jump())
