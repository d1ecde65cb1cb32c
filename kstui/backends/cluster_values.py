"""What a kubeconfig context is known as once linked: its KubeSphere flavor and cluster.

Shared by every section that reads across clusters (see cluster_links.py); no IO.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kstui.backends.identities import Access
from kstui.backends.kinds import ResourceKind

HOST_LABEL = "cluster-role.kubesphere.io/host"
CLUSTERS = ResourceKind(
    "cluster.kubesphere.io", "v1alpha1", "clusters", "Cluster", namespaced=False
)
KUBE_SYSTEM = ResourceKind("", "v1", "namespaces", "Namespace", namespaced=False).path(
    name="kube-system"
)


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


def flavor_of(served_version: str | None) -> Flavor:
    """From the version discovery prefers for tenant.kubesphere.io (API.md 0.1)."""
    if not served_version:
        return Flavor.VANILLA
    return Flavor.V3 if served_version.startswith("v1alpha") else Flavor.V4
