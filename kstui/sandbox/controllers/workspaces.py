"""Workspaces, as KubeSphere's workspacetemplate and workspace controllers keep them.

On the host, a WorkspaceTemplate gets its finalizer, the built-in WorkspaceRoles
`<ws>-admin|regular|self-provisioner|viewer`, the manager's WorkspaceRoleBinding `<ws>-admin`,
and a `Workspace` of the same name on every ready cluster its placement picks, with the
workspace's roles and members copied there. Copies leave clusters that leave the placement.
Deleting the template copies its `kubesphere.io/deletion-propagation` to each Workspace and
deletes them; each cluster's workspace controller then deletes (Foreground, Background) or
detaches (Orphan, absent) the workspace's namespaces before letting the Workspace go, and the
template goes once no copy is left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kstui.sandbox.controllers import Controller, WorkKey, owner_ref
from kstui.sandbox.controllers.tenancy import (
    CLUSTERS,
    IAM,
    NAMESPACES,
    PROPAGATION,
    ROLE_REF,
    TEMPLATES,
    USER_REF,
    WORKSPACE_LABEL,
    WORKSPACE_ROLE_BINDINGS,
    WORKSPACE_ROLES,
    WORKSPACES,
    Flavor,
    api_version,
    deleting,
    in_workspace,
    upsert,
    with_finalizer,
    workspace_role_name,
)
from kstui.sandbox.selectors import labels_match, selector_from_match_labels
from kstui.sandbox.store import Event

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster

_ALL = {"apiGroups": ["*"], "resources": ["*"]}
BUILTIN_WORKSPACE_ROLES: dict[str, dict[str, Any]] = {
    "admin": {
        "description": "Manage all resources in the workspace.",
        "aggregationRoleTemplates": {
            "roleSelector": {"matchLabels": {"iam.kubesphere.io/scope": "workspace"}}
        },
        "rules": [{**_ALL, "verbs": ["*"]}],
    },
    "regular": {
        "description": "Create projects and view workspace settings.",
        "aggregationRoleTemplates": {
            "templateNames": ["workspace-view-workspace-settings", "workspace-create-projects"]
        },
        "rules": [
            {"apiGroups": ["*"], "resources": ["namespaces", "devopsprojects"], "verbs": ["create"]}
        ],
    },
    "self-provisioner": {
        "description": "Create projects and manage the projects you create.",
        "aggregationRoleTemplates": {"templateNames": ["workspace-create-projects"]},
        "rules": [
            {"apiGroups": ["*"], "resources": ["namespaces", "devopsprojects"], "verbs": ["create"]}
        ],
    },
    "viewer": {
        "description": "View all resources in the workspace.",
        "rules": [{**_ALL, "verbs": ["get", "list", "watch"]}],
    },
}
"""The roles KubeSphere's BuiltinRoles stamp per workspace, worded as the seed words them."""
_COPIED = (WORKSPACE_ROLES, WORKSPACE_ROLE_BINDINGS)


def _ready(cluster_object: dict[str, Any]) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (cluster_object.get("status") or {}).get("conditions") or ()
    )


def _controlled_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    return any(
        ref.get("uid") == owner["metadata"]["uid"] and ref.get("controller")
        for ref in obj["metadata"].get("ownerReferences") or ()
    )


class WorkspaceTemplateController(Controller):
    """Host only: templates → roles, manager binding, and Workspace copies on every cluster."""

    watches = (TEMPLATES, WORKSPACES, *_COPIED, CLUSTERS)
    primary = TEMPLATES

    def __init__(
        self, cluster: SandboxCluster, clusters: Mapping[str, SandboxCluster], flavor: Flavor
    ) -> None:
        super().__init__(cluster)
        self.clusters = dict(clusters)
        self.flavor = flavor

    def remote_watches(self) -> Iterable[tuple[Any, tuple[str, str]]]:
        for other in self.clusters.values():
            if other is not self.cluster:
                for key in (WORKSPACES, *_COPIED):
                    yield other.store, key

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == CLUSTERS:
            return list(self.store.bucket(TEMPLATES))
        if event.key in (TEMPLATES, WORKSPACES):
            return [("", event.new.name)]
        names = {
            entry.labels.get(WORKSPACE_LABEL)
            for entry in (event.new, event.old)
            if entry is not None
        }
        return [("", name) for name in sorted(n for n in names if n)]

    # ------------------------------------------------------------------ reconcile

    def reconcile(self, key: WorkKey) -> None:
        template = self.store.get(TEMPLATES, *key)
        if template is None:
            return
        if deleting(template):
            self._finalize(template)
            return
        if with_finalizer(template, self.flavor.template_finalizer, True):
            template = self.store.update(self.kind(TEMPLATES), template, check_rv=False)
        self._builtin_roles(template)
        self._manager_binding(template)
        self._own_members(template)
        placed, unknown = self._placement(template)
        for name, other in self.clusters.items():
            if name in unknown:
                continue  # a cluster that is not ready keeps what it has
            if name in placed:
                self._sync_workspace(other, template)
                if other is not self.cluster:
                    self._copy_members(other, template["metadata"]["name"])
            else:
                self._drop_workspace(other, template["metadata"]["name"])

    def _placement(self, template: dict[str, Any]) -> tuple[set[str], set[str]]:
        """(clusters the placement picks, clusters whose readiness is unknown or false)."""
        placement = (template.get("spec") or {}).get("placement") or {}
        listed = [c.get("name") for c in placement.get("clusters") or ()]
        selector = placement.get("clusterSelector")
        placed: set[str] = set()
        unknown = set(self.clusters)
        for entry in self.store.select(CLUSTERS):
            if entry.name not in self.clusters or not _ready(entry.decode()):
                continue
            unknown.discard(entry.name)
            if listed:
                picked = entry.name in listed
            else:
                picked = selector is not None and labels_match(
                    selector_from_match_labels(selector), entry.labels
                )
            if picked:
                placed.add(entry.name)
        return placed, unknown

    def _sync_workspace(self, other: SandboxCluster, template: dict[str, Any]) -> None:
        name = template["metadata"]["name"]
        shape = (template.get("spec") or {}).get("template") or {}
        shape_meta = shape.get("metadata") or {}
        current = other.store.get(WORKSPACES, "", name) or {"metadata": {}}
        metadata: dict[str, Any] = {"name": name}
        for field in ("labels", "annotations"):  # merged, as CreateOrUpdate's mutate does
            merged = {**(current["metadata"].get(field) or {}), **(shape_meta.get(field) or {})}
            if merged:
                metadata[field] = merged
        upsert(
            other.store,
            _kind(other, WORKSPACES),
            {
                "apiVersion": api_version(other, WORKSPACES),
                "kind": "Workspace",
                "metadata": metadata,
                "spec": shape.get("spec") or {},
            },
        )

    def _drop_workspace(self, other: SandboxCluster, name: str) -> None:
        """A cluster left the placement: its copy goes, its projects stay (detached)."""
        workspace = other.store.get(WORKSPACES, "", name)
        if workspace is not None and not deleting(workspace):
            other.store.delete(_kind(other, WORKSPACES), "", name, propagation="Background")

    def _builtin_roles(self, template: dict[str, Any]) -> None:
        workspace = template["metadata"]["name"]
        kind = self.kind(WORKSPACE_ROLES)
        for role, shape in BUILTIN_WORKSPACE_ROLES.items():
            desired: dict[str, Any] = {
                "apiVersion": kind.api_version,
                "kind": "WorkspaceRole",
                "metadata": {
                    "name": workspace_role_name(workspace, role),
                    "labels": {WORKSPACE_LABEL: workspace},
                    "annotations": {
                        "kubesphere.io/creator": "system",
                        "kubesphere.io/description": f'{{"en": "{shape["description"]}"}}',
                        "iam.kubesphere.io/auto-aggregate": "true",
                    },
                    "ownerReferences": [owner_ref(template)],
                },
                "rules": shape["rules"],
            }
            if "aggregationRoleTemplates" in shape and not self.flavor.v3:
                desired["aggregationRoleTemplates"] = shape["aggregationRoleTemplates"]
            upsert(self.store, kind, desired)

    def _manager_binding(self, template: dict[str, Any]) -> None:
        workspace = template["metadata"]["name"]
        manager = (((template.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "manager"
        )
        if not manager:
            return
        role = workspace_role_name(workspace, "admin")
        kind = self.kind(WORKSPACE_ROLE_BINDINGS)
        upsert(
            self.store,
            kind,
            {
                "apiVersion": kind.api_version,
                "kind": "WorkspaceRoleBinding",
                "metadata": {
                    "name": role,
                    "labels": {WORKSPACE_LABEL: workspace, USER_REF: manager, ROLE_REF: role},
                    "ownerReferences": [owner_ref(template)],
                },
                "roleRef": {"apiGroup": IAM, "kind": "WorkspaceRole", "name": role},
                "subjects": [{"apiGroup": IAM, "kind": "User", "name": manager}],
            },
        )

    def _own_members(self, template: dict[str, Any]) -> None:
        """Every role and member of the workspace goes with its template (ownerReferences)."""
        workspace = template["metadata"]["name"]
        for key in _COPIED:
            kind = self.kind(key)
            for entry in list(self.store.select(key, labels=in_workspace(workspace))):
                obj = entry.decode()
                if deleting(obj) or _controlled_by(obj, template):
                    continue
                others = [
                    ref
                    for ref in obj["metadata"].get("ownerReferences") or ()
                    if not ref.get("controller")
                ]
                obj["metadata"]["ownerReferences"] = [*others, owner_ref(template)]
                self.store.update(kind, obj, check_rv=False)

    def _copy_members(self, other: SandboxCluster, workspace: str) -> None:
        """The workspace's roles and members, as they are on the host, owned by the copy."""
        owner = other.store.get(WORKSPACES, "", workspace)
        if owner is None or deleting(owner):
            return
        for key in _COPIED:
            kind = _kind(other, key)
            wanted = set()
            for entry in self.store.select(key, labels=in_workspace(workspace)):
                source = entry.decode()
                if deleting(source):
                    continue
                meta = source["metadata"]
                metadata = {
                    "name": meta["name"],
                    "labels": meta.get("labels") or {},
                    "ownerReferences": [owner_ref(owner)],
                }
                if meta.get("annotations"):
                    metadata["annotations"] = meta["annotations"]
                fields = {
                    k: v
                    for k, v in source.items()
                    if k not in ("apiVersion", "kind", "metadata", "status")
                }
                upsert(
                    other.store,
                    kind,
                    {
                        "apiVersion": kind.api_version,
                        "kind": source["kind"],
                        "metadata": metadata,
                        **fields,
                    },
                )
                wanted.add(meta["name"])
            for entry in list(other.store.select(key, labels=in_workspace(workspace))):
                if entry.name not in wanted:
                    other.store.delete(kind, "", entry.name)

    def _finalize(self, template: dict[str, Any]) -> None:
        """Copy the deletion policy to every Workspace, delete them, and go when they have."""
        name = template["metadata"]["name"]
        if self.flavor.template_finalizer not in (template["metadata"].get("finalizers") or ()):
            return
        policy = (template["metadata"].get("annotations") or {}).get(PROPAGATION)
        remaining = False
        for other in self.clusters.values():
            workspace = other.store.get(WORKSPACES, "", name)
            if workspace is None:
                continue
            if not deleting(workspace):
                kind = _kind(other, WORKSPACES)
                annotations = workspace["metadata"].setdefault("annotations", {})
                if policy and annotations.get(PROPAGATION) != policy:
                    annotations[PROPAGATION] = policy
                    other.store.update(kind, workspace, check_rv=False)
                other.store.delete(kind, "", name)
            remaining = remaining or other.store.entry(WORKSPACES, "", name) is not None
        if not remaining:
            with_finalizer(template, self.flavor.template_finalizer, False)
            self.store.update(self.kind(TEMPLATES), template, check_rv=False)


def _kind(cluster: SandboxCluster, key: tuple[str, str]) -> Any:
    found = cluster.registry.storage_kind(key)
    assert found is not None, key
    return found


class WorkspaceController(Controller):
    """Every cluster: a Workspace's finalizer, and its projects' fate when it is deleted."""

    watches = (WORKSPACES, NAMESPACES)
    primary = WORKSPACES

    def __init__(self, cluster: SandboxCluster, flavor: Flavor) -> None:
        super().__init__(cluster)
        self.flavor = flavor

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        if event.key == WORKSPACES:
            return [("", event.new.name)]
        names = {
            entry.labels.get(WORKSPACE_LABEL)
            for entry in (event.new, event.old)
            if entry is not None
        }
        return [
            ("", name)
            for name in sorted(n for n in names if n)
            if self.store.entry(WORKSPACES, "", name) is not None
        ]

    def reconcile(self, key: WorkKey) -> None:
        workspace = self.store.get(WORKSPACES, *key)
        if workspace is None:
            return
        kind = self.kind(WORKSPACES)
        finalizer = self.flavor.workspace_finalizer
        if not deleting(workspace):
            if with_finalizer(workspace, finalizer, True):
                self.store.update(kind, workspace, check_rv=False)
            return
        if finalizer not in (workspace["metadata"].get("finalizers") or ()):
            return
        policy = (workspace["metadata"].get("annotations") or {}).get(PROPAGATION)
        remaining = self._release_projects(workspace, policy)
        if policy == "Foreground" and remaining:
            return  # the workspace goes after its projects; their deletion brings us back
        with_finalizer(workspace, finalizer, False)
        self.store.update(kind, workspace, check_rv=False)

    def _release_projects(self, workspace: dict[str, Any], policy: str | None) -> bool:
        """Delete or detach the workspace's namespaces; whether any is still there."""
        name = workspace["metadata"]["name"]
        kind = self.kind(NAMESPACES)
        remaining = False
        for entry in list(self.store.select(NAMESPACES, labels=in_workspace(name))):
            namespace = entry.decode()
            if policy in ("Foreground", "Background"):
                if not deleting(namespace):
                    self.store.delete(kind, "", entry.name, propagation=policy)
                remaining = remaining or self.store.entry(NAMESPACES, "", entry.name) is not None
                continue
            meta = namespace["metadata"]
            meta["labels"].pop(WORKSPACE_LABEL, None)
            refs = [
                r
                for r in meta.get("ownerReferences") or ()
                if r.get("uid") != workspace["metadata"]["uid"]
            ]
            if refs:
                meta["ownerReferences"] = refs
            else:
                meta.pop("ownerReferences", None)
            self.store.update(kind, namespace, check_rv=False)
        return remaining
