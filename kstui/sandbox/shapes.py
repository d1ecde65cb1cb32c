"""The JSON types kube-apiserver's Go decoder insists on, for the fields the sandbox reads.

kube-apiserver decodes a built-in object into Go structs, so `"labels": ["a"]` or
`"replicas": "three"` never gets past the decoder: the request is refused with encoding/json's
UnmarshalTypeError (`json: cannot unmarshal array into Go struct field
ObjectMeta.metadata.labels of type map[string]string`). The sandbox keeps dicts, so without
this check such a body would crash a handler or, worse, be stored and crash the controllers
and the RBAC authorizer that read it later. ObjectMeta is checked for every kind; the other
tables cover the fields of built-in kinds that the sandbox's own code relies on.
"""

from __future__ import annotations

from typing import Any

# (JSON path from the object root, Go struct holding the field, the field's Go type)
Shape = tuple[str, str, str]

_META: tuple[Shape, ...] = (
    ("metadata", "", "v1.ObjectMeta"),
    ("metadata.name", "ObjectMeta", "string"),
    ("metadata.generateName", "ObjectMeta", "string"),
    ("metadata.namespace", "ObjectMeta", "string"),
    ("metadata.resourceVersion", "ObjectMeta", "string"),
    ("metadata.uid", "ObjectMeta", "types.UID"),
    ("metadata.generation", "ObjectMeta", "int64"),
    ("metadata.labels", "ObjectMeta", "map[string]string"),
    ("metadata.annotations", "ObjectMeta", "map[string]string"),
    ("metadata.finalizers", "ObjectMeta", "[]string"),
    ("metadata.ownerReferences", "ObjectMeta", "[]v1.OwnerReference"),
    ("metadata.ownerReferences.apiVersion", "OwnerReference", "string"),
    ("metadata.ownerReferences.kind", "OwnerReference", "string"),
    ("metadata.ownerReferences.name", "OwnerReference", "string"),
    ("metadata.ownerReferences.uid", "OwnerReference", "types.UID"),
)


def _pod_spec(at: str) -> tuple[Shape, ...]:
    return (
        (f"{at}.containers", "PodSpec", "[]v1.Container"),
        (f"{at}.containers.name", "Container", "string"),
        (f"{at}.containers.image", "Container", "string"),
        (f"{at}.containers.ports", "Container", "[]v1.ContainerPort"),
        (f"{at}.containers.env", "Container", "[]v1.EnvVar"),
        (f"{at}.containers.resources", "Container", "v1.ResourceRequirements"),
        (f"{at}.initContainers", "PodSpec", "[]v1.Container"),
        (f"{at}.initContainers.name", "Container", "string"),
        (f"{at}.nodeName", "PodSpec", "string"),
        (f"{at}.serviceAccountName", "PodSpec", "string"),
        (f"{at}.volumes", "PodSpec", "[]v1.Volume"),
    )


def _workload(kind: str, replicas: bool = True) -> tuple[Shape, ...]:
    spec = f"{kind}Spec"
    return (
        ("spec", kind, f"v1.{spec}"),
        *((("spec.replicas", spec, "int32"),) if replicas else ()),
        ("spec.selector", spec, "v1.LabelSelector"),
        ("spec.selector.matchLabels", "LabelSelector", "map[string]string"),
        ("spec.template", spec, "v1.PodTemplateSpec"),
        ("spec.template.metadata", "PodTemplateSpec", "v1.ObjectMeta"),
        ("spec.template.metadata.labels", "ObjectMeta", "map[string]string"),
        ("spec.template.metadata.annotations", "ObjectMeta", "map[string]string"),
        ("spec.template.spec", "PodTemplateSpec", "v1.PodSpec"),
        *_pod_spec("spec.template.spec"),
    )


def _rules(kind: str) -> tuple[Shape, ...]:
    return (
        ("rules", kind, "[]v1.PolicyRule"),
        *(
            (f"rules.{f}", "PolicyRule", "[]string")
            for f in ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")
        ),
    )


def _binding(kind: str) -> tuple[Shape, ...]:
    return (
        ("subjects", kind, "[]v1.Subject"),
        *(
            (f"subjects.{f}", "Subject", "string")
            for f in ("kind", "name", "namespace", "apiGroup")
        ),
        ("roleRef", kind, "v1.RoleRef"),
        *((f"roleRef.{f}", "RoleRef", "string") for f in ("kind", "name", "apiGroup")),
    )


def _access_review(kind: str, spec: str) -> tuple[Shape, ...]:
    return (
        ("spec", kind, f"v1.{spec}"),
        ("spec.resourceAttributes", spec, "v1.ResourceAttributes"),
        *(
            (f"spec.resourceAttributes.{f}", "ResourceAttributes", "string")
            for f in ("namespace", "verb", "group", "version", "resource", "subresource", "name")
        ),
        ("spec.nonResourceAttributes", spec, "v1.NonResourceAttributes"),
        *(
            (f"spec.nonResourceAttributes.{f}", "NonResourceAttributes", "string")
            for f in ("path", "verb")
        ),
    )


_RBAC = "rbac.authorization.k8s.io"
_AUTHZ = "authorization.k8s.io"
_BUILTIN: dict[tuple[str, str], tuple[Shape, ...]] = {
    ("", "configmaps"): (("data", "ConfigMap", "map[string]string"),),
    ("", "secrets"): (("stringData", "Secret", "map[string]string"),),
    ("", "namespaces"): (
        ("spec", "Namespace", "v1.NamespaceSpec"),
        ("spec.finalizers", "NamespaceSpec", "[]v1.FinalizerName"),
    ),
    ("", "pods"): (("spec", "Pod", "v1.PodSpec"), *_pod_spec("spec")),
    ("", "services"): (
        ("spec", "Service", "v1.ServiceSpec"),
        ("spec.ports", "ServiceSpec", "[]v1.ServicePort"),
        ("spec.selector", "ServiceSpec", "map[string]string"),
        ("spec.type", "ServiceSpec", "v1.ServiceType"),
    ),
    ("apps", "deployments"): _workload("Deployment"),
    ("apps", "replicasets"): _workload("ReplicaSet"),
    ("apps", "statefulsets"): _workload("StatefulSet"),
    ("apps", "daemonsets"): _workload("DaemonSet", replicas=False),
    ("batch", "jobs"): (
        ("spec", "Job", "v1.JobSpec"),
        ("spec.parallelism", "JobSpec", "int32"),
        ("spec.completions", "JobSpec", "int32"),
        ("spec.template", "JobSpec", "v1.PodTemplateSpec"),
        ("spec.template.spec", "PodTemplateSpec", "v1.PodSpec"),
        *_pod_spec("spec.template.spec"),
    ),
    (_RBAC, "roles"): _rules("Role"),
    (_RBAC, "clusterroles"): _rules("ClusterRole"),
    (_RBAC, "rolebindings"): _binding("RoleBinding"),
    (_RBAC, "clusterrolebindings"): _binding("ClusterRoleBinding"),
    ("apiextensions.k8s.io", "customresourcedefinitions"): (
        ("spec", "CustomResourceDefinition", "v1.CustomResourceDefinitionSpec"),
        ("spec.group", "CustomResourceDefinitionSpec", "string"),
        ("spec.scope", "CustomResourceDefinitionSpec", "v1.ResourceScope"),
        ("spec.names", "CustomResourceDefinitionSpec", "v1.CustomResourceDefinitionNames"),
        *(
            (f"spec.names.{f}", "CustomResourceDefinitionNames", "string")
            for f in ("plural", "singular", "kind", "listKind")
        ),
        ("spec.versions", "CustomResourceDefinitionSpec", "[]v1.CustomResourceDefinitionVersion"),
        ("spec.versions.name", "CustomResourceDefinitionVersion", "string"),
        ("spec.versions.served", "CustomResourceDefinitionVersion", "bool"),
        ("spec.versions.storage", "CustomResourceDefinitionVersion", "bool"),
    ),
    (_AUTHZ, "selfsubjectaccessreviews"): _access_review(
        "SelfSubjectAccessReview", "SelfSubjectAccessReviewSpec"
    ),
    (_AUTHZ, "localsubjectaccessreviews"): _access_review(
        "LocalSubjectAccessReview", "SubjectAccessReviewSpec"
    ),
    (_AUTHZ, "subjectaccessreviews"): (
        *_access_review("SubjectAccessReview", "SubjectAccessReviewSpec"),
        ("spec.user", "SubjectAccessReviewSpec", "string"),
        ("spec.groups", "SubjectAccessReviewSpec", "[]string"),
    ),
    (_AUTHZ, "selfsubjectrulesreviews"): (
        ("spec", "SelfSubjectRulesReview", "v1.SelfSubjectRulesReviewSpec"),
        ("spec.namespace", "SelfSubjectRulesReviewSpec", "string"),
    ),
    ("authentication.k8s.io", "tokenreviews"): (
        ("spec", "TokenReview", "v1.TokenReviewSpec"),
        ("spec.token", "TokenReviewSpec", "string"),
    ),
}

_STRINGS = ("string", "types.UID", "v1.FinalizerName", "v1.ServiceType", "v1.ResourceScope")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fits(value: Any, go_type: str) -> bool:
    if go_type in _STRINGS:
        return isinstance(value, str)
    if go_type in ("int32", "int64"):
        return isinstance(value, int) and not isinstance(value, bool)
    if go_type == "bool":
        return isinstance(value, bool)
    if go_type.startswith("[]"):
        return isinstance(value, list)
    return isinstance(value, dict)  # structs and maps


def _zero(go_type: str) -> Any:
    if go_type in _STRINGS:
        return ""
    return {"int32": 0, "int64": 0, "bool": False}.get(go_type, [] if go_type[:2] == "[]" else {})


def _element_type(go_type: str) -> str | None:
    if go_type.startswith("map[string]"):
        return go_type.removeprefix("map[string]")
    if go_type.startswith("[]"):
        return go_type.removeprefix("[]")
    return None


def _values(obj: Any, keys: list[str]) -> list[tuple[dict[str, Any], str]]:
    """(parent, key) of each value at a path; lists on the way fan out to their items."""
    parents: list[Any] = [obj]
    for key in keys[:-1]:
        following: list[Any] = []
        for parent in parents:
            value = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(value, list):
                following.extend(item for item in value if isinstance(item, dict))
            elif isinstance(value, dict):
                following.append(value)
        parents = following
    return [(p, keys[-1]) for p in parents if isinstance(p, dict) and keys[-1] in p]


def decode_error(kind: Any, obj: dict[str, Any]) -> str | None:
    """encoding/json's error for the first field whose JSON type does not fit, else None.

    A null is what Go decodes to an absent field: it is dropped from built-in objects."""
    builtin = kind.schema is None and not kind.is_custom
    shapes = _META + (_BUILTIN.get(kind.storage_key, ()) if builtin else ())
    for path, struct, go_type in shapes:
        owner = struct or kind.kind
        for parent, key in _values(obj, path.split(".")):
            value = parent[key]
            if value is None:
                if builtin:
                    del parent[key]
                continue
            if not _fits(value, go_type):
                return (
                    f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                    f"{owner}.{path} of type {go_type}"
                )
            element = _element_type(go_type)
            if element is None:
                continue
            entries = value.items() if isinstance(value, dict) else enumerate(value)
            for at, item in list(entries):
                if item is None:  # decodes to the element's zero value
                    if builtin:
                        value[at] = _zero(element)
                elif not _fits(item, element):
                    return (
                        f"json: cannot unmarshal {_json_type(item)} into Go struct field "
                        f"{owner}.{path} of type {element}"
                    )
    return None
