"""KubeSphere 4's role and rolebinding controllers: what kube-apiserver enforces for project
members. Each `iam.kubesphere.io` Role gets an RBAC Role `kubesphere:iam:<name>` with the same
rules; each iam RoleBinding an RBAC RoleBinding `kubesphere:iam:<name>` pointing at
`kubesphere:iam:<role>`, its subjects as RBAC subjects. Twins are owned by their iam object, so
the garbage collector takes them with it; a twin deleted by hand comes back.
Workspace roles have no twin (API.md 0.3): kube-apiserver never hears of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.tenancy import (
    IAM_ROLE_BINDINGS,
    IAM_ROLES,
    NAMESPACES,
    RBAC,
    RBAC_ROLE_BINDINGS,
    RBAC_ROLES,
    deleting,
    upsert,
)
from kstui.sandbox.store import Event

PREFIX = "kubesphere:iam:"
MANAGED = {"iam.kubesphere.io/managed": "true"}


class _Mirror(Controller):
    twin_key: tuple[str, str] = ("", "")
    twin_kind = ""

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == self.primary:
            return [(event.new.namespace, event.new.name)]
        # a twin changed or went: look at its source (one we just made needs no second look)
        if event.type != "ADDED" and event.new.name.startswith(PREFIX):
            return [(event.new.namespace, event.new.name.removeprefix(PREFIX))]
        return []

    def reconcile(self, key: WorkKey) -> None:
        source = self.store.get(self.primary, *key)
        if source is None or deleting(source):
            return  # the garbage collector takes the twin
        namespace = self.store.entry(NAMESPACES, "", key[0])
        if namespace is None or namespace.fields.get("status.phase") == "Terminating":
            return  # nothing new in a namespace being emptied
        meta = source["metadata"]
        twin = {
            "apiVersion": f"{RBAC}/v1",
            "kind": self.twin_kind,
            "metadata": {
                "name": PREFIX + meta["name"],
                "namespace": meta["namespace"],
                "labels": MANAGED,
                "ownerReferences": [owner_ref(source)],
            },
            **self.content(source),
        }
        upsert(self.store, self.kind(self.twin_key), twin)

    def content(self, source: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class RoleMirror(_Mirror):
    watches = (IAM_ROLES, RBAC_ROLES)
    primary = IAM_ROLES
    twin_key = RBAC_ROLES
    twin_kind = "Role"

    def content(self, source: dict[str, Any]) -> dict[str, Any]:
        return {"rules": source.get("rules") or []}


def _subject(subject: dict[str, Any]) -> dict[str, Any]:
    if subject.get("kind") == "ServiceAccount":
        return {
            "kind": "ServiceAccount",
            "name": subject.get("name", ""),
            **({"namespace": subject["namespace"]} if subject.get("namespace") else {}),
        }
    return {
        "apiGroup": RBAC,
        "kind": subject.get("kind") or "User",
        "name": subject.get("name", ""),
    }


class RoleBindingMirror(_Mirror):
    watches = (IAM_ROLE_BINDINGS, RBAC_ROLE_BINDINGS)
    primary = IAM_ROLE_BINDINGS
    twin_key = RBAC_ROLE_BINDINGS
    twin_kind = "RoleBinding"

    def content(self, source: dict[str, Any]) -> dict[str, Any]:
        role = source.get("roleRef") or {}
        return {
            "roleRef": {
                "apiGroup": RBAC,
                "kind": role.get("kind") or "Role",
                "name": PREFIX + role.get("name", ""),
            },
            "subjects": [_subject(s) for s in source.get("subjects") or ()],
        }
