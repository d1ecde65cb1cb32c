"""Workspaces, projects, members, quotas and permissions as values (API.md §1, §7.1)."""

from __future__ import annotations

from dataclasses import dataclass

from kstui.backends.errors import KstuiError


@dataclass(frozen=True, slots=True)
class QuotaLine:
    resource: str
    used: str
    """"" if unknown."""
    hard: str
    ratio: float | None
    """used/hard parsed as Kubernetes quantities, None if unparsable."""


SELECTOR_PLACEMENT = "(selector)"
"""A workspace placed by a cluster selector rather than by cluster names."""


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
    forbidden: frozenset[str] = frozenset()
    """What this user may not read of it ("clusters", "manager", "members", "quota"): the
    values above are then unknown, never a true zero or empty."""
    unreached: tuple[str, ...] = ()
    """Clusters whose projects this session cannot list: `project_count` leaves them out."""


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

    def __init__(
        self, title: str, done: list[str], failed: str, not_done: list[str], hint: str = ""
    ) -> None:
        lines = [f"done: {step}" for step in done] + [f"failed: {failed}"]
        lines += [f"not done: {step}" for step in not_done]
        super().__init__(title, "\n".join(lines), hint)
        self.done = list(done)
        self.failed = failed
        self.not_done = list(not_done)
