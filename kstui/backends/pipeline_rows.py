"""Pipelines' objects → values (pure, API.md §3.1 and §3.3): DevOps projects, pipelines with
their weather, last run and branches, runs with phase, duration, cause, commit and branch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kstui.backends.pipeline_bodies import BUILD_ID, METADATA, PIPELINE_LABEL, branches_of
from kstui.backends.pipeline_graph import jenkins_phase, parse_time

RUN_STATUS = "devops.kubesphere.io/jenkins-pipelinerun-status"
RUN_STAGES = "devops.kubesphere.io/jenkins-pipelinerun-stages-status"
AGENT_POD = "devops.kubesphere.io/agent-pod-name"
WORKER_NAMESPACE = "kubesphere-devops-worker"
FINAL_PHASES = ("Succeeded", "Failed", "Cancelled")


@dataclass(frozen=True, slots=True)
class ProjectRow:
    cluster: str
    context: str
    name: str
    display: str
    workspace: str
    synced: str


@dataclass(frozen=True, slots=True)
class PipelineRow:
    cluster: str
    context: str
    namespace: str
    name: str
    workspace: str
    multi_branch: bool
    weather: int | None
    branches: tuple[str, ...]
    sync: str
    last_phase: str = ""
    last_started: float | None = None
    last_run: str = ""

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class RunRow:
    cluster: str
    context: str
    namespace: str
    name: str
    pipeline: str
    build: str
    phase: str
    created: float | None
    started: float | None
    finished_at: float | None
    duration_ms: int | None
    cause: str
    commit: str
    branch: str
    creator: str
    state: str = ""
    result: str = ""

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.name}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None or self.phase in FINAL_PHASES


def weather_word(score: int | None) -> str:
    """Jenkins' health as the console words it (score 0–100)."""
    if score is None:
        return ""
    if score >= 80:
        return f"sunny {score}"
    if score >= 60:
        return f"cloudy {score}"
    if score >= 40:
        return f"overcast {score}"
    if score >= 20:
        return f"rain {score}"
    return f"storm {score}"


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _json(text: Any) -> Any:
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def project_row(cluster: str, context: str, obj: dict[str, Any]) -> ProjectRow:
    meta = _meta(obj)
    ann = meta.get("annotations") or {}
    return ProjectRow(
        cluster,
        context,
        str(meta.get("name") or ""),
        str(ann.get("kubesphere.io/alias-name") or meta.get("generateName") or "").rstrip("-"),
        str((meta.get("labels") or {}).get("kubesphere.io/workspace") or ""),
        str(ann.get("devopsproject.devops.kubesphere.io/syncstatus") or ""),
    )


def pipeline_row(
    cluster: str, context: str, obj: dict[str, Any], workspaces: dict[str, str]
) -> PipelineRow:
    meta = _meta(obj)
    ann = meta.get("annotations") or {}
    metadata = _json(ann.get(METADATA)) or {}
    score = metadata.get("weatherScore") if isinstance(metadata, dict) else None
    namespace = str(meta.get("namespace") or "")
    return PipelineRow(
        cluster,
        context,
        namespace,
        str(meta.get("name") or ""),
        workspaces.get(namespace, ""),
        str((obj.get("spec") or {}).get("type") or "") == "multi-branch-pipeline",
        int(score) if isinstance(score, int | float) else None,
        tuple(branches_of(obj)),
        str(ann.get("pipeline.devops.kubesphere.io/syncstatus") or ""),
    )


def run_data(run: dict[str, Any], configmap: dict[str, Any] | None) -> tuple[Any, Any]:
    """(status JSON, stage JSON text): the annotations first, then the ConfigMap named after
    the run (what the kapis does, API.md §3.3)."""
    ann = _meta(run).get("annotations") or {}
    data = (configmap or {}).get("data") or {}
    status = _json(ann.get(RUN_STATUS)) or _json(data.get("status")) or {}
    stages = ann.get(RUN_STAGES) or data.get("stage") or ""
    return status if isinstance(status, dict) else {}, stages


def run_row(
    cluster: str, context: str, run: dict[str, Any], configmap: dict[str, Any] | None
) -> RunRow:
    meta = _meta(run)
    ann = meta.get("annotations") or {}
    spec = run.get("spec") or {}
    status = run.get("status") or {}
    jenkins, _ = run_data(run, configmap)
    phase = str(status.get("phase") or "")
    if not phase and jenkins.get("state"):
        phase = jenkins_phase(jenkins.get("state"), jenkins.get("result"))
    causes = jenkins.get("causes") or []
    cause = ""
    if causes and isinstance(causes[0], dict):
        cause = str(causes[0].get("shortDescription") or "")
    started = parse_time(jenkins.get("startTime")) or parse_time(status.get("startTime"))
    finished = parse_time(status.get("completionTime"))
    millis = jenkins.get("durationInMillis")
    branch = str((spec.get("scm") or {}).get("refName") or "")
    return RunRow(
        cluster,
        context,
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        str(
            (meta.get("labels") or {}).get(PIPELINE_LABEL)
            or (spec.get("pipelineRef") or {}).get("name")
            or ""
        ),
        str(ann.get(BUILD_ID) or ""),
        phase or "Pending",
        parse_time(meta.get("creationTimestamp")),
        started,
        finished,
        int(millis) if isinstance(millis, int | float) and millis > 0 else None,
        cause,
        str(jenkins.get("commitId") or "")[:12],
        branch,
        str(ann.get("devops.kubesphere.io/creator") or ""),
        str(jenkins.get("state") or ""),
        str(jenkins.get("result") or ""),
    )


def run_duration(run: RunRow, now: float) -> int | None:
    """Jenkins' duration once known; else the time since it started (to its end if ended)."""
    if run.duration_ms is not None:
        return run.duration_ms
    if run.started is None:
        return None
    end = run.finished_at if run.finished_at is not None else now
    return max(int((end - run.started) * 1000), 0)


def with_last_runs(pipelines: list[PipelineRow], runs: list[RunRow]) -> list[PipelineRow]:
    """Each pipeline with its newest run's phase and start (by creation time)."""
    import dataclasses

    newest: dict[tuple[str, str, str], RunRow] = {}
    for run in runs:
        key = (run.cluster, run.namespace, run.pipeline)
        best = newest.get(key)
        if best is None or (run.created or 0) > (best.created or 0):
            newest[key] = run
    out = []
    for row in pipelines:
        last = newest.get((row.cluster, row.namespace, row.name))
        if last is not None:
            row = dataclasses.replace(
                row,
                last_phase=last.phase,
                last_started=last.started or last.created,
                last_run=last.build or last.name,
            )
        out.append(row)
    return out
