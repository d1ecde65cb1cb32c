"""Churn: a steady stream of realistic pod status changes, for a lively demo and benchmarks."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from kstui.sandbox.clock import rfc3339

PODS = ("", "pods")
TICK = 0.05


class Churn:
    """Mutates `rate` random running pods per second: readiness flaps and restarts."""

    def __init__(self, cluster: Any, rate: float, seed: int = 0) -> None:
        self.cluster = cluster
        self.rate = rate
        self.rng = random.Random(f"churn:{cluster.name}:{seed}")
        self.changes = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.rate > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        store = self.cluster.store
        kind = self.cluster.registry.storage_kind(PODS)
        owed = 0.0
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(TICK)
            now = loop.time()  # by elapsed time: a busy loop does not slow the rate down
            owed = min(owed + self.rate * (now - last), max(self.rate, 1.0))
            last = now
            keys = store.sorted_keys(PODS)
            tries = 4 * len(keys)
            while owed >= 1 and tries > 0:
                tries -= 1
                namespace, name = keys[self.rng.randrange(len(keys))]
                pod = store.get(PODS, namespace, name)
                if pod is None or (pod.get("status") or {}).get("phase") != "Running":
                    continue
                self._mutate(pod)
                before = store.rv
                store.update(kind, pod, subresource="status", check_rv=False)
                if store.rv != before:  # a no-op write is no change (and no watch event)
                    owed -= 1
                    self.changes += 1

    def _mutate(self, pod: dict[str, Any]) -> None:
        statuses = pod["status"].get("containerStatuses") or []
        # Only a running container flaps or restarts: one waiting (CrashLoopBackOff) or
        # terminated is never ready, and its restarts are the pod lifecycle controller's.
        live = [s for s in statuses if set(s.get("state") or {}) == {"running"}]
        if not live:
            return
        status = live[self.rng.randrange(len(live))]
        now = rfc3339(self.cluster.clock.now())
        if self.rng.random() < 0.2:
            # The killed run ends now and a new one starts now (kubelet's restart).
            started = status["state"]["running"].get("startedAt") or now
            status["restartCount"] = int(status.get("restartCount") or 0) + 1
            status["lastState"] = {
                "terminated": {
                    "exitCode": 137,
                    "reason": "OOMKilled",
                    "startedAt": started,
                    "finishedAt": now,
                }
            }
            status["state"] = {"running": {"startedAt": now}}
        status["ready"] = not status.get("ready", True) if self.rng.random() < 0.5 else True
        ready = "True" if all(s.get("ready") for s in statuses) else "False"
        for condition in pod["status"].get("conditions") or ():
            if condition.get("type") in ("Ready", "ContainersReady"):
                if condition.get("status") != ready:
                    condition["lastTransitionTime"] = now
                condition["status"] = ready
                if ready == "True":
                    condition.pop("reason", None)
                else:
                    condition["reason"] = "ContainersNotReady"
