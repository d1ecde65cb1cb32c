"""The kinds a sandbox cluster serves: built-in Kubernetes kinds plus those of its CRDs.

A ResourceKind is one group/version/resource as discovery announces it. Objects are stored once
per (group, plural), whatever version they were written through, as the real server does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list", "watch")


@dataclass(frozen=True, slots=True)
class PrinterColumn:
    """One column of server-side Table output (a CRD's additionalPrinterColumns entry)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """Where a kind keeps replica counts, for its `scale` subresource."""

    spec_replicas_path: str = ".spec.replicas"
    status_replicas_path: str = ".status.replicas"
    label_selector_path: str | None = ".status.selector"


@dataclass(frozen=True, slots=True)
class ResourceKind:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    status_subresource: bool = False
    scale: ScaleSpec | None = None
    extra_subresources: tuple[str, ...] = ()
    """Other subresources this kind serves (e.g. pods: log, proxy; services: proxy)."""
    columns: tuple[PrinterColumn, ...] = ()
    """CRD printer columns; built-in kinds get theirs from the tables module."""
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    """The openAPIV3Schema of a CRD version, for validation and pruning."""
    crd_name: str | None = None
    storage_version: str = ""
    strategic_merge: bool = True
    """Built-in kinds accept strategic-merge-patch; custom resources do not."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def is_custom(self) -> bool:
        return self.crd_name is not None

    def subresources(self) -> tuple[str, ...]:
        names = list(self.extra_subresources)
        if self.status_subresource:
            names.append("status")
        if self.scale is not None:
            names.append("scale")
        return tuple(names)


def _k(
    group: str,
    version: str,
    plural: str,
    kind: str,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    cats: tuple[str, ...] = (),
    **kw: Any,
) -> ResourceKind:
    return ResourceKind(
        group=group,
        version=version,
        plural=plural,
        kind=kind,
        namespaced=namespaced,
        singular=kind.lower(),
        short_names=short,
        categories=cats,
        storage_version=version,
        **kw,
    )


_ALL = ("all",)
_REVIEW = ("create",)

# The groups every kube-apiserver serves beyond the workload ones (policy, autoscaling, storage,
# scheduling, discovery, node, certificates, admission, aggregation, flow control).
BUILTIN_GROUP_KINDS: tuple[ResourceKind, ...] = (
    _k(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        True,
        ("pdb",),
        status_subresource=True,
    ),
    _k(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        True,
        ("hpa",),
        _ALL,
        status_subresource=True,
    ),
    ResourceKind(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        True,
        "horizontalpodautoscaler",
        ("hpa",),
        _ALL,
        storage_version="v2",
        status_subresource=True,
    ),
    _k("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
    _k("storage.k8s.io", "v1", "csidrivers", "CSIDriver", False),
    _k("storage.k8s.io", "v1", "csinodes", "CSINode", False),
    _k(
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        "VolumeAttachment",
        False,
        status_subresource=True,
    ),
    _k("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", False, ("pc",)),
    _k("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True),
    _k("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False),
    _k(
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        "CertificateSigningRequest",
        False,
        ("csr",),
        status_subresource=True,
        extra_subresources=("approval",),
    ),
    _k(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        False,
        (),
        ("api-extensions",),
    ),
    _k(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        False,
        (),
        ("api-extensions",),
    ),
    _k(
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "APIService",
        False,
        (),
        ("api-extensions",),
        status_subresource=True,
    ),
    _k(
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "flowschemas",
        "FlowSchema",
        False,
        status_subresource=True,
    ),
    _k(
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "prioritylevelconfigurations",
        "PriorityLevelConfiguration",
        False,
        status_subresource=True,
    ),
)

BUILTIN_KINDS: tuple[ResourceKind, ...] = (
    _k(
        "",
        "v1",
        "namespaces",
        "Namespace",
        False,
        ("ns",),
        status_subresource=True,
        extra_subresources=("finalize",),
    ),
    _k(
        "",
        "v1",
        "pods",
        "Pod",
        True,
        ("po",),
        _ALL,
        status_subresource=True,
        extra_subresources=("log", "proxy", "exec", "attach", "portforward", "eviction", "binding"),
    ),
    _k(
        "",
        "v1",
        "services",
        "Service",
        True,
        ("svc",),
        _ALL,
        status_subresource=True,
        extra_subresources=("proxy",),
    ),
    _k("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    _k("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    _k("", "v1", "secrets", "Secret", True),
    _k("", "v1", "events", "Event", True, ("ev",)),
    _k(
        "",
        "v1",
        "nodes",
        "Node",
        False,
        ("no",),
        status_subresource=True,
        extra_subresources=("proxy",),
    ),
    _k("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), extra_subresources=("token",)),
    _k("", "v1", "resourcequotas", "ResourceQuota", True, ("quota",), status_subresource=True),
    _k("", "v1", "limitranges", "LimitRange", True, ("limits",)),
    _k(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        True,
        ("pvc",),
        status_subresource=True,
    ),
    _k("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",), status_subresource=True),
    _k(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        True,
        ("rc",),
        _ALL,
        status_subresource=True,
        scale=ScaleSpec(),
    ),
    _k("", "v1", "podtemplates", "PodTemplate", True),
    _k(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        True,
        ("deploy",),
        _ALL,
        status_subresource=True,
        scale=ScaleSpec(),
    ),
    _k(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        True,
        ("rs",),
        _ALL,
        status_subresource=True,
        scale=ScaleSpec(),
    ),
    _k(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        True,
        ("sts",),
        _ALL,
        status_subresource=True,
        scale=ScaleSpec(),
    ),
    _k("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), _ALL, status_subresource=True),
    _k("apps", "v1", "controllerrevisions", "ControllerRevision", True),
    _k("batch", "v1", "jobs", "Job", True, (), _ALL, status_subresource=True),
    _k("batch", "v1", "cronjobs", "CronJob", True, ("cj",), _ALL, status_subresource=True),
    _k("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _k("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _k("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _k("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _k("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), status_subresource=True),
    _k("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    _k("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
    _k("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
    _k("coordination.k8s.io", "v1", "leases", "Lease", True),
    _k(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
        ("api-extensions",),
        status_subresource=True,
    ),
    _k(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        False,
        verbs=_REVIEW,
    ),
    _k(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        False,
        verbs=_REVIEW,
    ),
    _k(
        "authorization.k8s.io",
        "v1",
        "subjectaccessreviews",
        "SubjectAccessReview",
        False,
        verbs=_REVIEW,
    ),
    _k(
        "authorization.k8s.io",
        "v1",
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        True,
        verbs=_REVIEW,
    ),
    _k(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
        False,
        verbs=_REVIEW,
    ),
    _k("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", False, verbs=_REVIEW),
    *BUILTIN_GROUP_KINDS,
    _k("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True, verbs=("get", "list")),
    _k("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, verbs=("get", "list")),
)

REVIEW_KINDS = frozenset(
    (
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "subjectaccessreviews",
        "localsubjectaccessreviews",
        "selfsubjectreviews",
        "tokenreviews",
    )
)
"""Kinds that are only ever created, answered and never stored."""

# Preferred version per group, in the order discovery lists groups (as kube-apiserver does).
GROUP_ORDER = (
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "metrics.k8s.io",
)


def kinds_from_crd(crd: dict[str, Any]) -> list[ResourceKind]:
    """One ResourceKind per served version of a CustomResourceDefinition object."""
    spec = crd.get("spec", {})
    names = spec.get("names", {})
    storage = next(
        (v["name"] for v in spec.get("versions", []) if v.get("storage")),
        spec.get("versions", [{}])[0].get("name", ""),
    )
    kinds = []
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        scale = subresources.get("scale")
        columns = tuple(
            PrinterColumn(
                name=c["name"],
                type=c.get("type", "string"),
                json_path=c["jsonPath"],
                description=c.get("description", ""),
                priority=int(c.get("priority", 0)),
                format=c.get("format", ""),
            )
            for c in version.get("additionalPrinterColumns") or ()
        )
        kinds.append(
            ResourceKind(
                group=spec["group"],
                version=version["name"],
                plural=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope") == "Namespaced",
                singular=names.get("singular") or names["kind"].lower(),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status_subresource="status" in subresources,
                scale=ScaleSpec(
                    scale["specReplicasPath"],
                    scale["statusReplicasPath"],
                    scale.get("labelSelectorPath"),
                )
                if scale
                else None,
                columns=columns,
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                crd_name=crd["metadata"]["name"],
                storage_version=storage,
                strategic_merge=False,
            )
        )
    return kinds
