"""What the Workspaces section's screens share: the poll loop, permission-gated actions and
error surfacing. The list, a workspace and a project each subclass TenancyScreen."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, ClassVar, TypeVar

from textual import events, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, TabbedContent, TabPane

from kstui.backends.errors import KstuiError
from kstui.backends.tenancy import Permission, QuotaLine
from kstui.backends.workspaces import WorkspaceService
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import notify_failure
from kstui.screens.resources import Target
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.quota_bars import QuotaBars
from kstui.widgets.resource_table import ResourceTable

POLL_SECONDS = 3.0
"""Pause between the end of one fetch and the start of the next (they never overlap)."""

OpenResources = Callable[[Target], object]
"""How a tenancy screen asks the app to open the resource browser (the app pushes it)."""

T = TypeVar("T")


async def or_error(call: Awaitable[T]) -> T | KstuiError:
    """One pane's answer or why it failed: the other panes of the same poll still show."""
    try:
        return await call
    except KstuiError as error:
        return error


_SHORT_RESOURCE = {"limits.cpu": "cpu", "limits.memory": "mem", "requests.cpu": "req.cpu",
                   "requests.memory": "req.mem", "pods": "pods"}


def quota_summary(lines: Iterable[QuotaLine]) -> tuple[str, float | None]:
    """The fullest quota line in a few characters ("cpu 45%") and its ratio, for list cells."""
    known = [line for line in lines if line.ratio is not None]
    if not known:
        return "—", None
    fullest = max(known, key=lambda line: line.ratio or 0.0)
    assert fullest.ratio is not None
    name = _SHORT_RESOURCE.get(fullest.resource, fullest.resource)
    return f"{name} {round(fullest.ratio * 100)}%", fullest.ratio


def _fields(data: Any) -> list[Any]:
    """A fetch's answers, pane by pane (the screens' fetch results are dataclasses)."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return [getattr(data, field.name) for field in dataclasses.fields(data)]
    return []


def denied(reason: str) -> Permission:
    return Permission(allowed=False, reason=reason)


class TenancyScreen(Screen[None]):
    """A polled view whose write actions are gated by the service's Permission answers.

    Subclasses implement `fetch()` (network only) and `show(data)` (widgets only), and list
    in `GATED` which action needs which permission id. The poll fetches, shows, then waits
    POLL_SECONDS before the next fetch; while a modal covers the screen it does not poll, and
    it polls at once when the screen comes back (a form may just have written something)."""

    DEFAULT_CSS = """
    TenancyScreen #crumbs { height: 1; padding: 0 1; color: $text-muted; }
    TenancyScreen #status { height: 1; padding: 0 1; color: $text-muted; }
    TenancyScreen #status.-denied { color: $warning; text-style: bold; }
    TenancyScreen ResourceTable { height: 1fr; }
    TenancyScreen #panes { height: 1fr; }
    TenancyScreen #panes > ContentSwitcher { height: 1fr; }
    TenancyScreen #panes TabPane { height: 1fr; padding: 0; }
    """
    GATED: ClassVar[dict[str, str]] = {}
    """action name → permission id (`workspace.create`, `project.member.add`, …)."""
    PANES: ClassVar[tuple[str, ...]] = ()
    """TabPane ids of the TabbedContent `#panes`, in the order tab cycles them."""
    PANE_ACTIONS: ClassVar[dict[str, str]] = {}
    """action name → the pane it works on; hidden while another pane shows."""

    def __init__(self, env: ScreenEnv, service: WorkspaceService) -> None:
        super().__init__()
        self.env = env
        self.session = env.session
        self.service = service
        self.open_resources: OpenResources = env.open_resources
        self.frozen_now = env.frozen_now
        """Tests and snapshots freeze ages and the data-age clock."""
        self.first_frame = env.first_frame
        self.loaded = False
        """True once the first fetch has been shown."""
        self.permissions: dict[str, Permission] = {}
        """permission id → the service's answer; an id not here yet is still being asked."""
        self.problem: KstuiError | None = None
        """The last fetch's failure (the rows shown are then the last good ones)."""
        self.relink = False
        """Set by `r`: the next fetch maps contexts to clusters afresh."""
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

    @property
    def write_context(self) -> str:
        """The context whose read-only setting applies to this screen's writes."""
        return self.session.context

    def compose_panes(self, first_id: str, first_label: str) -> ComposeResult:
        """A workspace's or project's three panes (tab and ] go right, shift+tab and [ left;
        the number keys are the sections'): its list, members, quota."""
        with TabbedContent(id="panes", initial=first_id):
            with TabPane(first_label, id=first_id):
                yield ResourceTable(id=f"{first_id}-table")
            with TabPane("Members", id="members"):
                yield ResourceTable(id="members-table")
            with TabPane("Quota", id="quota"):
                yield QuotaBars(id="quota-bars", empty_message="loading…")

    def prepare_tables(self) -> None:
        """Every table says "loading…" until the first fetch, with ages frozen for tests."""
        for table in self.query(ResourceTable):
            table.set_empty_message("loading…")
            if self.frozen_now is not None:
                table.freeze_time(self.frozen_now)

    # ------------------------------------------------------------------ the poll

    async def _after_first_frame(self) -> None:
        if self.first_frame is not None:
            await self.first_frame.wait()

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self) -> None:
        """Fetch, show, schedule the next: a slow server stretches the period, never stacks.
        After a 429 no fetch starts before its Retry-After, whatever asked for it (the timer,
        `r`, coming back from a form); the header counts down meanwhile."""
        self._cancel_next_poll()
        await self._after_first_frame()
        while (wait := self.service.retry_after.remaining()) > 0:
            if self._suspended:
                return  # resuming polls again, and waits what is left
            self._show_wait(wait)
            await asyncio.sleep(min(wait, 1.0))
        try:
            data = await self.fetch()
        except Exception as failure:
            error = failure if isinstance(failure, KstuiError) else KstuiError(
                f"unexpected {type(failure).__name__}", str(failure))
            self.service.retry_after.note(error)
            self.problem = error
            if not self._suspended:
                self.show_failure(error)
                self._wait_note = ""
                self._bar().problem = error.title
        else:
            for value in _fields(data):  # panes that failed on their own (or_error)
                self.service.retry_after.note(value)
            self.problem = None
            if not self._suspended:
                bar = self._bar()
                self._wait_note = ""
                bar.problem = ""  # show() may name a pane that could not be read
                bar.synced_at = time.monotonic()
                self.show(data)
                self.loaded = True
        if not self._suspended:
            wait = self.service.retry_after.remaining()
            if wait > 0:
                self._show_wait(wait)
            # A longer wait is counted down, second by second, by the next poll's first loop.
            delay = POLL_SECONDS if wait <= POLL_SECONDS else 1.0
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

    def action_refresh(self) -> None:
        self.relink = True
        self.poll()
        self.check_permissions()

    # ------------------------------------------------------------------ permissions

    @work(exclusive=True, group="permissions", exit_on_error=False)
    async def check_permissions(self) -> None:
        await self._after_first_frame()
        requests = self.permission_requests()
        if self.session.readonly(self.write_context):
            reason = f"context {self.write_context} is read-only"
            answers = {pid: denied(reason) for pid in requests}
        else:
            async def ask(pid: str, kwargs: dict[str, str]) -> tuple[str, Permission]:
                try:
                    return pid, await self.service.permission(pid, **kwargs)
                except KstuiError as error:
                    return pid, denied(f"could not check: {error.title}")
            answers = dict(await asyncio.gather(*(ask(pid, kwargs)
                                                  for pid, kwargs in requests.items())))
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
        pane = self.PANE_ACTIONS.get(action)
        if pane is not None and pane != self.active_pane:
            return False
        return self.allowed(action)

    # ------------------------------------------------------------------ panes

    @property
    def active_pane(self) -> str:
        if not self.PANES:
            return ""
        return self.query_one("#panes", TabbedContent).active or self.PANES[0]

    def action_pane(self, pane: str) -> None:
        self.query_one("#panes", TabbedContent).active = pane
        self._pane_shown()

    def action_cycle_pane(self, step: int) -> None:
        index = self.PANES.index(self.active_pane) if self.active_pane in self.PANES else 0
        self.action_pane(self.PANES[(index + step) % len(self.PANES)])

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        self._pane_shown()

    def _pane_shown(self) -> None:
        """Keys follow the pane: its table takes the focus and its actions appear."""
        pane = self.query_one(f"#{self.active_pane}")
        focusable = [widget for widget in pane.query("*") if widget.can_focus]
        if focusable:
            focusable[0].focus()
        else:
            self.set_focus(None)
        self.refresh_bindings()
        if self.permissions:
            self._show_denied_summary()

    def _show_denied_summary(self) -> None:
        """One line naming the disabled keys and why (the footer can only dim them)."""
        by_reason: dict[str, list[str]] = {}
        for active in self.active_bindings.values():
            action = active.binding.action
            if active.node is self and not active.enabled and action in self.GATED:
                label = f"{self.app.get_key_display(active.binding)} {active.binding.description}"
                by_reason.setdefault(self.denial(action), []).append(label)
        if len(by_reason) == 1:
            (reason, labels), = by_reason.items()
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

    def on_key(self, event: events.Key) -> None:
        """A disabled key does nothing in Textual; say why instead of staying silent."""
        active = self.active_bindings.get(event.key)
        if active is None or active.enabled or active.node is not self:
            return
        action = active.binding.action
        if action in self.GATED:
            event.stop()
            event.prevent_default()
            key = self.app.get_key_display(active.binding)
            self.set_status(f"{key} {active.binding.description}: {self.denial(action)}",
                            alert=True)
            self.app.bell()

    # ------------------------------------------------------------------ errors

    def _bar(self) -> ContextBar:
        return self.query_one(ContextBar)

    def on_worker_state_changed(self, event: Any) -> None:
        """A failed user action becomes one notification (the poll reports in the header)."""
        worker = event.worker
        if worker.error is None or worker.group in ("poll", "permissions"):
            return
        notify_failure(self, worker.error)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
