"""PromQL for CPU, memory and network at every drill-down level (pure).

The expressions are KubeSphere's (v3.4.1 `pkg/simple/client/monitoring/prometheus/promql.go`,
API.md §9.3), so the numbers are the console's: `pod_*` and `container_*` verbatim (but for
the right-hand sides of their joins, one series per pod: `_one_per_pod`); the levels
whose templates read KubeSphere's recording rules (`node:node_cpu_utilisation:avg1m`,
`namespace:container_cpu_usage_seconds_total:sum_rate`, `namespace:workload_cpu_usage:sum`, ...)
use the rules' own expressions in their place, so any Prometheus that scrapes kubelet,
kube-state-metrics and node-exporter answers, with or without KubeSphere's rules installed.

Units: CPU in cores, memory in bytes (the working set: KubeSphere's `*_memory_usage_wo_cache`),
network in bytes per second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["cluster", "node", "workspace", "namespace", "workload", "pod", "container"]
Metric = Literal["cpu", "memory", "net_out", "net_in"]
LEVELS: tuple[Level, ...] = (
    "cluster",
    "node",
    "workspace",
    "namespace",
    "workload",
    "pod",
    "container",
)
METRICS: tuple[Metric, ...] = ("cpu", "memory", "net_out", "net_in")
KUBESPHERE_NAMES = {"cpu": "cpu_usage", "memory": "memory_usage_wo_cache"} | {
    "net_out": "net_bytes_transmitted",
    "net_in": "net_bytes_received",
}
"""kstui's metric → KubeSphere's metric name after the level (`pod_cpu_usage`, ...)."""

WINDOWS: dict[str, tuple[int, int]] = {
    "15m": (900, 15),
    "1h": (3_600, 60),
    "6h": (21_600, 300),
    "24h": (86_400, 600),
    "7d": (604_800, 3_600),
}
"""Window → (seconds, step seconds): 60 to 168 points each, what a chart of 80–160 columns
can show."""

_VIRTUAL = "^(cali.+|tunl.+|dummy.+|kube.+|flannel.+|cni.+|docker.+|veth.+|lo.*)"
_IFACES = f'interface!~"{_VIRTUAL}"'
_DEVICES = f'device!~"{_VIRTUAL}"'
_BUSY_MODES = 'mode=~"user|nice|system|iowait|irq|softirq"'
_KSM = 'job="kube-state-metrics"'
NODE_EXPORTER = 'job="node-exporter"'
_NODE_EXPORTER = NODE_EXPORTER


@dataclass(frozen=True, slots=True)
class Target:
    """What to measure. An empty name at the target's own level means all of them (as
    KubeSphere's resource filter `.*`): `Target("pod", namespace="shop")` is every pod of
    shop, `Target("pod", node="n1")` every pod on n1."""

    level: Level
    node: str = ""
    workspace: str = ""
    namespace: str = ""
    workload_kind: str = ""  # Deployment | StatefulSet | DaemonSet
    workload: str = ""
    pod: str = ""
    container: str = ""
    exporters: tuple[str, ...] = ()
    """The namespaces node-exporter's pods run in (asked of Prometheus): a node's series join
    only those namespaces' kube_pod_info, not every pod's (the same answer)."""
    node_labelled: bool = False
    """The usage series carry `node` (kubelet scraped through the Prometheus Operator, as
    KubeSphere does): the pods of a node then read only that node's series."""


def quote(value: str) -> str:
    """A PromQL string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _regex_quote(value: str) -> str:
    specials = set("\\.^$|?*+()[]{}")
    return "".join(f"\\{c}" if c in specials else c for c in value)


def _pick(label: str, value: str) -> str:
    return f"{label}={quote(value)}" if value else f'{label}=~".*"'


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def expression(metric: Metric, target: Target) -> str:
    """The PromQL for `metric` of `target`."""
    builders = {
        "cluster": _cluster,
        "node": _node,
        "workspace": _workspace,
        "namespace": _namespace,
        "workload": _workload,
        "pod": _pod,
        "container": _container,
    }
    try:
        build = builders[target.level]
    except KeyError:
        raise ValueError(f"unknown level {target.level!r}; one of {', '.join(LEVELS)}") from None
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    return build(metric, target)


# ---------------------------------------------------------------------------- levels


def _cluster(metric: Metric, _target: Target) -> str:
    # cluster_cpu_usage: :node_cpu_utilisation:avg1m * sum(node:node_num_cpu:sum)
    # cluster_memory_usage_wo_cache: total - available; cluster_net_*: sum over nodes
    if metric == "cpu":
        busy = f"irate(node_cpu_seconds_total{{{_NODE_EXPORTER}, {_BUSY_MODES}}}[5m])"
        return f"round(sum({busy}), 0.001)"
    if metric == "memory":
        return f"sum(node_memory_MemTotal_bytes{{{_NODE_EXPORTER}}}) - sum({_available('')})"
    name = "transmit" if metric == "net_out" else "receive"
    return f"sum(irate(node_network_{name}_bytes_total{{{_NODE_EXPORTER}, {_DEVICES}}}[5m]))"


def _available(selector: str) -> str:
    sel = _join(_NODE_EXPORTER, selector)
    return " + ".join(
        f"node_memory_{part}_bytes{{{sel}}}"
        for part in ("MemFree", "Cached", "Buffers", "SReclaimable")
    )


def _on_node(expr: str, node: str, exporters: tuple[str, ...] = ()) -> str:
    """node-exporter series joined to their node through the exporter pod's kube_pod_info,
    as KubeSphere's `node_namespace_pod:kube_pod_info:` rule does."""
    where = "|".join(_regex_quote(namespace) for namespace in exporters)
    picked = _join(_KSM, _pick("node", node), 'node!=""', f'namespace=~"{where}"' if where else "")
    info = f"max by (namespace, pod, node) (kube_pod_info{{{picked}}})"
    return f"sum by (node) ({expr} * on (namespace, pod) group_left(node) {info})"


def _node(metric: Metric, target: Target) -> str:
    # node_cpu_usage: node:node_cpu_utilisation:avg1m * node:node_num_cpu:sum
    if metric == "cpu":
        busy = f"irate(node_cpu_seconds_total{{{_NODE_EXPORTER}, {_BUSY_MODES}}}[5m])"
        return f"round({_on_node(busy, target.node, target.exporters)}, 0.001)"
    if (
        metric == "memory"
    ):  # node:node_memory_bytes_total:sum - node:node_memory_bytes_available:sum
        used = f"(node_memory_MemTotal_bytes{{{_NODE_EXPORTER}}} - ({_available('')}))"
        return _on_node(used, target.node, target.exporters)
    name = "transmit" if metric == "net_out" else "receive"
    rate = f"irate(node_network_{name}_bytes_total{{{_NODE_EXPORTER}, {_DEVICES}}}[5m])"
    return _on_node(rate, target.node, target.exporters)


def _container_sum(metric: Metric, selector: str) -> str:
    """namespace:container_*:sum's expression: per namespace, with its workspace label."""
    kubelet = _join('job="kubelet"', 'image!=""', 'container!=""', selector)
    if metric == "cpu":
        inner = f"irate(container_cpu_usage_seconds_total{{{kubelet}}}[5m])"
    else:
        inner = f"container_memory_working_set_bytes{{{kubelet}}}"
    return inner


def _namespace_labels(selector: str) -> str:
    return f"kube_namespace_labels{{{_join(_KSM, selector)}}}"


def _net(metric: Metric, selector: str) -> str:
    name = "transmit" if metric == "net_out" else "receive"
    sel = _join('namespace!=""', 'pod!=""', _IFACES, 'job="kubelet"', selector)
    return f"irate(container_network_{name}_bytes_total{{{sel}}}[5m])"


def _workspace(metric: Metric, target: Target) -> str:
    ws = _pick("workspace", target.workspace)
    labels = _namespace_labels(_join(ws, 'workspace!=""'))
    if metric in ("net_out", "net_in"):  # workspace_net_bytes_*, verbatim
        return (
            f"sum by (workspace) (sum by (namespace) ({_net(metric, '')}) * on (namespace) "
            f"group_left(workspace) {labels}) or on (workspace) max by (workspace) "
            f"({labels} * 0)"
        )
    per_namespace = (  # namespace:container_*:sum, its namespaces without pods as 0
        f"sum by (namespace, workspace) ({_container_sum(metric, '')} * on (namespace) "
        f"group_left(workspace) {labels}) or on (namespace, workspace) "
        f"max by (namespace, workspace) ({labels} * 0)"
    )
    total = f"sum by (workspace) ({per_namespace})"
    return f"round({total}, 0.001)" if metric == "cpu" else total


def _namespace(metric: Metric, target: Target) -> str:
    ns = _pick("namespace", target.namespace)
    if target.workspace:  # the namespaces of one workspace
        ns = _join(f"workspace={quote(target.workspace)}", ns)
    labels = _namespace_labels(ns)
    if metric in ("net_out", "net_in"):  # namespace_net_bytes_*, verbatim
        return (
            f"sum by (namespace) ({_net(metric, '')} * on (namespace) group_left(workspace) "
            f"{labels}) or on (namespace) max by (namespace) ({labels} * 0)"
        )
    total = (
        f"sum by (namespace, workspace) ({_container_sum(metric, '')} * on (namespace) "
        f"group_left(workspace) {labels}) or on (namespace, workspace) "
        f"max by (namespace, workspace) ({labels} * 0)"
    )
    return f"round({total}, 0.001)" if metric == "cpu" else total


def _owner(kind: str, name: str) -> str:
    """KubeSphere's pods-of-a-workload selector on kube_pod_owner."""
    kind = kind.lower()
    if kind == "deployment":
        return f'owner_kind="ReplicaSet", owner_name=~"^{_regex_quote(name)}-[^-]{{1,10}}$"'
    if kind in ("statefulset", "daemonset"):
        proper = "StatefulSet" if kind == "statefulset" else "DaemonSet"
        return f"owner_kind={quote(proper)}, owner_name={quote(name)}"
    raise ValueError(f"unknown workload kind {kind!r}; Deployment, StatefulSet or DaemonSet")


def _one_per_pod(metric: str, selector: str, keep: str) -> str:
    """`metric{selector}` as one series per pod for a join's right-hand side. KubeSphere joins
    the raw series, which fails ("found duplicate series for the match group") whenever a pod
    has two of them in the lookback: kube-state-metrics run twice, or a pod's info changed
    (scheduled: node "" then "n1", an IP given) where staleness does not apply (backfilled
    history, a restarted exporter). A pod not yet on a node has no usage to join."""
    scheduled = 'node!=""' if metric == "kube_pod_info" else ""
    return f"max by (namespace, pod, {keep}) ({metric}{{{_join(selector, scheduled)}}})"


def _pod_expression(
    metric: Metric, owner: str, pods: str, rounded: bool = True, narrow: str = "", node: str = ""
) -> str:
    """pod_cpu_usage, pod_memory_usage_wo_cache, pod_net_bytes_*: verbatim ($1, $2); a sum
    of pods rounds once, as KubeSphere's workload rule does (`rounded=False` inside it).
    `narrow` repeats the namespace (and pod) that `pods` picks in the usage's and the owners'
    own selectors: the join keeps only those anyway, and Prometheus then reads one
    namespace's series, not every pod's of the cluster (seconds at 10,000 pods); `node`
    likewise in the usage's only (kube_pod_owner has no node)."""
    usage_narrow = _join(narrow, node)
    if metric == "cpu":
        picked = _join('job="kubelet"', 'pod!=""', 'image!=""', usage_narrow)
        usage = (
            f"sum by (namespace, pod) (irate(container_cpu_usage_seconds_total{{{picked}}}[5m]))"
        )
    elif metric == "memory":
        picked = _join('job="kubelet"', 'pod!=""', 'image!=""', usage_narrow)
        usage = f"sum by (namespace, pod) (container_memory_working_set_bytes{{{picked}}})"
    else:
        name = "transmit" if metric == "net_out" else "receive"
        picked = _join('pod!=""', _IFACES, 'job="kubelet"', usage_narrow)
        usage = (
            f"sum by (namespace, pod) (irate(container_network_{name}_bytes_total{{{picked}}}[5m]))"
        )
    joined = (
        f"{usage} * on (namespace, pod) group_left(owner_kind, owner_name) "
        f"{_one_per_pod('kube_pod_owner', _join(owner, narrow), 'owner_kind, owner_name')} "
        f"* on (namespace, pod) group_left(node) {_one_per_pod('kube_pod_info', pods, 'node')}"
    )
    return f"round({joined}, 0.001)" if metric == "cpu" and rounded else joined


def _workload(metric: Metric, target: Target) -> str:
    # namespace:workload_*: the workload's pods summed (its rule's own join on kube_pod_owner)
    namespace = f"namespace={quote(target.namespace)}"
    pods = _pod_expression(
        metric,
        _owner(target.workload_kind, target.workload),
        namespace,
        rounded=False,
        narrow=namespace,
    )
    total = f"sum by (namespace) ({pods})"
    return f"round({total}, 0.001)" if metric == "cpu" else total


def _pod(metric: Metric, target: Target) -> str:
    owner = _owner(target.workload_kind, target.workload) if target.workload else ""
    if target.node:
        pods = _join(
            f"node={quote(target.node)}",
            f"namespace={quote(target.namespace)}" if target.namespace else "",
            f"pod={quote(target.pod)}" if target.pod else "",
        )
    elif target.namespace:
        pods = _join(_pick("pod", target.pod), f"namespace={quote(target.namespace)}")
    else:
        pods = f"pod={quote(target.pod)}" if target.pod else ""
    narrow = _join(
        f"namespace={quote(target.namespace)}" if target.namespace else "",
        f"pod={quote(target.pod)}" if target.pod else "",
    )
    node = f"node={quote(target.node)}" if target.node and target.node_labelled else ""
    return _pod_expression(metric, owner, pods, narrow=narrow, node=node)


def _container(metric: Metric, target: Target) -> str:
    if metric in ("net_out", "net_in"):  # cAdvisor counts network per pod, not per container
        return _pod(metric, Target("pod", namespace=target.namespace, pod=target.pod))
    selector = _join(
        'job="kubelet"',
        'container!="POD"',
        'container!=""',
        'image!=""',
        f"pod={quote(target.pod)}",
        f"namespace={quote(target.namespace)}",
        _pick("container", target.container),
    )
    if metric == "cpu":
        return (
            "round(sum by (namespace, pod, container) "
            f"(irate(container_cpu_usage_seconds_total{{{selector}}}[5m])), 0.001)"
        )
    return f"sum by (namespace, pod, container) (container_memory_working_set_bytes{{{selector}}})"
