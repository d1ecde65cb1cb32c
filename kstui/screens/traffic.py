"""The Traffic section (key 6, `:traffic`): every grayscale Strategy across the contexts, with
its type, versions, the weights in effect (from the generated VirtualService), its governor and
how long it has stayed at a partial weight; on clusters without the Strategy CRD, every
VirtualService and HTTPRoute that splits traffic. Enter opens the slider view
(traffic_split.py), `a` creates a Strategy, `L` shows the guard's override journal."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding

from kstui.backends.errors import KstuiError
from kstui.backends.traffic_cells import list_columns, split_row
from kstui.backends.traffic_model import Split
from kstui.backends.traffic_service import Listing, TrafficService
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message
from kstui.screens.polled_view import PolledScreen
from kstui.screens.sections import FIRST_VIEW
from kstui.screens.traffic_modals import open_journal
from kstui.screens.traffic_split import SplitScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.crumbs import Crumbs
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

EMPTY = (
    "no traffic split: no grayscale Strategy, and no VirtualService or HTTPRoute sending to "
    "two backends (a to create one)"
)


class TrafficScreen(PolledScreen):
    """The list of splits; the section's first view."""

    poll_seconds: ClassVar[float] = 3.0
    DEFAULT_CSS = """
    TrafficScreen #crumbs { padding: 0 1; color: $text-muted; }
    TrafficScreen #notes { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    TrafficScreen #status { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    TrafficScreen ResourceTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "open", "slider", id="traffic.choose"),
        Binding("a", "create", "new strategy", id="traffic.add"),
        Binding("L", "journal", "overrides", id="traffic.journal"),
        Binding("ctrl+r", "refresh", "refresh", id="traffic.refresh"),
        Binding("escape,q", "back", "back", show=False, id="traffic.back"),
    ]

    GATED: ClassVar[dict[str, str]] = {"create": "create"}
    """Read-only mode disables `a` (and says why); RBAC is asked by the form, per namespace."""

    def __init__(self, env: ScreenEnv, service: TrafficService) -> None:
        super().__init__(service, first_frame=env.first_frame)
        self.env = env
        self.service: TrafficService = service
        self.splits: dict[str, Split] = {}
        if env.frozen_now is not None:
            self.poll_seconds = 3600.0  # type: ignore[misc]  # snapshots: one read
            service.clock = env.now

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Crumbs(("traffic",), id="crumbs")
        yield ResourceTable(id="table")
        yield Plain("", id="notes", one_line=True)
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(list_columns(1))
        table.set_empty_message("loading…")
        if self.env.frozen_now is not None:
            table.freeze_time(self.env.frozen_now)
        table.focus()
        session = self.env.session
        bar = self.query_one(ContextBar)
        bar.context = session.context
        bar.namespace = "(traffic)"
        bar.readonly = session.readonly(bar.context)
        self.query_one("#notes", Plain).display = False
        self.poll()
        self.show_identity()
        self.check_permissions()

    def permission_requests(self) -> dict[str, dict[str, str]]:
        context = self.env.session.context
        return {"create": {"context": context, "namespace": "", "source": "strategy"}}

    def readonly_reason(self) -> str:
        return self.env.session.readonly_reason(self.env.session.context)

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        await self.env.after_first_frame()
        bar = self.query_one(ContextBar)
        bar.user = await self.service.clusters.whoami(bar.context)

    async def fetch(self) -> Listing:
        return await self.service.splits()

    def show(self, data: Listing) -> None:
        self.splits = {split.key: split for split in data.splits}
        table = self.query_one(ResourceTable)
        now = self.env.now()
        clusters = len({split.cluster for split in data.splits})
        if table.columns != list_columns(clusters):
            table.set_columns(list_columns(clusters))
        table.sync([split_row(split, now, clusters) for split in data.splits])
        table.set_empty_message(EMPTY)
        notes = self.query_one("#notes", Plain)
        notes.update("; ".join(data.notes))
        notes.display = bool(data.notes)
        self.query_one(Crumbs).show(("traffic",), f"[{table.row_count}]")

    def show_failure(self, error: KstuiError) -> None:
        table = self.query_one(ResourceTable)
        if not table.row_count:
            table.set_empty_message(error_message(error))

    def selected(self) -> Split | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.splits.get(key) if key is not None else None

    @on(ResourceTable.RowChosen)
    def _chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        split = self.selected()
        if split is None:
            self.notify("no split under the cursor", severity="warning")
            return
        self.app.push_screen(SplitScreen(self.env, self.service, split))

    def action_create(self) -> None:
        from kstui.screens.traffic_forms import CreateStrategyForm

        split = self.selected()
        namespace = split.namespace if split else self.env.session.namespace_of()
        context = split.context if split else self.env.session.context

        def done(result: object) -> None:
            if result is not None:
                self.poll()

        self.app.push_screen(CreateStrategyForm(self.service, context, namespace), done)

    def action_journal(self) -> None:
        open_journal(self, self.service)

    def action_refresh(self) -> None:
        self.poll()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.notify(FIRST_VIEW, timeout=3)
