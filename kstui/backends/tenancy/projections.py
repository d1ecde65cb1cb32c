"""Pure projections from tenancy objects (namespaces, templates, bindings, quotas, pods) to
the values screens show. No IO."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kstui.backends.objects import annotations_of, labels_of, meta_of
from kstui.backends.quantity import quantity_ratio, sum_quantities
from kstui.backends.tenancy.kinds import (
    ALIAS,
    CREATOR,
    DESCRIPTION,
    DEVOPS_PROJECT_LABEL,
    UNASSIGNED,
    USER_REF_LABEL,
    WORKSPACE_LABEL,
)
from kstui.backends.tenancy.values import (
    SELECTOR_PLACEMENT,
    Member,
    ProjectSummary,
    QuotaLine,
    WorkspaceSummary,
)


def is_project(namespace: Mapping[str, Any]) -> bool:
    """A workspace's namespaces are its projects, managed or not, except DevOps admin
    namespaces (labelled kubesphere.io/devopsproject), which the console never lists."""
    return DEVOPS_PROJECT_LABEL not in labels_of(namespace)


def quota_lines(
    hard: Mapping[str, str], used: Mapping[str, str] | None = None
) -> tuple[QuotaLine, ...]:
    used = used or {}
    return tuple(
        QuotaLine(
            resource,
            str(used.get(resource, "")),
            str(limit),
            quantity_ratio(str(used.get(resource, "")), str(limit)),
        )
        for resource, limit in sorted(hard.items())
    )


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
    return quota_lines(
        {r: sum_quantities(v) for r, v in hard.items()},
        {r: sum_quantities(v) for r, v in used.items() if r in hard},
    )


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


def workspace_summary(
    template: Mapping[str, Any],
    *,
    project_count: int,
    member_count: int,
    quota: tuple[QuotaLine, ...],
) -> WorkspaceSummary:
    notes = annotations_of(template)
    spec = template.get("spec") or {}
    inner = (spec.get("template") or {}).get("spec") or {}
    placement = spec.get("placement") or {}
    clusters = tuple(c.get("name", "") for c in placement.get("clusters") or ())
    if not clusters and placement.get("clusterSelector") is not None:
        clusters = (SELECTOR_PLACEMENT,)
    return WorkspaceSummary(
        name=meta_of(template).get("name", ""),
        alias=notes.get(ALIAS, ""),
        description=notes.get(DESCRIPTION, ""),
        manager=str(inner.get("manager") or ""),
        creator=notes.get(CREATOR, ""),
        clusters=clusters,
        project_count=project_count,
        member_count=member_count,
        quota=quota,
        created=meta_of(template).get("creationTimestamp") or "",
    )


def project_summary(
    namespace: Mapping[str, Any],
    *,
    context: str,
    cluster: str,
    pods: int,
    problem_pods: int,
    other_user: str = "",
) -> ProjectSummary:
    notes = annotations_of(namespace)
    return ProjectSummary(
        name=meta_of(namespace).get("name", ""),
        context=context,
        cluster=cluster,
        workspace=labels_of(namespace).get(WORKSPACE_LABEL, UNASSIGNED),
        alias=notes.get(ALIAS, ""),
        creator=notes.get(CREATOR, ""),
        phase=(namespace.get("status") or {}).get("phase", ""),
        pods=pods,
        problem_pods=problem_pods,
        created=meta_of(namespace).get("creationTimestamp") or "",
        other_user=other_user,
    )


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


def tally_pods(
    pods: Iterable[Mapping[str, Any]], namespaces: set[str]
) -> dict[str, tuple[int, int]]:
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
    return next(
        (s.get("name", "") for s in binding.get("subjects") or () if s.get("kind") == "User"), ""
    )


def members_of(
    bindings: Iterable[Mapping[str, Any]], scope: str, every_user_subject: bool = False
) -> list[Member]:
    """Members from bindings; `every_user_subject` for plain RBAC, where one RoleBinding may
    bind several users and carries no user-ref label."""
    found: list[Member] = []
    for binding in bindings:
        role = (binding.get("roleRef") or {}).get("name", "")
        name = meta_of(binding).get("name", "")
        if every_user_subject:
            found += [
                Member(s.get("name", ""), role, name, scope)
                for s in binding.get("subjects") or ()
                if s.get("kind") == "User"
            ]
        elif user := binding_user(binding):
            found.append(Member(user, role, name, scope))
    return sorted(found, key=lambda m: (m.user, m.role, m.binding))
