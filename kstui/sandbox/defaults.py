"""Defaulting and the validation of built-in kinds that clients actually run into."""

from __future__ import annotations

import base64
import random
from typing import Any

from kstui.sandbox.selectors import labels_match, selector_from_match_labels

Causes = list[dict[str, str]]


def _required(field: str) -> dict[str, str]:
    return {"reason": "FieldValueRequired", "message": "Required value", "field": field}


def system_fields(obj: dict[str, Any]) -> None:
    """FillObjectMetaSystemFields: a create gets the server's creationTimestamp (and uid, in the
    store) whatever the client sent; kubectl create/run send `creationTimestamp: null`."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("creationTimestamp", None)


def default_object(key: tuple[str, str], obj: dict[str, Any], rng: random.Random) -> None:
    defaulter = _DEFAULTERS.get(key)
    if defaulter is not None:
        defaulter(obj, rng)


def validate_object(key: tuple[str, str], obj: dict[str, Any]) -> Causes:
    validator = _VALIDATORS.get(key)
    return validator(obj) if validator is not None else []


def _namespace(obj: dict[str, Any], rng: random.Random) -> None:
    name = obj["metadata"]["name"]
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


def _pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    spec.setdefault("serviceAccountName", spec.get("serviceAccount", "default"))
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    for container in spec.get("containers") or []:
        image = str(container.get("image", ""))
        pull = "Always" if image.endswith(":latest") or ":" not in image else "IfNotPresent"
        container.setdefault("imagePullPolicy", pull)
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")


def _pod(obj: dict[str, Any], rng: random.Random) -> None:
    _pod_spec(obj.setdefault("spec", {}))
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", _qos_class(obj["spec"]))


def _qos_class(spec: dict[str, Any]) -> str:
    containers = spec.get("containers") or []
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get(res)
        and (r.get("requests") or {}).get(res, (r.get("limits") or {}).get(res))
        == (r.get("limits") or {}).get(res)
        for r in resources
        for res in ("cpu", "memory")
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _template(obj: dict[str, Any]) -> None:
    template = obj.setdefault("spec", {}).setdefault("template", {})
    template.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    _pod_spec(template.setdefault("spec", {}))


def _deployment(obj: dict[str, Any], rng: random.Random) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy.setdefault("type", "RollingUpdate")
        strategy.setdefault("rollingUpdate", {"maxUnavailable": "25%", "maxSurge": "25%"})
    _template(obj)


def _replicaset(obj: dict[str, Any], rng: random.Random) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template(obj)


def _statefulset(obj: dict[str, Any], rng: random.Random) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    spec.setdefault("revisionHistoryLimit", 10)
    _template(obj)


def _daemonset(obj: dict[str, Any], rng: random.Random) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault(
        "updateStrategy",
        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
    )
    spec.setdefault("revisionHistoryLimit", 10)
    _template(obj)


def _job(obj: dict[str, Any], rng: random.Random) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    # Jobs' pods never restart in place; set before the pod defaults would say "Always".
    spec.setdefault("template", {}).setdefault("spec", {}).setdefault("restartPolicy", "Never")
    _template(obj)


def _service(obj: dict[str, Any], rng: random.Random) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("clusterIP") != "None" and not spec.get("clusterIP"):
        spec["clusterIP"] = f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if spec.get("clusterIP"):
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if spec["type"] in ("NodePort", "LoadBalancer"):
            port.setdefault("nodePort", 30000 + rng.randint(0, 2767))
    obj.setdefault("status", {}).setdefault("loadBalancer", {})


def _secret(obj: dict[str, Any], rng: random.Random) -> None:
    obj.setdefault("type", "Opaque")
    # The v1 -> internal conversion: stringData overwrites data's keys and is never stored.
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.get("data") or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data


_DEFAULTERS = {
    ("", "namespaces"): _namespace,
    ("", "pods"): _pod,
    ("", "services"): _service,
    ("", "secrets"): _secret,
    ("apps", "deployments"): _deployment,
    ("apps", "replicasets"): _replicaset,
    ("apps", "statefulsets"): _statefulset,
    ("apps", "daemonsets"): _daemonset,
    ("batch", "jobs"): _job,
}


def _containers(spec: dict[str, Any], prefix: str) -> Causes:
    containers = spec.get("containers")
    if not containers:
        return [_required(f"{prefix}.containers")]
    causes = []
    for i, container in enumerate(containers):
        if not container.get("name"):
            causes.append(_required(f"{prefix}.containers[{i}].name"))
        if not container.get("image"):
            causes.append(_required(f"{prefix}.containers[{i}].image"))
    return causes


def _validate_pod(obj: dict[str, Any]) -> Causes:
    return _containers(obj.get("spec") or {}, "spec")


def _validate_workload(obj: dict[str, Any]) -> Causes:
    spec = obj.get("spec") or {}
    causes = []
    selector = spec.get("selector")
    if not selector:
        causes.append(_required("spec.selector"))
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if selector and not labels_match(selector_from_match_labels(selector), labels):
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "message": f"Invalid value: {labels!r}: `selector` does not match template "
                "`labels`",
                "field": "spec.template.metadata.labels",
            }
        )
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                "field": "spec.replicas",
            }
        )
    return causes + _containers(template.get("spec") or {}, "spec.template.spec")


def _validate_configmap(obj: dict[str, Any]) -> Causes:
    causes = []
    for field in ("data", "binaryData"):
        value = obj.get(field)
        if value is not None and not isinstance(value, dict):
            causes.append(
                {
                    "reason": "FieldValueTypeInvalid",
                    "message": "Invalid value: must be an object",
                    "field": field,
                }
            )
    return causes


_VALIDATORS = {
    ("", "pods"): _validate_pod,
    ("", "configmaps"): _validate_configmap,
    ("apps", "deployments"): _validate_workload,
    ("apps", "replicasets"): _validate_workload,
    ("apps", "statefulsets"): _validate_workload,
    ("apps", "daemonsets"): _validate_workload,
}
