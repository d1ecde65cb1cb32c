"""metrics.k8s.io/v1beta1: PodMetrics and NodeMetrics computed from the usage model.

Only running pods report usage, as metrics-server does; a node's usage is its pods' plus the
system overhead the model gives it.

Like metrics-server, which answers from its last scrape, usage is computed once per 15 s
window: each pod's figures are kept for the window (until the pod or its spike changes), and a
whole answer is kept until the window passes or the store is written to. Asking twice within a
window costs a lookup, and the answers equal what the exporter reports for that window.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from kstui.sandbox.api import Call, respond
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.selectors import parse_label_selector
from kstui.sandbox.spikes import SPIKE_ANNOTATION, Spike, SpikeIndex, parse_spike
from kstui.sandbox.status import ApiError
from kstui.sandbox.store import Entry, Store
from kstui.sandbox.usage import container_usage, format_cpu, format_memory, node_overhead

WINDOW_SECONDS = 15
PODS = ("", "pods")
NODES = ("", "nodes")


def _window(now: datetime) -> datetime:
    """metrics-server scrapes every 15 s; usage is reported at the start of the window."""
    seconds = int(now.timestamp()) // WINDOW_SECONDS * WINDOW_SECONDS
    return datetime.fromtimestamp(seconds, tz=now.tzinfo)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What of a pod its usage depends on, read once per resourceVersion (not per window)."""

    rv: int
    node: str
    running: bool
    containers: tuple[tuple[str, dict[str, str] | None, dict[str, str] | None], ...]
    """(name, requests, limits) of each container."""
    own_spike: Spike | None


@dataclass(slots=True)
class _PodUsage:
    """One pod's figures for a window, valid while its resourceVersion and spike stay."""

    shape: _Shape
    owners_spike: Spike | None
    """What its owners said when it was computed (its own annotation goes with its rv)."""
    usages: list[tuple[str, int, int]]
    """(container, nanocores, bytes) of each container."""
    cpu: int
    memory: int
    metrics: dict[str, Any] | None = None
    """Its PodMetrics, made when first asked for."""


@dataclass(slots=True)
class _Window:
    """What one store's metrics.k8s.io computed for one window."""

    at: datetime
    shapes: dict[tuple[str, str], _Shape] = field(default_factory=dict)
    spikes_rv: int = -1
    spikes: SpikeIndex | None = None
    pods: dict[tuple[str, str], _PodUsage] = field(default_factory=dict)
    answers_rv: int = -1
    answers: dict[tuple[str, ...], bytes] = field(default_factory=dict)
    stamp: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        self.stamp = rfc3339(self.at)
        self.created = rfc3339(self.at + timedelta(seconds=WINDOW_SECONDS))


_WINDOWS: weakref.WeakKeyDictionary[Store, _Window] = weakref.WeakKeyDictionary()


def _memo(store: Store, at: datetime) -> _Window:
    memo = _WINDOWS.get(store)
    if memo is None or memo.at != at:
        memo = _WINDOWS[store] = _Window(at, shapes=memo.shapes if memo else {})
    if memo.answers_rv != store.rv:
        memo.answers_rv, memo.answers = store.rv, {}
    return memo


def _spike_index(store: Store, memo: _Window) -> SpikeIndex:
    if memo.spikes is None or memo.spikes_rv != store.rv:
        memo.spikes, memo.spikes_rv = SpikeIndex(store), store.rv
    return memo.spikes


def _shape(entry: Entry, memo: _Window) -> _Shape:
    key = (entry.namespace, entry.name)
    known = memo.shapes.get(key)
    if known is not None and known.rv == entry.rv:
        return known
    pod = entry.decode()
    spec = pod.get("spec") or {}
    containers = tuple(
        (
            c["name"],
            (c.get("resources") or {}).get("requests"),
            (c.get("resources") or {}).get("limits"),
        )
        for c in spec.get("containers") or []
    )
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    shape = memo.shapes[key] = _Shape(
        entry.rv,
        spec.get("nodeName") or "",
        (pod.get("status") or {}).get("phase") == "Running",
        containers,
        parse_spike(annotations.get(SPIKE_ANNOTATION)),
    )
    return shape


def _pod_usage(entry: Entry, memo: _Window, spikes: SpikeIndex) -> _PodUsage:
    """The pod's figures for the window, computed only when it (or its spike) changed."""
    key = (entry.namespace, entry.name)
    owners_spike = spikes.by_pod.get(key)
    known = memo.pods.get(key)
    if known is not None and known.shape.rv == entry.rv and known.owners_spike == owners_spike:
        return known
    shape = _shape(entry, memo)
    spike = shape.own_spike or owners_spike
    usages = []
    for name, requests, limits in shape.containers:
        cpu, memory = container_usage(
            entry.namespace, entry.name, name, memo.at, requests, limits, spike
        )
        usages.append((name, cpu, memory))
    found = memo.pods[key] = _PodUsage(
        shape,
        owners_spike,
        usages,
        sum(cpu for _, cpu, _ in usages),
        sum(memory for _, _, memory in usages),
    )
    return found


def _pod_metrics(entry: Entry, usage: _PodUsage, memo: _Window) -> dict[str, Any] | None:
    """Its PodMetrics (None when it is not running: metrics-server has none)."""
    if not usage.shape.running:
        return None
    if usage.metrics is None:
        usage.metrics = {
            "kind": "PodMetrics",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {
                "name": entry.name,
                "namespace": entry.namespace,
                "creationTimestamp": memo.created,
                "labels": entry.labels,
            },
            "timestamp": memo.stamp,
            "window": f"{WINDOW_SECONDS}s",
            "containers": [
                {"name": name, "usage": {"cpu": format_cpu(cpu), "memory": format_memory(memory)}}
                for name, cpu, memory in usage.usages
            ],
        }
    return usage.metrics


def _node_metrics(node: Entry, on_it: tuple[int, int], memo: _Window) -> dict[str, Any]:
    name = node.name
    cpu, memory = node_overhead(name, memo.at)
    return {
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": name, "creationTimestamp": memo.stamp, "labels": node.labels},
        "timestamp": memo.stamp,
        "window": f"{WINDOW_SECONDS}s",
        "usage": {"cpu": format_cpu(cpu + on_it[0]), "memory": format_memory(memory + on_it[1])},
    }


def _by_node(store: Store, memo: _Window, spikes: SpikeIndex) -> dict[str, tuple[int, int]]:
    """The running pods' usage summed per node (and the window's memo pruned of gone pods)."""
    sums: dict[str, tuple[int, int]] = {}
    seen: dict[tuple[str, str], _PodUsage] = {}
    for entry in store.select(PODS):
        usage = seen[(entry.namespace, entry.name)] = _pod_usage(entry, memo, spikes)
        node = usage.shape.node
        if usage.shape.running and node:
            cpu, memory = sums.get(node, (0, 0))
            sums[node] = (cpu + usage.cpu, memory + usage.memory)
    memo.pods = seen
    memo.shapes = {key: usage.shape for key, usage in seen.items()}
    return sums


def _answer(call: Call, memo: _Window) -> dict[str, Any]:
    store = call.store
    labels = parse_label_selector(call.query.get("labelSelector"))
    spikes = _spike_index(store, memo)
    if call.info.resource == "pods":
        if call.info.name:
            entry = store.entry(PODS, call.info.namespace, call.info.name)
            one = (
                None
                if entry is None
                else _pod_metrics(entry, _pod_usage(entry, memo, spikes), memo)
            )
            if one is None:
                raise ApiError.not_found("pods", call.info.name, "metrics.k8s.io")
            return one
        selected = store.select(PODS, call.info.namespace or None, labels)
        found = [_pod_metrics(entry, _pod_usage(entry, memo, spikes), memo) for entry in selected]
        return {
            "kind": "PodMetricsList",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": [one for one in found if one is not None],
        }
    sums = _by_node(store, memo, spikes)
    if call.info.name:
        node = store.entry(NODES, "", call.info.name)
        if node is None:
            raise ApiError.not_found("nodes", call.info.name, "metrics.k8s.io")
        return _node_metrics(node, sums.get(node.name, (0, 0)), memo)
    nodes = store.select(NODES, None, labels)
    return {
        "kind": "NodeMetricsList",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {},
        "items": [_node_metrics(n, sums.get(n.name, (0, 0)), memo) for n in nodes],
    }


async def metrics(call: Call) -> web.Response:
    memo = _memo(call.store, _window(call.cluster.clock.now()))
    info = call.info
    key = (info.resource, info.namespace, info.name, call.query.get("labelSelector") or "")
    body = memo.answers.get(key)
    if body is None:
        body = memo.answers[key] = orjson.dumps(_answer(call, memo))
    return respond(body)
