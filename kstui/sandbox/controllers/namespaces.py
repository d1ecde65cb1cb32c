"""Namespaces: each new one gets its default ServiceAccount and root CA ConfigMap; a deleted one
is emptied of everything it holds, then finalized."""

from __future__ import annotations

from typing import Any

from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.status import ApiError

NAMESPACES = ("", "namespaces")
RETRY_SECONDS = 1.0
"""How soon a terminating namespace that still holds objects is looked at again."""
ROOT_CA = "-----BEGIN CERTIFICATE-----\nMIIC/sandbox/root/ca\n-----END CERTIFICATE-----\n"


class NamespaceController(Controller):
    watches = (NAMESPACES,)
    primary = NAMESPACES

    def reconcile(self, key: WorkKey) -> None:
        namespace = self.store.get(NAMESPACES, *key)
        if namespace is None:
            return
        name = namespace["metadata"]["name"]
        if namespace["metadata"].get("deletionTimestamp"):
            self._terminate(namespace)
            return
        if self.store.get(("", "serviceaccounts"), name, "default") is None:
            self.store.create(
                self.kind(("", "serviceaccounts")),
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": name},
                },
            )
        if self.store.get(("", "configmaps"), name, "kube-root-ca.crt") is None:
            self.store.create(
                self.kind(("", "configmaps")),
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": "kube-root-ca.crt",
                        "namespace": name,
                        "annotations": {
                            "kubernetes.io/description": "Contains a CA bundle "
                            "that can be used to verify the kube-apiserver "
                            "when using internal endpoints such as the "
                            "internal service IP or kubernetes.default.svc."
                        },
                    },
                    "data": {"ca.crt": ROOT_CA},
                },
            )

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self._retrying: set[str] = set()

    def _look_again(self, name: str) -> None:
        if name in self._retrying:
            return
        self._retrying.add(name)

        def retry() -> None:
            self._retrying.discard(name)
            try:
                self.reconcile(("", name))
            except ApiError:
                self._look_again(name)

        self.clock.call_later(RETRY_SECONDS, retry)

    def _terminate(self, namespace: dict) -> None:
        name = namespace["metadata"]["name"]
        for kind in self.cluster.registry.all():
            if not kind.namespaced or kind.version != kind.storage_version:
                continue
            if kind.group in ("metrics.k8s.io", "authorization.k8s.io"):
                continue
            for entry in list(self.store.select(kind.storage_key, name)):
                if self.store.entry(kind.storage_key, entry.namespace, entry.name) is not None:
                    self.store.delete(kind, entry.namespace, entry.name)
        remaining = any(
            any(True for _ in self.store.select(k.storage_key, name))
            for k in self.cluster.registry.all()
            if k.namespaced and k.group != "metrics.k8s.io"
        )
        if remaining:  # objects with finalizers: their controllers must let go first
            self._look_again(name)  # as the real controller requeues a namespace with content
            return
        namespace["spec"]["finalizers"] = []
        namespace.setdefault("status", {})["phase"] = "Terminating"
        kind = self.kind(NAMESPACES)
        if namespace["metadata"].get("finalizers"):
            self.store.update(kind, namespace, check_rv=False)
        else:
            self.store.remove(kind, namespace)
