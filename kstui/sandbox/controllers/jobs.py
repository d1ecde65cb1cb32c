"""Jobs own Pods that run to completion, as kube-controller-manager's job controller makes them.

The pod lifecycle controller ends a Job's pods (Succeeded, or Failed when marked to crash); this
controller keeps `parallelism` pods running until `completions` have succeeded, then marks the
Job Complete, or Failed once more pods failed than `backoffLimit` allows. That is what
`kubectl wait --for=condition=complete` and Helm's hook and `--wait` logic watch for.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.events import record
from kstui.sandbox.controllers.workloads import _owner_key, pod_ready
from kstui.sandbox.store import Event

JOBS = ("batch", "jobs")
PODS = ("", "pods")
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"


def finished(job: dict[str, Any]) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or ()
    )


class JobController(Controller):
    watches = (JOBS, PODS)
    primary = JOBS

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == PODS:
            # Only pods the job controller made (it labels them) are worth decoding: pod events
            # are the sandbox's busiest, and most pods belong to ReplicaSets.
            entries = (e for e in (event.new, event.old) if e is not None)
            if any(JOB_NAME_LABEL in e.labels for e in entries):
                return _owner_key(event, "Job")
            return []
        return super().keys_for(event)

    def reconcile(self, key: WorkKey) -> None:
        job = self.store.get(JOBS, *key)
        if job is None or job["metadata"].get("deletionTimestamp") or finished(job):
            return
        spec = job.get("spec") or {}
        pods = []
        for storage_key, (namespace, name) in self.store.dependents(job["metadata"]["uid"]):
            if storage_key == PODS:
                pod = self.store.get(PODS, namespace, name)
                if pod is not None:
                    pods.append(pod)
        phases = [(p.get("status") or {}).get("phase", "Pending") for p in pods]
        succeeded = phases.count("Succeeded")
        failed = phases.count("Failed")
        active = [
            p
            for p, phase in zip(pods, phases, strict=True)
            if phase in ("Pending", "Running") and not p["metadata"].get("deletionTimestamp")
        ]
        completions = spec.get("completions")
        wanted = 1 if completions is None else int(completions)
        now = rfc3339(self.clock.now())
        status = copy.deepcopy(job.get("status") or {})
        status.setdefault("startTime", now)
        status["succeeded"], status["failed"] = succeeded, failed
        status["terminating"] = 0
        status["uncountedTerminatedPods"] = {}
        if succeeded >= wanted:
            status.update(active=0, ready=0, completionTime=now)
            status["conditions"] = [
                *(status.get("conditions") or ()),
                _condition("SuccessCriteriaMet", "CompletionsReached", now),
                _condition("Complete", "CompletionsReached", now),
            ]
            self._write(job, status)
            record(
                self.store,
                self.cluster.registry.storage_kind,
                job,
                "Normal",
                "Completed",
                "Job completed",
                "job-controller",
            )
            return
        if failed > int(spec.get("backoffLimit", 6)):
            for pod in active:
                self.store.delete(
                    self.kind(PODS), pod["metadata"]["namespace"], pod["metadata"]["name"]
                )
            status.update(active=0, ready=0)
            status["conditions"] = [
                *(status.get("conditions") or ()),
                _condition("FailureTarget", "BackoffLimitExceeded", now),
                _condition("Failed", "BackoffLimitExceeded", now),
            ]
            self._write(job, status)
            record(
                self.store,
                self.cluster.registry.storage_kind,
                job,
                "Warning",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "job-controller",
            )
            return
        if not spec.get("suspend"):
            missing = min(int(spec.get("parallelism", 1)), wanted - succeeded) - len(active)
            for _ in range(max(missing, 0)):
                pod = self._new_pod(job)
                self.cluster.create(self.kind(PODS), pod)
                record(
                    self.store,
                    self.cluster.registry.storage_kind,
                    job,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {pod['metadata']['name']}",
                    "job-controller",
                )
                active.append(pod)
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if pod_ready(p))
        if status != job.get("status"):
            self._write(job, status)

    def _write(self, job: dict[str, Any], status: dict[str, Any]) -> None:
        job["status"] = status
        self.store.update(self.kind(JOBS), job, subresource="status", check_rv=False)

    def _new_pod(self, job: dict[str, Any]) -> dict[str, Any]:
        template = copy.deepcopy(job["spec"]["template"])
        meta = template.get("metadata") or {}
        meta.pop("creationTimestamp", None)
        name, uid = job["metadata"]["name"], job["metadata"]["uid"]
        meta["labels"] = {
            **(meta.get("labels") or {}),
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }
        meta["name"] = self.store.generate_name(f"{name}-")
        meta["namespace"] = job["metadata"]["namespace"]
        meta["ownerReferences"] = [owner_ref(job)]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": template.get("spec") or {},
        }


def _condition(type_: str, reason: str, now: str) -> dict[str, Any]:
    messages = {
        "CompletionsReached": "Reached expected number of succeeded pods",
        "BackoffLimitExceeded": "Job has reached the specified backoff limit",
    }
    return {
        "type": type_,
        "status": "True",
        "reason": reason,
        "message": messages[reason],
        "lastProbeTime": now,
        "lastTransitionTime": now,
    }
