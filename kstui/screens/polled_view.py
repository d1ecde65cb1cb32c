"""PolledScreen: a screen whose data is read on an interval, with permission-gated actions.

The poll fetches, shows, then waits `POLL_SECONDS` before the next fetch: a slow server
stretches the period, polls never overlap. While a modal covers the screen it does not poll,
and it polls at once when the screen comes back (a form may just have written something).
After a 429 no fetch starts before the server's Retry-After, and the header counts down.
Tables are updated by key (`ResourceTable.sync`), never reset: rows that did not change keep
their cached strips and the cursor stays on its row.

Subclasses implement `fetch()` (network only) and `show(data)` (widgets only), and list in
`GATED` which action needs which permission id; the service answers through `PollService`.
A disabled key says why when pressed, and one line names every disabled key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from textual import work
from textual.binding import ActiveBinding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from kstui.backends.errors import KstuiError
from kstui.backends.retry_after import RetryAfter
from kstui.screens.disabled_keys import ExplainsDisabledKeys, readonly_notice
from kstui.screens.failures import notify_failure, problem_text
from kstui.widgets.context_bar import ContextBar

POLL_SECONDS = 3.0
"""Pause between the end of one fetch and the start of the next (they never overlap)."""


class Verdict(Protocol):
    """A service's answer to "may this user do that here?"."""

    @property
    def allowed(self) -> bool: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Denied:
    """A denial decided without asking (read-only context, the check itself failed)."""

    reason: str
    allowed: bool = False


class PollService(Protocol):
    """What a polled screen needs from its section's service."""

    retry_after: RetryAfter

    @property
    def permission(self) -> Callable[..., Awaitable[Verdict]]:
        """permission(id, **where) → the verdict (keywords from `permission_requests`)."""
        ...


def fields_of(data: Any) -> list[Any]:
    """A fetch's answers, pane by pane (the screens' fetch results are dataclasses)."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return [getattr(data, field.name) for field in dataclasses.fields(data)]
    return []


class PolledScreen(ExplainsDisabledKeys, Screen[None]):
    """The poll loop, the Retry-After wait and permission gating; see the module docstring.
    The screen composes a ContextBar and a `#status` line."""

    GATED: ClassVar[dict[str, str]] = {}
    """action name → permission id (`workspace.create`, `project.member.add`, …)."""
    poll_seconds: ClassVar[float] = POLL_SECONDS

    def __init__(self, service: PollService, *, first_frame: asyncio.Event | None = None) -> None:
        super().__init__()
        self.service = service
        self.first_frame = first_frame
        self.loaded = False
        """True once the first fetch has been shown."""
        self.permissions: dict[str, Verdict] = {}
        """permission id → the service's answer; an id not here yet is still being asked."""
        self.problem: KstuiError | None = None
        """The last fetch's failure (the rows shown are then the last good ones)."""
        self._suspended = False
        self._next_poll: Timer | None = None
        self._wait_note = ""
        """The Retry-After part of the header's problem text, while it shows."""

    # ------------------------------------------------------------------ for subclasses

    async def fetch(self) -> Any:
        raise NotImplementedError

    def show(self, data: Any) -> None:
        raise NotImplementedError

    def show_failure(self, error: KstuiError) -> None:
        """The fetch failed: the rows stay, the header says why."""

    def permission_requests(self) -> dict[str, dict[str, str]]:
        """permission id → keyword arguments for `service.permission`."""
        return {}

    def readonly_reason(self) -> str:
        """Why every gated action is denied without asking, as the session says why writes
        are off ("started with --readonly"; "" when they are not)."""
        return ""

    # ------------------------------------------------------------------ the poll

    async def _after_first_frame(self) -> None:
        if self.first_frame is not None:
            await self.first_frame.wait()

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self) -> None:
        """Fetch, show, schedule the next. Whatever asks for a poll (the timer, `r`, coming
        back from a form) waits out a Retry-After first; the header counts down meanwhile."""
        self._cancel_next_poll()
        await self._after_first_frame()
        retry_after = self.service.retry_after
        while (wait := retry_after.remaining()) > 0:
            if self._suspended:
                return  # resuming polls again, and waits what is left
            self._show_wait(wait)
            await asyncio.sleep(min(wait, 1.0))
        try:
            data = await self.fetch()
        except Exception as failure:
            error = (
                failure
                if isinstance(failure, KstuiError)
                else KstuiError(f"unexpected {type(failure).__name__}", str(failure))
            )
            retry_after.note(error)
            self.problem = error
            if not self._suspended:
                self.show_failure(error)
                self._wait_note = ""
                self._bar().problem = problem_text(error)
        else:
            for value in fields_of(data):  # panes that failed on their own (or_error)
                retry_after.note(value)
            self.problem = None
            if not self._suspended:
                bar = self._bar()
                self._wait_note = ""
                bar.problem = ""  # show() may name a pane that could not be read
                bar.synced_at = time.monotonic()
                self.show(data)
                self.loaded = True
        if not self._suspended:
            wait = retry_after.remaining()
            if wait > 0:
                self._show_wait(wait)
            # A longer wait is counted down, second by second, by the next poll's first loop.
            delay = self.poll_seconds if wait <= self.poll_seconds else 1.0
            self._next_poll = self.set_timer(delay, self.poll)

    def _show_wait(self, wait: float) -> None:
        """The header says the server asked for a pause (429) and how long is left."""
        bar = self._bar()
        rest = bar.problem.removeprefix(self._wait_note).removeprefix("; ")
        self._wait_note = f"server busy (429): next read in {math.ceil(wait)}s"
        bar.problem = "; ".join(part for part in (self._wait_note, rest) if part)

    def _cancel_next_poll(self) -> None:
        if self._next_poll is not None:
            self._next_poll.stop()
            self._next_poll = None

    def on_screen_suspend(self) -> None:
        self._suspended = True
        self._cancel_next_poll()

    def on_screen_resume(self) -> None:
        if self._suspended:
            self._suspended = False
            self.poll()

    # ------------------------------------------------------------------ permissions

    @work(exclusive=True, group="permissions", exit_on_error=False)
    async def check_permissions(self) -> None:
        await self._after_first_frame()
        requests = self.permission_requests()
        answers: dict[str, Verdict]
        if why := self.readonly_reason():
            answers = {pid: Denied(f"read-only mode ({why})") for pid in requests}
        else:

            async def ask(pid: str, kwargs: dict[str, str]) -> tuple[str, Verdict]:
                try:
                    return pid, await self.service.permission(pid, **kwargs)
                except KstuiError as error:
                    return pid, Denied(f"could not check: {error.title}")

            asked = (ask(pid, kwargs) for pid, kwargs in requests.items())
            answers = dict(await asyncio.gather(*asked))
        self.permissions = answers
        self.refresh_bindings()
        self._show_denied_summary()

    def allowed(self, action: str) -> bool | None:
        """True, or None (shown disabled) while unknown or denied."""
        pid = self.GATED.get(action)
        if pid is None:
            return True
        permission = self.permissions.get(pid)
        return True if permission is not None and permission.allowed else None

    def denial(self, action: str) -> str:
        pid = self.GATED.get(action, "")
        permission = self.permissions.get(pid)
        if permission is None:
            return "still checking permissions…"
        return permission.reason or "not allowed"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.allowed(action)

    def _show_denied_summary(self) -> None:
        """One line naming the disabled keys and why (the footer can only dim them)."""
        by_reason: dict[str, list[str]] = {}
        for active in self.active_bindings.values():
            action = active.binding.action
            if active.node is self and not active.enabled and action in self.GATED:
                label = f"{self.app.get_key_display(active.binding)} {active.binding.description}"
                by_reason.setdefault(self.denial(action), []).append(label)
        if len(by_reason) == 1:
            ((reason, labels),) = by_reason.items()
            self.set_status(f"disabled — {', '.join(labels)}: {reason}")
        elif by_reason:
            keys = ", ".join(label for labels in by_reason.values() for label in labels)
            self.set_status(f"disabled — {keys} (press one to see why)")
        else:
            self.set_status("")

    def set_status(self, text: str, *, alert: bool = False) -> None:
        """The line above the footer: disabled keys and why, or what a key press could not do."""
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_class(alert, "-denied")

    def why_disabled(self, binding: ActiveBinding) -> str:
        """A gated key pressed while denied (ExplainsDisabledKeys): why, on the status line."""
        action, description = binding.binding.action, binding.binding.description
        if action not in self.GATED:
            return ""
        if why := self.readonly_reason():
            return readonly_notice(description, why)
        key = self.app.get_key_display(binding.binding)
        return f"{key} {description}: {self.denial(action)}"

    def say_disabled(self, text: str) -> None:
        self.set_status(text, alert=True)

    # ------------------------------------------------------------------ errors

    def _bar(self) -> ContextBar:
        return self.query_one(ContextBar)

    def on_worker_state_changed(self, event: Any) -> None:
        """A failed user action becomes one notification (the poll reports in the header)."""
        worker = event.worker
        if worker.error is None or worker.group in ("poll", "permissions"):
            return
        notify_failure(self, worker.error)
