"""A run: its stage graph (parallel branches side by side, state colours, durations, the
running step), the picked stage's steps, and the picked step's log followed live through the
DevOps API's progressive offsets (Z: the whole run's log). Without a DevOps API it says so
and shows what the cluster alone holds (API.md §9.5): the agent pod, its events, its `jnlp`
log, labelled. Actions (pipeline_actions.py): ctrl+x stop, Y replay, ctrl+n re-run with
the same parameters, ctrl+g answer an input step, ctrl+d delete a finished run."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Log

from kstui.backends.devops_api import DevOpsUnreachable
from kstui.backends.devops_login import LoginNeeded
from kstui.backends.pipeline_graph import MARKS, Stage, State, Step, format_duration
from kstui.backends.pipeline_rows import RunRow, run_duration
from kstui.backends.pipelines_service import PipelineService, RunDetail
from kstui.model import Column, Row, Tone
from kstui.safe_text import inert_line
from kstui.screens.env import ScreenEnv
from kstui.screens.pipeline_actions import RunActions
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.stage_graph import Box, BoxGroup, StageGraphView

FOLLOW_REST = 0.5
"""Seconds the cursor rests on a step before its log is read (fast j/k reads nothing)."""
WRITE_CHUNK = 100
"""Lines written into the log pane at a time; a key waiting is handled between two."""
LOG_LINES = 20_000
"""The log pane keeps this many lines (older ones leave as new ones come)."""

BOX_TONES = {
    State.SUCCESS: "ok",
    State.FAILURE: "error",
    State.UNSTABLE: "warn",
    State.RUNNING: "running",
    State.PAUSED: "paused",
    State.UNKNOWN: "normal",
}
STEP_TONES = {State.SUCCESS: Tone.OK, State.FAILURE: Tone.ERROR, State.RUNNING: Tone.WARN}
STEP_COLUMNS = (
    Column("#", numeric=True, max_width=3),
    Column("STEP", max_width=28),
    Column("STATE", max_width=11),
    Column("DURATION", max_width=9),
    Column("WHAT", max_width=80),
)


def stage_box(stage: Stage) -> Box:
    detail = ""
    if (waiting := stage.waiting_input) is not None:
        detail = f"input: {waiting[1].message}"
    elif (step := stage.running_step) is not None:
        detail = step.label
    elif stage.state is State.FAILURE:
        failed = next((s for s in stage.steps if s.state is State.FAILURE), None)
        detail = failed.label if failed else ""
    elif stage.blocked:
        detail = stage.blocked
    return Box(
        stage.id,
        MARKS[stage.state],
        stage.name,
        format_duration(stage.duration_ms),
        detail,
        BOX_TONES.get(stage.state, "muted"),
    )


def summary(run: RunRow, now: float) -> str:
    parts = [f"#{run.build or '—'} {run.phase}"]
    if duration := format_duration(run_duration(run, now)):
        parts.append(duration)
    for label, value in (("branch", run.branch), ("commit", run.commit), ("by", run.creator)):
        if value:
            parts.append(f"{label} {value}")
    if run.cause:
        parts.append(run.cause)
    return " · ".join(parts)


class RunScreen(RunActions):
    poll_seconds = 2.0
    DEFAULT_CSS = """
    RunScreen #steps { height: 6; }
    RunScreen #log-title {
        height: 1; padding: 0 1; color: $text-muted; text-style: bold;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    RunScreen #log { height: 1fr; min-height: 4; }
    """
    GATED = {
        "stop": "devops.act",
        "replay": "devops.act",
        "input": "devops.act",
        "rerun": "run.trigger",
        "delete": "run.delete",
    }
    BINDINGS = [
        Binding("l", "step_log", "step log", id="run.logs"),
        Binding("Z", "run_log", "run log", id="run.run_log"),
        Binding("ctrl+x", "stop", "stop", id="run.stop"),
        Binding("Y", "replay", "replay", id="run.replay"),
        Binding("ctrl+n", "rerun", "re-run same params", id="run.rerun"),
        Binding("ctrl+g", "input", "input", id="run.input"),
        Binding("ctrl+d", "delete", "delete run", id="run.delete"),
        Binding("y", "yaml", "yaml", show=False, id="run.yaml"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="run.refresh"),
        Binding("escape,q", "back", "back", show=False, id="run.back"),
    ]

    def __init__(self, env: ScreenEnv, service: PipelineService, run: RunRow) -> None:
        super().__init__(env, service)
        self.run = run
        self.detail: RunDetail | None = None
        self.gone = False
        self.stage_id = ""
        self.following: tuple[str, str] | None = None
        """(node, step) whose log the pane follows; ("", "") the whole run's."""
        self._follow_timer: Timer | None = None
        self.api_problem = ""
        self._opened = False
        """The graph has shown once (the stage to open on is picked then, not later)."""

    def crumbs(self) -> str:
        r = self.run
        return f"pipelines › {r.cluster}/{r.namespace}/{r.pipeline} › #{r.build or '—'} {r.name}"

    def compose_body(self) -> ComposeResult:
        yield StageGraphView(id="graph")
        yield ResourceTable(id="steps")
        yield Plain("log: pick a step", id="log-title", one_line=True)
        yield Log(id="log", max_lines=LOG_LINES)

    def prepare(self) -> None:
        self.query_one("#steps", ResourceTable).set_columns(STEP_COLUMNS)
        self.query_one(StageGraphView).focus()

    def permission_requests(self) -> dict[str, dict[str, str]]:
        where = {"context": self.run.context, "namespace": self.run.namespace}
        return {
            "devops.act": {"context": self.run.context},
            "run.trigger": where,
            "run.delete": where,
        }

    # ------------------------------------------------------------------ the poll

    async def fetch(self) -> RunDetail | None:
        if self.gone:
            return None
        r = self.run
        return await self.service.run(r.cluster, r.context, r.namespace, r.name, self.now())

    def show(self, data: RunDetail | None) -> None:
        if data is None:
            if not self.gone:
                self.gone = True
                self.set_note(
                    f"run {self.run.name} no longer exists: deleted, or removed by the "
                    "controller as a duplicate of an identical queued build"
                )
            return
        self.detail, self.run = data, data.row
        note = summary(data.row, self.now())
        if data.graph.problem:
            note += f" · {data.graph.problem}"
        self.set_note(note)
        graph = self.query_one(StageGraphView)
        groups = [
            BoxGroup(g.name, tuple(stage_box(s) for s in g.stages), g.parallel)
            for g in data.graph.groups
        ]
        empty = "no stages yet (queued)" if not data.row.finished else "no stage data"
        graph.show(groups, empty=empty)
        if not self._opened and groups:
            self._opened = True
            if wanted := self._wanted_stage(data):
                graph.pick(wanted)
        self.update_crumbs()
        self._show_steps()

    # ------------------------------------------------------------------ stages and steps

    def stage(self) -> Stage | None:
        if self.detail is None:
            return None
        return self.detail.graph.stages_by_id.get(self.stage_id)

    @on(StageGraphView.Picked)
    def _picked(self, event: StageGraphView.Picked) -> None:
        if event.key != self.stage_id:
            self.stage_id = event.key
            self._show_steps(pick=True)

    def _show_steps(self, pick: bool = False) -> None:
        stage = self.stage()
        table = self.query_one("#steps", ResourceTable)
        steps = stage.steps if stage else ()
        table.sync(
            Row(
                s.id,
                (str(n), s.name, s.state.value, format_duration(s.duration_ms), s.description),
                STEP_TONES.get(s.state, Tone.MUTED if not s.state.finished else Tone.NORMAL),
            )
            for n, s in enumerate(steps, 1)
        )
        if not steps:
            table.set_empty_message("no steps (not started)" if stage else "pick a stage")
        if pick and steps:
            chosen = self._interesting(steps)
            table.move_cursor_to(chosen.id)
            self._follow_soon(stage.id if stage else "", chosen.id)

    @staticmethod
    def _wanted_stage(data: RunDetail) -> str:
        """The stage to open on: the one running (or waiting), else the first failed, else
        the first aborted or unstable one with steps, else the last that ran."""
        graph = data.graph
        if graph.running:
            return graph.running[0].id
        if (failed := graph.first_failed()) is not None:
            return failed.id
        for stage in graph.stages:
            if stage.state in (State.ABORTED, State.UNSTABLE) and stage.steps:
                return stage.id
        idle = (State.NOT_STARTED, State.NOT_BUILT, State.SKIPPED)
        ran = [s for s in graph.stages if s.state not in idle]
        return ran[-1].id if ran else ""

    @staticmethod
    def _interesting(steps: tuple[Step, ...]) -> Step:
        for wanted in (State.RUNNING, State.PAUSED, State.FAILURE):
            for step in steps:
                if step.state is wanted:
                    return step
        return steps[-1]

    @on(ResourceTable.CursorMoved, "#steps")
    def _step_moved(self, event: ResourceTable.CursorMoved) -> None:
        if event.key and self.stage_id and self.following != (self.stage_id, event.key):
            self._follow_soon(self.stage_id, event.key)

    def _follow_soon(self, node: str, step: str) -> None:
        if self._follow_timer is not None:
            self._follow_timer.stop()
        self._follow_timer = self.set_timer(FOLLOW_REST, lambda: self.follow(node, step))

    def action_step_log(self) -> None:
        key = self.query_one("#steps", ResourceTable).cursor_key
        if key and self.stage_id:
            self.follow(self.stage_id, key)
        else:
            self.set_status("l step log: pick a stage with steps first", alert=True)

    def action_run_log(self) -> None:
        self.follow("", "")

    # ------------------------------------------------------------------ the log

    def follow(self, node: str, step: str) -> None:
        if self.following == (node, step):
            return
        self.following = (node, step)
        log = self.query_one("#log", Log)
        log.clear()
        self._title(node, step, "loading…")
        self._follow(node, step)

    def _title(self, node: str, step: str, state: str) -> None:
        if node and step:
            stage = self.stage()
            found = next((s for s in stage.steps if s.id == step), None) if stage else None
            what = f"{stage.name if stage else node} › {found.name if found else step}"
        else:
            what = "whole run"
        self.query_one("#log-title", Plain).update(f"log: {what} ({state})")

    @work(group="log", exclusive=True, exit_on_error=False)
    async def _follow(self, node: str, step: str) -> None:
        log = self.query_one("#log", Log)
        detail = self.detail
        if detail is None or detail.ref is None:
            self._title(node, step, "no Jenkins build number yet: nothing to read")
            return
        try:
            self._title(node, step, "following")
            async for lines in self.service.follow(detail.row.context, detail.ref, node, step):
                if len(lines) > LOG_LINES:  # a long log read at once: only what the pane keeps
                    skipped = len(lines) - LOG_LINES + 1  # and the line that says so
                    lines = [f"… {skipped:,} earlier lines not shown", *lines[skipped:]]
                for start in range(0, len(lines), WRITE_CHUNK):  # keys go between chunks
                    log.write_lines(
                        [inert_line(line) for line in lines[start : start + WRITE_CHUNK]]
                    )
                    await asyncio.sleep(0)
            self._title(node, step, "ended")
        except DevOpsUnreachable as error:
            self.api_problem = error.title
            await self._fallback(error)
        except LoginNeeded as error:
            self._title(node, step, error.title)
            self.following = None
            self.ask_login(error, retry=lambda: self.follow(node, step))

    async def _fallback(self, error: DevOpsUnreachable) -> None:
        """No DevOps API: say so, then what the cluster alone holds, labelled as such."""
        log = self.query_one("#log", Log)
        self.query_one("#log-title", Plain).update(
            f"log: {error.title} — what the cluster holds instead"
        )
        lines = [f"✗ {error.title}" + (f" ({error.detail})" if error.detail else "")]
        lines.append("Step and run logs live only in Jenkins, behind the DevOps API.")
        lines.append("— from the cluster (not the step's output) —")
        if self.detail is not None:
            agent = await self.service.agent(self.detail)
            lines += agent.lines
            if agent.log:
                lines.append(f"— {agent.pod} container jnlp log (the agent's connection log) —")
                lines += agent.log
        log.write_lines([inert_line(line) for line in lines], scroll_end=False)

    def on_unmount(self) -> None:
        if self._follow_timer is not None:
            self._follow_timer.stop()
