"""The series kubelet/cAdvisor, kube-state-metrics and node-exporter would export for one
sandbox cluster, computed from the usage model (usage.py): Prometheus agrees with
metrics.k8s.io because both read the same function at the same 15 s window.

Counters are integrals of the model's rates, kept per series: the backfilled history hands its
last values to the live exporter, so a counter never resets between the two. The labels are the
ones KubeSphere's PromQL templates select and join on (`job`, `namespace`, `pod`, `container`,
`image`, `interface`, `owner_kind`/`owner_name`, `node`, `workspace`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kstui.sandbox.exporter_istio import Flow, traffic_flows
from kstui.sandbox.exposition import Family, Memo, constant, labels
from kstui.sandbox.loggen import stable_hash
from kstui.sandbox.spikes import Spike, SpikeIndex
from kstui.sandbox.store import Entry, Store
from kstui.sandbox.usage import (
    BUCKET_S,
    NANO,
    container_usage,
    cpu_nanocores,
    memory_bytes,
)

MONITORING_NAMESPACE = "kubesphere-monitoring-system"


def at_window(t: float) -> datetime:
    """The start of the 15 s window holding t, where the usage model is read."""
    return datetime.fromtimestamp(t // BUCKET_S * BUCKET_S, tz=UTC)


def pod_network(namespace: str, pod: str, t: float) -> tuple[float, float]:
    """(received, transmitted) bytes/s of a pod at t: a stable level, waves, 15 s noise."""
    seed = stable_hash("net", namespace, pod)
    level = 2_000 * 500 ** ((seed % 10_007) / 10_007)  # 2 KB/s .. 1 MB/s, log-uniform
    phase = (seed >> 20) % 1000 / 1000
    wave = (
        1
        + 0.3 * math.sin(2 * math.pi * (t / 86_400 + phase))
        + 0.1 * math.sin(2 * math.pi * (t / 3_600 + 2 * phase))
    )
    bucket = int(t // BUCKET_S)
    noise = 1 + 0.1 * ((stable_hash(seed, bucket) % 2001) / 1000 - 1)
    rx = level * wave * noise
    return rx, rx * (0.3 + ((seed >> 40) % 100) / 100)


@dataclass(slots=True)
class ContainerRef:
    name: str
    image: str
    requests: dict[str, str]
    limits: dict[str, str]
    restarts: int = 0


@dataclass(slots=True)
class PodRef:
    namespace: str
    name: str
    uid: str
    node: str
    host_ip: str
    pod_ip: str
    phase: str
    owner_kind: str
    owner_name: str
    created: float
    containers: list[ContainerRef] = field(default_factory=list)
    spike: Spike | None = None
    """Its workload told to spike (spikes.py): the model's usage jumps while it is active."""

    @property
    def running(self) -> bool:
        return self.phase == "Running" and bool(self.node)

    def usage(self, t: float) -> list[tuple[int, int]]:
        """(nanocores, bytes) per container at the 15 s window holding t."""
        at = at_window(t)
        return [
            container_usage(self.namespace, self.name, c.name, at, c.requests, c.limits, self.spike)
            for c in self.containers
        ]


@dataclass(slots=True)
class NodeRef:
    name: str
    ip: str
    cpus: int
    memory: int

    @property
    def exporter_pod(self) -> str:
        return f"node-exporter-{stable_hash('node-exporter', self.name) % 36**5:05x}"[:19]


@dataclass(slots=True)
class Snapshot:
    nodes: list[NodeRef]
    pods: list[PodRef]
    workspaces: dict[str, str]  # namespace -> workspace ("" when none)
    flows: list[Flow] = field(default_factory=list)
    """The mesh's traffic per pod, as the routes send it now (exporter_istio.py)."""


def _epoch(text: str | None) -> float:
    if not text:
        return 0.0
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


NODES, PODS, NAMESPACES = ("", "nodes"), ("", "pods"), ("", "namespaces")


@dataclass(slots=True)
class Gathered:
    """What a snapshot reads of the store, taken at once where the store lives (its loop):
    the stored entries (never changed in place: an update stores a new one), the spiking
    pods and the mesh's flows. Made into a Snapshot anywhere (another thread) after."""

    nodes: list[Entry]
    pods: list[Entry]
    namespaces: list[Entry]
    spikes: SpikeIndex
    flows: list[Flow]


def gather(store: Store) -> Gathered:
    return Gathered(
        list(store.select(NODES)),
        list(store.select(PODS)),
        list(store.select(NAMESPACES)),
        SpikeIndex(store),
        traffic_flows(store),
    )


PodRefs = dict[tuple[str, str], tuple[Entry, PodRef]]
"""Pods already read, by (namespace, name), with the entry they were read from: a scrape
decodes only the pods that changed since the last one."""


def snapshot(store: Store) -> Snapshot:
    return built(gather(store))


def built(found: Gathered, refs: PodRefs | None = None) -> Snapshot:
    nodes = []
    for entry in found.nodes:
        node = entry.decode()
        status = node.get("status") or {}
        capacity = status.get("capacity") or {}
        ip = next(
            (a["address"] for a in status.get("addresses") or [] if a.get("type") == "InternalIP"),
            "",
        )
        nodes.append(
            NodeRef(
                node["metadata"]["name"],
                ip,
                max(1, cpu_nanocores(capacity.get("cpu", "1")) // NANO),
                memory_bytes(capacity.get("memory", "1Gi")),
            )
        )
    pods = []
    kept: PodRefs = {}
    for entry in found.pods:
        key = (entry.namespace, entry.name)
        cached = refs.get(key) if refs is not None else None
        ref = cached[1] if cached is not None and cached[0] is entry else _pod_ref(entry.decode())
        ref.spike = found.spikes.of_entry(entry)
        kept[key] = (entry, ref)
        pods.append(ref)
    if refs is not None:
        refs.clear()
        refs.update(kept)
    workspaces = {
        entry.name: (entry.labels or {}).get("kubesphere.io/workspace", "")
        for entry in found.namespaces
    }
    return Snapshot(nodes, pods, workspaces, found.flows)


def _pod_ref(pod: dict[str, Any]) -> PodRef:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    owner = next(
        (o for o in meta.get("ownerReferences") or [] if o.get("controller")),
        {"kind": "<none>", "name": "<none>"},
    )
    restarts = {
        s.get("name"): int(s.get("restartCount") or 0)
        for s in status.get("containerStatuses") or []
    }
    ref = PodRef(
        meta["namespace"],
        meta["name"],
        meta.get("uid", ""),
        spec.get("nodeName") or "",
        status.get("hostIP") or "",
        status.get("podIP") or "",
        status.get("phase") or "Unknown",
        owner.get("kind", ""),
        owner.get("name", ""),
        _epoch(meta.get("creationTimestamp")),
    )
    for c in spec.get("containers") or []:
        resources = c.get("resources") or {}
        ref.containers.append(
            ContainerRef(
                c["name"],
                c.get("image") or "",
                dict(resources.get("requests") or {}),
                dict(resources.get("limits") or {}),
                restarts.get(c["name"], 0),
            )
        )
    return ref


# ---------------------------------------------------------------------------- series labels


def cadvisor_labels(node: NodeRef | None, pod: PodRef, **extra: str) -> dict[str, str]:
    return {
        "job": "kubelet",
        "instance": f"{node.ip if node else pod.host_ip}:10250",
        "node": pod.node,
        "namespace": pod.namespace,
        "pod": pod.name,
        **extra,
    }


def ksm_labels(**pairs: str) -> dict[str, str]:
    return {"job": "kube-state-metrics", "instance": "kube-state-metrics", **pairs}


def _ramp(count: float, start: float, end: float) -> Callable[[float], float]:
    return lambda t: float(int(count * (t - start) / max(end - start, 1.0)))


def _amount(resource: str, quantity: str) -> float:
    return cpu_nanocores(quantity) / NANO if resource == "cpu" else float(memory_bytes(quantity))


def one(_t: float) -> float:
    return 1.0


SeriesCache = dict[tuple[str, str], tuple[PodRef, str | None, list[list[Any]]]]
"""A live exporter's series per pod, kept while the pod (its PodRef) and its node's address
stay: a scrape formats only the changed pods' labels."""


def pod_families(
    snap: Snapshot,
    memo: Memo,
    *,
    live: bool,
    span: tuple[float, float] | None = None,
    cache: SeriesCache | None = None,
) -> list[Family]:
    """The pods' families (cAdvisor and kube-state-metrics); `live` adds the state-now ones
    (phase, requests, limits) that the history leaves out to stay small. Over a history's
    `span` a container's restarts grow evenly to today's count (a crash loop shows in it).
    A `cache` (live only) keeps each pod's series from one call to the next."""
    nodes = {n.name: n for n in snap.nodes}
    cpu = Family("container_cpu_usage_seconds_total", "counter")
    wss = Family("container_memory_working_set_bytes", "gauge")
    rx = Family("container_network_receive_bytes_total", "counter")
    tx = Family("container_network_transmit_bytes_total", "counter")
    info = Family("kube_pod_info", "gauge", steady=True)
    owner = Family("kube_pod_owner", "gauge", steady=True)
    restarts = Family(
        "kube_pod_container_status_restarts_total", "counter", steady=True, counted=True
    )
    phase = Family("kube_pod_status_phase", "gauge")
    requests = Family("kube_pod_container_resource_requests", "gauge")
    limits = Family("kube_pod_container_resource_limits", "gauge")

    def usage_of(pod: PodRef, index: int, which: int) -> Callable[[float], float]:
        def value(t: float) -> float:
            usage = memo.get(
                ("pod", pod.namespace, pod.name, t // BUCKET_S, pod.spike), lambda: pod.usage(t)
            )
            return usage[index][which] / (NANO if which == 0 else 1)

        return value

    def net_of(pod: PodRef, which: int) -> Callable[[float], float]:
        def value(t: float) -> float:
            net = memo.get(
                ("net", pod.namespace, pod.name, t // BUCKET_S),
                lambda: pod_network(pod.namespace, pod.name, t),
            )
            return float(net[which])

        return value

    every = (cpu, wss, rx, tx, info, owner, restarts, phase, requests, limits)
    kept: SeriesCache = {}
    if span is not None:
        cache = None
    for pod in snap.pods:
        node = nodes.get(pod.node)
        key, address = (pod.namespace, pod.name), node.ip if node else None
        hit = cache.get(key) if cache is not None else None
        if hit is not None and hit[0] is pod and hit[1] == address:
            for family, part in zip(every, hit[2], strict=True):
                family.series.extend(part)
            kept[key] = hit
            continue
        marks = [len(family.series) for family in every]
        if pod.running:
            for index, c in enumerate(pod.containers):
                common = cadvisor_labels(node, pod, container=c.name, image=c.image)
                cpu.series.append((labels({**common, "cpu": "total"}), usage_of(pod, index, 0)))
                wss.series.append((labels(common), usage_of(pod, index, 1)))
            net_labels = cadvisor_labels(node, pod, container="", image="", interface="eth0")
            rx.series.append((labels(net_labels), net_of(pod, 0)))
            tx.series.append((labels(net_labels), net_of(pod, 1)))
        ident = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid}
        info.series.append(
            (
                labels(
                    ksm_labels(
                        **ident,
                        node=pod.node,
                        host_ip=pod.host_ip,
                        pod_ip=pod.pod_ip,
                        created_by_kind=pod.owner_kind,
                        created_by_name=pod.owner_name,
                    )
                ),
                one,
            )
        )
        owner.series.append(
            (
                labels(
                    ksm_labels(
                        **ident,
                        owner_kind=pod.owner_kind,
                        owner_name=pod.owner_name,
                        owner_is_controller="true",
                    )
                ),
                one,
            )
        )
        for c in pod.containers:
            count = float(c.restarts)
            grown = _ramp(count, *span) if span and count else constant(count)
            restarts.series.append((labels(ksm_labels(**ident, container=c.name)), grown))
            if live:
                for family, values in ((requests, c.requests), (limits, c.limits)):
                    for resource, unit in (("cpu", "core"), ("memory", "byte")):
                        if resource in values:
                            amount = _amount(resource, values[resource])
                            family.series.append(
                                (
                                    labels(
                                        ksm_labels(
                                            **ident,
                                            container=c.name,
                                            node=pod.node,
                                            resource=resource,
                                            unit=unit,
                                        )
                                    ),
                                    constant(amount),
                                )
                            )
        if live:
            for name in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
                value = 1.0 if pod.phase == name else 0.0
                phase.series.append((labels(ksm_labels(**ident, phase=name)), constant(value)))
        if cache is not None:
            parts = [f.series[m:] for f, m in zip(every, marks, strict=True)]
            kept[key] = (pod, address, parts)
    if cache is not None:
        cache.clear()
        cache.update(kept)
    return [
        cpu,
        wss,
        rx,
        tx,
        info,
        owner,
        restarts,
        *((phase, requests, limits) if live else ()),
        *_namespace_families(snap),
    ]


def _namespace_families(snap: Snapshot) -> list[Family]:
    family = Family("kube_namespace_labels", "gauge", steady=True)
    for namespace, workspace in sorted(snap.workspaces.items()):
        pairs = {"namespace": namespace}
        if workspace:
            pairs |= {"label_kubesphere_io_workspace": workspace, "workspace": workspace}
        family.series.append((labels(ksm_labels(**pairs)), one))
    return [family]
