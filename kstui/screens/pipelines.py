"""The Pipelines section (key 4, `:pipelines`): KubeSphere DevOps across clusters (API.md §3).

Its first view lists every cluster's pipelines with their DevOps project and workspace, health
(Jenkins' weather), newest run and branches; the DevOps projects per workspace are named above.
Enter opens a pipeline's runs (pipeline_runs.py), ctrl+e triggers one (pipeline_forms.py).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from textual import on
from textual.binding import Binding

from kstui.backends.pipeline_rows import PipelineRow
from kstui.backends.pipelines_service import Overview, PipelineService
from kstui.screens.env import ScreenEnv
from kstui.screens.pipeline_views import PIPELINE_COLUMNS, PipelineView, pipeline_line
from kstui.widgets.resource_table import ResourceTable


class PipelinesScreen(PipelineView):
    poll_seconds = 10.0
    """Every cluster's pipelines and runs are read whole: not every 3 s (a pipeline's runs,
    opened, are read every 2 s)."""
    GATED = {"trigger": "run.trigger"}
    BINDINGS = [
        Binding("enter", "runs", "runs", id="pipelines.choose"),
        Binding("ctrl+e", "trigger", "run (trigger)", id="pipelines.run"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="pipelines.refresh"),
        Binding("escape,q", "back", "back", show=False, id="pipelines.back"),
    ]

    def __init__(self, env: ScreenEnv, service: PipelineService) -> None:
        super().__init__(env, service)
        self.pipelines: dict[str, PipelineRow] = {}
        self._asked_for: tuple[str, str] | None = None
        """(context, namespace) the permissions were last asked for."""

    def crumbs(self) -> str:
        return f"pipelines[{len(self.pipelines)}]"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(PIPELINE_COLUMNS)
        table.focus()

    async def fetch(self) -> Overview:
        return await self.service.overview()

    def show(self, data: Overview) -> None:
        self.pipelines = {p.key: p for p in data.pipelines}
        table = self.query_one(ResourceTable)
        table.sync(pipeline_line(p) for p in data.pipelines)
        if not data.pipelines:
            table.set_empty_message(
                "no pipelines: no DevOps project here has one"
                if data.projects
                else "no DevOps projects visible (see the line above: not installed, or not"
                " yours to list; :ns <project> shows one DevOps project's pipelines)"
                if data.warnings
                else "no DevOps projects on any cluster (KubeSphere DevOps not installed?)"
            )
        by_workspace: dict[str, list[str]] = defaultdict(list)
        for project in data.projects:
            label = project.display or project.name
            named = label if label == project.name else f"{label} ({project.name})"
            by_workspace[project.workspace or "(no workspace)"].append(named)
        note = "DevOps projects — " + (
            "; ".join(f"{ws}: {', '.join(names)}" for ws, names in sorted(by_workspace.items()))
            or "none visible"
        )
        if data.warnings:
            note += " · " + " · ".join(data.warnings)
        self.set_note(note)
        self.update_crumbs()
        if not self.loaded:
            self.check_permissions()

    def selected(self) -> PipelineRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.pipelines.get(key) if key is not None else None

    def denial(self, action: str) -> str:
        if self.selected() is None:  # nothing to ask about: no check is on its way
            return "no pipeline selected"
        return super().denial(action)

    def permission_requests(self) -> dict[str, dict[str, str]]:
        row = self.selected()
        if row is None:
            return {}
        self._asked_for = (row.context, row.namespace)
        return {"run.trigger": {"context": row.context, "namespace": row.namespace}}

    @on(ResourceTable.CursorMoved)
    def _moved(self, _event: Any) -> None:
        row = self.selected()
        where = (row.context, row.namespace) if row else None
        if where != self._asked_for:  # asked again where the pipeline now under the cursor is
            self._asked_for = where
            self.permissions = {}
            self.check_permissions()

    @on(ResourceTable.RowChosen)
    def _chosen(self, _event: Any) -> None:
        self.action_runs()

    def action_runs(self) -> None:
        from kstui.screens.pipeline_runs import RunsScreen

        row = self.selected()
        if row is not None:
            self.app.push_screen(RunsScreen(self.env, self.service, row))

    def open_view(self, view: str) -> None:
        """`:s2i`: the S2I/B2I builders (pipeline_s2i.py)."""
        if view == "s2i":
            from kstui.screens.pipeline_s2i import S2iScreen

            self.app.push_screen(S2iScreen(self.env, self.service))
        elif view == "s2itemplates":
            from kstui.screens.pipeline_s2i_runs import S2iTemplatesScreen

            self.app.push_screen(S2iTemplatesScreen(self.env, self.service))

    def action_trigger(self) -> None:
        from kstui.screens.pipeline_forms import open_trigger

        row = self.selected()
        if row is not None:
            open_trigger(self, self.service, row, after=self.poll)
