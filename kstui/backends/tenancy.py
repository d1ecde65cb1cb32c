"""Workspaces and projects as values, and the pure rules behind them (API.md §1, §7.1): the
kinds each KubeSphere flavor serves, names, quotas, problem pods, and the bodies kstui writes.

No IO: workspaces.py does the talking. Screens import the value types from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kstui.backends.errors import KstuiError
from kstui.backends.identities import Access
from kstui.backends.kinds import ResourceKind
from kstui.backends.quantity import (
    QuantityError,
    parse_quantity,
    quantity_ratio,
    sum_quantities,
)

WORKSPACE_LABEL = "kubesphere.io/workspace"
MANAGED_LABEL = "kubesphere.io/managed"
DEVOPS_PROJECT_LABEL = "kubesphere.io/devopsproject"
USER_REF_LABEL = "iam.kubesphere.io/user-ref"
ROLE_REF_LABEL = "iam.kubesphere.io/role-ref"
HOST_LABEL = "cluster-role.kubesphere.io/host"
CREATOR = "kubesphere.io/creator"
ALIAS = "kubesphere.io/alias-name"
DESCRIPTION = "kubesphere.io/description"
DELETION_PROPAGATION = "kubesphere.io/deletion-propagation"

UNASSIGNED = "(unassigned)"
"""The synthetic group of namespaces without a workspace label (vanilla clusters)."""
VANILLA_READ_ONLY = ("no tenant.kubesphere.io on this cluster: "
                     "workspaces are namespace labels here (read-only)")
RESERVED_WORKSPACE_NAMES = frozenset({"workspaces", "clusters", "cluster"})
"""Names ks-apiserver refuses for workspaces (they collide with its URL segments)."""

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class Flavor(StrEnum):
    V4 = "4.x"
    V3 = "3.x"
    VANILLA = "vanilla"


@dataclass(frozen=True, slots=True)
class ClusterLink:
    """One kubeconfig context mapped to a KubeSphere Cluster (API.md 0.2)."""

    context: str
    cluster: str
    """Cluster object name (host, member...) or the context name if unmapped."""
    uid: str
    """kube-system namespace UID."""
    host: bool
    flavor: Flavor
    error: str = ""
    """Unreachable / forbidden / another user's: shown, never raised from list calls."""
    user: str = ""
    """Who the API server says this context is (SelfSubjectReview); "" if it did not say."""
    access: Access = Access.OWN
    """Whether it is the session's own user, another one opted in, or another one refused."""


@dataclass(frozen=True, slots=True)
class QuotaLine:
    resource: str
    used: str
    """"" if unknown."""
    hard: str
    ratio: float | None
    """used/hard parsed as Kubernetes quantities, None if unparsable."""


@dataclass(frozen=True, slots=True)
class WorkspaceSummary:
    name: str
    alias: str
    description: str
    manager: str
    creator: str
    clusters: tuple[str, ...]
    project_count: int
    member_count: int
    quota: tuple[QuotaLine, ...]
    created: str
    synthetic: bool = False
    """A vanilla grouping by label (incl. "(unassigned)"), not a WorkspaceTemplate."""


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    name: str
    context: str
    cluster: str
    workspace: str
    alias: str
    creator: str
    phase: str
    pods: int
    problem_pods: int
    created: str
    other_user: str = ""
    """The other user it is read and written as (opted in by `other_identities`); "" when
    it is the session's own."""


@dataclass(frozen=True, slots=True)
class Member:
    user: str
    role: str
    binding: str
    """The binding object's name."""
    scope: str
    """"workspace" or "project"."""


@dataclass(frozen=True, slots=True)
class Permission:
    allowed: bool
    reason: str
    """When denied: "RBAC denies create workspacetemplates.tenant.kubesphere.io on host"."""


class PartialFailure(KstuiError):
    """A multi-step action stopped half-way: what was done, what failed, what was not tried."""

    def __init__(self, title: str, done: list[str], failed: str, not_done: list[str],
                 hint: str = "") -> None:
        lines = [f"done: {step}" for step in done] + [f"failed: {failed}"]
        lines += [f"not done: {step}" for step in not_done]
        super().__init__(title, "\n".join(lines), hint)
        self.done = list(done)
        self.failed = failed
        self.not_done = list(not_done)


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
CLUSTERS = _kind("cluster.kubesphere.io/v1alpha1", "clusters", "Cluster", False)
KUBE_SYSTEM = NAMESPACES.path(name="kube-system")
RBAC_ROLES = _kind("rbac.authorization.k8s.io/v1", "roles", "Role", True)
RBAC_BINDINGS = _kind("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True)
_WORKSPACE_QUOTAS = _kind("quota.kubesphere.io/v1alpha2", "resourcequotas", "ResourceQuota",
                          False)


def _tenancy(tenant: str, iam: str) -> TenancyKinds:
    return TenancyKinds(
        _kind(f"tenant.kubesphere.io/{tenant}", "workspacetemplates", "WorkspaceTemplate", False),
        _kind(f"iam.kubesphere.io/{iam}", "workspaceroles", "WorkspaceRole", False),
        _kind(f"iam.kubesphere.io/{iam}", "workspacerolebindings", "WorkspaceRoleBinding", False),
        _WORKSPACE_QUOTAS)


KINDS: dict[Flavor, TenancyKinds] = {Flavor.V4: _tenancy("v1beta1", "v1beta1"),
                                     Flavor.V3: _tenancy("v1alpha2", "v1alpha2")}
"""API.md §1.1 and §6; vanilla clusters have none of these."""
_IAM_ROLES = _kind("iam.kubesphere.io/v1beta1", "roles", "Role", True)
_IAM_BINDINGS = _kind("iam.kubesphere.io/v1beta1", "rolebindings", "RoleBinding", True)
PROJECT_ROLES = {Flavor.V4: _IAM_ROLES, Flavor.V3: RBAC_ROLES, Flavor.VANILLA: RBAC_ROLES}
PROJECT_BINDINGS = {Flavor.V4: _IAM_BINDINGS, Flavor.V3: RBAC_BINDINGS,
                    Flavor.VANILLA: RBAC_BINDINGS}
"""4.x projects keep members in iam.kubesphere.io (mirrored to RBAC); 3.x and vanilla in RBAC."""

VANILLA_CLUSTER_ROLES = ("admin", "edit", "view")
"""The default ClusterRoles a vanilla project member can be bound to."""


def flavor_of(served_version: str | None) -> Flavor:
    """From the version discovery prefers for tenant.kubesphere.io (API.md 0.1)."""
    if not served_version:
        return Flavor.VANILLA
    return Flavor.V3 if served_version.startswith("v1alpha") else Flavor.V4


# ---------------------------------------------------------------------- validation

def validate_name(name: str, what: str = "workspace") -> str | None:
    """The client-side name rule: None if fine, else what is wrong, in one line."""
    if not name:
        return f"a {what} name is required"
    if len(name) > 63:
        return f"{what} name {name!r} is {len(name)} characters long: at most 63"
    if not _DNS1123_LABEL.match(name):
        return (f"{what} name {name!r} must be lower case letters, digits and '-', "
                "starting and ending with a letter or digit")
    if what == "workspace" and name in RESERVED_WORKSPACE_NAMES:
        return f"{name!r} is reserved by KubeSphere: pick another workspace name"
    return None


def validate_quantity(value: str) -> str | None:
    """None if `value` is a quota-worthy quantity (non-negative), else what is wrong."""
    try:
        parsed = parse_quantity(value)
    except QuantityError as error:
        return str(error)
    if parsed < 0:
        return f"{value!r} is negative: a quota must be zero or more"
    return None


def check_name(name: str, what: str) -> None:
    problem = validate_name(name, what)
    if problem:
        raise KstuiError(f"invalid {what} name", problem, "names are DNS labels, e.g. shop-prod")


def check_hard(hard: Mapping[str, str]) -> dict[str, str]:
    """The quota limits as strings, or KstuiError naming every bad entry."""
    problems = []
    for resource, value in hard.items():
        if not resource or " " in resource:
            problems.append(f"{resource!r} is not a resource name")
        problem = validate_quantity(str(value))
        if problem:
            problems.append(f"{resource}: {problem}")
    if problems:
        raise KstuiError("invalid quota", "; ".join(problems),
                         "quantities look like 500m, 2, 512Mi or 4Gi")
    return {resource: str(value) for resource, value in hard.items()}


# ---------------------------------------------------------------------- reading objects

def meta_of(obj: Mapping[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return meta_of(obj).get("labels") or {}


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return meta_of(obj).get("annotations") or {}


def is_project(namespace: Mapping[str, Any]) -> bool:
    """A workspace's namespaces are its projects, managed or not, except DevOps admin
    namespaces (labelled kubesphere.io/devopsproject), which the console never lists."""
    return DEVOPS_PROJECT_LABEL not in labels_of(namespace)


def quota_lines(hard: Mapping[str, str], used: Mapping[str, str] | None = None
                ) -> tuple[QuotaLine, ...]:
    used = used or {}
    return tuple(QuotaLine(resource, str(used.get(resource, "")), str(limit),
                           quantity_ratio(str(used.get(resource, "")), str(limit)))
                 for resource, limit in sorted(hard.items()))


def workspace_quota_lines(quota: Mapping[str, Any] | None) -> tuple[QuotaLine, ...]:
    """status.total (used/hard) when the quota controller wrote it, else spec.quota.hard."""
    if not quota:
        return ()
    total = (quota.get("status") or {}).get("total") or {}
    if total.get("hard"):
        return quota_lines(total["hard"], total.get("used"))
    return quota_lines(((quota.get("spec") or {}).get("quota") or {}).get("hard") or {})


def project_quota_lines(quota: Mapping[str, Any] | None) -> tuple[QuotaLine, ...]:
    if not quota:
        return ()
    status = quota.get("status") or {}
    hard = status.get("hard") or (quota.get("spec") or {}).get("hard") or {}
    return quota_lines(hard, status.get("used"))


def summed_quota_lines(quotas: Iterable[Mapping[str, Any]]) -> tuple[QuotaLine, ...]:
    """Vanilla workspace totals: core ResourceQuotas of the group's namespaces, added up."""
    hard: dict[str, list[str]] = {}
    used: dict[str, list[str]] = {}
    for quota in quotas:
        status = quota.get("status") or {}
        for resource, value in ((quota.get("spec") or {}).get("hard") or {}).items():
            hard.setdefault(resource, []).append(str(value))
        for resource, value in (status.get("used") or {}).items():
            used.setdefault(resource, []).append(str(value))
    return quota_lines({r: sum_quantities(v) for r, v in hard.items()},
                       {r: sum_quantities(v) for r, v in used.items() if r in hard})


def pod_has_problem(pod: Mapping[str, Any]) -> bool:
    """Worth a look: not Running/Succeeded, or running with a container not ready or waiting
    (CrashLoopBackOff, ImagePullBackOff...). Pods being deleted are not problems."""
    if meta_of(pod).get("deletionTimestamp"):
        return False
    status = pod.get("status") or {}
    phase = status.get("phase") or ""
    if phase == "Succeeded":
        return False
    if phase != "Running":
        return True
    for container in status.get("containerStatuses") or ():
        if not container.get("ready") or "waiting" in (container.get("state") or {}):
            return True
    return False


def workspace_summary(template: Mapping[str, Any], *, project_count: int, member_count: int,
                      quota: tuple[QuotaLine, ...]) -> WorkspaceSummary:
    notes = annotations_of(template)
    spec = template.get("spec") or {}
    inner = (spec.get("template") or {}).get("spec") or {}
    placement = spec.get("placement") or {}
    clusters = tuple(c.get("name", "") for c in placement.get("clusters") or ())
    if not clusters and placement.get("clusterSelector") is not None:
        clusters = ("(selector)",)
    return WorkspaceSummary(
        name=meta_of(template).get("name", ""), alias=notes.get(ALIAS, ""),
        description=notes.get(DESCRIPTION, ""), manager=str(inner.get("manager") or ""),
        creator=notes.get(CREATOR, ""), clusters=clusters, project_count=project_count,
        member_count=member_count, quota=quota,
        created=meta_of(template).get("creationTimestamp") or "")


def project_summary(namespace: Mapping[str, Any], *, context: str, cluster: str,
                    pods: int, problem_pods: int, other_user: str = "") -> ProjectSummary:
    notes = annotations_of(namespace)
    return ProjectSummary(
        name=meta_of(namespace).get("name", ""), context=context, cluster=cluster,
        workspace=labels_of(namespace).get(WORKSPACE_LABEL, UNASSIGNED), alias=notes.get(ALIAS, ""),
        creator=notes.get(CREATOR, ""), phase=(namespace.get("status") or {}).get("phase", ""),
        pods=pods, problem_pods=problem_pods,
        created=meta_of(namespace).get("creationTimestamp") or "", other_user=other_user)


def items(listed: Any) -> list[dict[str, Any]]:
    """The objects of a list answer (None and errors read as empty)."""
    return list(listed.get("items") or []) if isinstance(listed, dict) else []


def role_of(binding: Mapping[str, Any]) -> str:
    return str((binding.get("roleRef") or {}).get("name", ""))


def workspace_selector(workspace: str) -> str:
    """The namespaces of a workspace; "(unassigned)" selects those without the label."""
    return f"!{WORKSPACE_LABEL}" if workspace == UNASSIGNED else f"{WORKSPACE_LABEL}={workspace}"


def selector_matches(selector: str, found: Mapping[str, str]) -> bool:
    """The few selectors workspaces.py sends (`k`, `k=v`, `!k`), applied locally."""
    if not selector:
        return True
    if selector.startswith("!"):
        return selector[1:] not in found
    key, equals, value = selector.partition("=")
    return key in found and (not equals or found[key] == value)


def count_projects(namespace_lists: Iterable[Any]) -> dict[str, int]:
    """Projects per workspace over several clusters' namespace lists."""
    counts: dict[str, int] = {}
    for namespaces in namespace_lists:
        for namespace in namespaces if isinstance(namespaces, list) else ():
            workspace = labels_of(namespace).get(WORKSPACE_LABEL)
            if workspace and is_project(namespace):
                counts[workspace] = counts.get(workspace, 0) + 1
    return counts


def tally_pods(pods: Iterable[Mapping[str, Any]],
               namespaces: set[str]) -> dict[str, tuple[int, int]]:
    """(pods, problem pods) per namespace, for the namespaces asked about."""
    counts: dict[str, list[int]] = {}
    for pod in pods:
        namespace = meta_of(pod).get("namespace", "")
        if namespace in namespaces:
            count = counts.setdefault(namespace, [0, 0])
            count[0] += 1
            count[1] += pod_has_problem(pod)
    return {namespace: (total, bad) for namespace, (total, bad) in counts.items()}


def rbac_user_subjects(bindings: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str]]:
    """(namespace, user) for every User subject of plain RBAC RoleBindings."""
    for binding in bindings:
        for subject in binding.get("subjects") or ():
            if subject.get("kind") == "User":
                yield meta_of(binding).get("namespace", ""), subject.get("name", "")


def binding_user(binding: Mapping[str, Any]) -> str:
    """The user a KubeSphere binding is for: its user-ref label, else its first User subject."""
    user = labels_of(binding).get(USER_REF_LABEL)
    if user:
        return user
    return next((s.get("name", "") for s in binding.get("subjects") or ()
                 if s.get("kind") == "User"), "")


def members_of(bindings: Iterable[Mapping[str, Any]], scope: str,
               every_user_subject: bool = False) -> list[Member]:
    """Members from bindings; `every_user_subject` for plain RBAC, where one RoleBinding may
    bind several users and carries no user-ref label."""
    found: list[Member] = []
    for binding in bindings:
        role = (binding.get("roleRef") or {}).get("name", "")
        name = meta_of(binding).get("name", "")
        if every_user_subject:
            found += [Member(s.get("name", ""), role, name, scope)
                      for s in binding.get("subjects") or () if s.get("kind") == "User"]
        elif user := binding_user(binding):
            found.append(Member(user, role, name, scope))
    return sorted(found, key=lambda m: (m.user, m.role, m.binding))


# ---------------------------------------------------------------------- bodies kstui writes

def stamped(creator: str, alias: str = "", description: str = "") -> dict[str, str]:
    notes = {CREATOR: creator}
    if alias:
        notes[ALIAS] = alias
    if description:
        notes[DESCRIPTION] = description
    return notes


def template_body(kind: ResourceKind, name: str, *, creator: str, alias: str,
                  description: str, manager: str, clusters: Iterable[str]) -> dict[str, Any]:
    """API.md §1.2: the creator and display annotations on the template and its template."""
    notes = stamped(creator, alias, description)
    return {"apiVersion": kind.api_version, "kind": kind.kind,
            "metadata": {"name": name, "annotations": dict(notes)},
            "spec": {"template": {"metadata": {"annotations": dict(notes)},
                                  "spec": {"manager": manager}},
                     "placement": {"clusters": [{"name": c} for c in clusters]}}}


def namespace_body(name: str, *, workspace: str, flavor: Flavor, creator: str,
                   alias: str) -> dict[str, Any]:
    """API.md §1.4: 4.x projects carry kubesphere.io/managed so the built-in roles appear."""
    project_labels = {WORKSPACE_LABEL: workspace} if workspace else {}
    if workspace and flavor is Flavor.V4:
        project_labels[MANAGED_LABEL] = "true"
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": project_labels,
                         "annotations": stamped(creator, alias)}}


def workspace_binding_body(kind: ResourceKind, workspace: str, user: str,
                           role: str) -> dict[str, Any]:
    """API.md §1.5: `<user>-<workspace role>`, selectable by user, role and workspace."""
    return {"apiVersion": kind.api_version, "kind": kind.kind,
            "metadata": {"name": f"{user}-{role}",
                         "labels": {WORKSPACE_LABEL: workspace, USER_REF_LABEL: user,
                                    ROLE_REF_LABEL: role}},
            "roleRef": {"apiGroup": kind.group, "kind": "WorkspaceRole", "name": role},
            "subjects": [{"apiGroup": kind.group, "kind": "User", "name": user}]}


def project_binding_body(kind: ResourceKind, flavor: Flavor, namespace: str, user: str,
                         role: str, role_kind: str = "Role") -> dict[str, Any]:
    """4.x: an iam.kubesphere.io RoleBinding; 3.x and vanilla: an RBAC one (API.md §1.5)."""
    binding_labels = {USER_REF_LABEL: user}
    if flavor is Flavor.V4:
        binding_labels[ROLE_REF_LABEL] = role
    return {"apiVersion": kind.api_version, "kind": kind.kind,
            "metadata": {"name": f"{user}-{role}", "namespace": namespace,
                         "labels": binding_labels},
            "roleRef": {"apiGroup": kind.group, "kind": role_kind, "name": role},
            "subjects": [{"apiGroup": kind.group, "kind": "User", "name": user}]}


def workspace_quota_body(workspace: str, hard: Mapping[str, str],
                         creator: str) -> dict[str, Any]:
    """API.md §1.6: named after the workspace, selecting its namespaces by label."""
    return {"apiVersion": _WORKSPACE_QUOTAS.api_version, "kind": "ResourceQuota",
            "metadata": {"name": workspace, "labels": {WORKSPACE_LABEL: workspace},
                         "annotations": {CREATOR: creator}},
            "spec": {"selector": {WORKSPACE_LABEL: workspace}, "quota": {"hard": dict(hard)}}}


def project_quota_body(namespace: str, hard: Mapping[str, str], creator: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": namespace, "namespace": namespace,
                         "annotations": {CREATOR: creator}},
            "spec": {"hard": dict(hard)}}

