"""The Workspaces screens' cluster line: which user serves each cluster, and which clusters only
another user's context reaches (never used unless the config opts it in)."""

from __future__ import annotations

from collections.abc import Iterable

from kstui.backends.identities import Access, served_by
from kstui.backends.session import Session
from kstui.backends.tenancy import ClusterLink
from kstui.widgets.plain import Plain

CSS = """
#clusters { height: auto; padding: 0 1; color: $text-muted; }
#clusters.-other { color: $warning; text-style: bold; }
"""


def cluster_line() -> Plain:
    return Plain("", id="clusters", one_line=True)


def show_clusters(line: Plain, links: Iterable[ClusterLink], session_context: str) -> None:
    """ "host as alice · member: not reachable as alice (…)"; in warning colour as soon as one
    cluster is served by another user, or reachable only as one."""
    served = served_by(links, session_context)
    # User and cluster names come from the API servers: Plain makes them inert.
    line.update(" · ".join(text for _cluster, _access, text in served))
    line.set_class(any(access is not Access.OWN for _c, access, _t in served), "-other")


def header_cluster(session: Session, context: str) -> str:
    """The cluster the header names beside a context: the kubeconfig's cluster entry, as the
    resource browser names it (KubeSphere's cluster names are on the cluster line)."""
    info = session.kubeconfig.contexts.get(context)
    return info.cluster if info is not None else ""


def cluster_cell(cluster: str, other_user: str) -> str:
    """A project's cluster cell: "member (as admin)" when read as another user."""
    return f"{cluster} (as {other_user})" if other_user else cluster
