"""Pod lifecycle as scheduler and kubelet would drive it: Pending, scheduled, Running, and the
CrashLoopBackOff cycle (restartCount growing, back-off doubling, Warning events)."""

from __future__ import annotations

import hashlib
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.controllers.events import record

PODS = ("", "pods")
NODES = ("", "nodes")
CRASH_ANNOTATION = "sandbox.kstui.io/crash"
"""Set to "true" on a pod (or its template) to make its first container crash-loop."""
UNSCHEDULABLE_ANNOTATION = "sandbox.kstui.io/unschedulable"
START_AFTER_ANNOTATION = "sandbox.kstui.io/start-after"
"""Seconds the pod takes to start (instead of 1–3 s): the app store's Helm jobs are quick."""
BACKOFF_START, BACKOFF_MAX = 10.0, 300.0
CRASH_AFTER = 6.0
"""Seconds a crash-looping container runs before it exits again."""
JOB_RUNS_FOR = 1.0
"""Seconds a Job's pod runs before its containers exit."""


def _stable(*parts: object) -> int:
    return int.from_bytes(
        hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=4).digest(), "big"
    )


def _image_id(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    base = image.split("@")[0]
    if ":" in base.rsplit("/", 1)[-1]:
        base = base.rsplit(":", 1)[0]  # the tag, not a registry's port
    first = base.split("/")[0]
    if "/" not in base or not ("." in first or ":" in first or first == "localhost"):
        base = f"docker.io/{base}" if "/" in base else f"docker.io/library/{base}"
    return f"{base}@sha256:{digest}"


def crash_looping(pod: dict[str, Any]) -> bool:
    if pod["metadata"].get("annotations", {}).get(CRASH_ANNOTATION) == "true":
        return True
    for status in (pod.get("status") or {}).get("containerStatuses") or ():
        if (status.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff":
            return True
    return False


def _conditions(now: str, ready: bool, scheduled: bool = True) -> list[dict[str, Any]]:
    flag = "True" if ready else "False"
    conditions = [
        {
            "type": "PodReadyToStartContainers",
            "status": "True",
            "lastProbeTime": None,
            "lastTransitionTime": now,
        },
        {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
        {"type": "Ready", "status": flag, "lastProbeTime": None, "lastTransitionTime": now},
        {
            "type": "ContainersReady",
            "status": flag,
            "lastProbeTime": None,
            "lastTransitionTime": now,
        },
        {
            "type": "PodScheduled",
            "status": "True" if scheduled else "False",
            "lastProbeTime": None,
            "lastTransitionTime": now,
        },
    ]
    if not ready:
        for condition in conditions[2:4]:
            condition["reason"] = "ContainersNotReady"
    return conditions


def container_status(
    container: dict[str, Any],
    state: dict[str, Any],
    ready: bool,
    restarts: int = 0,
    last: dict[str, Any] | None = None,
) -> dict[str, Any]:
    image = container.get("image", "")
    return {
        "name": container["name"],
        "image": image,
        "imageID": _image_id(image),
        "containerID": "containerd://"
        + hashlib.sha256((container["name"] + str(restarts) + image).encode()).hexdigest(),
        "ready": ready,
        "started": "running" in state,
        "restartCount": restarts,
        "state": state,
        "lastState": {"terminated": last} if last else {},
    }


class PodLifecycleController(Controller):
    watches = (PODS,)
    primary = PODS

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self._timers: set[tuple[str, str, str]] = set()

    def _nodes(self, pod: dict[str, Any] | None = None) -> list[str]:
        tolerations = ((pod or {}).get("spec") or {}).get("tolerations") or []
        ready = []
        for node in self.store.objects(NODES):
            conditions = (node.get("status") or {}).get("conditions") or []
            taints = [
                t
                for t in (node.get("spec") or {}).get("taints") or ()
                if t.get("effect") in ("NoSchedule", "NoExecute")
            ]
            if (
                any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
                and not (node.get("spec") or {}).get("unschedulable")
                and all(any(_tolerates(t, taint) for t in tolerations) for taint in taints)
            ):
                ready.append(node["metadata"]["name"])
        return ready

    def _later(self, delay: float, key: WorkKey, uid: str, step: str) -> None:
        """Run a step later unless already pending; the pod is re-read when it fires."""
        token = (key[0], key[1], step)
        if token in self._timers:
            return
        self._timers.add(token)

        def fire() -> None:
            self._timers.discard(token)
            pod = self.store.get(PODS, *key)
            if (
                pod is not None
                and pod["metadata"].get("uid") == uid
                and not pod["metadata"].get("deletionTimestamp")
            ):
                getattr(self, f"_{step}")(pod)

        self.clock.call_later(delay, fire)

    def reconcile(self, key: WorkKey) -> None:
        pod = self.store.get(PODS, *key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        status = pod.get("status") or {}
        uid = pod["metadata"]["uid"]
        if not pod["spec"].get("nodeName"):
            if pod["metadata"].get("annotations", {}).get(UNSCHEDULABLE_ANNOTATION) == "true":
                self._unschedulable(pod)
                return
            self._schedule(pod)
            return
        phase = status.get("phase", "Pending")
        if phase == "Pending":
            start_after = pod["metadata"].get("annotations", {}).get(START_AFTER_ANNOTATION)
            delay = (
                float(start_after)
                if start_after
                else 1.0 + (_stable(uid) % 2000) / 1000  # 1–3 s to pull and start
            )
            self._later(delay, key, uid, "start")
        elif phase == "Running" and _job_pod(pod):
            self._later(JOB_RUNS_FOR, key, uid, "finish")  # a Job's pod runs to its end
        elif phase == "Running" and crash_looping(pod):
            waiting = any(
                "waiting" in (s.get("state") or {}) for s in status.get("containerStatuses") or ()
            )
            if waiting:
                restarts = max(
                    int(s.get("restartCount") or 0) for s in status.get("containerStatuses") or [{}]
                )
                delay = min(BACKOFF_START * 2 ** max(restarts - 1, 0), BACKOFF_MAX)
                self._later(delay, key, uid, "restart")
            else:
                self._later(CRASH_AFTER, key, uid, "crash")

    def _write(self, pod: dict[str, Any]) -> None:
        self.store.update(self.kind(PODS), pod, subresource="status", check_rv=False)

    def _schedule(self, pod: dict[str, Any]) -> None:
        nodes = self._nodes(pod)
        if not nodes:
            self._unschedulable(pod)
            return
        node = nodes[_stable(pod["metadata"]["uid"]) % len(nodes)]
        # Binding sets spec.nodeName, which only the binding subresource may write.
        pod["spec"]["nodeName"] = node
        now = rfc3339(self.clock.now())
        status = pod.setdefault("status", {})
        status["phase"] = "Pending"
        status["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": now,
            }
        ]
        status["hostIP"] = _node_ip(node)
        status["hostIPs"] = [{"ip": status["hostIP"]}]
        status["containerStatuses"] = [
            container_status(c, {"waiting": {"reason": "ContainerCreating"}}, False)
            for c in pod["spec"].get("containers") or ()
        ]
        status["startTime"] = now
        # a copy: a main-resource update keeps the stored status and would put it into `pod`
        self.store.update(self.kind(PODS), dict(pod), check_rv=False)
        self._write(pod)
        record(
            self.store,
            self.cluster.registry.storage_kind,
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {pod['metadata']['namespace']}/{pod['metadata']['name']} "
            f"to {node}",
            "default-scheduler",
        )

    def _unschedulable(self, pod: dict[str, Any]) -> None:
        status = pod.setdefault("status", {})
        if any(c.get("reason") == "Unschedulable" for c in status.get("conditions") or ()):
            return
        now = rfc3339(self.clock.now())
        status["phase"] = "Pending"
        status["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "lastProbeTime": None,
                "lastTransitionTime": now,
                "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
                "available: 3 No preemption victims found for incoming pod.",
            }
        ]
        self._write(pod)
        record(
            self.store,
            self.cluster.registry.storage_kind,
            pod,
            "Warning",
            "FailedScheduling",
            status["conditions"][0]["message"],
            "default-scheduler",
        )

    def _start(self, pod: dict[str, Any]) -> None:
        now = rfc3339(self.clock.now())
        meta = pod["metadata"]
        status = pod["status"]
        status["phase"] = "Running"
        status["conditions"] = _conditions(now, True)
        status["podIP"] = _pod_ip(meta["uid"])
        status["podIPs"] = [{"ip": status["podIP"]}]
        status["containerStatuses"] = [
            container_status(c, {"running": {"startedAt": now}}, True)
            for c in pod["spec"].get("containers") or ()
        ]
        self._write(pod)
        for container in pod["spec"].get("containers") or ():
            path = f"spec.containers{{{container['name']}}}"
            for reason, message in (
                (
                    "Pulled",
                    f'Container image "{container.get("image")}" already present on machine',
                ),
                ("Created", f"Created container {container['name']}"),
                ("Started", f"Started container {container['name']}"),
            ):
                record(
                    self.store,
                    self.cluster.registry.storage_kind,
                    pod,
                    "Normal",
                    reason,
                    message,
                    "kubelet",
                    pod["spec"].get("nodeName", ""),
                    path,
                )

    def _finish(self, pod: dict[str, Any]) -> None:
        """The containers exit: 0 and Succeeded, or 1 and Failed for a pod marked to crash."""
        now = rfc3339(self.clock.now())
        status = pod["status"]
        failed = pod["metadata"].get("annotations", {}).get(CRASH_ANNOTATION) == "true"
        status["phase"] = "Failed" if failed else "Succeeded"
        status["conditions"] = _conditions(now, False)
        for condition in status["conditions"][2:4]:
            condition["reason"] = "PodFailed" if failed else "PodCompleted"
        statuses = []
        for container, previous in zip(
            pod["spec"].get("containers") or (), status.get("containerStatuses") or (), strict=False
        ):
            started = (previous.get("state") or {}).get("running", {}).get("startedAt", now)
            terminated = {
                "exitCode": 1 if failed else 0,
                "reason": "Error" if failed else "Completed",
                "startedAt": started,
                "finishedAt": now,
                "containerID": previous.get("containerID", ""),
            }
            statuses.append(container_status(container, {"terminated": terminated}, False))
        status["containerStatuses"] = statuses
        self._write(pod)

    def _crash(self, pod: dict[str, Any]) -> None:
        now = rfc3339(self.clock.now())
        status = pod["status"]
        first = status["containerStatuses"][0]
        started = (first.get("state") or {}).get("running", {}).get("startedAt", now)
        restarts = int(first.get("restartCount") or 0) + 1
        container = pod["spec"]["containers"][0]
        last = {
            "exitCode": 1,
            "reason": "Error",
            "startedAt": started,
            "finishedAt": now,
            "containerID": first.get("containerID", ""),
        }
        message = (
            f"back-off {int(min(BACKOFF_START * 2 ** (restarts - 1), BACKOFF_MAX))}s "
            f"restarting failed container={container['name']} "
            f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}"
            f"({pod['metadata']['uid']})"
        )
        status["containerStatuses"][0] = container_status(
            container,
            {"waiting": {"reason": "CrashLoopBackOff", "message": message}},
            False,
            restarts,
            last,
        )
        status["conditions"] = _conditions(now, False)
        self._write(pod)
        record(
            self.store,
            self.cluster.registry.storage_kind,
            pod,
            "Warning",
            "BackOff",
            "Back-off restarting failed container "
            + container["name"]
            + " in pod "
            + f"{pod['metadata']['name']}_{pod['metadata']['namespace']}"
            f"({pod['metadata']['uid']})",
            "kubelet",
            pod["spec"].get("nodeName", ""),
            f"spec.containers{{{container['name']}}}",
        )

    def _restart(self, pod: dict[str, Any]) -> None:
        now = rfc3339(self.clock.now())
        status = pod["status"]
        first = status["containerStatuses"][0]
        container = pod["spec"]["containers"][0]
        last = (first.get("lastState") or {}).get("terminated")
        status["containerStatuses"][0] = container_status(
            container,
            {"running": {"startedAt": now}},
            True,
            int(first.get("restartCount") or 0),
            last,
        )
        status["conditions"] = _conditions(
            now, all(s.get("ready") for s in status["containerStatuses"])
        )
        self._write(pod)


def _job_pod(pod: dict[str, Any]) -> bool:
    return any(
        ref.get("kind") == "Job" and ref.get("controller")
        for ref in pod["metadata"].get("ownerReferences") or ()
    )


def _tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    """v1.Toleration.ToleratesTaint: a NoSchedule taint keeps off every pod not tolerating it."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    if toleration.get("key") and toleration.get("key") != taint.get("key"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return not toleration.get("key") or toleration.get("key") == taint.get("key")
    return toleration.get("key") == taint.get("key") and (toleration.get("value") or "") == (
        taint.get("value") or ""
    )


def _pod_ip(uid: str) -> str:
    value = _stable("ip", uid)
    return f"10.244.{value % 4}.{2 + value // 4 % 250}"


def _node_ip(node: str) -> str:
    return f"172.18.0.{2 + _stable('node', node) % 200}"
