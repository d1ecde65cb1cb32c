"""Traffic splits as values, and the exact bodies kstui writes for them (API.md §5, §7.4). Pure.

A `Split` is one row of the Traffic section: a grayscale Strategy (its weights read from the
VirtualService the controller generated, since Strategies have no status), or on a cluster
without the Strategy CRD an Istio VirtualService or Gateway API HTTPRoute whose rule sends
traffic to more than one backend.

The bodies written are in traffic_bodies.py, the create form's in traffic_create.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kstui.backends.objects import labels_of, meta_of
from kstui.model import parse_timestamp

STRATEGY_GROUP = "servicemesh.kubesphere.io"
STRATEGY_API = f"{STRATEGY_GROUP}/v1alpha2"
ISTIO_API = "networking.istio.io/v1beta1"
GATEWAY_API = "gateway.networking.k8s.io/v1"
MESH_ENABLED = "servicemesh.kubesphere.io/enabled"
APP_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/version", "app")
HTTP_NAMES = ("http", "http2", "grpc")


class Source(StrEnum):
    STRATEGY = "strategy"
    VIRTUAL_SERVICE = "virtualservice"
    HTTP_ROUTE = "httproute"


class StrategyType(StrEnum):
    CANARY = "Canary"
    CONTENT = "Canary by content"
    BLUE_GREEN = "Bluegreen"
    MIRROR = "Mirror"


@dataclass(frozen=True, slots=True)
class Split:
    """One row of the Traffic section."""

    context: str
    cluster: str
    namespace: str
    name: str
    """The Strategy's (or the VirtualService's, the HTTPRoute's) name."""
    source: Source
    type: StrategyType
    host: str
    """The component (the Service the routes send to); for an HTTPRoute, its parent's name."""
    old: str
    """The reference version (`spec.principal`); the first backend otherwise."""
    new: str
    weights: tuple[tuple[str, int], ...]
    """What the routes in effect send where (the generated VirtualService for a Strategy)."""
    wanted: tuple[tuple[str, int], ...] = ()
    """A Strategy's own template weights ((): not a weight split, or not a Strategy)."""
    governor: str = ""
    mirror: str = ""
    protocol: str = "http"
    """"http" or "tcp" (from the template: `http` vs `tcp`, §9.1)."""
    policy: str = ""
    resource_version: str = ""
    match: str = ""
    """A content canary's rule, in words (`cookie ~ user=beta`)."""
    partial_since: float | None = None
    """When the weights were last set (managedFields), else None."""
    since_seen: bool = False
    """`partial_since` is when this session first saw these weights: at least that long."""
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.context}/{self.namespace}/{self.source}/{self.name}"

    def weight_of(self, version: str) -> int | None:
        return dict(self.weights).get(version)

    @property
    def new_weight(self) -> int:
        """The slider's value: the new version's share of the effective routes."""
        found = self.weight_of(self.new)
        return found if found is not None else dict(self.wanted).get(self.new, 0)

    @property
    def template_weight(self) -> int:
        """What the slider moves: a Strategy's own template weight for the new version (the
        controller then routes it), else the weight in effect."""
        found = dict(self.wanted).get(self.new)
        return self.new_weight if found is None else found

    @property
    def partial(self) -> bool:
        return 0 < self.new_weight < 100 and not self.governor

    @property
    def following(self) -> bool:
        """Whether the effective routes are what the Strategy asks for."""
        if self.source is not Source.STRATEGY or not self.wanted:
            return True
        if self.governor:
            return dict(self.weights).get(self.governor) == 100
        return dict(self.weights) == dict(self.wanted)


@dataclass(frozen=True, slots=True)
class Body:
    """What one write sends: method, path, content type and the JSON body (None: no body)."""

    method: str
    path: str
    body: Any
    content_type: str = "application/merge-patch+json"


# ---------------------------------------------------------------------------- reading


def port_protocol(name: str) -> str:
    """§5.1: names http, http2, grpc or starting with them and a dash are HTTP."""
    lowered = name.lower()
    if lowered in HTTP_NAMES or any(lowered.startswith(f"{n}-") for n in HTTP_NAMES):
        return "http"
    return "tcp"


def catch_all(rule: Mapping[str, Any]) -> bool:
    """A rule every request reaches: no match, or matches on the port only."""
    return all(set(item or {}) <= {"port"} for item in rule.get("match") or [])


def route_weights(rules: list[Mapping[str, Any]]) -> tuple[tuple[str, int], ...]:
    """Subset → weight of the first catch-all rule (a lone destination without weight: 100)."""
    for rule in rules:
        if not catch_all(rule):
            continue
        route = rule.get("route") or []
        found: dict[str, int] = {}
        for destination in route:
            subset = (destination.get("destination") or {}).get("subset") or (
                destination.get("destination") or {}
            ).get("host", "")
            weight = destination.get("weight")
            found[subset] = found.get(subset, 0) + int(100 if weight is None else weight)
        if len(route) == 1 and route[0].get("weight") in (None, 0):
            found = {next(iter(found)): 100}
        return tuple(found.items())
    return ()


def _rules(spec: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    if spec.get("tcp"):
        return "tcp", list(spec.get("tcp") or [])
    return "http", list(spec.get("http") or [])


def _mirror_of(rules: list[Mapping[str, Any]]) -> str:
    for rule in rules:
        mirror = rule.get("mirror") or {}
        if mirror:
            return str(mirror.get("subset") or mirror.get("host") or "")
    return ""


def _match_words(rules: list[Mapping[str, Any]]) -> str:
    for rule in rules:
        for item in rule.get("match") or []:
            words = []
            for header, matcher in (item.get("headers") or {}).items():
                for how, value in (matcher or {}).items():
                    words.append(f"{header} {'=' if how == 'exact' else '~'} {value}")
            for how, value in (item.get("uri") or {}).items():
                words.append(f"uri {how} {value}")
            if words:
                return ", ".join(words)
    return ""


def strategy_type(strategy: Mapping[str, Any]) -> StrategyType:
    spec = strategy.get("spec") or {}
    _, rules = _rules((spec.get("template") or {}).get("spec") or {})
    written = str(spec.get("type") or "")
    if written == "Mirror" or _mirror_of(rules):
        return StrategyType.MIRROR
    if written.lower() == "bluegreen":
        return StrategyType.BLUE_GREEN
    if any(not catch_all(rule) for rule in rules):
        return StrategyType.CONTENT
    return StrategyType.CANARY


def _versions(spec: Mapping[str, Any], rules: list[Mapping[str, Any]]) -> tuple[str, str]:
    old = str(spec.get("principal") or "")
    seen: list[str] = []
    for rule in rules:
        for destination in rule.get("route") or []:
            subset = (destination.get("destination") or {}).get("subset")
            if subset and subset not in seen:
                seen.append(subset)
    mirror = _mirror_of(rules)
    if mirror and mirror not in seen:
        seen.append(mirror)
    if not old:
        old = seen[0] if seen else ""
    new = next((v for v in seen if v != old), "")
    return old, new


def strategy_split(
    strategy: Mapping[str, Any],
    virtual_service: Mapping[str, Any] | None,
    *,
    context: str,
    cluster: str,
) -> Split:
    """A Strategy and the VirtualService its controller generated (None: none yet)."""
    meta = meta_of(strategy)
    spec = strategy.get("spec") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    protocol, rules = _rules(template)
    old, new = _versions(spec, rules)
    hosts = template.get("hosts") or [labels_of(strategy).get("app", "")]
    kind = strategy_type(strategy)
    wanted = route_weights(rules) if kind in (StrategyType.CANARY, StrategyType.BLUE_GREEN) else ()
    notes: list[str] = []
    if virtual_service is None:
        weights: tuple[tuple[str, int], ...] = ()
        notes.append("no VirtualService yet: the controller has not routed it")
    else:
        _, vs_rules = _rules(virtual_service.get("spec") or {})
        weights = route_weights(vs_rules)
    return Split(
        context=context,
        cluster=cluster,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        source=Source.STRATEGY,
        type=kind,
        host=str(hosts[0] if hosts else ""),
        old=old,
        new=new,
        weights=weights,
        wanted=wanted,
        governor=str(spec.get("governor") or ""),
        mirror=_mirror_of(rules),
        protocol=protocol,
        policy=str(spec.get("strategyPolicy") or ""),
        resource_version=str(meta.get("resourceVersion") or ""),
        match=_match_words(rules) if kind is StrategyType.CONTENT else "",
        partial_since=last_written(strategy),
        notes=tuple(notes),
    )


def virtual_service_split(vs: Mapping[str, Any], *, context: str, cluster: str) -> Split | None:
    """A VirtualService whose catch-all rule sends to two or more subsets (§7.4); else None."""
    meta = meta_of(vs)
    protocol, rules = _rules(vs.get("spec") or {})
    weights = route_weights(rules)
    mirror = _mirror_of(rules)
    if len(weights) < 2 and not mirror:
        return None
    names = [name for name, _ in weights] + ([mirror] if mirror else [])
    hosts = (vs.get("spec") or {}).get("hosts") or [""]
    return Split(
        context=context,
        cluster=cluster,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        source=Source.VIRTUAL_SERVICE,
        type=StrategyType.MIRROR if mirror and len(weights) < 2 else StrategyType.CANARY,
        host=str(hosts[0]),
        old=names[0],
        new=names[1],
        weights=weights,
        mirror=mirror,
        protocol=protocol,
        resource_version=str(meta.get("resourceVersion") or ""),
        partial_since=last_written(vs),
    )


def http_route_split(route: Mapping[str, Any], *, context: str, cluster: str) -> Split | None:
    """An HTTPRoute whose first rule has two or more backendRefs (§7.4); else None."""
    meta = meta_of(route)
    rules = (route.get("spec") or {}).get("rules") or []
    refs = next(
        (r.get("backendRefs") or [] for r in rules if len(r.get("backendRefs") or []) > 1), []
    )
    if len(refs) < 2:
        return None
    weights = tuple((str(ref.get("name")), int(ref.get("weight", 1))) for ref in refs)
    total = sum(weight for _, weight in weights) or 1
    percent = tuple((name, round(100 * weight / total)) for name, weight in weights)
    parents = (route.get("spec") or {}).get("parentRefs") or [{}]
    return Split(
        context=context,
        cluster=cluster,
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        source=Source.HTTP_ROUTE,
        type=StrategyType.CANARY,
        host=str(parents[0].get("name") or ""),
        old=weights[0][0],
        new=weights[1][0],
        weights=percent,
        resource_version=str(meta.get("resourceVersion") or ""),
        partial_since=last_written(route),
    )


def last_written(obj: Mapping[str, Any]) -> float | None:
    """The newest `managedFields[].time` of an Update or Apply that touched `spec` (the API
    server keeps it per writer): when the routes were last changed. None where the server
    keeps no managed fields."""
    times = [
        parse_timestamp(entry.get("time") or "")
        for entry in meta_of(obj).get("managedFields") or []
        if entry.get("operation") in ("Update", "Apply")
        and "f:spec" in (entry.get("fieldsV1") or {})
    ]
    found = [t for t in times if t is not None]
    return max(found) if found else None
