"""The events a settled cluster would hold for the pods and deployments seeded as already
running: kubelet's Scheduled, Pulled, Created, Started for each container instance, a
crash-looper's Killing and BackOff (count = its restarts), the deployment controller's
ScalingReplicaSet. Seeded after everything else: no other object's name or version moves."""

from __future__ import annotations

import hashlib
from typing import Any

from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.seed import put

EVENTS = ("", "events")


def _event(
    obj: dict[str, Any],
    reason: str,
    message: str,
    at: str,
    *,
    type_: str = "Normal",
    component: str = "kubelet",
    count: int = 1,
    last: str = "",
) -> dict[str, Any]:
    meta = obj["metadata"]
    digest = hashlib.blake2b(f"{meta['uid']}/{reason}/{message}".encode(), digest_size=8)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{digest.hexdigest()}",
            "namespace": meta["namespace"],
            "creationTimestamp": at,
        },
        "involvedObject": {
            "kind": obj["kind"],
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": obj["apiVersion"],
        },
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": at,
        "lastTimestamp": last or at,
        "count": count,
        "type": type_,
        "reportingComponent": component,
        "reportingInstance": "",
    }


def _pod_events(pod: dict[str, Any]) -> list[dict[str, Any]]:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    node = spec.get("nodeName")
    if not node:
        return []
    created = meta.get("creationTimestamp") or status.get("startTime") or ""
    where = f"{meta['namespace']}/{meta['name']}"
    found = [
        _event(
            pod,
            "Scheduled",
            f"Successfully assigned {where} to {node}",
            created,
            component="default-scheduler",
        ),
    ]
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    for container in spec.get("containers") or []:
        name, image = container["name"], container.get("image", "")
        state = statuses.get(name) or {}
        last_run = (state.get("lastState") or {}).get("terminated") or {}
        started = (  # the current instance's start, or (waiting to restart) the last one's
            ((state.get("state") or {}).get("running") or {}).get("startedAt")
            or last_run.get("startedAt")
            or status.get("startTime")
            or created
        )
        restarts = int(state.get("restartCount") or 0)
        found += [
            _event(pod, "Pulled", f'Container image "{image}" already present on machine', created),
            _event(
                pod,
                "Created",
                f"Created container: {name}",
                created,
                count=restarts + 1,
                last=started,
            ),
            _event(
                pod,
                "Started",
                f"Started container {name}",
                created,
                count=restarts + 1,
                last=started,
            ),
        ]
        if "waiting" in (state.get("state") or {}) and restarts:
            found.append(
                _event(
                    pod,
                    "BackOff",
                    f"Back-off restarting failed container {name} in pod "
                    f"{meta['name']}_{meta['namespace']}({meta['uid']})",
                    created,
                    type_="Warning",
                    count=restarts,
                    last=last_run.get("finishedAt") or started,
                )
            )
    return found


def seed_events(cluster: SandboxCluster) -> None:
    store = cluster.store
    for pod in store.objects(("", "pods")):
        for event in _pod_events(pod):
            if store.get(EVENTS, event["metadata"]["namespace"], event["metadata"]["name"]):
                continue
            put(cluster, event)
    for deployment in store.objects(("apps", "deployments")):
        meta = deployment["metadata"]
        replicas = int((deployment.get("spec") or {}).get("replicas") or 0)
        for owned in store.objects(("apps", "replicasets"), meta["namespace"]):
            owners = (owned["metadata"].get("ownerReferences") or [{}])[0]
            if owners.get("uid") != meta["uid"]:
                continue
            event = _event(
                deployment,
                "ScalingReplicaSet",
                f"Scaled up replica set {owned['metadata']['name']} from 0 to {replicas}",
                owned["metadata"].get("creationTimestamp") or "",
                component="deployment-controller",
            )
            if not store.get(EVENTS, meta["namespace"], event["metadata"]["name"]):
                put(cluster, event)
