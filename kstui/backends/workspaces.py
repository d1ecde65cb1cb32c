"""WorkspaceService: KubeSphere workspaces, projects, members and quotas across every context of
a session, read straight through each cluster's API server (API.md §0, §1, §7.1).

Reads fan out over the session's ClusterLinks (cluster_links.py) and never fail because one
cluster is down: a context that cannot be reached becomes a ClusterLink with `error` set, and its
share of a list is skipped (named in `warnings`). Writes are `writes` (TenancyWrites,
tenancy_writes.py), on the same links; permissions are asked of the API server
(SelfSubjectAccessReview), never guessed from a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import Forbidden, KstuiError, NotFound
from kstui.backends.identities import Access
from kstui.backends.objects import items, labels_of, meta_of
from kstui.backends.session import Session
from kstui.backends.tenancy.kinds import (
    KINDS,
    NAMESPACES,
    PODS,
    PROJECT_BINDINGS,
    RBAC_BINDINGS,
    RESOURCE_QUOTAS,
    UNASSIGNED,
    USER_REF_LABEL,
    WORKSPACE_LABEL,
)
from kstui.backends.tenancy.projections import (
    binding_user,
    count_projects,
    is_project,
    members_of,
    project_quota_lines,
    project_summary,
    rbac_user_subjects,
    selector_matches,
    summed_quota_lines,
    tally_pods,
    workspace_quota_lines,
    workspace_selector,
    workspace_summary,
)
from kstui.backends.tenancy.rules import validate_name, validate_quantity
from kstui.backends.tenancy.values import (
    SELECTOR_PLACEMENT,
    Member,
    PartialFailure,
    Permission,
    ProjectSummary,
    QuotaLine,
    WorkspaceSummary,
)
from kstui.backends.tenancy_permissions import TenancyPermissions
from kstui.backends.tenancy_sides import (
    project_roles,
    quota_side,
    workspace_roles,
    workspace_side,
)
from kstui.backends.tenancy_users import user_caveat
from kstui.backends.tenancy_writes import TenancyWrites

if TYPE_CHECKING:  # httpx loads when a context is opened, not at start
    from kstui.backends.kube import KubeClient

T = TypeVar("T")

__all__ = [
    "ClusterLink",
    "Flavor",
    "Member",
    "PartialFailure",
    "Permission",
    "ProjectSummary",
    "QuotaLine",
    "WorkspaceService",
    "WorkspaceSummary",
    "validate_name",
    "validate_quantity",
]

PODS_PER_REQUEST = 60
"""One per-namespace pods list costs about what 60 pods of a cluster-wide list cost (measured
on the sandbox: ~2 ms a request, ~35 ms per 1,000 pods)."""
MAX_POD_PAGE = 1000
"""The most pods fetched to find out whether one cluster-wide list is enough."""


class WorkspaceService:
    """Tenancy for the screens. One per session; links and identities are cached in `clusters`.

    `links`, `host`, `whoami` and `access` are the ClusterLinks' own methods."""

    def __init__(
        self,
        session: Session,
        *,
        probe_timeout: float = 8.0,
        other_identities: Callable[[str], bool] = lambda _context: False,
    ) -> None:
        """`other_identities` says whether the config lets a context of another user than the
        session's serve (config `other_identities`); by default none does."""
        self.session = session
        self.warnings: list[str] = []
        """What the last list call could not read (one line per context), for a status line."""
        self.clusters = ClusterLinks(
            session, probe_timeout=probe_timeout, other_identities=other_identities
        )
        self.retry_after = self.clusters.retry_after
        """A 429's Retry-After, even one a read swallowed: the screens' polls wait for it."""
        self.writes = TenancyWrites(self.clusters)
        """Every write (create, delete, move, members, quotas), on the same links."""
        self.permission = TenancyPermissions(self.clusters, session).permission
        """Whether RBAC lets this user do an action (SelfSubjectAccessReviews)."""
        self.user_caveat = partial(user_caveat, self.clusters)
        """"" if a user name is a KubeSphere User, else why binding it is doubtful."""
        self.links = self.clusters.links
        self.host = self.clusters.host
        self.whoami = self.clusters.whoami
        self.access = self.clusters.link
        """The link a screen must check before it reads or writes through a context itself
        (a project's pods): raises unless the context may serve this session."""

    @property
    def me(self) -> str:
        """The session context's user by SelfSubjectReview ("" until known, or if unsaid)."""
        return self.clusters.me

    @property
    def cluster_names(self) -> tuple[str, ...]:
        """Every Cluster object the host lists, mapped to a context or not."""
        return self.clusters.cluster_names

    async def _fan_out(self, call: Callable[[ClusterLink, KubeClient], Awaitable[T]]) -> list[T]:
        """`call` on one usable context per cluster; what could not be read goes to warnings."""
        answer = await self.clusters.fan_out(call)
        self.warnings += answer.warnings()
        return answer.values()

    async def _quietly(self, context: str, call: Awaitable[T]) -> T | None:
        try:
            return await call
        except KstuiError as error:
            self.retry_after.note(error)
            self.warnings.append(f"{context}: {error.title}")
            return None

    async def _own_namespaces(
        self, link: ClusterLink, client: KubeClient, selector: str
    ) -> list[dict]:
        """What a tenant who may not list namespaces can still see: its context's namespace."""
        name = self.session.kubeconfig.contexts[link.context].namespace
        found = await self._quietly(link.context, client.get(NAMESPACES.path(name=name)))
        return [found] if found and selector_matches(selector, labels_of(found)) else []

    async def _namespaces(self, link: ClusterLink, client: KubeClient, selector: str) -> list[dict]:
        try:
            listed = await client.list(NAMESPACES.path(), {"labelSelector": selector})
        except Forbidden:
            return await self._own_namespaces(link, client, selector)
        return list(listed.get("items") or [])

    # ------------------------------------------------------------------ reading

    async def workspaces(self) -> list[WorkspaceSummary]:
        self.warnings = []
        host = await self.host()
        if host is None or host.error:
            return []
        if host.flavor is Flavor.VANILLA:
            return await self._label_groups()
        kinds = KINDS[host.flavor]
        client = await self.clusters.client(host.context)
        templates, bindings, quotas, namespaces = await asyncio.gather(
            _caught(client.list(kinds.templates.path())),
            _caught(
                client.list(kinds.workspace_bindings.path(), {"labelSelector": WORKSPACE_LABEL})
            ),
            _caught(client.list(kinds.workspace_quotas.path())),
            self.clusters.fan_out(lambda link, on: self._namespaces(link, on, WORKSPACE_LABEL)),
        )
        self.warnings += namespaces.warnings()
        projects = count_projects(namespaces.values())
        unreached = tuple(sorted(namespaces.errors_by_cluster()))
        forbidden = set()
        for what, answer in (("members", bindings), ("quota", quotas)):
            if isinstance(answer, KstuiError):
                self.retry_after.note(answer)
                self.warnings.append(f"{host.context}: {answer.title}")
                if isinstance(answer, Forbidden):
                    forbidden.add(what)
        members: dict[str, set[str]] = {}
        for binding in items(None if isinstance(bindings, KstuiError) else bindings):
            user = binding_user(binding)
            if user:
                members.setdefault(labels_of(binding).get(WORKSPACE_LABEL, ""), set()).add(user)
        quota_by_name = {
            meta_of(q).get("name"): q
            for q in items(None if isinstance(quotas, KstuiError) else quotas)
        }
        if isinstance(templates, Forbidden):
            forbidden |= {"clusters", "manager"}
            seen = await self._workspaces_seen(host, client, sorted(projects))
        elif isinstance(templates, BaseException):
            raise templates
        else:
            seen = items(templates)
        summaries = []
        for template in seen:
            name = meta_of(template).get("name", "")
            summary = workspace_summary(
                template,
                project_count=projects.get(name, 0),
                member_count=len(members.get(name, ())),
                quota=workspace_quota_lines(quota_by_name.get(name)),
            )
            anywhere = "clusters" in forbidden or SELECTOR_PLACEMENT in summary.clusters
            summaries.append(
                replace(
                    summary,
                    forbidden=frozenset(forbidden),
                    unreached=tuple(c for c in unreached if anywhere or c in summary.clusters),
                )
            )
        return sorted(summaries, key=lambda w: w.name)

    async def _workspaces_seen(
        self, host: ClusterLink, client: KubeClient, names: list[str]
    ) -> list[dict]:
        """A tenant may not list workspaces: the ones its reachable projects belong to, as
        much of each as `get` reveals (its name, at least)."""
        self.warnings.append(
            f"{host.context}: may not list workspaces; showing those of the "
            "projects this user can read"
        )
        kind = KINDS[host.flavor].templates
        templates = await asyncio.gather(
            *(self._quietly(host.context, client.get(kind.path(name=name))) for name in names)
        )
        return [
            template or {"metadata": {"name": name}}
            for name, template in zip(names, templates, strict=True)
        ]

    async def _label_groups(self) -> list[WorkspaceSummary]:
        """Vanilla clusters: namespaces grouped by their workspace label (API.md 7.1)."""
        found = await self._fan_out(self._vanilla_cluster)
        groups: dict[str, dict[str, Any]] = {}
        for link, namespaces, bindings, quotas in found:
            group_of: dict[str, str] = {}
            for namespace in namespaces:
                name = labels_of(namespace).get(WORKSPACE_LABEL) or UNASSIGNED
                group_of[meta_of(namespace).get("name", "")] = name
                group = groups.setdefault(
                    name,
                    {"clusters": set(), "projects": 0, "users": set(), "quotas": [], "created": []},
                )
                group["clusters"].add(link.cluster)
                group["projects"] += 1
                group["created"].append(meta_of(namespace).get("creationTimestamp") or "")
            for member in rbac_user_subjects(bindings):
                if member[0] in group_of:
                    groups[group_of[member[0]]]["users"].add(member[1])
            for quota in quotas:
                if meta_of(quota).get("namespace") in group_of:
                    groups[group_of[meta_of(quota)["namespace"]]]["quotas"].append(quota)
        return sorted(
            (
                WorkspaceSummary(
                    name,
                    "",
                    "",
                    "",
                    "",
                    tuple(sorted(g["clusters"])),
                    g["projects"],
                    len(g["users"]),
                    summed_quota_lines(g["quotas"]),
                    min(filter(None, g["created"]), default=""),
                    synthetic=True,
                )
                for name, g in groups.items()
            ),
            key=lambda w: (w.name == UNASSIGNED, w.name),
        )

    async def _vanilla_cluster(
        self, link: ClusterLink, client: KubeClient
    ) -> tuple[ClusterLink, list[dict], list[dict], list[dict]]:
        namespaces, bindings, quotas = await asyncio.gather(
            self._quietly(link.context, self._namespaces(link, client, "")),
            self._quietly(link.context, client.list(RBAC_BINDINGS.path())),
            self._quietly(link.context, client.list(RESOURCE_QUOTAS.path())),
        )
        return link, namespaces or [], items(bindings), items(quotas)

    async def projects(self, workspace: str) -> list[ProjectSummary]:
        """The workspace's namespaces on every linked cluster, with pod counts. On 4.x this
        includes namespaces labelled with the workspace but not `managed` (kstui shows what
        the label says); DevOps admin namespaces are left out, as the console does."""
        self.warnings = []
        selector = workspace_selector(workspace)
        found = await self._fan_out(lambda link, client: self._projects_on(link, client, selector))
        return sorted((p for group in found for p in group), key=lambda p: (p.name, p.cluster))

    async def _projects_on(
        self, link: ClusterLink, client: KubeClient, selector: str
    ) -> list[ProjectSummary]:
        namespaces = await self._quietly(link.context, self._namespaces(link, client, selector))
        namespaces = [ns for ns in namespaces or () if is_project(ns)]
        if not namespaces:
            return []
        counts = await self._pod_counts(
            link, client, [meta_of(ns).get("name", "") for ns in namespaces]
        )
        other = link.user or "?" if link.access is Access.BORROWED else ""
        return [
            project_summary(
                ns,
                context=link.context,
                cluster=link.cluster,
                pods=counts.get(meta_of(ns).get("name", ""), (0, 0))[0],
                problem_pods=counts.get(meta_of(ns).get("name", ""), (0, 0))[1],
                other_user=other,
            )
            for ns in namespaces
        ]

    async def _pod_counts(
        self, link: ClusterLink, client: KubeClient, names: list[str]
    ) -> dict[str, tuple[int, int]]:
        """Pods per namespace. A first page of the cluster-wide list, as big as the
        per-namespace lists would cost, answers alone when the cluster holds no more pods than
        that; otherwise one small list per namespace, concurrently."""
        wanted = set(names)
        if len(names) > 1:
            budget = min(PODS_PER_REQUEST * len(names), MAX_POD_PAGE)
            with contextlib.suppress(Forbidden):  # a tenant: ask namespace by namespace
                page = await client.get(PODS.path(), {"limit": budget})
                if not meta_of(page).get("continue"):
                    return tally_pods(items(page), wanted)
        lists = await asyncio.gather(
            *(self._quietly(link.context, client.list(PODS.path(name))) for name in names)
        )
        return tally_pods((pod for listed in lists for pod in items(listed)), wanted)

    async def workspace_members(self, workspace: str) -> list[Member]:
        host = await self.host()
        if host is None or host.flavor is Flavor.VANILLA:
            return []
        _, kinds, client = await workspace_side(self.clusters)
        listed = await client.list(
            kinds.workspace_bindings.path(), {"labelSelector": f"{WORKSPACE_LABEL}={workspace}"}
        )
        return members_of(items(listed), "workspace")

    async def workspace_roles(self, workspace: str) -> list[str]:
        return await workspace_roles(self.clusters, workspace)

    async def project_members(self, context: str, namespace: str) -> list[Member]:
        link = await self.clusters.link(context)
        client = await self.clusters.client(link.context)
        kind = PROJECT_BINDINGS[link.flavor]
        if link.flavor is Flavor.VANILLA:
            listed = await client.list(kind.path(namespace))
            return members_of(items(listed), "project", every_user_subject=True)
        listed = await client.list(kind.path(namespace), {"labelSelector": USER_REF_LABEL})
        return members_of(items(listed), "project")

    async def project_roles(self, context: str, namespace: str) -> list[str]:
        return await project_roles(self.clusters, context, namespace)

    async def workspace_quota(self, workspace: str, *, cluster: str = "") -> tuple[QuotaLine, ...]:
        """The workspace quota on `cluster` (default: the host). Vanilla: the sum of the core
        quotas of the group's namespaces."""
        host = await self.host()
        if host is not None and host.flavor is Flavor.VANILLA:
            selector = workspace_selector(workspace)
            found = await self._fan_out(
                lambda link, client: self._group_quotas(link, client, selector)
            )
            return summed_quota_lines(q for group in found for q in group)
        _, kind, client = await quota_side(self.clusters, cluster)
        try:
            return workspace_quota_lines(await client.get(kind.path(name=workspace)))
        except NotFound:
            return ()

    async def _group_quotas(
        self, link: ClusterLink, client: KubeClient, selector: str
    ) -> list[dict]:
        namespaces, quotas = await asyncio.gather(
            self._quietly(link.context, self._namespaces(link, client, selector)),
            self._quietly(link.context, client.list(RESOURCE_QUOTAS.path())),
        )
        names = {meta_of(ns).get("name") for ns in namespaces or ()}
        return [q for q in items(quotas) if meta_of(q).get("namespace") in names]

    async def project_quota(self, context: str, namespace: str) -> tuple[QuotaLine, ...]:
        link = await self.clusters.link(context)
        client = await self.clusters.client(link.context)
        if link.flavor is Flavor.VANILLA:  # any quota in the namespace counts there
            listed = await client.list(RESOURCE_QUOTAS.path(namespace))
            return summed_quota_lines(items(listed))
        try:
            return project_quota_lines(await client.get(RESOURCE_QUOTAS.path(namespace, namespace)))
        except NotFound:
            return ()


# ---------------------------------------------------------------------- helpers


async def _caught(call: Awaitable[T]) -> T | KstuiError:
    try:
        return await call
    except KstuiError as error:
        return error
