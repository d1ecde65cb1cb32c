"""PodDisruptionBudget status (currentHealthy, desiredHealthy, disruptionsAllowed, expectedPods),
as kube-controller-manager's disruption controller computes it; evictions read it.

Pods are counted directly (the real controller asks their controllers' scale for expectedPods;
for a Deployment at rest the two agree). Pod events queue only the budgets of their namespace
that select them, and only when the pod's health changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.controllers.endpointslices import pods_in
from kstui.sandbox.controllers.workloads import pod_ready, pod_state
from kstui.sandbox.selectors import labels_match, selector_from_match_labels
from kstui.sandbox.store import Entry, Event

PDBS = ("policy", "poddisruptionbudgets")
PODS = ("", "pods")


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, str) and value.endswith("%"):
        fraction = int(value[:-1]) * total / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(value)


def _healthy(pod: dict[str, Any]) -> bool:
    return pod_ready(pod) and not pod["metadata"].get("deletionTimestamp")


def _entry_healthy(entry: Entry) -> bool:
    deleting, ready = pod_state(entry)
    return ready and not deleting


def budget_status(pdb: dict[str, Any], pods: list[Entry], now: str) -> dict[str, Any]:
    spec = pdb.get("spec") or {}
    expected = len(pods)
    healthy = sum(map(_entry_healthy, pods))
    if spec.get("maxUnavailable") is not None:
        desired = max(0, expected - _scaled(spec["maxUnavailable"], expected, True))
    elif spec.get("minAvailable") is not None:
        desired = _scaled(spec["minAvailable"], expected, True)
    else:
        desired = expected  # neither: nothing may be disrupted
    allowed = max(0, healthy - desired) if expected else 0
    previous = pdb.get("status") or {}
    condition = {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
        "observedGeneration": pdb["metadata"].get("generation", 1),
        "lastTransitionTime": now,
    }
    for old in previous.get("conditions") or ():
        if old.get("type") == "DisruptionAllowed" and old.get("status") == condition["status"]:
            condition["lastTransitionTime"] = old.get("lastTransitionTime", now)
    status = {
        "observedGeneration": pdb["metadata"].get("generation", 1),
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "conditions": [condition],
    }
    if previous.get("disruptedPods"):
        status["disruptedPods"] = previous["disruptedPods"]
    return status


def matching_pods(
    store: Any, pdb: dict[str, Any], candidates: Iterable[Entry] | None = None
) -> list[Entry]:
    """The pods a budget selects, among `candidates` if given, else in its namespace."""
    requirements = selector_from_match_labels((pdb.get("spec") or {}).get("selector"))
    if not requirements:
        return []  # policy/v1: an empty selector selects nothing
    scanned = pods_in(store, pdb["metadata"]["namespace"]) if candidates is None else candidates
    return [e for e in scanned if labels_match(requirements, e.labels)]


class DisruptionController(Controller):
    watches = (PDBS, PODS)
    primary = PDBS

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == PDBS:
            return super().keys_for(event)
        namespace = event.new.namespace
        budgets = [e for e in self.store.bucket(PDBS).values() if e.namespace == namespace]
        if not budgets:
            return []
        old = event.old
        if (
            event.type == "MODIFIED"
            and old is not None
            and old.labels == event.new.labels
            and _healthy(old.decode()) == _healthy(event.new.decode())
        ):
            return []
        keys = []
        labels = [event.new.labels] + ([old.labels] if old is not None else [])
        for entry in budgets:
            pdb = entry.decode()
            requirements = selector_from_match_labels((pdb.get("spec") or {}).get("selector"))
            if requirements and any(labels_match(requirements, lab) for lab in labels):
                keys.append((namespace, entry.name))
        return keys

    def reconcile(self, key: WorkKey) -> None:
        pdb = self.store.get(PDBS, *key)
        if pdb is None or pdb["metadata"].get("deletionTimestamp"):
            return
        status = budget_status(pdb, matching_pods(self.store, pdb), rfc3339(self.clock.now()))
        if status == pdb.get("status"):
            return
        pdb["status"] = status
        self.store.update(self.kind(PDBS), pdb, subresource="status", check_rv=False)
