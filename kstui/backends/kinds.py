"""Resource kinds and how a name the user types (`po`, `deploy.apps`, `Cluster`) finds one.

Pure: no IO. `discovery.py` builds a KindRegistry from the server; `BUILTIN` lets the UI list
pods before discovery has answered.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import NamedTuple
from urllib.parse import quote

from kstui.backends.errors import KstuiError

STANDARD_VERBS = frozenset(
    ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
)


class _KindFields(NamedTuple):
    group: str
    """API group; "" for the core group."""
    version: str
    resource: str
    """Plural resource name, as in the URL: `deployments`."""
    kind: str
    singular: str
    """Lowercase singular; defaults to the lowercased kind, as kubectl guesses for old servers."""
    short_names: tuple[str, ...]
    namespaced: bool
    verbs: frozenset[str]
    categories: tuple[str, ...]
    subresources: frozenset[str]
    """Subresources the server serves for this kind: `log`, `scale`, `status`..."""


class ResourceKind(_KindFields):
    """One group/version/resource as discovery announces it (at its group's preferred version).
    A NamedTuple (hashable, comparable, no class to build at import as a dataclass would)."""

    __slots__ = ()

    def __new__(
        cls,
        group: str,
        version: str,
        resource: str,
        kind: str,
        singular: str = "",
        short_names: Iterable[str] = (),
        namespaced: bool = True,
        verbs: Iterable[str] = STANDARD_VERBS,
        categories: Iterable[str] = (),
        subresources: Iterable[str] = frozenset(),
    ) -> ResourceKind:
        # Accept lists and sets from callers, yet stay hashable and comparable.
        return super().__new__(
            cls,
            group,
            version,
            resource,
            kind,
            singular or kind.lower(),
            tuple(short_names),
            namespaced,
            frozenset(verbs),
            tuple(categories),
            frozenset(subresources),
        )

    @property
    def plural(self) -> str:
        return self.resource

    @property
    def api_version(self) -> str:
        """`v1` for core kinds, `apps/v1` otherwise: what objects carry in `apiVersion`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`pods` for core kinds, `deployments.apps` otherwise: unambiguous for resolve()."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The API path. No namespace lists across all namespaces; cluster-scoped kinds
        ignore the namespace."""
        parts = [f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{_segment(namespace)}")
        parts.append(self.resource)
        if name:
            parts.append(_segment(name))
        if subresource:
            if not name:
                raise ValueError(f"subresource {subresource!r} of {self.qualified} needs a name")
            parts.append(subresource)
        return "/".join(parts)

    def can(self, verb: str) -> bool:
        return verb in self.verbs


def _segment(text: str) -> str:
    # A name is one path segment: a stray "/" must not reach another resource.
    return quote(text, safe=":@")


class UnknownKind(KstuiError):
    """No kind answers to this name; `suggestions` are the closest aliases."""

    def __init__(self, text: str, suggestions: Iterable[str] = ()) -> None:
        self.text = text
        self.suggestions = tuple(suggestions)
        hint = (
            f"did you mean {', '.join(self.suggestions)}?"
            if self.suggestions
            else "a kind created moments ago appears once discovery is refreshed"
        )
        super().__init__(
            f'unknown resource type "{text}"',
            "no plural, singular, short name or kind matches it",
            hint,
        )


# kube-apiserver lists groups by these priorities (kube-aggregator's apiVersionPriorities), and
# kubectl prefers groups in that order when two serve the same name. CRDs and most aggregated
# APIs get 1000, metrics-server registers 100; ties go alphabetically.
_GROUP_PRIORITY: dict[str, int] = {
    "": 18000,
    "apiregistration.k8s.io": 17900,
    "apps": 17800,
    "events.k8s.io": 17750,
    "authentication.k8s.io": 17700,
    "authorization.k8s.io": 17600,
    "autoscaling": 17500,
    "batch": 17400,
    "certificates.k8s.io": 17300,
    "networking.k8s.io": 17200,
    "policy": 17100,
    "rbac.authorization.k8s.io": 17000,
    "storage.k8s.io": 16800,
    "admissionregistration.k8s.io": 16700,
    "apiextensions.k8s.io": 16700,
    "scheduling.k8s.io": 16600,
    "coordination.k8s.io": 16500,
    "node.k8s.io": 16300,
    "discovery.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100,
    "internal.apiserver.k8s.io": 16000,
    "resource.k8s.io": 15900,
    "storagemigration.k8s.io": 15800,
    "metrics.k8s.io": 100,
}
_DEFAULT_GROUP_PRIORITY = 1000


def group_rank(group: str) -> tuple[int, str]:
    """Sort key: the group kubectl prefers comes first."""
    return (-_GROUP_PRIORITY.get(group, _DEFAULT_GROUP_PRIORITY), group)


class KindRegistry:
    """The kinds one cluster serves, and kubectl's rules for finding one by name."""

    def __init__(self, kinds: Iterable[ResourceKind]) -> None:
        unique: dict[tuple[str, str], ResourceKind] = {}
        for kind in kinds:
            unique.setdefault((kind.group, kind.resource), kind)
        # Priority order: every lookup list below inherits it, so the first match wins.
        self._kinds = tuple(
            sorted(unique.values(), key=lambda k: (group_rank(k.group), k.resource))
        )
        self._by_key = {(k.group, k.resource): k for k in self._kinds}
        self._by_name: dict[str, list[ResourceKind]] = {}
        self._by_short: dict[str, list[ResourceKind]] = {}
        self._by_kind: dict[str, list[ResourceKind]] = {}
        for kind in self._kinds:
            for name in dict.fromkeys((kind.resource.lower(), kind.singular.lower())):
                self._by_name.setdefault(name, []).append(kind)
            for short in kind.short_names:
                self._by_short.setdefault(short.lower(), []).append(kind)
            self._by_kind.setdefault(kind.kind.lower(), []).append(kind)
        self._aliases: list[str] | None = None

    def __len__(self) -> int:
        return len(self._kinds)

    def __iter__(self) -> Iterator[ResourceKind]:
        return iter(self._kinds)

    def all(self) -> list[ResourceKind]:
        """Every kind, by plural name; the preferred group first when plurals collide."""
        return sorted(self._kinds, key=lambda k: (k.resource, group_rank(k.group)))

    def get(self, group: str, resource: str) -> ResourceKind | None:
        return self._by_key.get((group, resource))

    def for_object(self, api_version: str, kind: str) -> ResourceKind | None:
        """The kind of an object (or an ownerReference) from its apiVersion and kind."""
        group = api_version.rpartition("/")[0]
        return next(
            (k for k in self._by_kind.get(kind.lower(), ()) if k.group == group and k.kind == kind),
            None,
        )

    def aliases(self) -> list[str]:
        """Every name resolve() accepts without a version, lowercase, for completion."""
        if self._aliases is None:
            names: set[str] = set()
            for kind in self._kinds:
                names.update((kind.resource, kind.singular, kind.kind.lower(), kind.qualified))
                names.update(s.lower() for s in kind.short_names)
            self._aliases = sorted(names)
        return list(self._aliases)

    def resolve(self, text: str) -> ResourceKind:
        """The kind `text` names, as kubectl resolves it: `resource.version.group`, then
        `resource.group` or a bare resource (plural, singular, then short names), then the
        same forms with a Kind. Case-insensitive. Raises UnknownKind."""
        name = text.strip().lower()
        found = self._find(name) if name else None
        if found is None:
            raise UnknownKind(text.strip(), self.suggestions(name))
        return found

    def suggestions(self, text: str, limit: int = 3) -> list[str]:
        return difflib.get_close_matches(text.strip().lower(), self.aliases(), n=limit, cutoff=0.6)

    def _find(self, name: str) -> ResourceKind | None:
        if name.count(".") >= 2:
            resource, version, group = name.split(".", 2)
            found = self._by_resource(resource, group, version)
            if found:
                return found
        resource, _, group = name.partition(".")
        found = self._by_resource(resource, group or None, None)
        if found:
            return found
        if name.count(".") >= 2:
            kind, version, group = name.split(".", 2)
            found = _first(self._by_kind.get(kind, ()), group, version)
            if found:
                return found
        kind, _, group = name.partition(".")
        return _first(self._by_kind.get(kind, ()), group or None, None)

    def _by_resource(
        self, resource: str, group: str | None, version: str | None
    ) -> ResourceKind | None:
        # A full name in any matching group beats a short name (kubectl's shortcut expander
        # does not expand when a full name matches); a short name may abbreviate the group.
        found = _first(self._by_name.get(resource, ()), group, version)
        if found is None:
            found = _first(self._by_short.get(resource, ()), group, version)
        if found is None and group:
            found = next(
                (
                    k
                    for k in self._by_short.get(resource, ())
                    if k.group.startswith(group) and version in (None, k.version)
                ),
                None,
            )
        return found


def _first(
    kinds: Iterable[ResourceKind], group: str | None, version: str | None
) -> ResourceKind | None:
    return next(
        (k for k in kinds if group in (None, k.group) and version in (None, k.version)), None
    )


def _builtin(
    api_version: str,
    resource: str,
    kind: str,
    short: tuple[str, ...] = (),
    namespaced: bool = True,
    subresources: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    verbs: frozenset[str] = STANDARD_VERBS,
) -> ResourceKind:
    group, _, version = api_version.rpartition("/")
    return ResourceKind(
        group,
        version,
        resource,
        kind,
        short_names=short,
        namespaced=namespaced,
        verbs=verbs,
        categories=categories,
        subresources=frozenset(subresources),
    )


_ALL = ("all",)
_WORKLOAD = ("scale", "status")
_NO_DELETECOLLECTION = STANDARD_VERBS - {"deletecollection"}

BUILTIN = KindRegistry(
    (
        _builtin(
            "v1",
            "pods",
            "Pod",
            ("po",),
            subresources=(
                "attach",
                "binding",
                "ephemeralcontainers",
                "eviction",
                "exec",
                "log",
                "portforward",
                "proxy",
                "status",
            ),
            categories=_ALL,
        ),
        _builtin(
            "v1", "services", "Service", ("svc",), subresources=("proxy", "status"), categories=_ALL
        ),
        _builtin("v1", "endpoints", "Endpoints", ("ep",)),
        _builtin("v1", "configmaps", "ConfigMap", ("cm",)),
        _builtin("v1", "secrets", "Secret"),
        _builtin(
            "v1",
            "namespaces",
            "Namespace",
            ("ns",),
            False,
            ("finalize", "status"),
            verbs=_NO_DELETECOLLECTION,
        ),
        _builtin("v1", "nodes", "Node", ("no",), False, ("proxy", "status")),
        _builtin("v1", "events", "Event", ("ev",)),
        _builtin("v1", "serviceaccounts", "ServiceAccount", ("sa",), subresources=("token",)),
        _builtin(
            "v1",
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            ("pvc",),
            subresources=("status",),
        ),
        _builtin("v1", "persistentvolumes", "PersistentVolume", ("pv",), False, ("status",)),
        _builtin(
            "apps/v1",
            "deployments",
            "Deployment",
            ("deploy",),
            subresources=_WORKLOAD,
            categories=_ALL,
        ),
        _builtin(
            "apps/v1", "replicasets", "ReplicaSet", ("rs",), subresources=_WORKLOAD, categories=_ALL
        ),
        _builtin(
            "apps/v1",
            "statefulsets",
            "StatefulSet",
            ("sts",),
            subresources=_WORKLOAD,
            categories=_ALL,
        ),
        _builtin(
            "apps/v1", "daemonsets", "DaemonSet", ("ds",), subresources=("status",), categories=_ALL
        ),
        _builtin("batch/v1", "jobs", "Job", subresources=("status",), categories=_ALL),
        _builtin(
            "batch/v1", "cronjobs", "CronJob", ("cj",), subresources=("status",), categories=_ALL
        ),
        _builtin(
            "autoscaling/v2",
            "horizontalpodautoscalers",
            "HorizontalPodAutoscaler",
            ("hpa",),
            subresources=("status",),
            categories=_ALL,
        ),
        _builtin(
            "networking.k8s.io/v1", "ingresses", "Ingress", ("ing",), subresources=("status",)
        ),
        _builtin("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", ("netpol",)),
        _builtin("rbac.authorization.k8s.io/v1", "roles", "Role"),
        _builtin("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding"),
        _builtin("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", namespaced=False),
        _builtin(
            "rbac.authorization.k8s.io/v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            namespaced=False,
        ),
        _builtin("storage.k8s.io/v1", "storageclasses", "StorageClass", ("sc",), False),
        _builtin(
            "apiextensions.k8s.io/v1",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            ("crd", "crds"),
            False,
            ("status",),
            categories=("api-extensions",),
        ),
    )
)
"""The common kinds with their real names, for the first frame before discovery answers."""
