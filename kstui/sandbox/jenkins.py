"""A small Jenkins for the sandbox: builds of pipelines that move through their stages by clock.

A build follows a plan (columns of stages, a column of several stages being a parallel group;
stages of steps). Everything it shows is a pure function of the clock and of what was done to
it (stop, input answers): the Blue Ocean run and node JSON the PipelineRun controller stores
(API.md §3.3), the console log and each step's log. Logs only ever grow (events are ordered by
time, and an action's effects come strictly after the moment it was taken), so the progressive
text offsets (`start`, `X-Text-Size`) of the DevOps API stay valid while a build runs.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.jenkins_nodes import stage_node, timed_node

EPSILON = timedelta(microseconds=1)


@dataclass(slots=True)
class Step:
    name: str
    description: str = ""
    units: float = 1.0
    """Duration in plan units (the sandbox's `pipeline_step_seconds` each)."""
    lines: list[str] = field(default_factory=list)
    fail: bool = False
    input: dict[str, Any] | None = None
    """An input step: {id, message, ok, submitter, parameters}; it waits for an answer."""


@dataclass(slots=True)
class Stage:
    name: str
    steps: list[Step]


@dataclass(slots=True)
class Column:
    name: str
    stages: list[Stage]
    """One stage, or the branches of a parallel group named `name`."""

    @property
    def parallel(self) -> bool:
        return len(self.stages) > 1


@dataclass(slots=True)
class Answer:
    at: datetime
    proceed: bool
    user: str
    parameters: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class View:
    """What a build shows at one moment."""

    status: dict[str, Any]
    stages: list[dict[str, Any]]
    log: bytes
    step_logs: dict[str, tuple[bytes, bool]]
    finished: bool
    pending_inputs: dict[str, tuple[str, dict[str, Any]]]
    """step id -> (node id, input) of the inputs waiting for an answer."""


class Build:
    def __init__(
        self,
        job: str,
        number: int,
        columns: list[Column],
        enqueued: datetime,
        unit: float,
        queue_seconds: float,
        parameters: list[dict[str, Any]],
        cause: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.job = job
        self.number = number
        self.columns = columns
        self.enqueued = enqueued
        self.started = enqueued + timedelta(seconds=queue_seconds)
        self.unit = unit
        self.parameters = parameters
        self.cause = cause
        self.meta = meta or {}
        """Extra run JSON fields: pipeline, branch, commitId, …"""
        self.stopped: tuple[datetime, str] | None = None
        self.answers: dict[str, Answer] = {}
        self.run_name = ""
        self._console = True
        self._ids: dict[int, str] = {}
        counter = 6
        for column in columns:
            for key in self._keys_of(column):
                self._ids[key] = str(counter)
                counter += 1

    def _keys_of(self, column: Column) -> list[int]:
        keys = [id(column)] if column.parallel else []
        for stage in column.stages:
            keys.append(id(stage))
            keys += [id(step) for step in stage.steps]
        return keys

    def node_id(self, obj: object) -> str:
        return self._ids[id(obj)]

    # ------------------------------------------------------------------ actions

    def stop(self, now: datetime, user: str) -> bool:
        if self.stopped is not None or self.view(now, console=False).finished:
            return False
        self.stopped = (now, user)
        return True

    def answer(self, input_id: str, now: datetime, answer: Answer) -> None:
        answer.at = now + EPSILON
        self.answers[input_id] = answer

    # ------------------------------------------------------------------ the view

    def view(self, now: datetime, console: bool = True) -> View:
        """The build at `now`; without `console` its log is left empty (cheaper: a chatty
        step's lines are not ordered into it)."""
        events: list[tuple[datetime, int, int, str]] = []
        seq = iter(range(10**9))
        self._console = console

        def emit(at: datetime, line: str, late: bool = False) -> None:
            """`late`: a line there only because of a stop, after any other at that time."""
            if console and at <= now:
                events.append((at, 1 if late else 0, next(seq), line))

        stop_at = self.stopped[0] if self.stopped else None
        emit(self.enqueued, self.cause)
        result = "SUCCESS"
        if stop_at is not None and stop_at < self.started:
            emit(stop_at, f"Cancelled by {self.stopped[1] if self.stopped else ''}", True)
            emit(stop_at, "Finished: ABORTED", True)
            return self._finish_view(now, [], events, "FINISHED", "ABORTED", stop_at, {}, {})
        if now < self.started:
            return self._finish_view(now, [], events, "QUEUED", "UNKNOWN", None, {}, {})
        start = self.started
        emit(start, "[Pipeline] Start of Pipeline")
        emit(start, "[Pipeline] node")
        emit(
            start,
            f"Running on {self.meta.get('agent', 'base')} in "
            f"/home/jenkins/agent/workspace/{self.job.replace('/', '_')}",
        )
        emit(start, "[Pipeline] {")
        nodes: list[dict[str, Any]] = []
        step_logs: dict[str, tuple[bytes, bool]] = {}
        pending: dict[str, tuple[str, dict[str, Any]]] = {}
        cursor = start
        halted: str | None = None  # FAILURE or ABORTED: later columns do not run
        running = paused = False
        for index, column in enumerate(self.columns):
            next_id = (
                self.node_id(self.columns[index + 1].stages[0])
                if index + 1 < len(self.columns) and not self.columns[index + 1].parallel
                else (
                    self.node_id(self.columns[index + 1]) if index + 1 < len(self.columns) else ""
                )
            )
            edges_next = [{"id": next_id, "type": "STAGE"}] if next_id else []
            if halted is not None or (stop_at is not None and stop_at < cursor) or cursor > now:
                skipped = halted is not None and cursor <= now
                for node in self._unstarted(column, edges_next, halted if skipped else None):
                    nodes.append(node)
                continue
            if column.parallel:
                emit(cursor, "[Pipeline] stage")
                emit(cursor, f"[Pipeline] {{ ({column.name})")
                emit(cursor, "[Pipeline] parallel")
            ends, results, states, branch_nodes = [], [], [], []
            for stage in column.stages:
                prefix = f"[{stage.name}] " if column.parallel else ""
                node, end, res, state = self._run_stage(
                    stage, cursor, now, stop_at, emit, prefix, step_logs, pending
                )
                branch_nodes.append(node)
                ends.append(end)
                results.append(res)
                states.append(state)
            end = max(ends)
            if column.parallel:
                parent_id = self.node_id(column)
                for node in branch_nodes:
                    node["type"] = "PARALLEL"
                    node["firstParent"] = parent_id
                    node["edges"] = edges_next
                parent = stage_node(
                    parent_id, column.name, "STAGE", cursor, now, end, states, results
                )
                parent["edges"] = [{"id": n["id"], "type": "PARALLEL"} for n in branch_nodes]
                parent["steps"] = []
                nodes.append(parent)
                nodes += branch_nodes
                late = "ABORTED" in results
                emit(end, "[Pipeline] }", late)
                emit(end, "[Pipeline] // parallel", late)
            else:
                branch_nodes[0]["edges"] = edges_next
                nodes.append(branch_nodes[0])
            running = running or "RUNNING" in states
            paused = paused or "PAUSED" in states
            if "FAILURE" in results:
                halted = result = "FAILURE"
            elif "ABORTED" in results:
                halted = result = "ABORTED"
            cursor = end
            if running or paused:
                for later in self.columns[index + 1 :]:
                    nodes += self._unstarted(later, [], None)
                break
        if running or paused:
            state = "PAUSED" if paused and not running else "RUNNING"
            return self._finish_view(now, nodes, events, state, "UNKNOWN", None, step_logs, pending)
        if stop_at is not None and result == "SUCCESS" and stop_at <= cursor:
            result = "ABORTED"
        end = min(cursor, stop_at) if stop_at is not None and result == "ABORTED" else cursor
        if end > now:
            return self._finish_view(
                now, nodes, events, "RUNNING", "UNKNOWN", None, step_logs, pending
            )
        late = result == "ABORTED"
        if late and self.stopped is not None:
            emit(end, f"Aborted by {self.stopped[1]}", late)
        emit(end, "[Pipeline] }", late)
        emit(end, "[Pipeline] // node", late)
        emit(end, "[Pipeline] End of Pipeline", late)
        if result == "FAILURE":
            emit(end, "ERROR: script returned exit code 2")
        emit(end, f"Finished: {result}", late)
        return self._finish_view(now, nodes, events, "FINISHED", result, end, step_logs, pending)

    def _run_stage(
        self,
        stage: Stage,
        begin: datetime,
        now: datetime,
        stop_at: datetime | None,
        emit: Any,
        prefix: str,
        step_logs: dict[str, tuple[bytes, bool]],
        pending: dict[str, tuple[str, dict[str, Any]]],
    ) -> tuple[dict[str, Any], datetime, str, str]:
        node_id = self.node_id(stage)
        emit(begin, f"{prefix}[Pipeline] stage")
        emit(begin, f"{prefix}[Pipeline] {{ ({stage.name})")
        cursor = begin
        steps: list[dict[str, Any]] = []
        results: list[str] = []
        states: list[str] = []
        for step in stage.steps:
            if cursor > now or (stop_at is not None and stop_at < cursor) or "FAILURE" in results:
                break
            step_id = self.node_id(step)
            natural = cursor + timedelta(seconds=step.units * self.unit)
            lines = step.lines
            result = "SUCCESS"
            if step.input is not None:
                answer = self.answers.get(step.input["id"])
                lines = [
                    step.input.get("message", ""),
                    f"{step.input.get('ok', 'Proceed')} or Abort",
                ]
                if answer is not None:
                    natural = max(answer.at, cursor)
                    verb = "Approved" if answer.proceed else "Rejected"
                    lines = [*lines, f"{verb} by {answer.user}"]
                    result = "SUCCESS" if answer.proceed else "ABORTED"
                else:
                    natural = datetime.max.replace(tzinfo=cursor.tzinfo)
            elif step.fail:
                result = "FAILURE"
            end = natural
            if stop_at is not None and stop_at < natural:
                end, result = stop_at, "ABORTED"
            emit(cursor, f"{prefix}[Pipeline] {'input' if step.input else 'sh'}")
            shown = self._step_lines(step, lines, cursor, natural, end, now, emit, prefix)
            if end <= now:
                state = "FINISHED"
                if result == "ABORTED" and step.input is None:
                    shown += "Sending interrupt signal to process\n"
                if result == "FAILURE":
                    shown += "script returned exit code 2\n"
            else:
                state = "PAUSED" if step.input is not None else "RUNNING"
                if step.input is not None:
                    pending[step_id] = (node_id, step.input)
            step_logs[step_id] = (shown.encode(), state != "FINISHED")
            entry = timed_node(step_id, step.name, "STEP", cursor, now, end, state, result)
            entry["displayDescription"] = step.description
            if step.input is not None:
                entry["input"] = step.input
                entry["displayDescription"] = step.input.get("message", "")
            steps.append(entry)
            results.append(entry["result"])
            states.append(state)
            if state != "FINISHED":
                cursor = end
                break
            cursor = end
        node = stage_node(node_id, stage.name, "STAGE", begin, now, cursor, states, results)
        if node.get("state") == "PAUSED" and steps and "input" in steps[-1]:
            node["input"] = steps[-1]["input"]
        node["steps"] = steps
        if node.get("state") == "FINISHED":
            late = node.get("result") == "ABORTED"
            emit(cursor, f"{prefix}[Pipeline] }}", late)
            emit(cursor, f"{prefix}[Pipeline] // stage", late)
        return node, cursor, node.get("result", "SUCCESS"), node.get("state", "")

    def _step_lines(
        self,
        step: Step,
        lines: list[str],
        start: datetime,
        natural: datetime,
        end: datetime,
        now: datetime,
        emit: Any,
        prefix: str,
    ) -> str:
        limit = min(now, end)
        if not lines or limit < start:
            return ""
        if step.input is not None or natural.year == 9999:
            times = [start] * len(lines)
            if step.input is not None and len(lines) > 2:
                times[2:] = [natural] * (len(lines) - 2)
            count = bisect.bisect_right(times, limit)
        else:
            span = (natural - start) / len(lines)
            count = min(len(lines), int((limit - start) / span) + 1)
            times = []
            if self._console:
                times = [start + span * i for i in range(count)]
        shown = lines[:count]
        if self._console:
            for at, line in zip(times[:count], shown, strict=True):
                emit(at, prefix + line)
        return "".join(f"{line}\n" for line in shown)

    def _unstarted(
        self, column: Column, edges: list[dict[str, Any]], halted: str | None
    ) -> list[dict[str, Any]]:
        def blank(node_id: str, name: str, type_: str) -> dict[str, Any]:
            node: dict[str, Any] = {"id": node_id, "displayName": name, "type": type_}
            if halted is not None:
                node.update(state="SKIPPED" if halted == "FAILURE" else "NOT_BUILT")
                node["result"] = "NOT_BUILT"
            node["steps"] = []
            return node

        if not column.parallel:
            node = blank(self.node_id(column.stages[0]), column.stages[0].name, "STAGE")
            node["edges"] = edges
            return [node]
        parent = blank(self.node_id(column), column.name, "STAGE")
        branches = [blank(self.node_id(s), s.name, "PARALLEL") for s in column.stages]
        parent["edges"] = [{"id": b["id"], "type": "PARALLEL"} for b in branches]
        for branch in branches:
            branch["firstParent"] = parent["id"]
            branch["edges"] = edges
        return [parent, *branches]

    def _finish_view(
        self,
        now: datetime,
        nodes: list[dict[str, Any]],
        events: list[tuple[datetime, int, int, str]],
        state: str,
        result: str,
        end: datetime | None,
        step_logs: dict[str, tuple[bytes, bool]],
        pending: dict[str, tuple[str, dict[str, Any]]],
    ) -> View:
        if state == "QUEUED" or (state == "FINISHED" and not nodes):
            nodes = [n for c in self.columns for n in self._unstarted(c, [], None)]
        events.sort()
        log = "".join(f"{e[3]}\n" for e in events).encode()
        status: dict[str, Any] = {
            "causes": [{"shortDescription": self.cause}],
            "enQueueTime": rfc3339(self.enqueued),
            "estimatedDurationInMillis": int(self.estimated() * 1000),
            "id": str(self.number),
            "name": str(self.number) if "branch" in self.meta else self.job.split("/")[1],
            "organization": "jenkins",
            "pipeline": self.job.split("/")[-1],
            "replayable": state == "FINISHED",
            "result": result,
            "runSummary": {"SUCCESS": "stable", "FAILURE": "broken", "ABORTED": "aborted"}.get(
                result, "?"
            ),
            "state": state,
            "type": "WorkflowRun",
            **{k: v for k, v in self.meta.items() if k not in ("agent",)},
        }
        if state != "QUEUED":
            status["startTime"] = rfc3339(self.started)
        if end is not None:
            status["endTime"] = rfc3339(end)
            status["durationInMillis"] = int((end - self.started).total_seconds() * 1000)
        return View(status, nodes, log, step_logs, state == "FINISHED", pending)

    def estimated(self) -> float:
        total = 0.0
        for column in self.columns:
            total += max(sum(s.units for s in st.steps if not s.input) for st in column.stages)
        return total * self.unit
