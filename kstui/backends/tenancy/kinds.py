"""Where each KubeSphere flavor keeps tenancy (API.md §1.1, §6), and the labels it uses."""

from __future__ import annotations

from dataclasses import dataclass

from kstui.backends.cluster_values import Flavor
from kstui.backends.kinds import ResourceKind

WORKSPACE_LABEL = "kubesphere.io/workspace"
MANAGED_LABEL = "kubesphere.io/managed"
DEVOPS_PROJECT_LABEL = "kubesphere.io/devopsproject"
USER_REF_LABEL = "iam.kubesphere.io/user-ref"
ROLE_REF_LABEL = "iam.kubesphere.io/role-ref"
CREATOR = "kubesphere.io/creator"
ALIAS = "kubesphere.io/alias-name"
DESCRIPTION = "kubesphere.io/description"
DELETION_PROPAGATION = "kubesphere.io/deletion-propagation"

UNASSIGNED = "(unassigned)"
"""The synthetic group of namespaces without a workspace label (vanilla clusters)."""
VANILLA_READ_ONLY = (
    "no tenant.kubesphere.io on this cluster: workspaces are namespace labels here (read-only)"
)

# ---------------------------------------------------------------------- kinds per flavor


def _kind(api_version: str, resource: str, kind: str, namespaced: bool) -> ResourceKind:
    group, _, version = api_version.rpartition("/")
    return ResourceKind(group, version, resource, kind, namespaced=namespaced)


@dataclass(frozen=True, slots=True)
class TenancyKinds:
    """Where a KubeSphere flavor keeps workspaces, their roles, members and quotas."""

    templates: ResourceKind
    workspace_roles: ResourceKind
    workspace_bindings: ResourceKind
    workspace_quotas: ResourceKind


NAMESPACES = _kind("v1", "namespaces", "Namespace", False)
PODS = _kind("v1", "pods", "Pod", True)
RESOURCE_QUOTAS = _kind("v1", "resourcequotas", "ResourceQuota", True)
RBAC_ROLES = _kind("rbac.authorization.k8s.io/v1", "roles", "Role", True)
RBAC_BINDINGS = _kind("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True)
WORKSPACE_QUOTAS = _kind("quota.kubesphere.io/v1alpha2", "resourcequotas", "ResourceQuota", False)


def _tenancy(tenant: str, iam: str) -> TenancyKinds:
    return TenancyKinds(
        _kind(f"tenant.kubesphere.io/{tenant}", "workspacetemplates", "WorkspaceTemplate", False),
        _kind(f"iam.kubesphere.io/{iam}", "workspaceroles", "WorkspaceRole", False),
        _kind(f"iam.kubesphere.io/{iam}", "workspacerolebindings", "WorkspaceRoleBinding", False),
        WORKSPACE_QUOTAS,
    )


KINDS: dict[Flavor, TenancyKinds] = {
    Flavor.V4: _tenancy("v1beta1", "v1beta1"),
    Flavor.V3: _tenancy("v1alpha2", "v1alpha2"),
}
"""API.md §1.1 and §6; vanilla clusters have none of these."""
_IAM_ROLES = _kind("iam.kubesphere.io/v1beta1", "roles", "Role", True)
_IAM_BINDINGS = _kind("iam.kubesphere.io/v1beta1", "rolebindings", "RoleBinding", True)
PROJECT_ROLES = {Flavor.V4: _IAM_ROLES, Flavor.V3: RBAC_ROLES, Flavor.VANILLA: RBAC_ROLES}
PROJECT_BINDINGS = {
    Flavor.V4: _IAM_BINDINGS,
    Flavor.V3: RBAC_BINDINGS,
    Flavor.VANILLA: RBAC_BINDINGS,
}
"""4.x projects keep members in iam.kubesphere.io (mirrored to RBAC); 3.x and vanilla in RBAC."""

VANILLA_CLUSTER_ROLES = ("admin", "edit", "view")
"""The default ClusterRoles a vanilla project member can be bound to."""
