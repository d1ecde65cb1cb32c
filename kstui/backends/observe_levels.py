"""The Observe section's rows (pure): pods, nodes and metrics.k8s.io usage → one row per
node, workspace, project, workload, pod or container, with usage now summed against the
requests and limits of the same pods, restarts and problem markers.

Units: CPU in cores, memory in bytes, network in bytes per second. Every row carries the
Prometheus `Target` that measures it (prometheus_queries.py), for its history and its chart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kstui.backends.objects import labels_of, meta_of
from kstui.backends.prometheus_queries import Target
from kstui.backends.quantity import QuantityError, parse_quantity

WORKSPACE_LABEL = "kubesphere.io/workspace"
NO_WORKSPACE = "(no workspace)"
"""The group of namespaces no workspace claims (every namespace of a vanilla cluster)."""
STANDALONE = "(standalone)"
"""The workload of pods that no controller owns."""
PROMETHEUS_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
"""The workload kinds KubeSphere's workload queries know."""
_BAD_WAITING = {
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "CreateContainerError",
    "InvalidImageName",
    "RunContainerError",
}
SEVERE = _BAD_WAITING | {"OOMKilled", "Failed", "Error", "NodeNotReady"}


@lru_cache(maxsize=4096)
def quantity(text: str) -> float:
    """A quantity as a float (cached: the same few requests repeat over thousands of pods)."""
    try:
        return float(parse_quantity(text))
    except QuantityError:
        return 0.0


@dataclass(slots=True)
class Amounts:
    """Usage now (None while unknown) and what the same pods request and limit. A limit is
    known only when every container sets one (else its sum would understate it)."""

    cpu: float | None = None
    memory: float | None = None
    cpu_request: float = 0.0
    cpu_limit: float | None = 0.0
    memory_request: float = 0.0
    memory_limit: float | None = 0.0

    def add(self, other: Amounts) -> None:
        if other.cpu is not None:
            self.cpu = (self.cpu or 0.0) + other.cpu
        if other.memory is not None:
            self.memory = (self.memory or 0.0) + other.memory
        self.cpu_request += other.cpu_request
        self.memory_request += other.memory_request
        self.cpu_limit = _plus(self.cpu_limit, other.cpu_limit)
        self.memory_limit = _plus(self.memory_limit, other.memory_limit)


def _plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


@dataclass(frozen=True, slots=True)
class ContainerFacts:
    name: str
    amounts: Amounts
    restarts: int
    problems: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PodFacts:
    """What the Observe levels need of one pod (objects are not kept)."""

    namespace: str
    name: str
    node: str
    workload_kind: str
    workload: str
    containers: tuple[ContainerFacts, ...]
    restarts: int
    problems: tuple[str, ...]


@dataclass(slots=True)
class LevelRow:
    """One row of a level: its key, name, Target and numbers."""

    key: str
    name: str
    target: Target
    amounts: Amounts = field(default_factory=Amounts)
    against: str = ""
    """"A" when the figures are compared with a node's allocatable rather than the pods'."""
    capacity_cpu: float = 0.0
    capacity_memory: float = 0.0
    restarts: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    pods: int = 0
    net_in: float | None = None
    net_out: float | None = None
    history: list[float] = field(default_factory=list)
    context: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    """What the next level needs (a workload's kind, a pod's node …)."""


# ---------------------------------------------------------------------------- pods


def _owner(pod: Mapping[str, Any]) -> tuple[str, str]:
    meta = meta_of(pod)
    owners = meta.get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    if owner is None:
        return "Pod", STANDALONE
    kind, name = str(owner.get("kind") or ""), str(owner.get("name") or "")
    if kind == "ReplicaSet":
        template = labels_of(pod).get("pod-template-hash", "")
        if template and name.endswith("-" + template):
            return "Deployment", name[: -len(template) - 1]
        head, _, _tail = name.rpartition("-")
        return "Deployment", head or name
    if kind == "Job":
        return "Job", name
    return kind, name


def _resources(container: Mapping[str, Any]) -> Amounts:
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    return Amounts(
        cpu_request=quantity(str(requests.get("cpu", "0"))),
        memory_request=quantity(str(requests.get("memory", "0"))),
        cpu_limit=quantity(str(limits["cpu"])) if "cpu" in limits else None,
        memory_limit=quantity(str(limits["memory"])) if "memory" in limits else None,
    )


def _container_problems(status: Mapping[str, Any], running_pod: bool) -> list[str]:
    found = []
    state = status.get("state") or {}
    waiting = (state.get("waiting") or {}).get("reason")
    if waiting and waiting != "ContainerCreating":
        found.append(str(waiting))
    terminated = state.get("terminated") or {}
    if terminated.get("reason") and terminated.get("exitCode", 0) != 0:
        found.append(str(terminated["reason"]))
    last = (status.get("lastState") or {}).get("terminated") or {}
    if last.get("reason") == "OOMKilled" and "OOMKilled" not in found:
        found.append("OOMKilled")
    if running_pod and not found and not status.get("ready", False) and "running" in state:
        found.append("NotReady")
    return found


def pod_facts(pod: Mapping[str, Any]) -> PodFacts:
    meta = meta_of(pod)
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    phase = str(status.get("phase") or "")
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    containers = []
    for container in spec.get("containers") or []:
        name = str(container.get("name") or "")
        state = statuses.get(name) or {}
        containers.append(
            ContainerFacts(
                name,
                _resources(container),
                int(state.get("restartCount") or 0),
                tuple(_container_problems(state, phase == "Running")),
            )
        )
    problems: list[str] = []
    if phase in ("Pending", "Failed", "Unknown"):
        problems.append(phase)
    if status.get("reason") in ("Evicted", "NodeLost"):
        problems.append(str(status["reason"]))
    for container in containers:
        problems += [p for p in container.problems if p not in problems]
    kind, workload = _owner(pod)
    return PodFacts(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        node=str(spec.get("nodeName") or ""),
        workload_kind=kind,
        workload=workload,
        containers=tuple(containers),
        restarts=sum(c.restarts for c in containers),
        problems=tuple(problems),
    )


Usage = dict[tuple[str, str], dict[str, tuple[float, float]]]
"""(namespace, pod) → container → (cores, bytes), from metrics.k8s.io PodMetrics."""


def pod_usage(pod_metrics: Iterable[Mapping[str, Any]]) -> Usage:
    found: Usage = {}
    for item in pod_metrics:
        meta = meta_of(item)
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        found[key] = {
            str(c.get("name") or ""): (
                quantity(str((c.get("usage") or {}).get("cpu", "0"))),
                quantity(str((c.get("usage") or {}).get("memory", "0"))),
            )
            for c in item.get("containers") or []
        }
    return found


def pod_amounts(pod: PodFacts, usage: Usage) -> Amounts:
    total = Amounts()
    measured = usage.get((pod.namespace, pod.name))
    for container in pod.containers:
        total.add(container.amounts)
    if measured is not None:
        total.cpu = sum(cpu for cpu, _ in measured.values())
        total.memory = sum(memory for _, memory in measured.values())
    return total


# ---------------------------------------------------------------------------- levels


def group_pods(
    pods: Iterable[PodFacts],
    usage: Usage,
    key: Callable[[PodFacts], str | None],
    rows: dict[str, LevelRow],
    make: Callable[[PodFacts, str], LevelRow] | None = None,
) -> dict[str, LevelRow]:
    """Each pod's amounts, restarts and problems added to the row `key(pod)` names (rows made
    by `make` when missing, pods whose key is None or has no row left out)."""
    for pod in pods:
        name = key(pod)
        if name is None:
            continue
        found = rows.get(name)
        if found is None:
            if make is None:
                continue
            found = rows[name] = make(pod, name)
        row = found
        row.amounts.add(pod_amounts(pod, usage))
        row.restarts += pod.restarts
        row.problems.update(pod.problems)
        row.pods += 1
    return rows


def node_rows(
    nodes: Iterable[Mapping[str, Any]],
    node_metrics: Iterable[Mapping[str, Any]],
    pods: Iterable[PodFacts],
    usage: Usage,
) -> list[LevelRow]:
    """Each node's usage (metrics.k8s.io NodeMetrics, its system share included) against its
    allocatable; restarts and problems of its pods, and its own conditions."""
    measured = {
        str(meta_of(m).get("name") or ""): (
            quantity(str((m.get("usage") or {}).get("cpu", "0"))),
            quantity(str((m.get("usage") or {}).get("memory", "0"))),
        )
        for m in node_metrics
    }
    rows: dict[str, LevelRow] = {}
    for node in nodes:
        name = str(meta_of(node).get("name") or "")
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu, memory = measured.get(name, (None, None))
        row = LevelRow(name, name, Target("node", node=name), against="A")
        row.capacity_cpu = quantity(str(allocatable.get("cpu", "0")))
        row.capacity_memory = quantity(str(allocatable.get("memory", "0")))
        row.problems.update(node_problems(node))
        rows[name] = row
        row.amounts.cpu, row.amounts.memory = cpu, memory
    for pod in pods:
        on = rows.get(pod.node)
        if on is None:
            continue
        on.amounts.add(_without_usage(pod))
        on.restarts += pod.restarts
        on.problems.update(pod.problems)
        on.pods += 1
    return list(rows.values())


def _without_usage(pod: PodFacts) -> Amounts:
    total = Amounts()
    for container in pod.containers:
        total.add(container.amounts)
    return total


def node_problems(node: Mapping[str, Any]) -> list[str]:
    found = []
    for condition in (node.get("status") or {}).get("conditions") or []:
        kind, status = condition.get("type"), condition.get("status")
        if kind == "Ready" and status != "True":
            found.append("NodeNotReady")
        elif kind in ("MemoryPressure", "DiskPressure", "PIDPressure") and status == "True":
            found.append(str(kind))
    if (node.get("spec") or {}).get("unschedulable"):
        found.append("SchedulingDisabled")
    return found


def workspace_of(namespaces: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """namespace → its workspace (NO_WORKSPACE when no workspace claims it)."""
    return {
        str(meta_of(ns).get("name") or ""): labels_of(ns).get(WORKSPACE_LABEL) or NO_WORKSPACE
        for ns in namespaces
    }


def workload_target(namespace: str, kind: str, name: str) -> Target:
    if kind in PROMETHEUS_KINDS:
        return Target("workload", namespace=namespace, workload_kind=kind, workload=name)
    return Target("pod", namespace=namespace)


def workload_key(pod: PodFacts) -> str:
    return f"{pod.workload_kind}/{pod.workload}"


def pod_target(pod: PodFacts) -> Target:
    return Target("pod", namespace=pod.namespace, pod=pod.name)


def pod_row(pod: PodFacts, name: str) -> LevelRow:
    return LevelRow(
        name, pod.name, pod_target(pod), extra={"namespace": pod.namespace, "node": pod.node}
    )


def container_rows(pod: PodFacts, usage: Usage) -> list[LevelRow]:
    measured = usage.get((pod.namespace, pod.name)) or {}
    rows = []
    for container in pod.containers:
        amounts = Amounts()
        amounts.add(container.amounts)
        if container.name in measured:
            amounts.cpu, amounts.memory = measured[container.name]
        row = LevelRow(
            container.name,
            container.name,
            Target("container", namespace=pod.namespace, pod=pod.name, container=container.name),
            amounts=amounts,
            restarts=container.restarts,
            problems=Counter(container.problems),
        )
        rows.append(row)
    return rows


def total_row(key: str, name: str, target: Target, rows: Iterable[LevelRow]) -> LevelRow:
    """One row summing others (a cluster's nodes, a cluster's namespaces)."""
    total = LevelRow(key, name, target)
    for row in rows:
        total.amounts.add(row.amounts)
        total.against = total.against or row.against
        total.capacity_cpu += row.capacity_cpu
        total.capacity_memory += row.capacity_memory
        total.restarts += row.restarts
        total.problems.update(row.problems)
        total.pods += row.pods
    return total


QUOTA_FULL = 0.9
"""A ResourceQuota line at this share of its hard limit is a problem marker."""


def quota_problems(quotas: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """namespace → markers for its quota lines at QUOTA_FULL or more (`quota requests.cpu
    95%`), from each ResourceQuota's status (used against hard)."""
    found: dict[str, list[str]] = {}
    for quota in quotas:
        status = quota.get("status") or {}
        hard, used = status.get("hard") or {}, status.get("used") or {}
        namespace = str(meta_of(quota).get("namespace") or "")
        for resource, limit in hard.items():
            bound = quantity(str(limit))
            if bound <= 0 or resource not in used:
                continue
            share = quantity(str(used[resource])) / bound
            if share >= QUOTA_FULL:
                found.setdefault(namespace, []).append(f"quota {resource} {round(share * 100)}%")
    return found


def pod_key(pod: PodFacts) -> str:
    return f"{pod.namespace}/{pod.name}"


def workload_row(pod: PodFacts, key: str) -> LevelRow:
    return LevelRow(
        key,
        pod.workload,
        workload_target(pod.namespace, pod.workload_kind, pod.workload),
        extra={"kind": pod.workload_kind},
    )
