"""Istio's standard metrics for the sandbox's mesh traffic, as each destination sidecar reports
them (`reporter="destination"`), per pod: `istio_requests_total` and
`istio_request_duration_milliseconds` (a histogram) for HTTP, `istio_tcp_connections_opened_total`
and `istio_tcp_sent_bytes_total`/`istio_tcp_received_bytes_total` for TCP.

Traffic goes where the routes send it, read at every scrape:

* a Service named as a VirtualService host gets requests at its rate (below); the VirtualService's
  rules for the Service's first port split them. A rule whose match has more than `port`
  (headers, uri, …) takes CONTENT_SHARE of the requests (together at most half); the first rule
  without such a match takes the rest. Within a rule, each destination gets its weight's share
  of the rule; its subset's labels (DestinationRule of that host) pick the pods. A `mirror`
  receives a copy of the rule's requests (`mirrorPercentage.value` %, default 100);
* an HTTPRoute splits its requests over its rules' `backendRefs` by weight (default 1), each a
  Service whose selector picks the pods; a `RequestMirror` filter copies them like a mirror.

A version's share is spread evenly over its ready pods. Rates and latencies are deterministic
functions of time (the same 15 s windows as the usage model) and of these annotations:

* `sandbox.kstui.io/rps` on a Service or HTTPRoute: its requests per second (default: a stable
  level of 4–40 from its name), which follows a daily wave (±25 %) and ±5 % noise per window;
* `sandbox.kstui.io/error-ratio` on a Deployment: the fraction of its requests answered `503`
  (default 0; the rest are `200`);
* `sandbox.kstui.io/p95-ms` on a Deployment: its 95th percentile latency in ms (default
  40–120, stable per workload). Latencies are log-normal (σ = 0.5) with that p95, except that the
  two buckets around the p95 are set so that Prometheus' `histogram_quantile(0.95, …)` (linear
  within a bucket) gives the p95 back, when the buckets allow it.

Counters are integrals of these rates (exposition.Counters): monotonic across scrapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kstui.sandbox.controllers.endpointslices import pods_in
from kstui.sandbox.exposition import Family, Memo, labels
from kstui.sandbox.loggen import stable_hash
from kstui.sandbox.store import Store
from kstui.sandbox.usage import BUCKET_S

ERROR_RATIO = "sandbox.kstui.io/error-ratio"
P95_MS = "sandbox.kstui.io/p95-ms"
RPS = "sandbox.kstui.io/rps"
CONTENT_SHARE = 0.1
SIGMA = 0.5
BUCKETS_MS = (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)
"""Istio's default buckets for istio_request_duration_milliseconds (up to a minute)."""
VIRTUAL_SERVICES = ("networking.istio.io", "virtualservices")
DESTINATION_RULES = ("networking.istio.io", "destinationrules")
HTTP_ROUTES = ("gateway.networking.k8s.io", "httproutes")
TCP_BYTES_PER_CONNECTION = 2_048.0


@dataclass(slots=True)
class Flow:
    """One pod's part of one route's traffic."""

    namespace: str
    service: str
    pod: str
    pod_ip: str
    workload: str
    app: str
    version: str
    tcp: bool = False
    error_ratio: float = 0.0
    p95_ms: float = 0.0
    parts: list[tuple[str, float, float]] = field(default_factory=list)
    """(route key `vs/ns/name` or `httproute/ns/name`, its rps, this pod's share of it): a pod
    can get a route's requests twice (two rules, a mirror) and two routes' requests."""

    @property
    def key(self) -> tuple[str, str, str, bool]:
        return (self.namespace, self.service, self.pod, self.tcp)


def _number(text: Any, default: float) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


def _annotations(obj: dict[str, Any]) -> dict[str, str]:
    return obj["metadata"].get("annotations") or {}


def default_rps(source: str) -> float:
    return 4.0 * 10 ** ((stable_hash("rps", source) % 1000) / 1000)


def default_p95(namespace: str, workload: str) -> float:
    return 40.0 + stable_hash("p95", namespace, workload) % 81


def rate_at(source: str, rps: float, t: float) -> float:
    """Requests per second of a route at t: its level, a daily wave, noise per 15 s window."""
    phase = (stable_hash("phase", source) % 1000) / 1000
    wave = 1 + 0.25 * math.sin(2 * math.pi * (t / 86_400 + phase))
    noise = 1 + 0.05 * ((stable_hash(source, int(t // BUCKET_S)) % 2001) / 1000 - 1)
    return rps * wave * noise


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def bucket_fractions(p95: float) -> list[float]:
    """Cumulative share of requests at or under each of BUCKETS_MS for a version's p95."""
    median = p95 / math.exp(1.6448536 * SIGMA)
    cdf = [_phi(math.log(le / median) / SIGMA) for le in BUCKETS_MS]
    for i in range(1, len(BUCKETS_MS)):
        low, high = BUCKETS_MS[i - 1], BUCKETS_MS[i]
        if low < p95 <= high:
            upper = cdf[i]
            lower = (
                (0.95 * (high - low) - upper * (p95 - low)) / (high - p95) if p95 < high else 0.95
            )
            floor = cdf[i - 2] if i >= 2 else 0.0
            if floor <= lower <= 0.95:
                cdf[i - 1] = lower
            break
    return [min(1.0, max(c, cdf[i - 1] if i else 0.0)) for i, c in enumerate(cdf)]


def mean_latency(p95: float) -> float:
    return p95 / math.exp(1.6448536 * SIGMA) * math.exp(SIGMA**2 / 2)


# ---------------------------------------------------------------------------- routes → flows


class _Namespace:
    """What routing needs of one namespace: Services, DestinationRule subsets, ready pods."""

    def __init__(self, store: Store, namespace: str) -> None:
        self.namespace = namespace
        self.services = {
            s["metadata"]["name"]: s for s in store.objects(("", "services"), namespace)
        }
        self.subsets: dict[str, dict[str, dict[str, str]]] = {}
        for rule in store.objects(DESTINATION_RULES, namespace):
            spec = rule.get("spec") or {}
            host = str(spec.get("host") or "").split(".")[0]
            self.subsets[host] = {
                s.get("name"): s.get("labels") or {} for s in spec.get("subsets") or ()
            }
        self.pods = [p for p in (e.decode() for e in pods_in(store, namespace)) if _ready(p)]
        self.deployments = {
            d["metadata"]["name"]: d for d in store.objects(("apps", "deployments"), namespace)
        }

    def pods_of(self, service: str, subset_labels: dict[str, str]) -> list[dict[str, Any]]:
        svc = self.services.get(service)
        selector = ((svc or {}).get("spec") or {}).get("selector") or {}
        if not selector:
            return []
        wanted = {**selector, **subset_labels}
        return [
            p
            for p in self.pods
            if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
        ]


def _ready(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )


def _workload(pod: dict[str, Any]) -> str:
    owner = next(
        (o for o in pod["metadata"].get("ownerReferences") or () if o.get("controller")), None
    )
    if owner is None:
        return pod["metadata"]["name"]
    if owner.get("kind") == "ReplicaSet":
        return str(owner["name"]).rsplit("-", 1)[0]
    return str(owner["name"])


def _add(
    flows: dict[tuple[str, str, str, bool], Flow],
    ns: _Namespace,
    service: str,
    subset_labels: dict[str, str],
    source: str,
    rps: float,
    share: float,
    tcp: bool,
) -> None:
    pods = ns.pods_of(service, subset_labels)
    for pod in pods:
        meta = pod["metadata"]
        pod_labels = meta.get("labels") or {}
        workload = _workload(pod)
        notes = _annotations(ns.deployments.get(workload) or {"metadata": {}})
        flow = Flow(
            ns.namespace,
            service,
            meta["name"],
            (pod.get("status") or {}).get("podIP") or "",
            workload,
            pod_labels.get("app", workload),
            pod_labels.get("version", "unknown"),
            tcp,
            min(1.0, max(0.0, _number(notes.get(ERROR_RATIO), 0.0))),
            _number(notes.get(P95_MS), 0.0) or default_p95(ns.namespace, workload),
        )
        flows.setdefault(flow.key, flow).parts.append((source, rps, share / len(pods)))


def _content(match: list[dict[str, Any]] | None) -> bool:
    return any(set(m) - {"port", "path"} or _narrow_path(m.get("path")) for m in match or ())


def _narrow_path(path: Any) -> bool:
    return isinstance(path, dict) and path.get("value", "/") != "/"


def _rule_shares(rules: list[dict[str, Any]], key: str) -> list[tuple[dict[str, Any], float]]:
    content = [r for r in rules if _content(r.get(key))]
    rest = next((r for r in rules if not _content(r.get(key))), None)
    each = min(CONTENT_SHARE, 0.5 / len(content)) if content else 0.0
    shares = [(r, each) for r in content]
    if rest is not None:
        shares.append((rest, 1.0 - each * len(content)))
    return shares


def _virtual_service_flows(flows: dict[Any, Flow], ns: _Namespace, vs: dict[str, Any]) -> None:
    spec = vs.get("spec") or {}
    host = next((str(h).split(".")[0] for h in spec.get("hosts") or () if h), "")
    service = ns.services.get(host)
    if service is None:
        return
    port = int(((service.get("spec") or {}).get("ports") or [{}])[0].get("port") or 0)
    source = f"vs/{ns.namespace}/{vs['metadata']['name']}"
    rps = _number(_annotations(service).get(RPS), 0.0) or default_rps(source)
    for protocol in ("http", "tcp"):
        rules = [
            r
            for r in spec.get(protocol) or ()
            if all(m.get("port") in (None, port) for m in r.get("match") or ())
        ]
        for rule, share in _rule_shares(rules, "match"):
            routes = rule.get("route") or []
            weights = [int(r.get("weight", 100 if len(routes) == 1 else 0) or 0) for r in routes]
            total = sum(weights)
            for route, weight in zip(routes, weights, strict=True):
                if total <= 0 or weight <= 0:
                    continue
                dest = route.get("destination") or {}
                target = str(dest.get("host") or host).split(".")[0]
                subset = ns.subsets.get(target, {}).get(str(dest.get("subset") or ""), {})
                if dest.get("subset") and not subset:
                    continue  # no such subset: Envoy answers 503 NR, no sidecar reports it
                _add(
                    flows,
                    ns,
                    target,
                    subset,
                    source,
                    rps,
                    share * weight / total,
                    protocol == "tcp",
                )
            mirror = rule.get("mirror")
            if protocol == "http" and isinstance(mirror, dict):
                percent = _number((rule.get("mirrorPercentage") or {}).get("value"), 100.0)
                target = str(mirror.get("host") or host).split(".")[0]
                subset = ns.subsets.get(target, {}).get(str(mirror.get("subset") or ""), {})
                _add(flows, ns, target, subset, source, rps, share * percent / 100, False)


def _http_route_flows(flows: dict[Any, Flow], ns: _Namespace, route: dict[str, Any]) -> None:
    spec = route.get("spec") or {}
    source = f"httproute/{ns.namespace}/{route['metadata']['name']}"
    rps = _number(_annotations(route).get(RPS), 0.0) or default_rps(source)
    for rule, share in _rule_shares(list(spec.get("rules") or ()), "matches"):
        refs = [r for r in rule.get("backendRefs") or () if r.get("kind", "Service") == "Service"]
        weights = [int(r.get("weight", 1)) for r in refs]
        total = sum(weights)
        for ref, weight in zip(refs, weights, strict=True):
            if total > 0 and weight > 0:
                _add(flows, ns, str(ref["name"]), {}, source, rps, share * weight / total, False)
        for f in rule.get("filters") or ():
            backend = (f.get("requestMirror") or {}).get("backendRef") or {}
            if f.get("type") == "RequestMirror" and backend.get("name"):
                _add(flows, ns, str(backend["name"]), {}, source, rps, share, False)


def traffic_flows(store: Store) -> list[Flow]:
    """Every pod's share of the mesh's routes, from the routes as they are now."""
    flows: dict[tuple[str, str, str, bool], Flow] = {}
    namespaces: dict[str, _Namespace] = {}

    def ns_of(name: str) -> _Namespace:
        if name not in namespaces:
            namespaces[name] = _Namespace(store, name)
        return namespaces[name]

    if store.kind_lookup is not None and store.kind_lookup(VIRTUAL_SERVICES) is not None:
        for vs in store.objects(VIRTUAL_SERVICES):
            _virtual_service_flows(flows, ns_of(vs["metadata"]["namespace"]), vs)
    if store.kind_lookup is not None and store.kind_lookup(HTTP_ROUTES) is not None:
        for route in store.objects(HTTP_ROUTES):
            _http_route_flows(flows, ns_of(route["metadata"]["namespace"]), route)
    return sorted(flows.values(), key=lambda f: f.key)


# ---------------------------------------------------------------------------- families


def istio_labels(flow: Flow, **extra: str) -> dict[str, str]:
    ns = flow.namespace
    return {
        "job": "envoy-stats",
        "instance": f"{flow.pod_ip}:15020",
        "namespace": ns,
        "pod": flow.pod,
        "reporter": "destination",
        "source_workload": "istio-ingressgateway",
        "source_workload_namespace": "istio-system",
        "source_app": "istio-ingressgateway",
        "source_version": "unknown",
        "source_canonical_service": "istio-ingressgateway",
        "source_principal": "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
        "destination_workload": flow.workload,
        "destination_workload_namespace": ns,
        "destination_app": flow.app,
        "destination_version": flow.version,
        "destination_service": f"{flow.service}.{ns}.svc.cluster.local",
        "destination_service_name": flow.service,
        "destination_service_namespace": ns,
        "destination_canonical_service": flow.app,
        "destination_canonical_revision": flow.version if flow.version != "unknown" else "latest",
        "destination_principal": f"spiffe://cluster.local/ns/{ns}/sa/default",
        "destination_cluster": "Kubernetes",
        "connection_security_policy": "mutual_tls",
        **extra,
    }


def flow_rate(flow: Flow, t: float, memo: Memo | None = None) -> float:
    """A pod's requests (TCP: connections) per second at t, every route it gets them from."""
    total = 0.0
    for source, rps, share in flow.parts:
        key = ("istio", source, int(t // BUCKET_S))
        level = rate_at(source, rps, t) if memo is None else memo.get(key, _level(source, rps, t))
        total += float(level) * share
    return total


def _level(source: str, rps: float, t: float) -> Callable[[], float]:
    return lambda: rate_at(source, rps, t)


def _rate(flow: Flow, memo: Memo, factor: float) -> Callable[[float], float]:
    return lambda t: flow_rate(flow, t, memo) * factor


def istio_families(flows: list[Flow], memo: Memo) -> list[Family]:
    requests = Family("istio_requests_total", "counter")
    buckets = Family("istio_request_duration_milliseconds_bucket", "counter")
    sums = Family("istio_request_duration_milliseconds_sum", "counter")
    counts = Family("istio_request_duration_milliseconds_count", "counter")
    opened = Family("istio_tcp_connections_opened_total", "counter")
    sent = Family("istio_tcp_sent_bytes_total", "counter")
    received = Family("istio_tcp_received_bytes_total", "counter")
    for flow in flows:
        if flow.tcp:
            common = istio_labels(flow, request_protocol="tcp", response_flags="-")
            opened.series.append((labels(common), _rate(flow, memo, 1.0)))
            sent.series.append((labels(common), _rate(flow, memo, TCP_BYTES_PER_CONNECTION * 4)))
            received.series.append((labels(common), _rate(flow, memo, TCP_BYTES_PER_CONNECTION)))
            continue
        fractions = bucket_fractions(flow.p95_ms)
        mean = mean_latency(flow.p95_ms)
        codes = [("200", 1.0 - flow.error_ratio), ("503", flow.error_ratio)]
        for code, part in codes:
            if part <= 0:
                continue
            common = istio_labels(
                flow,
                request_protocol="http",
                response_code=code,
                grpc_response_status="",
                response_flags="-" if code == "200" else "URX",
            )
            requests.series.append((labels(common), _rate(flow, memo, part)))
            for le, fraction in zip(BUCKETS_MS, fractions, strict=True):
                le_labels = labels({**common, "le": f"{le:g}"})
                buckets.series.append((le_labels, _rate(flow, memo, part * fraction)))
            buckets.series.append((labels({**common, "le": "+Inf"}), _rate(flow, memo, part)))
            sums.series.append((labels(common), _rate(flow, memo, part * mean)))
            counts.series.append((labels(common), _rate(flow, memo, part)))
    return [f for f in (requests, buckets, sums, counts, opened, sent, received) if f.series]
