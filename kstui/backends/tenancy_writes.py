"""The write side of tenancy: create and delete workspaces, create and move projects, add,
change and remove members of either, set quotas (API.md §1.2-§1.6, §7.1).

Writes follow the console's exact objects. Each goes through the session's ClusterLinks (the
same object the reads use, so both share one cache of links and identities), and the tenancy
sides both share (tenancy_sides.py). A change that stops half-way raises PartialFailure naming
what was already done.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import KstuiError, NotFound
from kstui.backends.kinds import ResourceKind
from kstui.backends.objects import items, meta_of
from kstui.backends.tenancy.bodies import (
    namespace_body,
    project_binding_body,
    project_quota_body,
    template_body,
    workspace_binding_body,
    workspace_quota_body,
)
from kstui.backends.tenancy.kinds import (
    DELETION_PROPAGATION,
    NAMESPACES,
    PROJECT_BINDINGS,
    RBAC_ROLES,
    RESOURCE_QUOTAS,
    UNASSIGNED,
    USER_REF_LABEL,
    VANILLA_CLUSTER_ROLES,
    WORKSPACE_LABEL,
)
from kstui.backends.tenancy.projections import role_of
from kstui.backends.tenancy.rules import check_hard, check_name
from kstui.backends.tenancy.values import PartialFailure
from kstui.backends.tenancy_sides import project_roles, quota_side, workspace_roles, workspace_side

if TYPE_CHECKING:  # httpx loads when a context is opened, not at start
    from kstui.backends.kube import KubeClient

__all__ = ["TenancyWrites"]


class TenancyWrites:
    """Every tenancy write of one session (screens reach it as `WorkspaceService.writes`)."""

    def __init__(self, links: ClusterLinks) -> None:
        self.links = links
        """Links, clients and identities: shared with the reads, cached there."""

    # ------------------------------------------------------------------ writing: workspaces

    async def create_workspace(
        self,
        name: str,
        *,
        alias: str = "",
        description: str = "",
        manager: str,
        clusters: list[str],
    ) -> list[dict]:
        """A WorkspaceTemplate on the host (API.md §1.2); no manager means the creator."""
        check_name(name, "workspace")
        host, kinds, client = await workspace_side(self.links)
        known = self.links.cluster_names
        unknown = [c for c in clusters if known and c not in known]
        if unknown:
            raise KstuiError(
                f"no cluster named {', '.join(unknown)}",
                f"the host knows {', '.join(self.links.cluster_names)}",
            )
        creator = await self.links.whoami(host.context)
        body = template_body(
            kinds.templates,
            name,
            creator=creator,
            alias=alias,
            description=description,
            manager=manager or creator,
            clusters=clusters,
        )
        return [await client.create(kinds.templates.path(), body)]

    async def delete_workspace(
        self, name: str, *, projects: Literal["delete", "detach"]
    ) -> list[dict]:
        """Annotate what happens to the projects, then delete the template (API.md §1.3)."""
        if projects not in ("delete", "detach"):
            raise ValueError(f"projects must be 'delete' or 'detach', not {projects!r}")
        _, kinds, client = await workspace_side(self.links)
        policy = "Background" if projects == "delete" else "Orphan"
        path = kinds.templates.path(name=name)
        patched = await client.patch(
            path, {"metadata": {"annotations": {DELETION_PROPAGATION: policy}}}
        )
        try:
            deleted = await client.delete(path)
        except KstuiError as error:
            raise PartialFailure(
                f"workspace {name} was not deleted",
                [f"annotated WorkspaceTemplate {name} with {DELETION_PROPAGATION}={policy}"],
                f"delete WorkspaceTemplate {name}: {_said(error)}",
                [],
                "delete it again: the annotation is already in place",
            ) from error
        return [patched, deleted]

    # ------------------------------------------------------------------ writing: projects

    async def create_project(
        self, workspace: str, *, context: str, name: str, alias: str = ""
    ) -> list[dict]:
        """A namespace labelled with its workspace (API.md §1.4); the creator annotation makes
        the namespace controller bind its creator as project admin."""
        check_name(name, "project")
        target = "" if workspace == UNASSIGNED else workspace
        if target:
            check_name(target, "workspace")
        link = await self.links.link(context)
        client = await self.links.client(link.context)
        creator = await self.links.whoami(link.context)
        body = namespace_body(
            name, workspace=target, flavor=link.flavor, creator=creator, alias=alias
        )
        return [await client.create(NAMESPACES.path(), body)]

    async def move_project(self, *, context: str, namespace: str, workspace: str) -> list[dict]:
        """Relabel the namespace; "" or "(unassigned)" takes it out of any workspace."""
        target = None if workspace in ("", UNASSIGNED) else workspace
        if target:
            check_name(target, "workspace")
        link = await self.links.link(context)
        client = await self.links.client(link.context)
        return [
            await client.patch(
                NAMESPACES.path(name=namespace), {"metadata": {"labels": {WORKSPACE_LABEL: target}}}
            )
        ]

    # ------------------------------------------------------------------ writing: members

    async def add_workspace_member(self, workspace: str, user: str, role: str) -> list[dict]:
        return await self._add(await self._workspace_roster(workspace), user, role)

    async def change_workspace_member(self, workspace: str, user: str, role: str) -> list[dict]:
        """Delete the user's bindings in the workspace, then create the new one: one role per
        user and workspace, as ks-apiserver does it (API.md §1.5)."""
        return await self._change(await self._workspace_roster(workspace), user, role)

    async def remove_workspace_member(self, workspace: str, user: str) -> list[dict]:
        return await self._remove(await self._workspace_roster(workspace), user)

    async def add_project_member(
        self, *, context: str, namespace: str, user: str, role: str
    ) -> list[dict]:
        return await self._add(await self._project_roster(context, namespace), user, role)

    async def change_project_member(
        self, *, context: str, namespace: str, user: str, role: str
    ) -> list[dict]:
        return await self._change(await self._project_roster(context, namespace), user, role)

    async def remove_project_member(self, *, context: str, namespace: str, user: str) -> list[dict]:
        return await self._remove(await self._project_roster(context, namespace), user)

    async def _workspace_roster(self, workspace: str) -> _Roster:
        host, kinds, client = await workspace_side(self.links)
        return _Roster(
            client, kinds.workspace_bindings, host, f"workspace {workspace}", workspace=workspace
        )

    async def _project_roster(self, context: str, namespace: str) -> _Roster:
        link = await self.links.link(context)
        return _Roster(
            await self.links.client(link.context),
            PROJECT_BINDINGS[link.flavor],
            link,
            f"project {namespace}",
            namespace=namespace,
        )

    async def _role(self, roster: _Roster, role: str) -> tuple[str, str]:
        """The role's full name ("regular" → "<ws>-regular") and roleRef kind; the role must
        exist (API.md §1.5). Vanilla projects may also bind the default ClusterRoles."""
        if roster.workspace:
            roles = await workspace_roles(self.links, roster.workspace)
            candidates: tuple[str, ...] = (role, f"{roster.workspace}-{role}")
        else:
            roles = await project_roles(self.links, roster.link.context, roster.namespace)
            candidates = (role,)
        found = next((name for name in candidates if name in roles), None)
        if found is None:
            raise KstuiError(
                f"no role {role} in {roster.where}", f"roles there: {', '.join(roles) or 'none'}"
            )
        if (
            roster.link.flavor is Flavor.VANILLA
            and found in VANILLA_CLUSTER_ROLES
            and await _get_or_none(roster.client, RBAC_ROLES.path(roster.namespace, found)) is None
        ):
            return found, "ClusterRole"
        return found, "Role"

    async def _add(self, roster: _Roster, user: str, role: str) -> list[dict]:
        role, role_kind = await self._role(roster, role)
        existing = await roster.bindings(user)
        if existing:
            raise KstuiError(
                f"{user} is already a member of {roster.where}",
                f"role: {', '.join(role_of(b) for b in existing)}",
                "change the member's role instead",
            )
        return [
            await roster.client.create(
                roster.kind.path(roster.namespace), roster.body(user, role, role_kind)
            )
        ]

    async def _change(self, roster: _Roster, user: str, role: str) -> list[dict]:
        role, role_kind = await self._role(roster, role)
        existing = await roster.bindings(user)
        if [role_of(b) for b in existing] == [role]:
            return []
        return await self._rebind(
            roster,
            user,
            existing,
            roster.body(user, role, role_kind),
            f"{user}'s role in {roster.where} was only partly changed to {role}",
        )

    async def _remove(self, roster: _Roster, user: str) -> list[dict]:
        existing = await roster.bindings(user)
        if not existing:
            raise KstuiError(f"{user} is not a member of {roster.where}")
        return await self._rebind(
            roster, user, existing, None, f"{user} was only partly removed from {roster.where}"
        )

    async def _rebind(
        self, roster: _Roster, user: str, existing: list[dict], new: dict | None, title: str
    ) -> list[dict]:
        """Take `user` out of `existing` bindings, then create `new`. Stopping half-way raises
        PartialFailure naming what was already done, so the UI can say exactly that."""
        kind = roster.kind
        written: list[dict] = []
        done: list[str] = []
        steps = [
            (b, f"delete {kind.kind} {meta_of(b).get('name')} (role {role_of(b)})")
            for b in existing
        ]
        final = [f"create {kind.kind} {meta_of(new)['name']} (role {role_of(new)})"] if new else []
        for index, (binding, step) in enumerate(steps):
            try:
                written.append(await roster.unbind(user, binding))
            except NotFound:
                done.append(f"{step}: already gone")
                continue
            except KstuiError as error:
                if not done:
                    raise
                rest = [s for _, s in steps[index + 1 :]] + final
                raise PartialFailure(
                    title,
                    done,
                    f"{step}: {_said(error)}",
                    rest,
                    "look at the member list, then retry",
                ) from error
            done.append(step.replace("delete", "deleted", 1))
        if new is None:
            return written
        try:
            written.append(await roster.client.create(kind.path(roster.namespace), new))
        except KstuiError as error:
            if not done:
                raise
            raise PartialFailure(
                title,
                done,
                f"{final[0]}: {_said(error)}",
                [],
                f"{user} has no role in {roster.where} now: add the member "
                f"again with role {role_of(new)}",
            ) from error
        return written

    # ------------------------------------------------------------------ writing: quotas

    async def set_workspace_quota(
        self, workspace: str, hard: dict[str, str], *, cluster: str = ""
    ) -> list[dict]:
        """Create or update the workspace's quota object on `cluster` (default: the host),
        read-modify-write with its resourceVersion (API.md §1.6)."""
        limits = check_hard(hard)
        link, kind, client = await quota_side(self.links, cluster)
        path = kind.path(name=workspace)
        current = await _get_or_none(client, path)
        if current is None:
            creator = await self.links.whoami(link.context)
            return [
                await client.create(kind.path(), workspace_quota_body(workspace, limits, creator))
            ]
        spec = current.setdefault("spec", {})
        spec.setdefault("quota", {})["hard"] = limits
        spec.setdefault("selector", {WORKSPACE_LABEL: workspace})
        current.pop("status", None)
        return [await client.replace(path, current)]

    async def set_project_quota(
        self, *, context: str, namespace: str, hard: dict[str, str]
    ) -> list[dict]:
        """The core ResourceQuota named after the project: PUT if it exists, else POST."""
        limits = check_hard(hard)
        link = await self.links.link(context)
        client = await self.links.client(link.context)
        path = RESOURCE_QUOTAS.path(namespace, namespace)
        current = await _get_or_none(client, path)
        if current is None:
            creator = await self.links.whoami(link.context)
            return [
                await client.create(
                    RESOURCE_QUOTAS.path(namespace), project_quota_body(namespace, limits, creator)
                )
            ]
        current.setdefault("spec", {})["hard"] = limits
        current.pop("status", None)
        return [await client.replace(path, current)]


@dataclass(frozen=True, slots=True)
class _Roster:
    """Where the members of one workspace or project live, and how one is bound."""

    client: KubeClient
    kind: ResourceKind
    link: ClusterLink
    where: str
    workspace: str = ""
    namespace: str = ""

    def body(self, user: str, role: str, role_kind: str) -> dict[str, Any]:
        if self.workspace:
            return workspace_binding_body(self.kind, self.workspace, user, role)
        return project_binding_body(
            self.kind, self.link.flavor, self.namespace, user, role, role_kind
        )

    async def bindings(self, user: str) -> list[dict]:
        """The user's bindings: by user-ref label (+ workspace), or on plain RBAC by subject."""
        path = self.kind.path(self.namespace)
        if self.link.flavor is Flavor.VANILLA:
            return [
                b
                for b in items(await self.client.list(path))
                if any(_is_user(s, user) for s in b.get("subjects") or ())
            ]
        selector = f"{USER_REF_LABEL}={user}"
        if self.workspace:
            selector += f",{WORKSPACE_LABEL}={self.workspace}"
        return items(await self.client.list(path, {"labelSelector": selector}))

    async def unbind(self, user: str, binding: dict) -> dict:
        """Delete the binding, or drop the user from an RBAC binding that binds others too
        (the read resourceVersion makes a concurrent edit fail rather than be lost)."""
        subjects = binding.get("subjects") or []
        others = [s for s in subjects if not _is_user(s, user)]
        path = self.kind.path(self.namespace, meta_of(binding).get("name", ""))
        if others and len(others) < len(subjects):
            return dict(await self.client.replace(path, {**binding, "subjects": others}))
        return dict(await self.client.delete(path))


def _is_user(subject: dict, user: str) -> bool:
    return subject.get("kind") == "User" and subject.get("name") == user


# ---------------------------------------------------------------------- helpers


async def _get_or_none(client: KubeClient, path: str) -> dict | None:
    try:
        return dict(await client.get(path))
    except NotFound:
        return None


def _said(error: KstuiError) -> str:
    return f"{error.title}: {error.detail}" if error.detail else error.title
