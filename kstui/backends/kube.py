"""KubeClient: the Kubernetes API over httpx, async, with typed errors from Status bodies.
Its parts: kube_transport.py (the clients, request, GET; kube_wire.py: what it sends and how
failures become errors), kube_lists.py (list pages, lists, watches), kube_writes.py,
kube_streams.py (log streams), kube_proxy.py (service proxy, exchange) and kube_access.py
(whoami, can_i)."""

from __future__ import annotations

from kstui.backends.errors import ApiError, Gone, KstuiError, Unauthorized
from kstui.backends.kube_access import KubeAccess
from kstui.backends.kube_lists import KubeLists
from kstui.backends.kube_proxy import KubeProxy
from kstui.backends.kube_streams import KubeStreams
from kstui.backends.kube_wire import TABLE_ACCEPT, Connection, PatchType
from kstui.backends.kube_writes import KubeWrites


class KubeClient(KubeLists, KubeStreams, KubeProxy, KubeAccess, KubeWrites):
    """One per context. Paths are API paths (`/api/v1/namespaces/x/pods`)."""


__all__ = [
    "TABLE_ACCEPT",
    "ApiError",
    "Connection",
    "Gone",
    "KstuiError",
    "KubeClient",
    "PatchType",
    "Unauthorized",
]
