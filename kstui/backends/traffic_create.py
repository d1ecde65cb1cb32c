"""Creating a grayscale Strategy: §5.1's prerequisites, each failing one named, and §5.3's
POST body. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kstui.backends.objects import annotations_of, labels_of, meta_of
from kstui.backends.traffic_bodies import weight_route
from kstui.backends.traffic_model import (
    APP_LABELS,
    MESH_ENABLED,
    STRATEGY_API,
    StrategyType,
    port_protocol,
)


@dataclass(frozen=True, slots=True)
class NewStrategy:
    """The create form's answer."""

    namespace: str
    service: str
    name: str
    type: StrategyType
    old: str
    new: str
    weight: int = 10
    """Canary by weight: the new version's share at the start."""
    header: str = ""
    """Canary by content: a header name (`cookie` for a cookie)."""
    value: str = ""
    """…and the regex its value must match."""
    extra: dict[str, str] = field(default_factory=dict)


def strategy_body(
    form: NewStrategy,
    service: Mapping[str, Any],
    deployments: Mapping[str, Mapping[str, Any]],
    creator: str,
) -> dict[str, Any]:
    """§5.2/§5.3's POST: labels and selector from the Service, the template for the type,
    `strategyPolicy: WaitForWorkloadReady`, `principal` = the old version, the console's
    annotations (`kubesphere.io/creator` = who the server says we are, §0.3)."""
    labels = {key: labels_of(service)[key] for key in APP_LABELS}
    host = labels["app"]
    ports = (service.get("spec") or {}).get("ports") or []
    protocol = port_protocol(str(ports[0].get("name") or "")) if ports else "http"
    key = "tcp" if protocol == "tcp" else "http"
    governor = ""
    if form.type is StrategyType.CANARY:
        rules = [weight_route(host, form.old, form.new, form.weight, key)]
    elif form.type is StrategyType.BLUE_GREEN:
        rules = [weight_route(host, form.old, form.new, 100, key)]
        governor = form.new
    elif form.type is StrategyType.MIRROR:
        rules = [
            {
                "route": [{"destination": {"host": host, "subset": form.old}, "weight": 100}],
                "mirror": {"host": host, "subset": form.new},
            }
        ]
    else:
        rules = [
            {
                "match": [{"headers": {form.header: {"regex": form.value}}}],
                "route": [{"destination": {"host": host, "subset": form.new}, "weight": 100}],
            },
            {"route": [{"destination": {"host": host, "subset": form.old}, "weight": 100}]},
        ]
    new_deployment = deployments.get(form.new) or {}
    written_type = {
        StrategyType.CANARY: "Canary",
        StrategyType.CONTENT: "Canary",
        StrategyType.BLUE_GREEN: "Bluegreen",
        StrategyType.MIRROR: "Mirror",
    }[form.type]
    return {
        "apiVersion": STRATEGY_API,
        "kind": "Strategy",
        "metadata": {
            "name": form.name,
            "namespace": form.namespace,
            "labels": labels,
            "annotations": {
                "app.kubernetes.io/icon": "",
                "kubesphere.io/creator": creator,
                "servicemesh.kubesphere.io/oldWorkloadName": _name(deployments, form.old, host),
                "servicemesh.kubesphere.io/newWorkloadName": _name(deployments, form.new, host),
                "servicemesh.kubesphere.io/workloadType": "deployments",
                "servicemesh.kubesphere.io/workloadReplicas": str(
                    (new_deployment.get("spec") or {}).get("replicas", 1)
                ),
            },
        },
        "spec": {
            "type": written_type,
            "principal": form.old,
            "governor": governor,
            "selector": {"matchLabels": labels},
            "strategyPolicy": "WaitForWorkloadReady",
            "template": {"spec": {"hosts": [host], key: rules}},
        },
    }


def _name(deployments: Mapping[str, Mapping[str, Any]], version: str, host: str) -> str:
    found = deployments.get(version)
    return str(meta_of(found).get("name")) if found else f"{host}-{version}"


def unmet(
    service: Mapping[str, Any] | None,
    deployments: Sequence[Mapping[str, Any]],
    strategies: Sequence[Mapping[str, Any]],
) -> list[str]:
    """§5.1's prerequisites for a grayscale Strategy on this Service, each failing one named
    ([]: all hold). `deployments` are the namespace's Deployments; `strategies` its Strategies."""
    if service is None:
        return ["no such Service"]
    name = meta_of(service).get("name", "")
    labels = labels_of(service)
    problems = [f"Service {name} has no label {key}" for key in APP_LABELS if not labels.get(key)]
    if annotations_of(service).get(MESH_ENABLED) != "true":
        problems.append(f'Service {name} lacks annotation {MESH_ENABLED}: "true"')
    if not (service.get("spec") or {}).get("ports"):
        problems.append(f"Service {name} has no port")
    if problems:
        return problems
    component = labels["app"]
    versions = versions_of(service, deployments)
    for version, deployment in versions.items():
        dname = meta_of(deployment).get("name", "")
        selector = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        for key in APP_LABELS:
            if labels_of(deployment).get(key) != labels[key]:
                problems.append(f"Deployment {dname} label {key} is not {labels[key]!r}")
            if selector.get(key) != labels[key]:
                problems.append(f"Deployment {dname} selector lacks {key}={labels[key]}")
        if annotations_of(deployment).get(MESH_ENABLED) != "true":
            problems.append(f'Deployment {dname} lacks annotation {MESH_ENABLED}: "true"')
        if not int((deployment.get("status") or {}).get("readyReplicas") or 0):
            problems.append(f"Deployment {dname} (version {version}) has no ready replica")
    if len(versions) < 2:
        found = ", ".join(versions) or "none"
        problems.append(
            f"Service {name} needs two versions (Deployments with label version): {found}"
        )
    taken = [meta_of(s).get("name") for s in strategies if labels_of(s).get("app") == component]
    if taken:
        problems.append(
            f"component {component} already has Strategy {taken[0]} (one per component)"
        )
    return problems


def versions_of(
    service: Mapping[str, Any], deployments: Sequence[Mapping[str, Any]]
) -> dict[str, Mapping[str, Any]]:
    """The Service's versions: Deployments with its `app` label and a `version` label."""
    component = labels_of(service).get("app")
    found: dict[str, Mapping[str, Any]] = {}
    for deployment in deployments:
        labels = labels_of(deployment)
        if component and labels.get("app") == component and labels.get("version"):
            found.setdefault(labels["version"], deployment)
    return dict(sorted(found.items()))
