"""What the Pipelines section's views share: a polled view with the context bar, crumbs, a
note line, a status line, the prompt and the footer; rows and words for runs and pipelines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from textual.binding import Binding

from kstui.backends.pipeline_graph import format_duration
from kstui.backends.pipeline_rows import PipelineRow, RunRow, run_duration, weather_word
from kstui.backends.pipelines_service import PipelineService
from kstui.model import Column, Row, Tone
from kstui.screens.section_view import SectionView
from kstui.screens.sections import FIRST_VIEW
from kstui.widgets.plain import Plain

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


class PipelineView(SectionView):
    """A polled view of the section; subclasses compose `compose_body()`, fetch and show."""

    SCOPE = "(DevOps)"
    NOTE_LINE = True
    COMMON_BINDINGS: ClassVar[list[Binding]] = []
    service: PipelineService

    def crumbs(self) -> str:
        return "pipelines"

    def set_note(self, text: str) -> None:
        self.query_one("#note", Plain).update(text)

    def now(self) -> float:
        return self.env.now()

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
