"""The Jenkins agent pod of a running build (API.md §9.5): what the cluster alone holds.

The Kubernetes plugin makes a pod `<template>-<random>` in `kubesphere-devops-worker`, labelled
`jenkins=slave` and `jenkins/label=<template>`, with the build container running `cat` and the
`jnlp` agent (whose log is the agent's connection log); it is deleted after the build. ks-devops
≥ 4.2 points the PipelineRun at it with `devops.kubesphere.io/agent-pod-name` / `agent-node-name`
while the run is Running or Pending.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from kstui.sandbox.status import ApiError

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster
    from kstui.sandbox.jenkins import Build, View

WORKER_NAMESPACE = "kubesphere-devops-worker"
PODS = ("", "pods")
RUNS = ("devops.kubesphere.io", "pipelineruns")
POD_ANNOTATION = "devops.kubesphere.io/agent-pod-name"
NODE_ANNOTATION = "devops.kubesphere.io/agent-node-name"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def pod_name(build: Build, template: str = "base") -> str:
    digest = hashlib.sha256(f"{build.job}#{build.number}".encode()).digest()
    return f"{template}-" + "".join(_SAFE[b % len(_SAFE)] for b in digest[:5])


def agent_pod(build: Build) -> dict[str, Any]:
    name = pod_name(build)
    jenkins_url = "http://devops-jenkins.kubesphere-devops-system:80"
    job_url = "".join(f"job/{part}/" for part in build.job.split("/"))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": WORKER_NAMESPACE,
            "labels": {"jenkins": "slave", "jenkins/label": "base"},
            "annotations": {"runUrl": f"{job_url}{build.number}/"},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "base",
                    "image": "kubesphere/builder-base:v3.2.2",
                    "command": ["cat"],
                    "tty": True,
                },
                {
                    "name": "jnlp",
                    "image": "jenkins/inbound-agent:4.10-2",
                    "env": [
                        {"name": "JENKINS_URL", "value": jenkins_url},
                        {"name": "JENKINS_AGENT_NAME", "value": name},
                    ],
                },
            ],
        },
    }


def ensure(cluster: SandboxCluster, build: Build, run: dict[str, Any], view: View) -> None:
    """The agent pod exists from the build's start, and the run points at it."""
    if view.status.get("state") == "QUEUED":
        return
    if cluster.store.get(("", "namespaces"), "", WORKER_NAMESPACE) is None:
        return
    name = pod_name(build)
    pod = cluster.store.get(PODS, WORKER_NAMESPACE, name)
    if pod is None:
        kind = cluster.registry.storage_kind(PODS)
        assert kind is not None
        try:
            pod = cluster.create(kind, agent_pod(build))
        except ApiError:
            return
    node = (pod.get("spec") or {}).get("nodeName", "")
    annotations = (run["metadata"].get("annotations") or {}).copy()
    wanted = {POD_ANNOTATION: name, **({NODE_ANNOTATION: node} if node else {})}
    if any(annotations.get(k) != v for k, v in wanted.items()):
        fresh = cluster.store.get(RUNS, run["metadata"]["namespace"], run["metadata"]["name"])
        if fresh is not None:
            fresh["metadata"].setdefault("annotations", {}).update(wanted)
            kind = cluster.registry.storage_kind(RUNS)
            assert kind is not None
            cluster.store.update(kind, fresh, check_rv=False)


def release(cluster: SandboxCluster, build: Build) -> None:
    """The pod goes with the build's end, and so does the run's pointer at it."""
    name = pod_name(build)
    kind = cluster.registry.storage_kind(PODS)
    if kind is not None and cluster.store.get(PODS, WORKER_NAMESPACE, name) is not None:
        cluster.store.delete(kind, WORKER_NAMESPACE, name)
    run = (
        cluster.store.get(RUNS, build.job.split("/")[0], build.run_name) if build.run_name else None
    )
    if run is not None:
        annotations = run["metadata"].get("annotations") or {}
        if POD_ANNOTATION in annotations or NODE_ANNOTATION in annotations:
            annotations.pop(POD_ANNOTATION, None)
            annotations.pop(NODE_ANNOTATION, None)
            runs = cluster.registry.storage_kind(RUNS)
            assert runs is not None
            cluster.store.update(runs, run, check_rv=False)
