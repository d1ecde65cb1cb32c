"""Resource quota controllers: what kube-controller-manager's resourcequota controller does
for core ResourceQuotas, and what KubeSphere's quota controller does for workspace quotas
(`quota.kubesphere.io` ResourceQuota: cluster-scoped, summed over the namespaces its
`spec.selector` labels pick). Usage and admission live in kstui/sandbox/quota.py."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.quota import (
    COUNTED,
    NAMESPACES,
    QUOTAS,
    WORKSPACE_QUOTAS,
    ZERO,
    QuotaLedger,
    Usage,
    add_usage,
    canonical,
    changes_usage,
    masked,
)
from kstui.sandbox.store import Event


class ResourceQuotaController(Controller):
    """Core ResourceQuota: `status.hard` = `spec.hard`, `status.used` from the namespace."""

    watches = COUNTED
    primary = QUOTAS

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self.ledger: QuotaLedger = cluster.quota

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        namespace = event.new.namespace
        own = (
            [(namespace, event.new.name)] if event.key == QUOTAS and not _status_only(event) else []
        )
        if not changes_usage(event):
            return own
        return own + [(namespace, name) for name in self.ledger.names(QUOTAS, namespace)]

    def reconcile(self, key: WorkKey) -> None:
        quota = self.store.get(QUOTAS, *key)
        if quota is None or quota["metadata"].get("deletionTimestamp"):
            return
        hard = canonical((quota.get("spec") or {}).get("hard"))
        status = {"hard": hard, "used": masked(self.ledger.usage(key[0]), hard)}
        if quota.get("status") != status:
            quota["status"] = status
            self.store.update(self.kind(QUOTAS), quota, subresource="status", check_rv=False)


def _status_only(event: Event) -> bool:
    """A write that changed nothing but status (our own, usually): nothing to redo."""
    if event.type != "MODIFIED" or event.old is None:
        return False
    old, new = event.old.decode(), event.new.decode()
    return old.get("spec") == new.get("spec") and old["metadata"].get("deletionTimestamp") == new[
        "metadata"
    ].get("deletionTimestamp")


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """labels.SelectorFromSet: every pair must match (an empty set selects everything)."""
    return all(labels.get(k) == v for k, v in selector.items())


class WorkspaceQuotaController(Controller):
    """KubeSphere's workspace quota: totals and a row per namespace its selector picks."""

    watches = (WORKSPACE_QUOTAS, NAMESPACES, *COUNTED)
    primary = WORKSPACE_QUOTAS

    def __init__(self, cluster: Any) -> None:
        super().__init__(cluster)
        self.ledger: QuotaLedger = cluster.quota
        self._selectors = {
            e.name: self._selector(e.decode()) for e in self.store.select(WORKSPACE_QUOTAS)
        }

    @staticmethod
    def _selector(quota: dict[str, Any]) -> dict[str, str]:
        return {
            str(k): str(v) for k, v in ((quota.get("spec") or {}).get("selector") or {}).items()
        }

    def _matching(self, *label_sets: dict[str, str]) -> list[WorkKey]:
        return [
            ("", name)
            for name, selector in self._selectors.items()
            if any(_selects(selector, labels) for labels in label_sets)
        ]

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == WORKSPACE_QUOTAS:
            if event.type == "DELETED":
                self._selectors.pop(event.new.name, None)
            elif _status_only(event):
                return []
            else:
                self._selectors[event.new.name] = self._selector(event.new.decode())
            return [("", event.new.name)]
        if not self._selectors:
            return []
        if event.key == NAMESPACES:
            if (
                event.old is not None
                and event.type == "MODIFIED"
                and event.old.labels == event.new.labels
            ):
                return []
            old_labels = event.old.labels if event.old is not None else {}
            return self._matching(old_labels, event.new.labels)
        if not changes_usage(event):
            return []
        namespace = self.store.entry(NAMESPACES, "", event.new.namespace)
        return self._matching(namespace.labels) if namespace is not None else []

    def reconcile(self, key: WorkKey) -> None:
        quota = self.store.get(WORKSPACE_QUOTAS, *key)
        if quota is None or quota["metadata"].get("deletionTimestamp"):
            return
        spec = quota.get("spec") or {}
        selector = self._selector(quota)
        hard = canonical((spec.get("quota") or {}).get("hard"))
        total: Usage = {}
        rows = []
        pairs = list(selector.items())
        for namespace in self.store.select(NAMESPACES):
            labels = namespace.labels
            if any(labels.get(k) != v for k, v in pairs):
                continue
            usage = self.ledger.usage(namespace.name)
            for resource in hard:
                add_usage(total, resource, usage.get(resource, ZERO))
            rows.append({"namespace": namespace.name, "hard": hard, "used": masked(usage, hard)})
        status = {"namespaces": rows, "total": {"hard": hard, "used": masked(total, hard)}}
        if quota.get("status") != status:
            quota["status"] = status
            self.store.update(
                self.kind(WORKSPACE_QUOTAS), quota, subresource="status", check_rv=False
            )
