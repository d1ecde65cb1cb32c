"""metrics.k8s.io/v1beta1: PodMetrics and NodeMetrics computed from the usage model.

Only running pods report usage, as metrics-server does; a node's usage is its pods' plus the
system overhead the model gives it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from kstui.sandbox.api import Call, respond
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.selectors import parse_label_selector
from kstui.sandbox.spikes import SpikeIndex
from kstui.sandbox.status import ApiError
from kstui.sandbox.usage import container_usage, format_cpu, format_memory, node_overhead

WINDOW_SECONDS = 15


def _window(now: datetime) -> datetime:
    """metrics-server scrapes every 15 s; usage is reported at the start of the window."""
    seconds = int(now.timestamp()) // WINDOW_SECONDS * WINDOW_SECONDS
    return datetime.fromtimestamp(seconds, tz=now.tzinfo)


def _container_usages(
    pod: dict[str, Any], at: datetime, spikes: SpikeIndex
) -> list[tuple[str, int, int]]:
    """(container, nanocores, bytes) for each container of a pod (spiking when told to)."""
    meta = pod["metadata"]
    spike = spikes.of(pod)
    usages = []
    for container in pod["spec"].get("containers") or []:
        resources = container.get("resources") or {}
        cpu, memory = container_usage(
            meta["namespace"],
            meta["name"],
            container["name"],
            at,
            resources.get("requests"),
            resources.get("limits"),
            spike,
        )
        usages.append((container["name"], cpu, memory))
    return usages


def _running(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running"


def _pod_metrics(pod: dict[str, Any], at: datetime, spikes: SpikeIndex) -> dict[str, Any]:
    meta = pod["metadata"]
    return {
        "kind": "PodMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "creationTimestamp": rfc3339(at + timedelta(seconds=WINDOW_SECONDS)),
            "labels": meta.get("labels") or {},
        },
        "timestamp": rfc3339(at),
        "window": f"{WINDOW_SECONDS}s",
        "containers": [
            {"name": name, "usage": {"cpu": format_cpu(cpu), "memory": format_memory(memory)}}
            for name, cpu, memory in _container_usages(pod, at, spikes)
        ],
    }


def _node_metrics(
    node: dict[str, Any], pods: list[dict[str, Any]], at: datetime, spikes: SpikeIndex
) -> dict:
    name = node["metadata"]["name"]
    cpu, memory = node_overhead(name, at)
    for pod in pods:
        if pod["spec"].get("nodeName") != name or not _running(pod):
            continue
        for _, container_cpu, container_memory in _container_usages(pod, at, spikes):
            cpu += container_cpu
            memory += container_memory
    return {
        "kind": "NodeMetrics",
        "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {
            "name": name,
            "creationTimestamp": rfc3339(at),
            "labels": node["metadata"].get("labels") or {},
        },
        "timestamp": rfc3339(at),
        "window": f"{WINDOW_SECONDS}s",
        "usage": {"cpu": format_cpu(cpu), "memory": format_memory(memory)},
    }


async def metrics(call: Call) -> web.Response:
    store = call.store
    at = _window(call.cluster.clock.now())
    labels = parse_label_selector(call.query.get("labelSelector"))
    spikes = SpikeIndex(store)
    if call.info.resource == "pods":
        if call.info.name:
            pod = store.get(("", "pods"), call.info.namespace, call.info.name)
            if pod is None or not _running(pod):
                raise ApiError.not_found("pods", call.info.name, "metrics.k8s.io")
            return respond(_pod_metrics(pod, at, spikes))
        pods = [e.decode() for e in store.select(("", "pods"), call.info.namespace or None, labels)]
        running = [_pod_metrics(pod, at, spikes) for pod in pods if _running(pod)]
        return respond(
            {
                "kind": "PodMetricsList",
                "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {},
                "items": running,
            }
        )
    pods = store.objects(("", "pods"))
    if call.info.name:
        node = store.get(("", "nodes"), "", call.info.name)
        if node is None:
            raise ApiError.not_found("nodes", call.info.name, "metrics.k8s.io")
        return respond(_node_metrics(node, pods, at, spikes))
    nodes = [e.decode() for e in store.select(("", "nodes"), None, labels)]
    return respond(
        {
            "kind": "NodeMetricsList",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": [_node_metrics(n, pods, at, spikes) for n in nodes],
        }
    )
