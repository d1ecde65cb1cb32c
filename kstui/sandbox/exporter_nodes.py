"""node-exporter's series (and the kube-state-metrics ones about nodes) for the sandbox's
nodes: a node is busy with its pods plus its own overhead, as NodeMetrics says."""

from __future__ import annotations

from collections.abc import Callable

from kstui.sandbox.exporter import (
    MONITORING_NAMESPACE,
    NodeRef,
    PodRef,
    Snapshot,
    at_window,
    ksm_labels,
    one,
    pod_network,
)
from kstui.sandbox.exposition import Family, Memo, constant, labels, scaled
from kstui.sandbox.usage import BUCKET_S, NANO, node_overhead

USER_SHARE = 0.7  # of a node's busy CPU time; the rest is system
NODE_NET_OVERHEAD = 20_000.0  # bytes/s a node sends and receives beside its pods
_KIB = 1024


def node_exporter_labels(node: NodeRef, **extra: str) -> dict[str, str]:
    return {
        "job": "node-exporter",
        "instance": node.name,
        "namespace": MONITORING_NAMESPACE,
        "pod": node.exporter_pod,
        **extra,
    }


def node_busy(node: NodeRef, pods: list[PodRef], t: float) -> tuple[float, float]:
    """(cores, bytes) a node uses at t: its pods' plus its own overhead, as NodeMetrics."""
    cpu, memory = node_overhead(node.name, at_window(t))
    for pod in pods:
        if pod.node == node.name and pod.running:
            for c_cpu, c_mem in pod.usage(t):
                cpu += c_cpu
                memory += c_mem
    return cpu / NANO, float(memory)


def node_network(node: NodeRef, pods: list[PodRef], t: float) -> tuple[float, float]:
    rx = tx = NODE_NET_OVERHEAD
    for pod in pods:
        if pod.node == node.name and pod.running:
            p_rx, p_tx = pod_network(pod.namespace, pod.name, t)
            rx, tx = rx + p_rx, tx + p_tx
    return rx, tx


def _share(spare: float, fraction: float) -> float:
    return spare * fraction // _KIB * _KIB


def _idle(used: Callable[[float], tuple[float, float]], cpus: int) -> Callable[[float], float]:
    return lambda t: max(0.0, cpus - used(t)[0]) / cpus


def _memory(
    used: Callable[[float], tuple[float, float]], size: float
) -> Callable[[float], tuple[float, ...]]:
    """(available, free, cached, buffers, slab): free + cached + buffers + slab is exactly
    what the node does not use, so KubeSphere's `total - available` is NodeMetrics' memory."""

    def split(t: float) -> tuple[float, ...]:
        spare = max(0.0, size - used(t)[1])
        cached, buffers = _share(spare, 0.3), _share(spare, 0.05)
        return spare, spare - cached - 2 * buffers, cached, buffers, buffers

    return split


def node_families(snap: Snapshot, memo: Memo, *, live: bool) -> list[Family]:
    cpu = Family("node_cpu_seconds_total", "counter")
    total = Family("node_memory_MemTotal_bytes", "gauge", steady=True)
    free = Family("node_memory_MemFree_bytes", "gauge")
    cached = Family("node_memory_Cached_bytes", "gauge")
    buffers = Family("node_memory_Buffers_bytes", "gauge")
    slab = Family("node_memory_SReclaimable_bytes", "gauge")
    available = Family("node_memory_MemAvailable_bytes", "gauge")
    rx = Family("node_network_receive_bytes_total", "counter")
    tx = Family("node_network_transmit_bytes_total", "counter")
    info = Family("kube_node_info", "gauge", steady=True)
    capacity = Family("kube_node_status_capacity", "gauge")
    ready = Family("kube_node_status_condition", "gauge")
    exporter_pods = Family("kube_pod_info", "gauge", steady=True)

    def busy(node: NodeRef) -> Callable[[float], tuple[float, float]]:
        told = tuple(
            (p.namespace, p.name, p.spike) for p in snap.pods if p.spike and p.node == node.name
        )
        return lambda t: memo.get(
            ("node", node.name, t // BUCKET_S, told), lambda: node_busy(node, snap.pods, t)
        )

    def net(node: NodeRef) -> Callable[[float], tuple[float, float]]:
        return lambda t: memo.get(
            ("nodenet", node.name, t // BUCKET_S), lambda: node_network(node, snap.pods, t)
        )

    for node in snap.nodes:
        used, traffic, n = busy(node), net(node), node.cpus
        for index in range(n):
            for mode, share in (("user", USER_SHARE), ("system", 1 - USER_SHARE)):
                cpu.series.append(
                    (
                        labels(node_exporter_labels(node, cpu=str(index), mode=mode)),
                        scaled(used, 0, share / n),
                    )
                )
            cpu.series.append(
                (
                    labels(node_exporter_labels(node, cpu=str(index), mode="idle")),
                    _idle(used, n),
                )
            )
        size = float(node.memory)
        memory = _memory(used, size)  # (available, free, cached, buffers, reclaimable slab)
        plain = labels(node_exporter_labels(node))
        total.series.append((plain, constant(size)))
        for index, family in enumerate((available, free, cached, buffers, slab)):
            family.series.append((plain, scaled(memory, index)))
        device = labels(node_exporter_labels(node, device="eth0"))
        rx.series.append((device, scaled(traffic, 0)))
        tx.series.append((device, scaled(traffic, 1)))
        exporter_pods.series.append(
            (
                labels(
                    ksm_labels(
                        namespace=MONITORING_NAMESPACE,
                        pod=node.exporter_pod,
                        uid="",
                        node=node.name,
                        host_ip=node.ip,
                        pod_ip=node.ip,
                        created_by_kind="DaemonSet",
                        created_by_name="node-exporter",
                    )
                ),
                one,
            )
        )
        info.series.append((labels(ksm_labels(node=node.name, internal_ip=node.ip)), one))
        if live:
            for resource, unit, amount in (
                ("cpu", "core", float(n)),
                ("memory", "byte", size),
                ("pods", "integer", 110.0),
            ):
                capacity.series.append(
                    (
                        labels(ksm_labels(node=node.name, resource=resource, unit=unit)),
                        constant(amount),
                    )
                )
            for status in ("true", "false", "unknown"):
                value = 1.0 if status == "true" else 0.0
                ready.series.append(
                    (
                        labels(ksm_labels(node=node.name, condition="Ready", status=status)),
                        constant(value),
                    )
                )
    # kube_pod_info of the node-exporter pods joins the family of the same name above
    return [
        cpu,
        total,
        free,
        cached,
        buffers,
        slab,
        available,
        rx,
        tx,
        info,
        exporter_pods,
        *((capacity, ready) if live else ()),
    ]
