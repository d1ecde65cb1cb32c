"""What the Workspaces section's screens share on top of a PolledScreen (polled_view.py, the
poll loop and permission gating): the session and service, panes, and the resource browser
link. The list, a workspace and a project each subclass TenancyScreen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TabbedContent, TabPane

from kstui.backends.errors import KstuiError
from kstui.backends.tenancy import QuotaLine, WorkspaceSummary
from kstui.backends.workspaces import WorkspaceService
from kstui.screens.env import ScreenEnv
from kstui.screens.polled_view import POLL_SECONDS, PolledScreen
from kstui.screens.resources import Target
from kstui.screens.sections import FIRST_VIEW
from kstui.widgets.quota_bars import QuotaBars
from kstui.widgets.resource_table import ResourceTable

__all__ = [
    "NOT_VISIBLE",
    "NO_ACCESS",
    "POLL_SECONDS",
    "UNKNOWN",
    "OpenResources",
    "TenancyScreen",
    "clusters_text",
    "manager_text",
    "or_error",
    "quota_summary",
    "unreached_text",
]

OpenResources = Callable[[Target], object]
"""How a tenancy screen asks the app to open the resource browser (the app pushes it)."""

T = TypeVar("T")


async def or_error(call: Awaitable[T]) -> T | KstuiError:
    """One pane's answer or why it failed: the other panes of the same poll still show."""
    try:
        return await call
    except KstuiError as error:
        return error


_SHORT_RESOURCE = {
    "limits.cpu": "cpu",
    "limits.memory": "mem",
    "requests.cpu": "req.cpu",
    "requests.memory": "req.mem",
    "pods": "pods",
}


def quota_summary(lines: Iterable[QuotaLine]) -> tuple[str, float | None]:
    """The fullest quota line in a few characters ("cpu 45%") and its ratio, for list cells."""
    known = [line for line in lines if line.ratio is not None]
    if not known:
        return "—", None
    fullest = max(known, key=lambda line: line.ratio or 0.0)
    assert fullest.ratio is not None
    name = _SHORT_RESOURCE.get(fullest.resource, fullest.resource)
    return f"{name} {round(fullest.ratio * 100)}%", fullest.ratio


NOT_VISIBLE = "not visible to you (forbidden)"
UNKNOWN = "unknown (forbidden)"
NO_ACCESS = "no access from this context"


def clusters_text(workspace: WorkspaceSummary) -> str:
    """Where a workspace is placed; "unknown (forbidden)" when its template may not be read."""
    if "clusters" in workspace.forbidden:
        return UNKNOWN
    return ", ".join(workspace.clusters) or "no cluster"


def manager_text(workspace: WorkspaceSummary) -> str:
    return UNKNOWN if "manager" in workspace.forbidden else workspace.manager or "—"


def unreached_text(clusters: Iterable[str]) -> str:
    """ "+? on member": projects there are not counted, since this context cannot list them."""
    names = ", ".join(clusters)
    return f"+? on {names}" if names else ""


class TenancyScreen(PolledScreen):
    """A polled view (PolledScreen) whose write actions are gated by the WorkspaceService's
    Permission answers; a context marked read-only denies them all without asking."""

    DEFAULT_CSS = """
    TenancyScreen #crumbs { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    TenancyScreen #status { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    TenancyScreen #status.-denied { color: $warning; text-style: bold; }
    TenancyScreen ResourceTable { height: 1fr; }
    TenancyScreen #panes { height: 1fr; }
    TenancyScreen #panes > ContentSwitcher { height: 1fr; }
    TenancyScreen #panes TabPane { height: 1fr; padding: 0; }
    """
    service: WorkspaceService
    PANES: ClassVar[tuple[str, ...]] = ()
    """TabPane ids of the TabbedContent `#panes`, in the order tab cycles them."""
    PANE_ACTIONS: ClassVar[dict[str, str]] = {}
    """action name → the pane it works on; hidden while another pane shows."""

    def __init__(self, env: ScreenEnv, service: WorkspaceService) -> None:
        super().__init__(service, first_frame=env.first_frame)
        self.env = env
        self.session = env.session
        self.open_resources: OpenResources = env.open_resources
        self.frozen_now = env.frozen_now
        """Tests and snapshots freeze ages and the data-age clock."""
        self.relink = False
        """Set by `r`: the next fetch maps contexts to clusters afresh."""

    # ------------------------------------------------------------------ for subclasses

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

    def action_refresh(self) -> None:
        self.relink = True
        self.poll()
        self.check_permissions()

    def readonly_reason(self) -> str:
        return self.session.readonly_reason(self.write_context)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        pane = self.PANE_ACTIONS.get(action)
        if pane is not None and pane != self.active_pane:
            return False
        return super().check_action(action, parameters)

    def why_hidden(self, binding: Binding) -> str:
        pane = self.PANE_ACTIONS.get(binding.action)
        if pane is None:
            return ""
        return f"{binding.description}: works in the {pane} pane (tab or ] to switch)"

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

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.notify(FIRST_VIEW, timeout=3)
