"""KubeSphere tenancy in the sandbox: the words its controllers share (labels, finalizers,
storage keys, the 3.x/4.x differences), small store helpers, and which controllers a cluster
runs. The controllers themselves: workspaces.py, projects.py, iam.py, quota.py.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from kstui.sandbox.selectors import Requirement
from kstui.sandbox.store import Entry, StorageKey, Store

if TYPE_CHECKING:
    from kstui.sandbox.cluster import SandboxCluster
    from kstui.sandbox.kinds import ResourceKind

IAM = "iam.kubesphere.io"
RBAC = "rbac.authorization.k8s.io"
WORKSPACE_LABEL = "kubesphere.io/workspace"
MANAGED_LABEL = "kubesphere.io/managed"
NAMESPACE_LABEL = "kubesphere.io/namespace"
CREATOR = "kubesphere.io/creator"
PROPAGATION = "kubesphere.io/deletion-propagation"
USER_REF = "iam.kubesphere.io/user-ref"
ROLE_REF = "iam.kubesphere.io/role-ref"
CASCADING_DELETION = "kubesphere.io/cascading-deletion"

TEMPLATES = ("tenant.kubesphere.io", "workspacetemplates")
WORKSPACES = ("tenant.kubesphere.io", "workspaces")
WORKSPACE_ROLES = (IAM, "workspaceroles")
WORKSPACE_ROLE_BINDINGS = (IAM, "workspacerolebindings")
IAM_ROLES = (IAM, "roles")
IAM_ROLE_BINDINGS = (IAM, "rolebindings")
RBAC_ROLES = (RBAC, "roles")
RBAC_ROLE_BINDINGS = (RBAC, "rolebindings")
CLUSTERS = ("cluster.kubesphere.io", "clusters")
APP_STORE = "application.kubesphere.io"
NAMESPACES = ("", "namespaces")


@dataclass(frozen=True, slots=True)
class Flavor:
    """What tenancy looks like on a KubeSphere major version ("4" or "3")."""

    version: str = "4"

    @property
    def v3(self) -> bool:
        return self.version == "3"

    @property
    def template_finalizer(self) -> str:
        return "finalizers.workspacetemplate.kubesphere.io" if self.v3 else CASCADING_DELETION

    @property
    def workspace_finalizer(self) -> str:
        return "finalizers.tenant.kubesphere.io" if self.v3 else CASCADING_DELETION

    @property
    def project_finalizer(self) -> str:
        return "finalizers.kubesphere.io/namespaces" if self.v3 else CASCADING_DELETION

    def is_project(self, labels: Mapping[str, str]) -> bool:
        """A namespace KubeSphere manages: in a workspace, and on 4.x also marked managed."""
        if not labels.get(WORKSPACE_LABEL):
            return False
        return self.v3 or labels.get(MANAGED_LABEL) == "true"

    def crd(self, crd: dict[str, Any]) -> dict[str, Any] | None:
        """A CRD as this version installs it: 3.x serves only the alpha tenant and iam
        versions (what clients detect 3.x by), and has no namespaced iam Roles at all; its app
        store is the v1alpha1 Helm* kinds (§2.7), 4.x's the v2 kinds."""
        spec = crd["spec"]
        alpha_only = all(v["name"].startswith("v1alpha") for v in spec["versions"])
        if spec["group"] == APP_STORE and not self.v3:
            return None if alpha_only else crd  # 4.x: the v2 store only (API.md §2.1)
        if not self.v3 or spec["group"] not in (IAM, "tenant.kubesphere.io", APP_STORE):
            return crd
        old = [v for v in spec["versions"] if v["name"].startswith("v1alpha")]
        if not old:
            return None
        for version in old:
            version.pop("deprecated", None)
            version["storage"] = version is old[-1]
        spec["versions"] = old
        return crd

    def seed_object(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A 4.x sample object (seed-objects.yaml) as this version would hold it."""
        if not self.v3:
            return doc
        group, _, _ = doc["apiVersion"].rpartition("/")
        kind, meta = doc["kind"], doc["metadata"]
        finalizers = {
            CASCADING_DELETION: {
                "WorkspaceTemplate": self.template_finalizer,
                "Workspace": self.workspace_finalizer,
                "Namespace": self.project_finalizer,
            }.get(kind)
        }
        if meta.get("finalizers"):
            meta["finalizers"] = [finalizers.get(f) or f for f in meta["finalizers"]]
        if kind == "Namespace":
            (meta.get("labels") or {}).pop(MANAGED_LABEL, None)
        elif kind == "Cluster":
            doc.setdefault("status", {})["kubeSphereVersion"] = "v3.4.1"
        elif group == "tenant.kubesphere.io":
            doc["apiVersion"] = f"{group}/{'v1alpha1' if kind == 'Workspace' else 'v1alpha2'}"
        elif group == IAM and kind in ("Role", "RoleBinding"):  # 3.x projects: plain RBAC
            doc["apiVersion"] = f"{RBAC}/v1"
            doc.pop("aggregationRoleTemplates", None)
            if "roleRef" in doc:
                doc["roleRef"]["apiGroup"] = RBAC
                doc["subjects"] = [{**s, "apiGroup": RBAC} for s in doc.get("subjects") or ()]
                meta["labels"] = {
                    k: v for k, v in (meta.get("labels") or {}).items() if k == USER_REF
                }
        elif group == IAM:
            doc["apiVersion"] = f"{IAM}/v1alpha2"
        return doc


# ------------------------------------------------------------------ names


def _fnv32a(text: str) -> str:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def workspace_role_name(workspace: str, role: str) -> str:
    """`<ws>-<role>`, or `<role>.<fnv hash of ws>` when that would pass 63 characters."""
    name = f"{workspace}-{role}"
    return name if len(name) <= 63 else f"{role}.{_fnv32a(workspace)}"


def in_workspace(workspace: str) -> tuple[Requirement, ...]:
    return (Requirement(WORKSPACE_LABEL, "=", frozenset((workspace,))),)


# ------------------------------------------------------------------ store helpers


def deleting(obj: dict[str, Any] | None) -> bool:
    return bool(obj and obj["metadata"].get("deletionTimestamp"))


def in_namespace(store: Store, key: StorageKey, namespace: str) -> list[Entry]:
    """A namespace's objects of a kind without scanning the others (keys are sorted)."""
    keys = store.sorted_keys(key)
    bucket = store.bucket(key)
    found = []
    for object_key in keys[bisect.bisect_left(keys, (namespace, "")) :]:
        if object_key[0] != namespace:
            break
        entry = bucket.get(object_key)
        if entry is not None:
            found.append(entry)
    return found


def with_finalizer(obj: dict[str, Any], finalizer: str, present: bool) -> bool:
    """Add or remove a finalizer in place; whether that changed anything."""
    finalizers = list(obj["metadata"].get("finalizers") or [])
    if (finalizer in finalizers) == present:
        return False
    finalizers = [*finalizers, finalizer] if present else [f for f in finalizers if f != finalizer]
    obj["metadata"]["finalizers"] = finalizers
    return True


def _copy(obj: dict[str, Any]) -> dict[str, Any]:
    return orjson.loads(orjson.dumps(obj))  # 8x deepcopy


def upsert(store: Store, kind: ResourceKind, desired: dict[str, Any]) -> dict[str, Any]:
    """controllerutil.CreateOrUpdate: create `desired`, or make the stored object's fields
    that `desired` names equal to it (metadata labels, annotations and ownerReferences, and
    any top-level field). Nothing is written when nothing differs, so settled stays quiet."""
    meta = desired["metadata"]
    namespace = meta.get("namespace", "") if kind.namespaced else ""
    current = store.get(kind.storage_key, namespace, meta["name"])
    if current is None:
        return store.create(kind, _copy(desired))
    if deleting(current):
        return current
    updated = {**current, "metadata": dict(current["metadata"])}
    for field in ("labels", "annotations", "ownerReferences"):
        if field in meta:
            updated["metadata"][field] = meta[field]
    for field, value in desired.items():
        if field not in ("apiVersion", "kind", "metadata", "status"):
            updated[field] = value
    if updated == current:
        return current
    return store.update(kind, _copy(updated), check_rv=False)


def api_version(cluster: SandboxCluster, key: StorageKey) -> str:
    kind = cluster.registry.storage_kind(key)
    assert kind is not None, key
    return kind.api_version
