"""The request bodies kstui writes, exactly as API.md §1 prescribes. No IO."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kstui.backends.cluster_values import Flavor
from kstui.backends.kinds import ResourceKind
from kstui.backends.tenancy.kinds import (
    ALIAS,
    CREATOR,
    DESCRIPTION,
    MANAGED_LABEL,
    ROLE_REF_LABEL,
    USER_REF_LABEL,
    WORKSPACE_LABEL,
    WORKSPACE_QUOTAS,
)


def stamped(creator: str, alias: str = "", description: str = "") -> dict[str, str]:
    notes = {CREATOR: creator}
    if alias:
        notes[ALIAS] = alias
    if description:
        notes[DESCRIPTION] = description
    return notes


def template_body(
    kind: ResourceKind,
    name: str,
    *,
    creator: str,
    alias: str,
    description: str,
    manager: str,
    clusters: Iterable[str],
) -> dict[str, Any]:
    """API.md §1.2: the creator and display annotations on the template and its template."""
    notes = stamped(creator, alias, description)
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {"name": name, "annotations": dict(notes)},
        "spec": {
            "template": {"metadata": {"annotations": dict(notes)}, "spec": {"manager": manager}},
            "placement": {"clusters": [{"name": c} for c in clusters]},
        },
    }


def namespace_body(
    name: str, *, workspace: str, flavor: Flavor, creator: str, alias: str
) -> dict[str, Any]:
    """API.md §1.4: 4.x projects carry kubesphere.io/managed so the built-in roles appear."""
    project_labels = {WORKSPACE_LABEL: workspace} if workspace else {}
    if workspace and flavor is Flavor.V4:
        project_labels[MANAGED_LABEL] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": project_labels,
            "annotations": stamped(creator, alias),
        },
    }


def workspace_binding_body(
    kind: ResourceKind, workspace: str, user: str, role: str
) -> dict[str, Any]:
    """API.md §1.5: `<user>-<workspace role>`, selectable by user, role and workspace."""
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {
            "name": f"{user}-{role}",
            "labels": {WORKSPACE_LABEL: workspace, USER_REF_LABEL: user, ROLE_REF_LABEL: role},
        },
        "roleRef": {"apiGroup": kind.group, "kind": "WorkspaceRole", "name": role},
        "subjects": [{"apiGroup": kind.group, "kind": "User", "name": user}],
    }


def project_binding_body(
    kind: ResourceKind,
    flavor: Flavor,
    namespace: str,
    user: str,
    role: str,
    role_kind: str = "Role",
) -> dict[str, Any]:
    """4.x: an iam.kubesphere.io RoleBinding; 3.x and vanilla: an RBAC one (API.md §1.5)."""
    binding_labels = {USER_REF_LABEL: user}
    if flavor is Flavor.V4:
        binding_labels[ROLE_REF_LABEL] = role
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {"name": f"{user}-{role}", "namespace": namespace, "labels": binding_labels},
        "roleRef": {"apiGroup": kind.group, "kind": role_kind, "name": role},
        "subjects": [{"apiGroup": kind.group, "kind": "User", "name": user}],
    }


def workspace_quota_body(workspace: str, hard: Mapping[str, str], creator: str) -> dict[str, Any]:
    """API.md §1.6: named after the workspace, selecting its namespaces by label."""
    return {
        "apiVersion": WORKSPACE_QUOTAS.api_version,
        "kind": "ResourceQuota",
        "metadata": {
            "name": workspace,
            "labels": {WORKSPACE_LABEL: workspace},
            "annotations": {CREATOR: creator},
        },
        "spec": {"selector": {WORKSPACE_LABEL: workspace}, "quota": {"hard": dict(hard)}},
    }


def project_quota_body(namespace: str, hard: Mapping[str, str], creator: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": namespace, "namespace": namespace, "annotations": {CREATOR: creator}},
        "spec": {"hard": dict(hard)},
    }
