"""Where tenancy lives on a session's clusters, shared by reads (workspaces.py) and writes
(tenancy_writes.py): the host's workspace side, a cluster's workspace quotas, and the roles a
member can be given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import KstuiError
from kstui.backends.identities import Access
from kstui.backends.kinds import ResourceKind
from kstui.backends.objects import items, meta_of
from kstui.backends.tenancy.kinds import (
    KINDS,
    PROJECT_ROLES,
    VANILLA_CLUSTER_ROLES,
    VANILLA_READ_ONLY,
    WORKSPACE_LABEL,
    TenancyKinds,
)

if TYPE_CHECKING:  # httpx loads when a context is opened, not at start
    from kstui.backends.kube import KubeClient


async def workspace_side(links: ClusterLinks) -> tuple[ClusterLink, TenancyKinds, KubeClient]:
    """The host link, its flavor's tenancy kinds and a client: raises if there is none, or if
    the host is vanilla (workspaces are read-only labels there)."""
    host = await links.host()
    if host is None or host.error:
        raise KstuiError(
            "no usable host cluster",
            host.error if host else "no context reaches a KubeSphere host cluster",
        )
    if host.flavor is Flavor.VANILLA:
        raise KstuiError("workspaces are read-only here", VANILLA_READ_ONLY)
    return host, KINDS[host.flavor], await links.client(host.context)


async def quota_side(
    links: ClusterLinks, cluster: str
) -> tuple[ClusterLink, ResourceKind, KubeClient]:
    """Where the workspace quotas of `cluster` ("" = the host) live: each cluster keeps its
    own, written through a usable context there."""
    host, kinds, client = await workspace_side(links)
    if not cluster or cluster == host.cluster:
        return host, kinds.workspace_quotas, client
    usable, _ = await links.per_cluster()
    link = next((ln for ln in usable if ln.cluster == cluster), None)
    refused = next(
        (ln for ln in await links.links() if ln.cluster == cluster and ln.access is Access.REFUSED),
        None,
    )
    if link is None and refused is not None:
        await links.link(refused.context)  # raises, naming the user it would act as
    if link is None or link.flavor is Flavor.VANILLA:
        raise KstuiError(
            f"no usable context reaches cluster {cluster}",
            "workspace quotas live on each cluster; add a context for it",
        )
    return link, KINDS[link.flavor].workspace_quotas, await links.client(link.context)


async def workspace_roles(links: ClusterLinks, workspace: str) -> list[str]:
    host = await links.host()
    if host is None or host.flavor is Flavor.VANILLA:
        return []
    _, kinds, client = await workspace_side(links)
    listed = await client.list(
        kinds.workspace_roles.path(), {"labelSelector": f"{WORKSPACE_LABEL}={workspace}"}
    )
    return sorted(meta_of(role).get("name", "") for role in items(listed))


async def project_roles(links: ClusterLinks, context: str, namespace: str) -> list[str]:
    """The project's roles; vanilla projects may also bind the default ClusterRoles."""
    link = await links.link(context)
    client = await links.client(link.context)
    listed = await client.list(PROJECT_ROLES[link.flavor].path(namespace))
    names = sorted(meta_of(role).get("name", "") for role in items(listed))
    if link.flavor is Flavor.VANILLA:
        names += [role for role in VANILLA_CLUSTER_ROLES if role not in names]
    return names
