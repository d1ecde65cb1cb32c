"""An S2I/B2I builder's runs (enter on a builder in `:s2i`): every S2iRun of it, newest first,
read every 3 s, with state, start, duration, the image it produced and its name; the detail line
shows the selected run's image whole; l follows that run's build log (its Job's pod).
`:s2itemplates`: the builder templates, with their code framework and base images."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding

from kstui.backends.pipeline_graph import format_duration
from kstui.backends.pipelines_service import WITHIN, PipelineService
from kstui.backends.s2i_history import (
    S2iRunRow,
    TemplateRow,
    read_builder_runs,
    read_templates,
)
from kstui.backends.s2i_rows import S2iRow
from kstui.model import Column, Row, Tone
from kstui.screens.env import ScreenEnv
from kstui.screens.pipeline_views import PipelineView, rfc3339
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable

STATE_TONES = {"Successful": Tone.OK, "Failed": Tone.ERROR, "Running": Tone.WARN}
RUN_COLUMNS = (
    Column("STATE", max_width=10),
    Column("STARTED", age=True, max_width=8),
    Column("DURATION", max_width=9),
    Column("IMAGE", max_width=40),
    Column("RUN", max_width=28),
)
TEMPLATE_COLUMNS = (
    Column("CLUSTER", max_width=12),
    Column("TEMPLATE", max_width=14),
    Column("FRAMEWORK", max_width=10),
    Column("BINARY", max_width=6),
    Column("BASE IMAGE", max_width=44),
    Column("VERSION", max_width=8),
    Column("DESCRIPTION", max_width=40),
)


def run_image(run: S2iRunRow) -> str:
    if run.image:
        return run.image
    return "none (failed)" if run.state == "Failed" else "—"


def s2i_run_line(run: S2iRunRow, now: float) -> Row:
    return Row(
        run.key,
        (
            run.state or "pending",
            rfc3339(run.started),
            format_duration(run.duration_ms(now)),
            run_image(run),
            run.name,
        ),
        STATE_TONES.get(run.state, Tone.MUTED),
    )


def run_detail(run: S2iRunRow | None) -> str:
    if run is None:
        return ""
    return f"{run.name}  image: {run_image(run)}"


class S2iRunsScreen(PipelineView):
    poll_seconds = 3.0
    DEFAULT_CSS = "S2iRunsScreen #detail { height: auto; padding: 0 1; }"
    BINDINGS = [
        Binding("l", "logs", "build log", id="s2iruns.logs"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="s2iruns.refresh"),
        Binding("escape,q", "back", "back", show=False, id="s2iruns.back"),
    ]

    def __init__(self, env: ScreenEnv, service: PipelineService, builder: S2iRow) -> None:
        super().__init__(env, service)
        self.builder = builder
        self.runs: dict[str, S2iRunRow] = {}
        self.order: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(id="table")
        yield Plain("", id="detail")

    def crumbs(self) -> str:
        b = self.builder
        return f"pipelines › s2i › {b.cluster}/{b.namespace}/{b.builder} › runs[{len(self.runs)}]"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(RUN_COLUMNS)
        table.focus()
        self.set_note(f"{self.builder.kind} from {self.builder.source or '?'}")

    async def fetch(self) -> list[S2iRunRow]:
        return await read_builder_runs(self.service.links, self.builder)

    def show(self, data: list[S2iRunRow]) -> None:
        self.runs = {r.key: r for r in data}
        self.order = [r.key for r in data]
        table = self.query_one(ResourceTable)
        now = self.now()
        table.sync(s2i_run_line(r, now) for r in data)
        if not data:
            table.set_empty_message("no runs yet: ctrl+e in the builders list starts one")
        self.update_crumbs()
        self.show_detail()

    def selected(self) -> S2iRunRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.runs.get(key) if key is not None else None

    def show_detail(self) -> None:
        self.query_one("#detail", Plain).update(run_detail(self.selected()))

    def on_resource_table_cursor_moved(self, _event: Any) -> None:
        self.show_detail()

    def action_logs(self) -> None:
        """The selected run's build log: its Job's pod, followed (the logs view)."""
        from kstui.backends.log_streams import LogScope
        from kstui.screens.logs import LogsScreen

        run = self.selected()
        if run is None or not run.job:
            self.set_status("l build log: this run has no build Job yet")
            return
        b = self.builder
        scope = LogScope(b.context, b.namespace, selector=f"job-name={run.job}")
        backend = self.session.backend(b.context)
        self.app.push_screen(LogsScreen([(backend, scope)], title=f"build log {run.name}"))


class S2iTemplatesScreen(PipelineView):
    poll_seconds = 30.0
    BINDINGS = [
        Binding("ctrl+r", "refresh", "refresh", show=False, id="s2itemplates.refresh"),
        Binding("escape,q", "back", "back", show=False, id="s2itemplates.back"),
    ]

    def __init__(self, env: ScreenEnv, service: PipelineService) -> None:
        super().__init__(env, service)
        self.templates: dict[str, TemplateRow] = {}

    def crumbs(self) -> str:
        return f"pipelines › s2i templates[{len(self.templates)}]"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(TEMPLATE_COLUMNS)
        table.focus()

    async def fetch(self) -> tuple[list[TemplateRow], list[str]]:
        return await read_templates(self.service.links, within=WITHIN)

    def show(self, data: tuple[list[TemplateRow], list[str]]) -> None:
        rows, warnings = data
        self.templates = {r.key: r for r in rows}
        table = self.query_one(ResourceTable)
        table.sync(
            Row(
                r.key,
                (
                    r.cluster,
                    r.name,
                    r.framework,
                    "yes" if r.binary else "no",
                    ", ".join(dict.fromkeys((r.base_image, *r.images))),
                    r.version,
                    r.description,
                ),
            )
            for r in rows
        )
        if not rows:
            table.set_empty_message("no S2I builder templates")
        self.set_note("; ".join(warnings))
        self.update_crumbs()
