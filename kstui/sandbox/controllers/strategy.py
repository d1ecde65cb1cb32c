"""KubeSphere 3.x grayscale release: the destinationrule and virtualservice controllers of
ks-controller-manager (API.md §5.1, §5.4), as one reconcile per Service.

For a Service that meets §5.1 (labels `app.kubernetes.io/name`, `app.kubernetes.io/version`,
`app`, annotation `servicemesh.kubesphere.io/enabled: "true"`, at least one port):

* DestinationRule `<service>`: one subset per ready version. A version is a Deployment with the
  Service's three labels on its metadata and in its selector, a `version` label, the same
  annotation and `status.readyReplicas > 0`. Subsets are ordered by subset name (the "first"
  subset that default routing sends to is therefore the lowest version, `v1` before `v2`).
  A ServicePolicy labelled `app=<component>` adds its `trafficPolicy` to the rule and to the
  subsets of the same name.
* VirtualService `<component>`: default routing, the Strategy's template copied per port, or
  the governor's 100 %, exactly as §5.4 lists.

Where the contract is silent this controller does nothing, as the real one returns early:
a Service that stops meeting §5.1 (or is deleted) keeps whatever DestinationRule and
VirtualService it had; two Strategies for one component leave the VirtualService as it is.
VirtualService edits are not watched (the real controller only lists them): a hand edit lasts
until the next Service, Deployment, Strategy, ServicePolicy or DestinationRule change.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable
from typing import Any

from kstui.sandbox.controllers import Controller, WorkKey
from kstui.sandbox.store import Entry, Event

SERVICES = ("", "services")
DEPLOYMENTS = ("apps", "deployments")
STRATEGIES = ("servicemesh.kubesphere.io", "strategies")
SERVICE_POLICIES = ("servicemesh.kubesphere.io", "servicepolicies")
DESTINATION_RULES = ("networking.istio.io", "destinationrules")
VIRTUAL_SERVICES = ("networking.istio.io", "virtualservices")

APP = "app"
APPLICATION_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/version", APP)
VERSION = "version"
ENABLED = "servicemesh.kubesphere.io/enabled"
HTTP_NAMES = ("http", "http2", "grpc")


def is_http_port(name: str | None) -> bool:
    """§5.1: `http`, `http2`, `grpc` or a name starting with one of them and `-` is HTTP."""
    name = name or ""
    return name in HTTP_NAMES or any(name.startswith(f"{p}-") for p in HTTP_NAMES)


def subset_name(version: str) -> str:
    return version.replace(".", "").replace("_", "").replace("-", "")


def mesh_enabled(obj: dict[str, Any]) -> bool:
    return (obj["metadata"].get("annotations") or {}).get(ENABLED) == "true"


def eligible_service(service: dict[str, Any]) -> bool:
    labels = service["metadata"].get("labels") or {}
    return (
        all(labels.get(k) for k in APPLICATION_LABELS)
        and mesh_enabled(service)
        and bool((service.get("spec") or {}).get("ports"))
    )


def version_of(deployment: dict[str, Any], app_labels: dict[str, str]) -> str | None:
    """The version a Deployment serves for these application labels, if it takes part."""
    labels = deployment["metadata"].get("labels") or {}
    selector = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if any(labels.get(k) != v or selector.get(k) != v for k, v in app_labels.items()):
        return None
    if not labels.get(VERSION) or not mesh_enabled(deployment):
        return None
    if int((deployment.get("status") or {}).get("readyReplicas") or 0) <= 0:
        return None
    return str(labels[VERSION])


def template_subsets(spec: dict[str, Any]) -> set[str]:
    """Every subset a Strategy template routes or mirrors to (WaitForWorkloadReady's check)."""
    found: set[str] = set()
    for protocol in ("http", "tcp", "tls"):
        for rule in spec.get(protocol) or ():
            for route in rule.get("route") or ():
                found.add(((route.get("destination") or {}).get("subset")) or "")
            if rule.get("mirror"):
                found.add(rule["mirror"].get("subset") or "")
    return found


def default_spec(service: dict[str, Any], first_subset: str) -> dict[str, Any]:
    """No Strategy (or Paused, or a subset missing): 100 % to the first subset, per port."""
    name = service["metadata"]["name"]
    spec: dict[str, Any] = {"hosts": [name]}
    for port in service["spec"]["ports"]:
        if port.get("protocol", "TCP") != "TCP":
            continue
        number = int(port["port"])
        route = [
            {
                "destination": {"host": name, "subset": first_subset, "port": {"number": number}},
                "weight": 100,
            }
        ]
        if is_http_port(port.get("name")):
            rule = {"name": port.get("name", ""), "match": [{"port": number}], "route": route}
            spec.setdefault("http", []).append(rule)
        else:
            spec.setdefault("tcp", []).append({"match": [{"port": number}], "route": route})
    return spec


def _for_port(rule: dict[str, Any], number: int, first: int) -> dict[str, Any]:
    copied = copy.deepcopy(rule)
    matches = copied.get("match") or [{}]
    for match in matches:
        match["port"] = number
    copied["match"] = matches
    for route in copied.get("route") or ():
        route.setdefault("destination", {})["port"] = {"number": number}
    mirror = copied.get("mirror")
    if isinstance(mirror, dict) and not (mirror.get("port") or {}).get("number"):
        mirror["port"] = {"number": first}
    return copied


def strategy_spec(strategy: dict[str, Any], service: dict[str, Any]) -> dict[str, Any]:
    """§5.4 with a Strategy: the template per port, or the governor's one rule per port.

    The governor's destination gets the rule's port like every other route (§5.4 names host
    and subset; with one port, which is every console-made Strategy, the two readings agree)."""
    template = copy.deepcopy(
        (((strategy.get("spec") or {}).get("template") or {}).get("spec")) or {}
    )
    governor = (strategy.get("spec") or {}).get("governor") or ""
    name = service["metadata"]["name"]
    ports = service["spec"]["ports"]
    first = int(ports[0]["port"])
    spec = {k: v for k, v in template.items() if k not in ("http", "tcp")}
    http: list[dict[str, Any]] = []
    tcp: list[dict[str, Any]] = []
    for port in ports:
        number = int(port["port"])
        target = http if is_http_port(port.get("name")) else tcp
        if governor:
            destination = {"host": name, "subset": governor, "port": {"number": number}}
            target.append(
                {
                    "match": [{"port": number}],
                    "route": [{"destination": destination, "weight": 100}],
                }
            )
            continue
        rules = template.get("http" if target is http else "tcp") or ()
        target.extend(_for_port(rule, number, first) for rule in rules)
    if http:
        spec["http"] = http
    if tcp:
        spec["tcp"] = tcp
    return spec


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def istio_json(value: Any) -> Any:
    """A ServicePolicy's traffic policy as a DestinationRule holds it. The sandbox's
    ServicePolicy CRD is the controller-gen one (snake_case fields, as in kubesphere/kubesphere's
    tree); the controller reads it through jsonpb, which takes both spellings and writes
    camelCase. Only the keys are converted: a protobuf wrapper or Duration written in the
    snake_case schema's object form is passed on as written."""
    if isinstance(value, dict):
        return {_camel(k): istio_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [istio_json(v) for v in value]
    return value


def _keep_route_extras(spec: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Fields of an existing HTTP route other than match/route survive for routes whose name
    matches (§5.4): retries, timeout, fault, … set by hand."""
    if not current:
        return
    by_name = {r.get("name"): r for r in current.get("http") or () if r.get("name")}
    for rule in spec.get("http") or ():
        old = by_name.get(rule.get("name")) if rule.get("name") else None
        for key, value in (old or {}).items():
            if key not in ("match", "route") and key not in rule:
                rule[key] = copy.deepcopy(value)


class StrategyController(Controller):
    """DestinationRule and VirtualService per mesh-enabled Service (§5.1, §5.4)."""

    watches = (SERVICES, DEPLOYMENTS, STRATEGIES, SERVICE_POLICIES, DESTINATION_RULES)
    primary = SERVICES

    def keys_for(self, event: Event) -> Iterable[WorkKey]:
        namespace = event.new.namespace
        if event.key in (SERVICES, DESTINATION_RULES):
            return [(namespace, event.new.name)]
        entries = [e for e in (event.new, event.old) if e is not None]
        if event.key == DEPLOYMENTS:  # only versions take part: pod churn elsewhere costs nothing
            entries = [e for e in entries if (e.labels or {}).get(VERSION)]
        apps = {(e.labels or {}).get(APP) for e in entries} - {None}
        if not apps:
            return []
        return [
            (namespace, entry.name)
            for entry in self._services(namespace)
            if (entry.labels or {}).get(APP) in apps
        ]

    def _services(self, namespace: str) -> Iterable[Entry]:
        """The Services of one namespace, by bisecting the sorted keys (not scanning all)."""
        keys = self.store.sorted_keys(SERVICES)
        bucket = self.store.bucket(SERVICES)
        for key in keys[bisect.bisect_left(keys, (namespace, "")) :]:
            if key[0] != namespace:
                break
            entry = bucket.get(key)
            if entry is not None:
                yield entry

    def reconcile(self, key: WorkKey) -> None:
        namespace, name = key
        service = self.store.get(SERVICES, namespace, name)
        if service is None or not eligible_service(service):
            return  # the contract is silent here; the real controllers return early too
        labels = dict(service["metadata"].get("labels") or {})
        app_labels = {k: labels[k] for k in APPLICATION_LABELS}
        versions = sorted(
            {
                v
                for d in self.store.objects(DEPLOYMENTS, namespace)
                if (v := version_of(d, app_labels)) is not None
            },
            key=subset_name,
        )
        component = labels[APP]
        subsets = self._destination_rule(service, labels, versions, component)
        if not subsets:
            return  # a rule without subsets: no VirtualService (the real controller returns)
        self._virtual_service(service, labels, component, subsets)

    # ------------------------------------------------------------------ DestinationRule

    def _destination_rule(
        self, service: dict[str, Any], labels: dict[str, str], versions: list[str], component: str
    ) -> list[str]:
        namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
        policies = [
            p
            for p in self.store.objects(SERVICE_POLICIES, namespace)
            if (p["metadata"].get("labels") or {}).get(APP) == component
        ]
        template = (
            (((policies[0].get("spec") or {}).get("template") or {}).get("spec") or {})
            if policies
            else {}
        )
        policy = {
            "trafficPolicy": istio_json(
                template.get("trafficPolicy") or template.get("traffic_policy") or {}
            ),
            "subsets": [
                {
                    **s,
                    "trafficPolicy": istio_json(s.get("trafficPolicy") or s.get("traffic_policy")),
                }
                for s in template.get("subsets") or ()
            ],
        }
        policy_subsets = {s.get("name"): s for s in policy.get("subsets") or ()}
        subsets = []
        for version in versions:
            subset: dict[str, Any] = {"name": subset_name(version), "labels": {VERSION: version}}
            extra = (policy_subsets.get(subset["name"]) or {}).get("trafficPolicy")
            if extra:
                subset["trafficPolicy"] = copy.deepcopy(extra)
            subsets.append(subset)
        kind = self.kind(DESTINATION_RULES)
        current = self.store.get(DESTINATION_RULES, namespace, name)
        spec = dict((current or {}).get("spec") or {})
        spec.update({"host": name, "subsets": subsets})
        if policy.get("trafficPolicy"):
            spec["trafficPolicy"] = copy.deepcopy(policy["trafficPolicy"])
        if current is None:
            obj = {
                "apiVersion": kind.api_version,
                "kind": "DestinationRule",
                "metadata": {"name": name, "namespace": namespace, "labels": labels},
                "spec": spec,
            }
            self.cluster.create(kind, obj)
        elif current.get("spec") != spec or current["metadata"].get("labels") != labels:
            current["spec"] = spec
            current["metadata"]["labels"] = labels
            self.cluster.admit(kind, current, creating=False)
            self.store.update(kind, current, check_rv=False)
        return [s["name"] for s in subsets]

    # ------------------------------------------------------------------ VirtualService

    def _virtual_service(
        self, service: dict[str, Any], labels: dict[str, str], component: str, subsets: list[str]
    ) -> None:
        namespace = service["metadata"]["namespace"]
        strategies = [
            s
            for s in self.store.objects(STRATEGIES, namespace)
            if (s["metadata"].get("labels") or {}).get(APP) == component
        ]
        if len(strategies) > 1:
            return  # §5.2: two Strategies for one component ⇒ the VirtualService stays as is
        spec = default_spec(service, subsets[0])
        if strategies:
            strategy_body = strategies[0].get("spec") or {}
            policy = strategy_body.get("strategyPolicy") or ""
            template = ((strategy_body.get("template") or {}).get("spec")) or {}
            if policy == "Paused":
                pass
            elif policy == "WaitForWorkloadReady" and not template_subsets(template) <= set(
                subsets
            ):
                pass  # a version is not ready yet: default routing until it is
            else:  # Immediately, WaitForWorkloadReady with every subset, or no policy
                spec = strategy_spec(strategies[0], service)
        if not spec.get("http") and not spec.get("tcp") and not spec.get("tls"):
            return  # "doesn't have a valid port spec": the real controller writes nothing
        kind = self.kind(VIRTUAL_SERVICES)
        current = self.store.get(VIRTUAL_SERVICES, namespace, component)
        _keep_route_extras(spec, (current or {}).get("spec"))
        if current is None:
            obj = {
                "apiVersion": kind.api_version,
                "kind": "VirtualService",
                "metadata": {"name": component, "namespace": namespace, "labels": labels},
                "spec": spec,
            }
            self.cluster.create(kind, obj)
        elif current.get("spec") != spec or current["metadata"].get("labels") != labels:
            current["spec"] = spec
            current["metadata"]["labels"] = labels
            self.cluster.admit(kind, current, creating=False)
            self.store.update(kind, current, check_rv=False)
