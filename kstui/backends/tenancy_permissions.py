"""What each Workspaces action needs of RBAC, asked of the API server with
SelfSubjectAccessReviews (never guessed from a failure): a denied action is shown disabled with
the verb and resource RBAC refuses."""

from __future__ import annotations

import asyncio

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import KstuiError
from kstui.backends.kinds import ResourceKind
from kstui.backends.session import Session
from kstui.backends.tenancy.kinds import (
    KINDS,
    NAMESPACES,
    PROJECT_BINDINGS,
    RESOURCE_QUOTAS,
    VANILLA_READ_ONLY,
)
from kstui.backends.tenancy.values import Permission

# What each action needs of RBAC: (verb, which kind, whether the object's name is known).
_WORKSPACE_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "workspace.create": (("create", "templates"),),
    "workspace.delete": (("patch", "templates"), ("delete", "templates")),
    "workspace.member.add": (("create", "workspace_bindings"),),
    "workspace.member.change": (
        ("list", "workspace_bindings"),
        ("delete", "workspace_bindings"),
        ("create", "workspace_bindings"),
    ),
    "workspace.member.remove": (("list", "workspace_bindings"), ("delete", "workspace_bindings")),
    "workspace.quota": (("create", "workspace_quotas"), ("update", "workspace_quotas")),
}
_PROJECT_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "project.create": (("create", "namespaces"),),
    "project.move": (("patch", "namespaces"),),
    "project.member.add": (("create", "project_bindings"),),
    "project.member.change": (
        ("list", "project_bindings"),
        ("delete", "project_bindings"),
        ("create", "project_bindings"),
    ),
    "project.member.remove": (("list", "project_bindings"), ("delete", "project_bindings")),
    "project.quota": (("create", "quotas"), ("update", "quotas")),
}


class TenancyPermissions:
    def __init__(self, clusters: ClusterLinks, session: Session) -> None:
        self.clusters = clusters
        self.session = session
        self.retry_after = clusters.retry_after

    async def permission(
        self, action: str, *, workspace: str = "", context: str = "", namespace: str = ""
    ) -> Permission:
        """Whether RBAC lets this user do `action`, asked with SelfSubjectAccessReviews."""
        if action in _WORKSPACE_NEEDS:
            link = await self.clusters.host()
            if link is None or link.error:
                return Permission(
                    False, link.error if link else "no context reaches a KubeSphere host cluster"
                )
            if link.flavor is Flavor.VANILLA:
                return Permission(False, VANILLA_READ_ONLY)
            kinds = KINDS[link.flavor]
            checks = [
                (
                    verb,
                    getattr(kinds, attr),
                    "",
                    workspace if verb not in ("create", "list") else "",
                )
                for verb, attr in _WORKSPACE_NEEDS[action]
            ]
        elif action in _PROJECT_NEEDS:
            link = next(
                (
                    ln
                    for ln in await self.clusters.links()
                    if ln.context == (context or self.session.context)
                ),
                None,
            )
            if link is None:
                return Permission(False, f'context "{context}" is not in the kubeconfig')
            by_attr = {
                "namespaces": NAMESPACES,
                "quotas": RESOURCE_QUOTAS,
                "project_bindings": PROJECT_BINDINGS[link.flavor],
            }
            checks = [
                (
                    verb,
                    by_attr[attr],
                    namespace,
                    namespace
                    if verb not in ("create", "list") and attr in ("namespaces", "quotas")
                    else "",
                )
                for verb, attr in _PROJECT_NEEDS[action]
            ]
        else:
            raise ValueError(f"unknown action {action!r}")
        if link.error:
            return Permission(False, link.error)
        return await self._ask(link, checks)

    async def _ask(
        self, link: ClusterLink, checks: list[tuple[str, ResourceKind, str, str]]
    ) -> Permission:
        try:
            client = await self.clusters.client(link.context)
            answers = await asyncio.gather(
                *(
                    client.can_i(
                        verb,
                        kind.resource,
                        group=kind.group,
                        namespace=namespace if kind.namespaced else "",
                        name=name,
                    )
                    for verb, kind, namespace, name in checks
                )
            )
        except KstuiError as error:
            self.retry_after.note(error)
            return Permission(False, f"cannot ask {link.cluster} for permission: {error.title}")
        for (verb, kind, namespace, _), (allowed, reason) in zip(checks, answers, strict=True):
            if not allowed:
                where = f" in {namespace}" if namespace and kind.namespaced else ""
                text = f"RBAC denies {verb} {kind.qualified}{where} on {link.cluster}"
                return Permission(False, f"{text}: {reason}" if reason else text)
        return Permission(True, "")
