"""ks-devops' PipelineRun controller (controllers/jenkins/pipelinerun), driving the sandbox's
Jenkins (jenkins_jobs.py) as the real one drives Jenkins (API.md §3.2, §3.3, §9.5):

* adds the finalizer `pipelinerun.finalizers.kubesphere.io`;
* a run without `pipelineRef` is labelled `devops.kubesphere.io/jenkins-pipelinerun-orphan`;
* otherwise triggers a build, writes its number to `devops.kubesphere.io/jenkins-pipelinerun-id`
  and sets `status.startTime`; a request Jenkins merged into an identical queued build that
  already has a PipelineRun deletes the new PipelineRun;
* polls the build (every `pipeline_poll_seconds`) until `status.completionTime` is set, writing
  the run JSON and the stage JSON into the `status` and `stage` keys of the ConfigMap named after
  the run, and the phase from the Jenkins state and result;
* keeps an agent pod in `kubesphere-devops-worker` while the build runs (agent_pods.py);
* on delete, deletes the Jenkins build (unless `devops.kubesphere.io/keep-jenkins-record` is
  "true") and removes its finalizer.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey, agent_pods
from kstui.sandbox.controllers.events import record
from kstui.sandbox.jenkins import Build, View
from kstui.sandbox.status import ApiError

GROUP = "devops.kubesphere.io"
RUNS = (GROUP, "pipelineruns")
PIPELINES = (GROUP, "pipelines")
CONFIGMAPS = ("", "configmaps")
FINALIZER = "pipelinerun.finalizers.kubesphere.io"
RUN_ID = "devops.kubesphere.io/jenkins-pipelinerun-id"
ORPHAN = "devops.kubesphere.io/jenkins-pipelinerun-orphan"
KEEP = "devops.kubesphere.io/keep-jenkins-record"
PIPELINE_LABEL = "devops.kubesphere.io/pipeline"
CREATOR = "devops.kubesphere.io/creator"


def phase_of(state: str, result: str) -> str:
    """The Jenkins-to-phase mapping of API.md §3.3."""
    if state in ("QUEUED", "RUNNING"):
        return "Running"
    if state == "PAUSED":
        return "Pending"
    if state == "SKIPPED":
        return "Succeeded"
    if state == "FINISHED":
        return {"SUCCESS": "Succeeded", "UNSTABLE": "Failed", "FAILURE": "Failed"}.get(
            result, "Failed" if result == "ABORTED" else "Unknown"
        )
    return "Unknown"


def branch_of(run: dict[str, Any]) -> str:
    spec = run.get("spec") or {}
    if (spec.get("pipelineSpec") or {}).get("type") != "multi-branch-pipeline":
        return ""
    return str((spec.get("scm") or {}).get("refName") or "")


class PipelineRunController(Controller):
    watches = (RUNS,)
    primary = RUNS

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self._timers: set[WorkKey] = set()

    def _later(self, key: WorkKey, delay: float) -> None:
        if key in self._timers:
            return
        self._timers.add(key)

        def fire() -> None:
            self._timers.discard(key)
            with contextlib.suppress(ApiError):
                self.reconcile(key)

        self.clock.call_later(delay, fire)

    def reconcile(self, key: WorkKey) -> None:
        run = self.store.get(RUNS, *key)
        if run is None:
            return
        meta = run["metadata"]
        jenkins = self.cluster.jenkins
        if meta.get("deletionTimestamp"):
            if FINALIZER in (meta.get("finalizers") or []):
                build = self._build(run)
                if build is not None:
                    agent_pods.release(self.cluster, build)
                    if (meta.get("annotations") or {}).get(KEEP) != "true":
                        job, number = _job_of(run, build)
                        jenkins.remove(job, number)
                meta["finalizers"] = [f for f in meta["finalizers"] if f != FINALIZER]
                self.store.update(self.kind(RUNS), run, check_rv=False)
            return
        if FINALIZER not in (meta.get("finalizers") or []):
            meta["finalizers"] = [*(meta.get("finalizers") or []), FINALIZER]
            self.store.update(self.kind(RUNS), run, check_rv=False)
            return
        spec = run.get("spec") or {}
        ref = spec.get("pipelineRef") or {}
        if not ref.get("name"):
            labels = meta.setdefault("labels", {})
            if labels.get(ORPHAN) != "true":
                labels[ORPHAN] = "true"
                self.store.update(self.kind(RUNS), run, check_rv=False)
            return
        if (run.get("status") or {}).get("completionTime"):
            return
        build = self._build(run)
        if build is None:
            if RUN_ID in (meta.get("annotations") or {}):
                return  # a build this Jenkins never had (seeded history): nothing to poll
            build = self._trigger(run, ref)
            if build is None:
                return
        if getattr(build, "static", False) and not getattr(build, "touched", False):
            # adopted seeded history: written back only once an action changed it
            self._later(key, self.cluster.pipeline_poll_seconds)
            return
        view = build.view(self.clock.now(), console=False)
        self._store_data(run, build, view)
        self._set_status(run, view)
        if view.finished:
            agent_pods.release(self.cluster, build)
        else:
            agent_pods.ensure(self.cluster, build, run, view)
            self._later(key, self.cluster.pipeline_poll_seconds)

    def _build(self, run: dict[str, Any]) -> Build | None:
        meta = run["metadata"]
        number = (meta.get("annotations") or {}).get(RUN_ID)
        if number is None or not str(number).isdigit():
            return None
        ref = (run.get("spec") or {}).get("pipelineRef") or {}
        job = (meta["namespace"], ref.get("name", ""), branch_of(run))
        return self.cluster.jenkins.get(job, int(number))

    def _trigger(self, run: dict[str, Any], ref: dict[str, Any]) -> Build | None:
        meta = run["metadata"]
        pipeline = self.store.get(PIPELINES, meta["namespace"], ref["name"])
        if pipeline is None:
            record(
                self.store,
                self.cluster.registry.storage_kind,
                run,
                "Warning",
                "TriggerFailed",
                f'pipelines.devops.kubesphere.io "{ref["name"]}" not found',
                "pipelinerun-controller",
            )
            return None
        jenkins = self.cluster.jenkins
        branch = branch_of(run)
        parameters = [
            {"name": str(p.get("name", "")), "value": str(p.get("value", ""))}
            for p in (run.get("spec") or {}).get("parameters") or []
        ]
        now = self.clock.now()
        job = (meta["namespace"], ref["name"], branch)
        twin = jenkins.queued_twin(job, parameters, now)
        if twin is not None and twin.run_name and twin.run_name != meta["name"]:
            # Jenkins merged this request into the queued build: the run is a duplicate.
            # (its finalizer goes on the next reconcile: it has no build to delete)
            self.store.delete(self.kind(RUNS), meta["namespace"], meta["name"])
            return None
        creator = (meta.get("annotations") or {}).get(CREATOR, "admin")
        build = jenkins.trigger(pipeline, branch, parameters, f"Started by user {creator}", now)
        build.run_name = meta["name"]
        meta.setdefault("annotations", {})[RUN_ID] = str(build.number)
        updated = self.store.update(self.kind(RUNS), run, check_rv=False)
        updated["status"] = {
            **(updated.get("status") or {}),
            "startTime": rfc3339(now),
            "updateTime": rfc3339(now),
        }
        self.store.update(self.kind(RUNS), updated, subresource="status", check_rv=False)
        run.update(self.store.get(RUNS, meta["namespace"], meta["name"]) or run)
        record(
            self.store,
            self.cluster.registry.storage_kind,
            run,
            "Normal",
            "Started",
            f"Started PipelineRun {meta['namespace']}/{meta['name']}",
            "pipelinerun-controller",
        )
        return build

    def _store_data(self, run: dict[str, Any], build: Build, view: View) -> None:
        store_data(self.cluster, run, view)

    def _set_status(self, run: dict[str, Any], view: View) -> None:
        fresh = self.store.get(RUNS, run["metadata"]["namespace"], run["metadata"]["name"])
        if fresh is None:
            return
        status = run_status(fresh.get("status") or {}, view, rfc3339(self.clock.now()))
        if status != fresh.get("status"):
            fresh["status"] = status
            self.store.update(self.kind(RUNS), fresh, subresource="status", check_rv=False)


def store_data(cluster: Any, run: dict[str, Any], view: View) -> None:
    """The `status` and `stage` keys of the ConfigMap named after the run (owned by it)."""
    meta = run["metadata"]
    kind = cluster.registry.storage_kind(CONFIGMAPS)
    data = {
        "status": json.dumps(view.status, separators=(",", ":")),
        "stage": json.dumps(view.stages, separators=(",", ":")),
    }
    existing = cluster.store.get(CONFIGMAPS, meta["namespace"], meta["name"])
    if existing is None:
        owner = {
            "apiVersion": run.get("apiVersion", f"{GROUP}/v1alpha3"),
            "kind": "PipelineRun",
            "name": meta["name"],
            "uid": meta.get("uid", ""),
            "controller": True,
            "blockOwnerDeletion": True,
        }
        cm_meta: dict[str, Any] = {"name": meta["name"], "namespace": meta["namespace"]}
        if meta.get("uid"):
            cm_meta["ownerReferences"] = [owner]
        configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": cm_meta, "data": data}
        cluster.create(kind, configmap)
    elif existing.get("data") != data:
        existing["data"] = data
        cluster.store.update(kind, existing, check_rv=False)


def run_status(old: dict[str, Any], view: View, now: str) -> dict[str, Any]:
    state = view.status["state"]
    result = view.status["result"]
    phase = phase_of(state, result)
    status = dict(old)
    status["phase"] = phase
    if view.status.get("startTime"):
        status.setdefault("startTime", view.status["startTime"])
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    if view.finished:
        status["completionTime"] = view.status.get("endTime", now)
        succeeded = "True" if phase == "Succeeded" else "False"
        _condition(conditions, "Succeeded", succeeded, state, now)
    else:
        _condition(conditions, "Ready", "Unknown", state, now)
    changed = [conditions[t] for t in ("Succeeded", "Ready") if t in conditions]
    changed.sort(key=lambda c: c.get("lastProbeTime", ""), reverse=True)
    status["conditions"] = changed
    if status != old:
        status["updateTime"] = now
    return status


def _condition(
    conditions: dict[str, dict[str, Any]], type_: str, status: str, reason: str, now: str
) -> None:
    old = conditions.get(type_)
    if old is not None and old.get("status") == status and old.get("reason") == reason:
        return
    conditions[type_] = {
        "type": type_,
        "status": status,
        "reason": reason,
        "lastProbeTime": now,
        "lastTransitionTime": now
        if old is None or old.get("status") != status
        else old.get("lastTransitionTime", now),
    }


def _job_of(run: dict[str, Any], build: Build) -> tuple[tuple[str, str, str], int]:
    ref = (run.get("spec") or {}).get("pipelineRef") or {}
    return (run["metadata"]["namespace"], ref.get("name", ""), branch_of(run)), build.number
