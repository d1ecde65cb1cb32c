"""S2I/B2I builds (`:s2i` from the Pipelines section): each builder across clusters, whether
it builds from source (S2I) or a binary (B2I), its template, its newest run's state and start,
and the image that run produced. Read every 5 s; ctrl+e starts a build (an S2iRun); l follows
the newest run's build log (its Job's pod); enter lists all the builder's runs."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding

from kstui.backends.errors import KstuiError
from kstui.backends.pipelines_service import WITHIN
from kstui.backends.s2i_rows import S2iRow, read_s2i, start_build
from kstui.model import Column, Row, Tone
from kstui.screens.failures import error_message
from kstui.screens.pipeline_views import PipelineView, rfc3339
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable

S2I_COLUMNS = (
    Column("CLUSTER", max_width=12),
    Column("NAMESPACE", max_width=16),
    Column("BUILDER", max_width=20),
    Column("KIND", max_width=4),
    Column("TEMPLATE", max_width=10),
    Column("LAST RUN", max_width=10),
    Column("STARTED", age=True, max_width=8),
    Column("IMAGE", max_width=48),
)
STATE_TONES = {"Successful": Tone.OK, "Failed": Tone.ERROR, "Running": Tone.WARN}


def image_word(row: S2iRow) -> str:
    return row.image or ("—" if row.state != "Failed" else "none (failed)")


def builder_detail(row: S2iRow | None) -> str:
    """The selected builder's newest image, whole (the IMAGE column is cut at 80 columns)."""
    if row is None:
        return ""
    return f"{row.builder} {row.last_run or '(no run)'}  image: {image_word(row)}"


def s2i_line(row: S2iRow) -> Row:
    return Row(
        row.key,
        (
            row.cluster,
            row.namespace,
            row.builder,
            row.kind,
            row.template,
            row.state or "no run",
            rfc3339(row.started),
            image_word(row),
        ),
        STATE_TONES.get(row.state, Tone.MUTED if not row.state else Tone.NORMAL),
    )


class S2iScreen(PipelineView):
    poll_seconds = 5.0
    DEFAULT_CSS = "S2iScreen #detail { height: auto; padding: 0 1; }"
    BINDINGS = [
        Binding("enter", "runs", "runs", id="s2i.choose"),
        Binding("ctrl+e", "trigger", "run (build)", id="s2i.run"),
        Binding("l", "logs", "build log", id="s2i.logs"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="s2i.refresh"),
        Binding("escape,q", "back", "back", show=False, id="s2i.back"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.builders: dict[str, S2iRow] = {}

    def compose_body(self) -> ComposeResult:
        yield ResourceTable(id="table")
        yield Plain("", id="detail")

    def show_detail(self) -> None:
        self.query_one("#detail", Plain).update(builder_detail(self.selected()))

    def on_resource_table_cursor_moved(self, _event: object) -> None:
        self.show_detail()

    def crumbs(self) -> str:
        return f"pipelines › s2i builders[{len(self.builders)}]"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(S2I_COLUMNS)
        table.focus()

    async def fetch(self) -> tuple[list[S2iRow], list[str]]:
        return await read_s2i(self.service.links, within=WITHIN)

    def selected(self) -> S2iRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.builders.get(key) if key is not None else None

    @on(ResourceTable.RowChosen)
    def _chosen(self, _event: Any) -> None:
        self.action_runs()

    def action_runs(self) -> None:
        """Every run of the builder, newest first (pipeline_s2i_runs.py)."""
        from kstui.screens.pipeline_s2i_runs import S2iRunsScreen

        row = self.selected()
        if row is not None:
            self.app.push_screen(S2iRunsScreen(self.env, self.service, row))

    def action_logs(self) -> None:
        """The newest run's build log: its Job's pod, followed (the logs view)."""
        from kstui.backends.log_streams import LogScope
        from kstui.screens.logs import LogsScreen

        row = self.selected()
        if row is None or not row.job:
            self.set_status("l build log: this builder has no run with a build Job yet")
            return
        scope = LogScope(row.context, row.namespace, selector=f"job-name={row.job}")
        backend = self.session.backend(row.context)
        self.app.push_screen(LogsScreen([(backend, scope)], title=f"build log {row.last_run}"))

    @work(group="write", exit_on_error=False)
    async def action_trigger(self) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            made = await start_build(self.service.links, row)
        except KstuiError as error:
            self.set_status(f"ctrl+e build {row.builder}: {error_message(error)}", alert=True)
            return
        name = made.get("metadata", {}).get("name", "")
        self.notify(f"created S2iRun {name} of {row.builder}", title="build")
        self.poll()

    def show(self, data: tuple[list[S2iRow], list[str]]) -> None:
        rows, warnings = data
        self.builders = {r.key: r for r in rows}
        table = self.query_one(ResourceTable)
        table.sync(s2i_line(r) for r in rows)
        if not rows:
            table.set_empty_message("no S2I/B2I builders")
        self.set_note("; ".join(warnings))
        self.update_crumbs()
        self.show_detail()
