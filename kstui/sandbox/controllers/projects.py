"""Projects: what KubeSphere's namespace controller does to a namespace in a workspace.

4.x, for a namespace labelled `kubesphere.io/workspace` and `kubesphere.io/managed: "true"`:
the built-in `iam.kubesphere.io` Roles `admin`, `operator`, `viewer`, a RoleBinding
`<creator>-admin` for the `kubesphere.io/creator` annotation, no ownerReference to a Workspace,
and finalizer `kubesphere.io/cascading-deletion` (let go once the namespace is cleaned up).
When its workspace label is removed, its iam Roles and RoleBindings go.

3.x: the same roles and binding as plain RBAC objects (binding labelled
`iam.kubesphere.io/user-ref`), label `kubesphere.io/namespace=<name>`, finalizer
`finalizers.kubesphere.io/namespaces` and an ownerReference to the cluster's Workspace.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.tenancy import (
    CREATOR,
    IAM,
    IAM_ROLE_BINDINGS,
    IAM_ROLES,
    NAMESPACE_LABEL,
    NAMESPACES,
    RBAC,
    RBAC_ROLE_BINDINGS,
    RBAC_ROLES,
    ROLE_REF,
    USER_REF,
    WORKSPACE_LABEL,
    WORKSPACES,
    Flavor,
    deleting,
    in_namespace,
    in_workspace,
    upsert,
    with_finalizer,
)
from kstui.sandbox.store import Event

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster

BUILTIN_PROJECT_ROLES: dict[str, dict[str, Any]] = {
    "admin": {
        "description": "Manage all resources in the project.",
        "aggregationRoleTemplates": {
            "roleSelector": {
                "matchLabels": {
                    "iam.kubesphere.io/scope": "namespace",
                    "kubesphere.io/managed": "true",
                }
            }
        },
        "verbs": ["*"],
    },
    "operator": {
        "description": "Manage resources other than users and roles in the project.",
        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
    },
    "viewer": {
        "description": "View all resources in the project.",
        "verbs": ["get", "list", "watch"],
    },
}
"""Built-in project roles, worded as the seed words them."""
SYSTEM = "system"


class ProjectController(Controller):
    watches: tuple[tuple[str, str], ...] = (NAMESPACES, WORKSPACES)
    primary = NAMESPACES

    def __init__(self, cluster: SandboxCluster, flavor: Flavor) -> None:
        super().__init__(cluster)
        self.flavor = flavor
        if not flavor.v3:
            self.watches = (NAMESPACES,)  # only 3.x projects point at their Workspace
        # the RBAC twins of 4.x project members are made by the iam mirror, not here
        self.roles, self.bindings = (
            (RBAC_ROLES, RBAC_ROLE_BINDINGS) if flavor.v3 else (IAM_ROLES, IAM_ROLE_BINDINGS)
        )

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == NAMESPACES:
            return [("", event.new.name)]
        return [
            ("", entry.name)
            for entry in self.store.select(NAMESPACES, labels=in_workspace(event.new.name))
        ]

    def reconcile(self, key: WorkKey) -> None:
        namespace = self.store.get(NAMESPACES, *key)
        if namespace is None:
            return
        finalizer = self.flavor.project_finalizer
        if deleting(namespace):
            if finalizer in (namespace["metadata"].get("finalizers") or ()):
                self._remove_members(namespace)
                with_finalizer(namespace, finalizer, False)
                self.store.update(self.kind(NAMESPACES), namespace, check_rv=False)
            return
        labels = namespace["metadata"].get("labels") or {}
        if not labels.get(WORKSPACE_LABEL):
            self._release(namespace)
            return
        if not self.flavor.is_project(labels):
            return  # 4.x: in a workspace but not managed (a DevOps namespace): left alone
        if self._adopt(namespace):
            self.store.update(self.kind(NAMESPACES), namespace, check_rv=False)
        self._builtin_roles(namespace)
        self._creator_binding(namespace)

    # ------------------------------------------------------------------ a project

    def _adopt(self, namespace: dict[str, Any]) -> bool:
        """Finalizer, and the 3.x label and Workspace ownerReference; whether it changed."""
        meta = namespace["metadata"]
        changed = with_finalizer(namespace, self.flavor.project_finalizer, True)
        refs = list(meta.get("ownerReferences") or ())
        if self.flavor.v3:
            if meta["labels"].get(NAMESPACE_LABEL) != meta["name"]:
                meta["labels"][NAMESPACE_LABEL] = meta["name"]
                changed = True
            workspace = self.store.get(WORKSPACES, "", meta["labels"][WORKSPACE_LABEL])
            kept = [r for r in refs if r.get("kind") != "Workspace"]
            if workspace is not None and not deleting(workspace):
                kept.append(owner_ref(workspace))
        else:  # 4.x drops the ownerReference a 3.x upgrade left behind
            kept = [r for r in refs if r.get("kind") != "Workspace"]
        if kept != refs:
            meta["ownerReferences"] = kept
            if not kept:
                del meta["ownerReferences"]
            changed = True
        return changed

    def _builtin_roles(self, namespace: dict[str, Any]) -> None:
        name = namespace["metadata"]["name"]
        kind = self.kind(self.roles)
        for role, shape in BUILTIN_PROJECT_ROLES.items():
            annotations = {
                "kubesphere.io/creator": SYSTEM,
                "kubesphere.io/description": f'{{"en": "{shape["description"]}"}}',
            }
            desired: dict[str, Any] = {
                "apiVersion": kind.api_version,
                "kind": "Role",
                "metadata": {"name": role, "namespace": name, "annotations": annotations},
                "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": shape["verbs"]}],
            }
            if not self.flavor.v3:
                annotations["iam.kubesphere.io/auto-aggregate"] = "true"
                if "aggregationRoleTemplates" in shape:
                    desired["aggregationRoleTemplates"] = shape["aggregationRoleTemplates"]
            upsert(self.store, kind, desired)

    def _creator_binding(self, namespace: dict[str, Any]) -> None:
        meta = namespace["metadata"]
        creator = (meta.get("annotations") or {}).get(CREATOR)
        if not creator:
            return
        kind = self.kind(self.bindings)
        name = f"{creator}-admin"
        if self.store.entry(kind.storage_key, meta["name"], name) is not None:
            return  # created once; changing a member's role is the console's business
        group = RBAC if self.flavor.v3 else IAM
        labels = {USER_REF: creator} if self.flavor.v3 else {USER_REF: creator, ROLE_REF: "admin"}
        self.store.create(
            kind,
            {
                "apiVersion": kind.api_version,
                "kind": "RoleBinding",
                "metadata": {"name": name, "namespace": meta["name"], "labels": labels},
                "roleRef": {"apiGroup": group, "kind": "Role", "name": "admin"},
                "subjects": [{"apiGroup": group, "kind": "User", "name": creator}],
            },
        )

    # ------------------------------------------------------------------ no longer a project

    def _members(self, namespace: str) -> list[tuple[tuple[str, str], str]]:
        """The roles and bindings this controller answers for in a namespace."""
        if not self.flavor.v3:  # every iam Role and RoleBinding there
            return [
                (key, entry.name)
                for key in (self.bindings, self.roles)
                for entry in in_namespace(self.store, key, namespace)
            ]
        found = [
            (self.bindings, entry.name)
            for entry in in_namespace(self.store, self.bindings, namespace)
            if USER_REF in entry.labels
        ]
        for entry in in_namespace(self.store, self.roles, namespace):
            if (
                entry.name in BUILTIN_PROJECT_ROLES
                and (entry.decode()["metadata"].get("annotations") or {}).get(
                    "kubesphere.io/creator"
                )
                == SYSTEM
            ):
                found.append((self.roles, entry.name))
        return found

    def _remove_members(self, namespace: dict[str, Any]) -> None:
        name = namespace["metadata"]["name"]
        for key, member in self._members(name):
            if self.store.entry(key, name, member) is not None:
                self.store.delete(self.kind(key), name, member)

    def _release(self, namespace: dict[str, Any]) -> None:
        """Out of its workspace: its roles and members go, and so does its finalizer."""
        self._remove_members(namespace)
        meta = namespace["metadata"]
        changed = with_finalizer(namespace, self.flavor.project_finalizer, False)
        refs = [r for r in meta.get("ownerReferences") or () if r.get("kind") != "Workspace"]
        if refs != list(meta.get("ownerReferences") or ()):
            meta["ownerReferences"] = refs
            if not refs:
                del meta["ownerReferences"]
            changed = True
        if changed:
            self.store.update(self.kind(NAMESPACES), namespace, check_rv=False)
