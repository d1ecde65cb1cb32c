"""Who may use the app store, as RBAC the kube-apiserver can check (host, 4.x store API).

In KubeSphere, ks-apiserver lets every signed-in user browse the store (the `authenticated`
global role: categories, apps and their versions) and lets a workspace's members install into
its projects. Those are KubeSphere roles, which the kube-apiserver never sees (API.md §0.3), so
a client that talks to it straight (kstui) would be refused a store the console shows. The
sandbox states the same rights as ClusterRoles:

- `kubesphere:app-store-viewer`, bound to `system:authenticated`: read categories,
  applications and applicationversions. Not repos: a private repo's credentials are in it.
- `kubesphere:app-store-installer`, bound to every workspace member: read ApplicationReleases
  and create them. The install itself runs Helm as the creator (`kubesphere.io/creator`),
  whose project RBAC decides where it lands: a member's own projects only.

On a 3.x-flavoured host the same rights name its v1alpha1 kinds (§2.7). Seeded last, so the
other seeded objects keep their resourceVersions.
"""

from __future__ import annotations

from typing import Any

from kstui.sandbox.cluster import SandboxCluster
from kstui.sandbox.controllers.apprelease import RELEASES
from kstui.sandbox.controllers.appstore import GROUP
from kstui.sandbox.controllers.helmrelease_v3 import HELM_RELEASES
from kstui.sandbox.seed import put

RBAC = "rbac.authorization.k8s.io"
WORKSPACE_BINDINGS = ("iam.kubesphere.io", "workspacerolebindings")
VIEWER, INSTALLER = "kubesphere:app-store-viewer", "kubesphere:app-store-installer"
STORE_READ = {
    RELEASES: ["categories", "applications", "applicationversions"],
    HELM_RELEASES: ["helmcategories", "helmapplications", "helmapplicationversions"],
}


def _role(name: str, rules: list[dict[str, Any]], why: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "annotations": {"kubesphere.io/description": why}},
        "rules": rules,
    }


def _binding(name: str, subjects: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": name},
        "subjects": subjects,
    }


def workspace_members(cluster: SandboxCluster) -> list[str]:
    """Every user bound to a role of some workspace, sorted."""
    found = {
        subject["name"]
        for binding in cluster.store.objects(WORKSPACE_BINDINGS)
        for subject in binding.get("subjects") or ()
        if subject.get("kind") == "User" and subject.get("name")
    }
    return sorted(found)


def seed_store_access(cluster: SandboxCluster) -> None:
    releases = next((r for r in STORE_READ if cluster.registry.storage_kind(r)), None)
    if releases is None or cluster.registry.storage_kind(WORKSPACE_BINDINGS) is None:
        return  # no store here, or no workspaces
    read = {
        "apiGroups": [GROUP],
        "resources": STORE_READ[releases],
        "verbs": ["get", "list", "watch"],
    }
    put(cluster, _role(VIEWER, [read], "every signed-in user browses the app store"))
    put(
        cluster,
        _binding(VIEWER, [{"apiGroup": RBAC, "kind": "Group", "name": "system:authenticated"}]),
    )
    install = {
        "apiGroups": [GROUP],
        "resources": [releases[1]],
        "verbs": ["get", "list", "watch", "create"],
    }
    put(
        cluster,
        _role(INSTALLER, [read, install], "workspace members install apps (Helm runs as them)"),
    )
    members = [{"apiGroup": RBAC, "kind": "User", "name": n} for n in workspace_members(cluster)]
    put(cluster, _binding(INSTALLER, members))
