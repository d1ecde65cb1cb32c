"""Deployments own ReplicaSets own Pods, as kube-controller-manager makes them."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey, controller_of, owner_ref
from kstui.sandbox.controllers.events import record
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Entry, Event

DEPLOYMENTS = ("apps", "deployments")
REPLICASETS = ("apps", "replicasets")
PODS = ("", "pods")
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def pod_template_hash(template: dict[str, Any]) -> str:
    """A stable short hash in the alphabet Kubernetes uses (rand.SafeEncodeString)."""
    digest = hashlib.blake2b(
        orjson.dumps(template, option=orjson.OPT_SORT_KEYS), digest_size=4
    ).digest()
    number = str(int.from_bytes(digest, "big"))
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in number)


def _owner_key(event: Event, owner_kind: str) -> list[WorkKey]:
    keys = []
    for entry in (event.new, event.old):
        if entry is None:
            continue
        ref = controller_of(entry.decode()) if entry.owners else None
        if ref is not None and ref.get("kind") == owner_kind:
            keys.append((entry.namespace, ref["name"]))
    return keys


def _comparable(template: dict[str, Any]) -> dict[str, Any]:
    template = copy.deepcopy(template)
    meta = template.setdefault("metadata", {})
    meta.pop("creationTimestamp", None)
    (meta.get("labels") or {}).pop("pod-template-hash", None)
    return template


def _same_template(rs: dict[str, Any], template: dict[str, Any]) -> bool:
    """A ReplicaSet is current when its template equals the Deployment's, hash label aside."""
    return _comparable(rs["spec"]["template"]) == _comparable(template)


def pod_ready(pod: dict[str, Any]) -> bool:
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def pod_state(entry: Entry) -> tuple[bool, bool]:
    """(being deleted, ready) of a stored pod, decoded once per version of it."""
    if entry.memo is None:
        pod = entry.decode()
        entry.memo = (bool(pod["metadata"].get("deletionTimestamp")), pod_ready(pod))
    state: tuple[bool, bool] = entry.memo
    return state


class DeploymentController(Controller):
    watches = (DEPLOYMENTS, REPLICASETS)
    primary = DEPLOYMENTS

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == REPLICASETS:
            return _owner_key(event, "Deployment")
        return super().keys_for(event)

    def _replicasets(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        uid = deployment["metadata"]["uid"]
        found = []
        for key, (namespace, name) in self.store.dependents(uid):
            if key == REPLICASETS:
                rs = self.store.get(key, namespace, name)
                if rs is not None:
                    found.append(rs)
        return found

    def reconcile(self, key: WorkKey) -> None:
        deployment = self.store.get(DEPLOYMENTS, *key)
        if deployment is None or deployment["metadata"].get("deletionTimestamp"):
            return
        spec = deployment["spec"]
        desired = int(spec.get("replicas", 1))
        template = spec["template"]
        template_hash = pod_template_hash(template)
        owned = self._replicasets(deployment)
        current = next((rs for rs in owned if _same_template(rs, template)), None)
        revisions = [
            int(rs["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", 0))
            for rs in owned
        ]
        rs_kind = self.kind(REPLICASETS)
        if current is None:
            current = self._new_replicaset(deployment, template_hash, max(revisions, default=0) + 1)
            self.cluster.create(rs_kind, current)
            self._event(
                deployment, f"Scaled up replica set {current['metadata']['name']} to {desired}"
            )
            return  # the new ReplicaSet's ADDED event brings us back
        revision = (
            current["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "1")
        )
        annotations = deployment["metadata"].setdefault("annotations", {})
        if annotations.get("deployment.kubernetes.io/revision") != revision:
            annotations["deployment.kubernetes.io/revision"] = revision
            deployment = self.store.update(self.kind(DEPLOYMENTS), deployment, check_rv=False)
        if not spec.get("paused"):
            if current["spec"].get("replicas") != desired:
                current["spec"]["replicas"] = desired
                self.store.update(rs_kind, current, check_rv=False)
            for rs in owned:
                if rs is not current and rs["spec"].get("replicas", 0) != 0:
                    rs["spec"]["replicas"] = 0
                    self.store.update(rs_kind, rs, check_rv=False)
                    self._event(
                        deployment, f"Scaled down replica set {rs['metadata']['name']} to 0"
                    )
        self._write_status(deployment, owned, current, desired)

    def _new_replicaset(
        self, deployment: dict[str, Any], template_hash: str, revision: int
    ) -> dict[str, Any]:
        meta = deployment["metadata"]
        template = copy.deepcopy(deployment["spec"]["template"])
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = (
            template_hash
        )
        selector = copy.deepcopy(deployment["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = template_hash
        desired = int(deployment["spec"].get("replicas", 1))
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{template_hash}",
                "namespace": meta["namespace"],
                "labels": template["metadata"]["labels"],
                "annotations": {
                    "deployment.kubernetes.io/desired-replicas": str(desired),
                    "deployment.kubernetes.io/max-replicas": str(desired + max(1, desired // 4)),
                    "deployment.kubernetes.io/revision": str(revision),
                },
                "ownerReferences": [owner_ref(deployment)],
            },
            "spec": {"replicas": desired, "selector": selector, "template": template},
        }

    def _write_status(
        self,
        deployment: dict[str, Any],
        owned: list[dict[str, Any]],
        current: dict[str, Any],
        desired: int,
    ) -> None:
        def total(field: str, sets: Iterable[dict[str, Any]]) -> int:
            return sum(int((rs.get("status") or {}).get(field) or 0) for rs in sets)

        replicas = total("replicas", owned)
        updated = int((current.get("status") or {}).get("replicas") or 0)
        ready = total("readyReplicas", owned)
        available = total("availableReplicas", owned)
        now = rfc3339(self.clock.now())
        old = deployment.get("status") or {}
        complete = updated == desired and replicas == desired and available == desired
        status: dict[str, Any] = {
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": available,
            "conditions": [
                _condition(
                    old,
                    "Available",
                    "True" if available >= desired else "False",
                    "MinimumReplicasAvailable"
                    if available >= desired
                    else "MinimumReplicasUnavailable",
                    "Deployment has minimum availability."
                    if available >= desired
                    else "Deployment does not have minimum availability.",
                    now,
                ),
                _condition(
                    old,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
                    f'ReplicaSet "{current["metadata"]["name"]}" has successfully progressed.'
                    if complete
                    else f'ReplicaSet "{current["metadata"]["name"]}" is progressing.',
                    now,
                ),
            ],
        }
        if replicas - available > 0:
            status["unavailableReplicas"] = replicas - available
        for field in ("readyReplicas", "availableReplicas"):
            if not status[field]:
                del status[field]
        if status != old:
            deployment["status"] = status
            self.store.update(
                self.kind(DEPLOYMENTS), deployment, subresource="status", check_rv=False
            )

    def _event(self, deployment: dict[str, Any], message: str) -> None:
        record(
            self.store,
            self.cluster.registry.storage_kind,
            deployment,
            "Normal",
            "ScalingReplicaSet",
            message,
            "deployment-controller",
        )


def _condition(
    old_status: dict[str, Any], type_: str, status: str, reason: str, message: str, now: str
) -> dict[str, Any]:
    """A condition that keeps its transition time while its status does not change."""
    previous: dict[str, Any] = next(
        (c for c in old_status.get("conditions") or () if c.get("type") == type_), {}
    )
    same = previous.get("status") == status and previous.get("reason") == reason
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": previous.get("lastUpdateTime", now) if same else now,
        "lastTransitionTime": previous.get("lastTransitionTime", now)
        if previous.get("status") == status
        else now,
    }


class ReplicaSetController(Controller):
    watches = (REPLICASETS, PODS)
    primary = REPLICASETS

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == PODS:
            return _owner_key(event, "ReplicaSet")
        return super().keys_for(event)

    def reconcile(self, key: WorkKey) -> None:
        rs = self.store.get(REPLICASETS, *key)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return
        entries = []
        bucket = self.store.bucket(PODS)
        for storage_key, object_key in self.store.dependents_unordered(rs["metadata"]["uid"]):
            if storage_key == PODS:
                entry = bucket.get(object_key)
                if entry is not None and not pod_state(entry)[0]:
                    entries.append(entry)
        desired = int(rs["spec"].get("replicas", 1))
        pod_kind = self.kind(PODS)
        if len(entries) < desired:
            for _ in range(desired - len(entries)):
                pod = self._new_pod(rs)
                try:
                    self.cluster.create(pod_kind, pod)
                except ApiError as error:  # a quota, a policy: said, as kube's controller says it
                    self._failed_create(rs, error.message)
                    return
                record(
                    self.store,
                    self.cluster.registry.storage_kind,
                    rs,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {pod['metadata']['name']}",
                    "replicaset-controller",
                )
            return  # the pods' ADDED events bring us back for status
        if len(entries) > desired:
            entries.sort(key=lambda entry: (entry.namespace, entry.name))  # as dependents()
            pods = [entry.decode() for entry in entries]
            # Scale down the least useful pods first: not ready, then the newest.
            pods.sort(
                key=lambda p: (pod_ready(p), p["metadata"]["creationTimestamp"]), reverse=False
            )
            for pod in pods[: len(pods) - desired]:
                self.store.delete(pod_kind, pod["metadata"]["namespace"], pod["metadata"]["name"])
                record(
                    self.store,
                    self.cluster.registry.storage_kind,
                    rs,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    "replicaset-controller",
                )
            return
        ready = sum(1 for entry in entries if pod_state(entry)[1])
        status: dict[str, Any] = {
            "replicas": len(entries),
            "fullyLabeledReplicas": len(entries),
            "observedGeneration": rs["metadata"]["generation"],
        }
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        if status != rs.get("status"):
            rs["status"] = status
            self.store.update(self.kind(REPLICASETS), rs, subresource="status", check_rv=False)

    def _failed_create(self, rs: dict[str, Any], message: str) -> None:
        """What kube's replicaset-controller does when the API refuses a pod: a FailedCreate
        warning on the ReplicaSet and a ReplicaFailure condition (it retries later)."""
        record(
            self.store,
            self.cluster.registry.storage_kind,
            rs,
            "Warning",
            "FailedCreate",
            f"Error creating: {message}",
            "replicaset-controller",
        )
        status = dict(rs.get("status") or {})
        if any(c.get("reason") == "FailedCreate" for c in status.get("conditions") or ()):
            return  # said once: the message names a new pod each try, so rewriting would loop
        now = rfc3339(self.clock.now())
        status["conditions"] = [
            _condition(status, "ReplicaFailure", "True", "FailedCreate", message, now)
        ]
        status.setdefault("replicas", 0)
        if status != rs.get("status"):
            rs["status"] = status
            self.store.update(self.kind(REPLICASETS), rs, subresource="status", check_rv=False)

    def _new_pod(self, rs: dict[str, Any]) -> dict[str, Any]:
        template = copy.deepcopy(rs["spec"]["template"])
        meta = template.get("metadata") or {}
        meta.pop("creationTimestamp", None)
        meta["name"] = self.store.generate_name(f"{rs['metadata']['name']}-")
        meta["namespace"] = rs["metadata"]["namespace"]
        meta["ownerReferences"] = [owner_ref(rs)]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": template.get("spec") or {},
        }
