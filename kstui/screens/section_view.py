"""SectionView: a polled view of a section (Apps, Pipelines): the context bar, crumbs, an
optional note line, the view's body (a table unless it says otherwise), a status line, the
prompt and the footer; on mount the tables say "loading…", the view prepares its columns, the
context bar names the cluster, user and the section's scope, then the first poll starts."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult

from kstui.backends.errors import KstuiError
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message
from kstui.screens.polled_view import PolledScreen, PollService
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable


class SectionView(PolledScreen):
    """Subclasses compose `compose_body()`, set their columns in `prepare()`, fetch and show."""

    DEFAULT_CSS = """
    SectionView #crumbs {
        height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    SectionView #note { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    SectionView #status {
        height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    SectionView #status.-denied { color: $warning; text-style: bold; }
    SectionView ResourceTable { height: 1fr; }
    """
    SCOPE: ClassVar[str] = ""
    """What the context bar shows where a namespace would be: the section's reach."""
    NOTE_LINE: ClassVar[bool] = False
    """A note line under the crumbs (set_note) in every view of the section."""

    def __init__(self, env: ScreenEnv, service: PollService) -> None:
        super().__init__(service, first_frame=env.first_frame)
        self.env = env
        self.session = env.session

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Plain(self.crumbs(), id="crumbs", one_line=True)
        if self.NOTE_LINE:
            yield Plain("", id="note")
        yield from self.compose_body()
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(id="table")

    def crumbs(self) -> str:
        return ""

    def on_mount(self) -> None:
        for table in self.query(ResourceTable):
            table.set_empty_message("loading…")
            if self.env.frozen_now is not None:
                table.freeze_time(self.env.frozen_now)
        self.prepare()
        bar = self.query_one(ContextBar)
        info = self.session.backend().info
        bar.context, bar.cluster, bar.user = info.name, info.cluster, info.user
        bar.readonly = self.session.readonly()
        bar.namespace = self.SCOPE
        self.poll()
        self.check_permissions()
        self.show_identity()

    def show_identity(self) -> None:
        """Who the server says the user is (the bar shows the kubeconfig's user name until
        then), as every section's context bar does."""
        self.run_worker(self.show_identity_now(), group="identity", exit_on_error=False)

    async def show_identity_now(self) -> None:
        await self._after_first_frame()
        backend = self.session.backend()
        await backend.open()
        self.query_one(ContextBar).user = await backend.identity_label()

    def prepare(self) -> None:
        """Columns and focus, before the first fetch."""

    def show_failure(self, error: KstuiError) -> None:
        for table in self.query(ResourceTable):
            if not table.row_count:
                table.set_empty_message(error_message(error))

    def update_crumbs(self, text: str = "") -> None:
        self.query_one("#crumbs", Plain).update(text or self.crumbs())

    def readonly_reason(self) -> str:
        return self.session.readonly_reason()

    def action_refresh(self) -> None:
        self.poll()
        self.check_permissions()
