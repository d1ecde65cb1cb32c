"""EventsScreen: live events of a namespace, of every namespace, or of one object (and what
it owns), repeats grouped into one row with their summed count, first and last seen. `!`
shows only warnings (the server filters), or everything again; `/` filters the rows."""

from __future__ import annotations

from dataclasses import replace

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.event_groups import (
    COLUMNS,
    NAMESPACED_COLUMNS,
    EventGroup,
    EventScope,
    LiveEvents,
)
from kstui.safe_text import inert_line
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

APPLY_SECONDS = 0.2


class EventsScreen(Screen[None]):
    DEFAULT_CSS = """
    EventsScreen #title {
        height: 1; background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    EventsScreen ResourceTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "back", id="events.back"),
        Binding("exclamation_mark", "toggle_warnings", "warnings only", id="events.warnings"),
    ]

    def __init__(
        self, backend: Backend, scope: EventScope, *, frozen_now: float | None = None
    ) -> None:
        super().__init__()
        self.backend = backend
        self.scope = scope
        self.frozen_now = frozen_now
        self.groups: list[EventGroup] | None = None
        self.problem = ""
        self._dirty = False
        self.live: LiveEvents | None = None

    @property
    def heading(self) -> str:
        scope = self.scope
        if scope.object_name:
            what = f"events of {scope.object_kind.lower()} {scope.object_name}"
            where = f" in {scope.namespace}" if scope.namespace else ""
        else:
            what = "warning events" if scope.warnings else "events"
            where = f" in {scope.namespace}" if scope.namespace else " in every namespace"
        warnings = " (warnings)" if scope.warnings and scope.object_name else ""
        return f"{what}{warnings}{where} @ {self.backend.name}"

    def title_text(self) -> str:
        if self.problem:
            return f"{self.heading} · {self.problem}"
        if self.groups is None:
            return f"{self.heading} · loading…"
        total = sum(group.count for group in self.groups)
        return f"{self.heading} · {len(self.groups)} rows, {total} events · live"

    def compose(self) -> ComposeResult:
        yield Plain(self.heading, id="title", one_line=True)
        yield ResourceTable(id="events")
        yield Prompt(lambda _text: [], id="prompt")  # `/` filters the rows, `:` commands
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(COLUMNS if self.scope.namespace else NAMESPACED_COLUMNS)
        table.set_empty_message("loading…")
        if self.frozen_now is not None:
            table.freeze_time(self.frozen_now)
        table.focus()
        self.set_interval(APPLY_SECONDS, self._apply)
        self.watch_events()

    def _changed(self) -> None:
        self._dirty = True

    def _apply(self) -> None:
        if not self._dirty or self.live is None:
            return
        self._dirty = False
        self.groups = self.live.groups()
        table = self.query_one(ResourceTable)
        with_namespace = not self.scope.namespace
        table.sync(group.row(with_namespace) for group in self.groups)
        if not self.groups:
            table.set_empty_message(f"no {self.heading.split(' @ ')[0]}")
        self.query_one("#title", Plain).update(self.title_text())

    @work(exclusive=True, group="events", exit_on_error=False)
    async def watch_events(self) -> None:
        self.groups, self.problem, self._dirty = None, "", False
        self.query_one("#title", Plain).update(self.title_text())
        self.live = live = LiveEvents(self.scope, self._changed)
        try:
            client = await self.backend.open()
            await live.run(client)
        except KstuiError as error:
            self.problem = inert_line(
                f"{error.title}: {error.detail}" if error.detail else error.title
            )
            self.query_one(ResourceTable).set_empty_message(self.problem)
            self.query_one("#title", Plain).update(self.title_text())

    def action_toggle_warnings(self) -> None:
        self.scope = replace(self.scope, warnings=not self.scope.warnings)
        self.query_one(ResourceTable).sync(())
        self.watch_events()

    def action_back(self) -> None:
        self.dismiss(None)
