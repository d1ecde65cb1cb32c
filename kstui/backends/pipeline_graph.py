"""A run's stages and steps (API.md §3.3), pure: the Blue Ocean node JSON kept in the run's
ConfigMap (key `stage`) or annotation → a StageGraph of groups, each one stage or a parallel
group's branches; and the Jenkins → phase mapping the controller uses.

    graph = parse_stages(configmap["data"]["stage"], now=time.time())
    for group in graph.groups:          # top to bottom, in run order
        for stage in group.stages:      # side by side: a parallel group's branches
            stage.label, stage.duration_ms, stage.running_step
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any


class State(Enum):
    """What a stage or step shows: Jenkins' state and result folded into one."""

    SUCCESS = "success"
    FAILURE = "failure"
    UNSTABLE = "unstable"
    ABORTED = "aborted"
    RUNNING = "running"
    PAUSED = "paused"
    QUEUED = "queued"
    SKIPPED = "skipped"
    NOT_BUILT = "not built"
    NOT_STARTED = "not started"
    UNKNOWN = "unknown"

    @property
    def finished(self) -> bool:
        return self not in (State.RUNNING, State.PAUSED, State.QUEUED, State.NOT_STARTED)


MARKS = {
    State.SUCCESS: "✓",
    State.FAILURE: "✗",
    State.UNSTABLE: "!",
    State.ABORTED: "■",
    State.RUNNING: "▶",
    State.PAUSED: "⏸",
    State.QUEUED: "…",
    State.SKIPPED: "↷",
    State.NOT_BUILT: "-",
    State.NOT_STARTED: "·",
    State.UNKNOWN: "?",
}


def state_of(state: str | None, result: str | None) -> State:
    """A node's or step's display state from Jenkins' `state` and `result`."""
    state = (state or "").upper()
    result = (result or "").upper()
    if not state:
        return State.NOT_STARTED
    if state == "RUNNING":
        return State.RUNNING
    if state == "PAUSED":
        return State.PAUSED
    if state == "QUEUED":
        return State.QUEUED
    if state == "SKIPPED":
        return State.SKIPPED
    if state == "NOT_BUILT":
        return State.NOT_BUILT
    if state == "FINISHED":
        return {
            "SUCCESS": State.SUCCESS,
            "FAILURE": State.FAILURE,
            "UNSTABLE": State.UNSTABLE,
            "ABORTED": State.ABORTED,
            "NOT_BUILT": State.NOT_BUILT,
        }.get(result, State.UNKNOWN)
    return State.UNKNOWN


def jenkins_phase(state: str | None, result: str | None) -> str:
    """The PipelineRun phase the controller derives from a Jenkins run (API.md §3.3)."""
    state = (state or "").upper()
    result = (result or "").upper()
    if state in ("QUEUED", "RUNNING"):
        return "Running"
    if state == "PAUSED":
        return "Pending"
    if state == "SKIPPED":
        return "Succeeded"
    if state == "NOT_BUILT":
        return "Unknown"
    if state == "FINISHED":
        if result == "SUCCESS":
            return "Succeeded"
        if result in ("UNSTABLE", "FAILURE", "ABORTED"):
            return "Failed"
        return "Unknown"
    return "Unknown"


def parse_time(text: Any) -> float | None:
    """RFC 3339 (Jenkins also writes `+0000` offsets) → epoch seconds, or None."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = f"{value[:-2]}:{value[-2:]}"
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _duration(node: dict[str, Any], state: State, now: float) -> int | None:
    """Milliseconds: Jenkins' own once known; a running node's time since it started."""
    millis = node.get("durationInMillis")
    started = parse_time(node.get("startTime"))
    if state in (State.RUNNING, State.PAUSED) and started is not None:
        return max(int((now - started) * 1000), int(millis or 0))
    if isinstance(millis, int | float) and millis >= 0:
        return int(millis)
    return None


@dataclass(frozen=True, slots=True)
class InputRequest:
    """An `input` step waiting for an answer."""

    id: str
    message: str
    ok: str
    submitter: str
    parameters: tuple[dict[str, Any], ...] = ()


def _input(raw: Any) -> InputRequest | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        return None
    params = raw.get("parameters") or []
    return InputRequest(
        id=str(raw["id"]),
        message=str(raw.get("message") or ""),
        ok=str(raw.get("ok") or "Proceed"),
        submitter=str(raw.get("submitter") or ""),
        parameters=tuple(p for p in params if isinstance(p, dict)),
    )


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    name: str
    description: str
    state: State
    duration_ms: int | None
    input: InputRequest | None = None

    @property
    def label(self) -> str:
        return self.description or self.name


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    state: State
    duration_ms: int | None
    steps: tuple[Step, ...] = ()
    parallel: bool = False
    """A branch of a parallel group."""
    input: InputRequest | None = None
    blocked: str = ""
    """`causeOfBlockage`: why a queued stage waits."""

    @property
    def running_step(self) -> Step | None:
        """The step running now (or waiting on input) in a running or paused stage."""
        if self.state not in (State.RUNNING, State.PAUSED):
            return None
        for step in reversed(self.steps):
            if step.state in (State.RUNNING, State.PAUSED):
                return step
        return self.steps[-1] if self.steps else None

    @property
    def waiting_input(self) -> tuple[Step | None, InputRequest] | None:
        """The input this stage waits on, with the step that asks it (None if unknown)."""
        for step in self.steps:
            if step.input is not None and step.state in (State.PAUSED, State.RUNNING):
                return step, step.input
        if self.input is not None and self.state is State.PAUSED:
            paused = next((s for s in self.steps if s.state is State.PAUSED), None)
            return paused, self.input
        return None


@dataclass(frozen=True, slots=True)
class Group:
    """One row of the graph: a stage alone, or a parallel group's branches side by side."""

    name: str
    stages: tuple[Stage, ...]

    @property
    def parallel(self) -> bool:
        return any(stage.parallel for stage in self.stages)


@dataclass(frozen=True, slots=True)
class StageGraph:
    groups: tuple[Group, ...] = ()
    problem: str = ""
    """Why the stage data could not be read ("" when it was)."""
    stages_by_id: dict[str, Stage] = field(default_factory=dict)

    @property
    def stages(self) -> list[Stage]:
        return [stage for group in self.groups for stage in group.stages]

    @property
    def running(self) -> list[Stage]:
        return [s for s in self.stages if s.state in (State.RUNNING, State.PAUSED)]

    def waiting_input(self) -> tuple[Stage, Step | None, InputRequest] | None:
        for stage in self.stages:
            if (found := stage.waiting_input) is not None:
                return stage, found[0], found[1]
        return None

    def first_failed(self) -> Stage | None:
        return next((s for s in self.stages if s.state is State.FAILURE), None)


def _step(raw: dict[str, Any], now: float) -> Step:
    state = state_of(raw.get("state"), raw.get("result"))
    return Step(
        id=str(raw.get("id") or ""),
        name=str(raw.get("displayName") or raw.get("id") or "step"),
        description=str(raw.get("displayDescription") or ""),
        state=state,
        duration_ms=_duration(raw, state, now),
        input=_input(raw.get("input")),
    )


def _stage(raw: dict[str, Any], now: float, parallel: bool) -> Stage:
    state = state_of(raw.get("state"), raw.get("result"))
    steps = tuple(_step(s, now) for s in raw.get("steps") or () if isinstance(s, dict))
    return Stage(
        id=str(raw.get("id") or ""),
        name=str(raw.get("displayName") or raw.get("id") or "stage"),
        state=state,
        duration_ms=_duration(raw, state, now),
        steps=steps,
        parallel=parallel,
        input=_input(raw.get("input")),
        blocked=str(raw.get("causeOfBlockage") or ""),
    )


def parse_stages(data: Any, now: float) -> StageGraph:
    """The stage JSON (a string as the ConfigMap holds it, or the decoded list) → StageGraph.

    A `STAGE` node followed by `PARALLEL` nodes is a parallel group: the stage names the group
    and its branches sit side by side (as the console folds them into one column). A group's
    stage with no branches after it is a stage alone. Nodes not started yet (no `state`) are
    kept, as NOT_STARTED, so the whole run's shape shows from its first second."""
    if data is None or data == "":
        return StageGraph()
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as error:
            return StageGraph(problem=f"stage data is not JSON ({error})")
    if not isinstance(data, list):
        return StageGraph(problem="stage data is not a list of nodes")
    nodes = [node for node in data if isinstance(node, dict)]
    groups: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for node in nodes:
        if str(node.get("type") or "STAGE").upper() == "PARALLEL" and groups:
            groups[-1][1].append(node)
        else:
            groups.append((node, []))
    made: list[Group] = []
    by_id: dict[str, Stage] = {}
    for head, branches in groups:
        if branches:
            stages = tuple(_stage(b, now, parallel=True) for b in branches)
        else:
            stages = (_stage(head, now, parallel=False),)
        for stage in stages:
            by_id[stage.id] = stage
        made.append(Group(str(head.get("displayName") or head.get("id") or ""), stages))
    return StageGraph(tuple(made), stages_by_id=by_id)


def format_duration(millis: int | None) -> str:
    """`850ms`, `12s`, `4m07s`, `1h02m`; "" when unknown."""
    if millis is None:
        return ""
    if millis < 1000:
        return f"{millis}ms"
    seconds = millis // 1000
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
