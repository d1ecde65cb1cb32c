"""One pipeline's runs, live (read every 2 s): build number, phase, start, duration, branch,
commit and trigger cause. Enter opens a run (pipeline_run.py); ctrl+e triggers a new one;
ctrl+n runs one again with the same parameters; ctrl+d deletes a finished run (a running one is
refused, as KubeSphere refuses it); y its YAML. A run that vanishes (Jenkins merged it into an
identical queued build, and the controller deleted it) just leaves the list."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.binding import Binding

from kstui.backends.pipeline_rows import PipelineRow, RunRow
from kstui.backends.pipelines_service import PipelineService
from kstui.screens.confirm import ConfirmModal
from kstui.screens.env import ScreenEnv
from kstui.screens.pipeline_views import RUN_COLUMNS, PipelineView, run_line
from kstui.widgets.resource_table import ResourceTable


class RunsScreen(PipelineView):
    poll_seconds = 2.0
    GATED = {"trigger": "run.trigger", "rerun": "run.trigger", "delete": "run.delete"}
    BINDINGS = [
        Binding("enter", "open_run", "open run", id="runs.choose"),
        Binding("ctrl+e", "trigger", "run (trigger)", id="runs.run"),
        Binding("ctrl+n", "rerun", "re-run same params", id="runs.rerun"),
        Binding("ctrl+d", "delete", "delete run", id="runs.delete"),
        Binding("y", "yaml", "yaml", id="runs.yaml"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="runs.refresh"),
        Binding("escape,q", "back", "back", show=False, id="runs.back"),
    ]

    def __init__(self, env: ScreenEnv, service: PipelineService, pipeline: PipelineRow) -> None:
        super().__init__(env, service)
        self.pipeline = pipeline
        self.runs: dict[str, RunRow] = {}

    def crumbs(self) -> str:
        p = self.pipeline
        return f"pipelines › {p.cluster}/{p.namespace}/{p.name} › runs[{len(self.runs)}]"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(RUN_COLUMNS)
        table.sort_by(0, reverse=True)  # the newest build first
        table.focus()
        if self.pipeline.multi_branch:
            self.set_note("multi-branch: " + (", ".join(self.pipeline.branches) or "no branches"))

    async def fetch(self) -> list[RunRow]:
        return await self.service.runs(self.pipeline)

    def show(self, data: list[RunRow]) -> None:
        self.runs = {r.key: r for r in data}
        table = self.query_one(ResourceTable)
        now = self.now()
        table.sync(run_line(r, now) for r in data)
        if not data:
            table.set_empty_message("no runs yet: ctrl+e runs the pipeline")
        self.update_crumbs()

    def selected(self) -> RunRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.runs.get(key) if key is not None else None

    def permission_requests(self) -> dict[str, dict[str, str]]:
        where = {"context": self.pipeline.context, "namespace": self.pipeline.namespace}
        return {"run.trigger": where, "run.delete": where}

    @on(ResourceTable.RowChosen)
    def _chosen(self, _event: Any) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        from kstui.screens.pipeline_run import RunScreen

        run = self.selected()
        if run is not None:
            self.app.push_screen(RunScreen(self.env, self.service, run))

    def action_trigger(self) -> None:
        from kstui.screens.pipeline_forms import open_trigger

        open_trigger(self, self.service, self.pipeline, after=self.poll)

    @work(group="write", exit_on_error=False)
    async def action_rerun(self) -> None:
        run = self.selected()
        if run is None:
            return
        detail = await self.service.run(run.cluster, run.context, run.namespace, run.name)
        if detail is None:
            self.set_status(f"run {run.name} is gone", alert=True)
            return
        made = await self.service.rerun(detail)
        name = made.get("metadata", {}).get("name", "")
        self.notify(f"created run {name} with the parameters of {run.name}", title="re-run")
        self.poll()

    def action_delete(self) -> None:
        run = self.selected()
        if run is None:
            return
        if not run.finished:
            self.set_status(
                f"ctrl+d delete: run {run.name} is {run.phase}; KubeSphere deletes only "
                "finished runs (stop it first)",
                alert=True,
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(run)

        self.app.push_screen(
            ConfirmModal(
                f"Delete run {run.name} (#{run.build})?",
                "The PipelineRun's finalizer also deletes the Jenkins build record.",
            ),
            answered,
        )

    @work(group="write", exit_on_error=False)
    async def _delete(self, run: RunRow) -> None:
        await self.service.delete_run(run)
        self.notify(f"deleted run {run.name}", title="done")
        self.poll()

    def action_yaml(self) -> None:
        run = self.selected()
        if run is not None:
            self.env.open_yaml(run.context, "pipelineruns", run.namespace, run.name)
