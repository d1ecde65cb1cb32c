"""What the Pipelines section's views share: a polled view with the context bar, crumbs, a
note line, a status line, the prompt and the footer; rows and words for runs and pipelines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding

from kstui.backends.errors import KstuiError
from kstui.backends.pipeline_graph import format_duration
from kstui.backends.pipeline_rows import PipelineRow, RunRow, run_duration, weather_word
from kstui.backends.pipelines_service import PipelineService
from kstui.model import Column, Row, Tone
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message
from kstui.screens.polled_view import PolledScreen
from kstui.screens.sections import FIRST_VIEW
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.textual_leaks import Footer

PHASE_TONES = {
    "Succeeded": Tone.OK,
    "Failed": Tone.ERROR,
    "Running": Tone.WARN,
    "Pending": Tone.WARN,
    "Cancelled": Tone.MUTED,
    "Unknown": Tone.MUTED,
}

PIPELINE_COLUMNS = (
    Column("CLUSTER", max_width=12),
    Column("WORKSPACE", max_width=14),
    Column("PROJECT", max_width=18),
    Column("PIPELINE", max_width=24),
    Column("HEALTH", max_width=11),
    Column("LAST RUN", max_width=16),
    Column("STARTED", age=True, max_width=8),
    Column("BRANCHES", max_width=30),
)

RUN_COLUMNS = (
    Column("RUN", numeric=True, max_width=6),
    Column("PHASE", max_width=10),
    Column("STARTED", age=True, max_width=8),
    Column("DURATION", max_width=9),
    Column("BRANCH", max_width=14),
    Column("COMMIT", max_width=12),
    Column("CAUSE", max_width=30),
    Column("NAME", max_width=28),
)


def rfc3339(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pipeline_line(row: PipelineRow) -> Row:
    last = f"{row.last_phase} #{row.last_run}" if row.last_phase else "never run"
    branches = ", ".join(row.branches) if row.multi_branch else ""
    name = f"{row.name} (multi-branch)" if row.multi_branch and len(row.name) < 14 else row.name
    return Row(
        row.key,
        (
            row.cluster,
            row.workspace,
            row.namespace,
            name,
            weather_word(row.weather) or ("sync " + row.sync if row.sync else ""),
            last,
            rfc3339(row.last_started),
            branches,
        ),
        PHASE_TONES.get(row.last_phase, Tone.NORMAL) if row.last_phase == "Failed" else Tone.NORMAL,
    )


def run_line(run: RunRow, now: float) -> Row:
    return Row(
        run.key,
        (
            run.build or "—",
            run.phase,
            rfc3339(run.started or run.created),
            format_duration(run_duration(run, now)),
            run.branch,
            run.commit,
            run.cause,
            run.name,
        ),
        PHASE_TONES.get(run.phase, Tone.NORMAL),
    )


class PipelineView(PolledScreen):
    """A polled view of the section; subclasses compose `compose_body()`, fetch and show."""

    DEFAULT_CSS = """
    PipelineView #crumbs { height: 1; padding: 0 1; color: $text-muted; }
    PipelineView #note { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    PipelineView #status { height: 1; padding: 0 1; color: $text-muted; }
    PipelineView #status.-denied { color: $warning; text-style: bold; }
    PipelineView ResourceTable { height: 1fr; }
    """
    COMMON_BINDINGS: ClassVar[list[Binding]] = []
    service: PipelineService

    def __init__(self, env: ScreenEnv, service: PipelineService) -> None:
        super().__init__(service, first_frame=env.first_frame)
        self.env = env
        self.session = env.session

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Plain(self.crumbs(), id="crumbs", one_line=True)
        yield Plain("", id="note")
        yield from self.compose_body()
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(id="table")

    def crumbs(self) -> str:
        return "pipelines"

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
        bar.namespace = "(DevOps)"
        self.poll()
        self.check_permissions()

    def prepare(self) -> None:
        """Columns and focus, before the first fetch."""

    def show_failure(self, error: KstuiError) -> None:
        for table in self.query(ResourceTable):
            if not table.row_count:
                table.set_empty_message(error_message(error))

    def set_note(self, text: str) -> None:
        self.query_one("#note", Plain).update(text)

    def update_crumbs(self, text: str = "") -> None:
        self.query_one("#crumbs", Plain).update(text or self.crumbs())

    def readonly_reason(self) -> str:
        return self.session.readonly_reason()

    def now(self) -> float:
        return self.env.now()

    def action_refresh(self) -> None:
        self.poll()
        self.check_permissions()

    def action_view(self, view: str) -> None:
        """`:s2i` from any of the section's views: the section's list opens it."""
        for screen in reversed(self.app.screen_stack):
            opener = getattr(screen, "open_view", None)
            if opener is not None:
                opener(view)
                return

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.notify(FIRST_VIEW, timeout=3)
