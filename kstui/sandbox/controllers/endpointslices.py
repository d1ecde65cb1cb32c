"""EndpointSlices follow Services: one slice per selecting Service, listing the pods that match
its selector and have an IP, as kube-controller-manager's endpointslice controller keeps them.

Pod churn is cheap: a pod event only queues the Services of its namespace whose selector it
matches (an index kept from Service events), and only when what a slice shows changed (IP,
node, readiness, termination, labels). The manager's queue coalesces repeats into one
reconcile per Service.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.workloads import pod_ready
from kstui.sandbox.store import Entry, Event, Store

SERVICES = ("", "services")
PODS = ("", "pods")
SLICES = ("discovery.k8s.io", "endpointslices")
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"


def pods_in(store: Store, namespace: str) -> Iterable[Entry]:
    """The pods of one namespace, by bisecting the sorted keys (not scanning every pod)."""
    keys = store.sorted_keys(PODS)
    bucket = store.bucket(PODS)
    start = bisect.bisect_left(keys, (namespace, ""))
    for key in keys[start:]:
        if key[0] != namespace:
            break
        entry = bucket.get(key)
        if entry is not None:
            yield entry


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _shown(pod: dict[str, Any]) -> tuple[Any, ...]:
    """What of a pod an EndpointSlice shows; events that leave it alone queue nothing."""
    status = pod.get("status") or {}
    return (
        status.get("podIP"),
        (pod.get("spec") or {}).get("nodeName"),
        pod_ready(pod),
        bool(pod["metadata"].get("deletionTimestamp")),
        status.get("phase"),
    )


def slice_name(service: dict[str, Any]) -> str:
    """`<service>-<5 chars>`, stable per Service uid (the real one is generateName'd)."""
    digest = hashlib.blake2b(service["metadata"]["uid"].encode(), digest_size=5).digest()
    return f"{service['metadata']['name'][:57]}-" + "".join(
        "bcdfghjklmnpqrstvwxz2456789"[b % 27] for b in digest
    )


def _target_port(port: dict[str, Any], pods: list[dict[str, Any]]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for pod in pods:
        for container in (pod.get("spec") or {}).get("containers") or ():
            for declared in container.get("ports") or ():
                if declared.get("name") == target:
                    return int(declared["containerPort"])
    return None


def desired_slice(service: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    """The EndpointSlice a Service's matching pods make (labels, ports, endpoints)."""
    meta = service["metadata"]
    endpoints = []
    for pod in pods:
        status = pod.get("status") or {}
        ip = status.get("podIP")
        if not ip or status.get("phase") in ("Succeeded", "Failed"):
            continue
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        ready = pod_ready(pod)
        endpoint: dict[str, Any] = {
            "addresses": [ip],
            "conditions": {
                "ready": ready and not terminating,
                "serving": ready,
                "terminating": terminating,
            },
            "targetRef": {
                "kind": "Pod",
                "namespace": pod["metadata"]["namespace"],
                "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"],
            },
        }
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            endpoint["nodeName"] = node
        endpoints.append(endpoint)
    ports = []
    for port in (service.get("spec") or {}).get("ports") or ():
        number = _target_port(port, pods)
        entry: dict[str, Any] = {
            "name": port.get("name", ""),
            "protocol": port.get("protocol", "TCP"),
        }
        if number is not None:
            entry["port"] = number
        ports.append(entry)
    labels = {
        k: v for k, v in (meta.get("labels") or {}).items() if k != "service.kubernetes.io/headless"
    }
    labels.update({MANAGED_BY: CONTROLLER_NAME, SERVICE_NAME: meta["name"]})
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": slice_name(service),
            "namespace": meta["namespace"],
            "generateName": f"{meta['name']}-",
            "labels": labels,
            "ownerReferences": [owner_ref({**service, "apiVersion": "v1", "kind": "Service"})],
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


class EndpointSliceController(Controller):
    watches = (SERVICES, PODS)
    primary = SERVICES

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self._selectors: dict[str, dict[str, dict[str, str]]] | None = None

    def _index(self) -> dict[str, dict[str, dict[str, str]]]:
        """namespace -> service name -> selector, for the Services that select pods."""
        if self._selectors is None:
            self._selectors = {}
            for entry in self.store.bucket(SERVICES).values():
                self._remember(entry.decode())
        return self._selectors

    def _remember(self, service: dict[str, Any]) -> None:
        assert self._selectors is not None
        meta = service["metadata"]
        selector = (service.get("spec") or {}).get("selector") or {}
        in_namespace = self._selectors.setdefault(meta["namespace"], {})
        if selector and (service.get("spec") or {}).get("type") != "ExternalName":
            in_namespace[meta["name"]] = selector
        else:
            in_namespace.pop(meta["name"], None)

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        index = self._index()
        if event.key == SERVICES:
            if event.type == "DELETED":
                index.get(event.new.namespace, {}).pop(event.new.name, None)
            else:
                self._remember(event.new.decode())
            return [(event.new.namespace, event.new.name)]
        selectors = index.get(event.new.namespace)
        if not selectors:
            return []  # most namespaces have no Service: pod churn there costs nothing
        old = event.old
        if (
            event.type == "MODIFIED"
            and old is not None
            and old.labels == event.new.labels
            and _shown(old.decode()) == _shown(event.new.decode())
        ):
            return []
        labels = [event.new.labels] + ([old.labels] if old is not None else [])
        return [
            (event.new.namespace, name)
            for name, selector in selectors.items()
            if any(_matches(selector, lab) for lab in labels)
        ]

    def reconcile(self, key: WorkKey, candidates: Iterable[Entry] | None = None) -> None:
        """Make the Service's slice match its pods; `candidates` narrows the pods looked at
        (the seeder knows them), else the Service's namespace is scanned."""
        namespace, name = key
        service = self.store.get(SERVICES, namespace, name)
        kind = self.kind(SLICES)
        owned = (
            [
                self.store.entry(k, *obj)
                for k, obj in self.store.dependents(service["metadata"]["uid"])
                if k == SLICES
            ]
            if service
            else []
        )
        selector = ((service or {}).get("spec") or {}).get("selector")
        if service is None or not selector or service["spec"].get("type") == "ExternalName":
            for entry in owned:
                if entry is not None:
                    self.store.delete(kind, entry.namespace, entry.name)
            return
        scanned = pods_in(self.store, namespace) if candidates is None else candidates
        pods = [e.decode() for e in scanned if _matches(selector, e.labels)]
        pods.sort(key=lambda p: p["metadata"]["name"])
        wanted = desired_slice(service, pods)
        current = next((e.decode() for e in owned if e is not None), None)
        if current is None:
            wanted["metadata"]["annotations"] = {
                "endpoints.kubernetes.io/last-change-trigger-time": rfc3339(self.clock.now())
            }
            self.cluster.create(kind, wanted)
            return
        if (
            all(current.get(f) == wanted[f] for f in ("endpoints", "ports", "addressType"))
            and current["metadata"].get("labels") == wanted["metadata"]["labels"]
        ):
            return
        current.update({f: wanted[f] for f in ("endpoints", "ports", "addressType")})
        current["metadata"]["labels"] = wanted["metadata"]["labels"]
        current["metadata"].setdefault("annotations", {})[
            "endpoints.kubernetes.io/last-change-trigger-time"
        ] = rfc3339(self.clock.now())
        self.store.update(kind, current, check_rv=False)
