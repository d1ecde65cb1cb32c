"""Which pods' logs `l` opens for a row of the Observe section (the table's `l`: followed now;
the chart's `l`: the minutes around its cursor): a container → its pod and that container; a
pod → that pod; a workload → its pods (by its selector, read from the workload); a node → the
pods on it; a project → every pod of the namespace. A cluster or a workspace says what to open
instead (its pods are too many to read as one log)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kstui.backends.errors import KstuiError
from kstui.backends.observe_levels import LevelRow
from kstui.backends.observe_place import Place

if TYPE_CHECKING:
    from kstui.backends.observe_service import ObserveService

MAX_PODS = 60
"""A node's pods beyond this are left out (and counted): one log stream per pod."""
TOO_WIDE = "a {what} has too many pods for one log; open a node, workload or pod"

_PATHS = {
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments/{name}",
    "StatefulSet": "/apis/apps/v1/namespaces/{ns}/statefulsets/{name}",
    "DaemonSet": "/apis/apps/v1/namespaces/{ns}/daemonsets/{name}",
    "ReplicaSet": "/apis/apps/v1/namespaces/{ns}/replicasets/{name}",
    "Job": "/apis/batch/v1/namespaces/{ns}/jobs/{name}",
}


@dataclass(frozen=True, slots=True)
class LogPick:
    """The pods whose logs a row means, or why there are none to pick."""

    context: str = ""
    namespace: str = ""
    pods: tuple[tuple[str, str], ...] = ()
    """(namespace, pod) each; empty with `namespace` set: the selector's pods (every pod of
    the namespace when the selector is "")."""
    selector: str = ""
    containers: tuple[str, ...] = ()
    what: str = ""
    """How the log view's title names them (`deployment payments/checkout`)."""
    why: str = ""
    """Set when `l` opens nothing here: what it would mean, and what to open instead."""
    left_out: int = 0
    """Pods beyond MAX_PODS, not read."""


def selector_text(selector: Mapping[str, Any] | None) -> str:
    """A LabelSelector as `kubectl -l` writes it (matchLabels, then matchExpressions)."""
    selector = selector or {}
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(expression.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


async def pick_logs(service: ObserveService, place: Place, row: LevelRow) -> LogPick:
    """The pods of `row` (a row of `place`) whose logs `l` opens."""
    context = place.context or row.context
    level = place.level
    if row.extra.get("denied"):
        return LogPick(context, why=row.extra["denied"])
    if level == "pod":  # containers
        return LogPick(
            context,
            place.namespace,
            pods=((place.namespace, place.pod),),
            containers=(row.name,),
            what=f"{place.namespace}/{place.pod} {row.name}",
        )
    if level in ("node", "workload"):  # pods
        namespace = row.extra.get("namespace", "")
        return LogPick(context, namespace, pods=((namespace, row.name),), what=f"pod {row.key}")
    if level == "workspace":  # projects
        return LogPick(context, row.name, what=f"project {row.name}: every pod")
    if level == "namespace":  # workloads
        return await _workload(service, context, place.namespace, row)
    if level == "nodes":
        return await _node(service, context, row.name)
    what = {"clusters": "cluster", "cluster": "cluster", "workspaces": "workspace"}[level]
    return LogPick(context, why=TOO_WIDE.format(what=what))


async def _workload(
    service: ObserveService, context: str, namespace: str, row: LevelRow
) -> LogPick:
    kind = row.extra.get("kind", "")
    what = f"{kind.lower()} {namespace}/{row.name}"
    path = _PATHS.get(kind)
    if path is not None:
        client = await service.clusters.client(context)
        try:
            found = await client.get(path.format(ns=namespace, name=row.name))
        except KstuiError:
            found = {}
        selector = selector_text((found.get("spec") or {}).get("selector"))
        if selector:
            return LogPick(context, namespace, selector=selector, what=what)
    link = await service.clusters.link(context)  # no selector to read: its pods by name
    client = await service.clusters.client(context)
    pods = await service.pods(link, client, namespace, usage=False)
    mine = [(p.namespace, p.name) for p in pods.facts if p.workload == row.name]
    if not mine:
        return LogPick(context, why=f"{what} has no pods now")
    return LogPick(context, namespace, pods=tuple(mine), what=what)


async def _node(service: ObserveService, context: str, node: str) -> LogPick:
    link = await service.clusters.link(context)
    client = await service.clusters.client(context)
    pods = await service.pods(link, client, "", usage=False)
    mine = sorted((p.namespace, p.name) for p in pods.facts if p.node == node)
    if not mine:
        return LogPick(context, why=f"node {node} runs no pods you may read")
    return LogPick(
        context,
        "",
        pods=tuple(mine[:MAX_PODS]),
        what=f"node {node}",
        left_out=max(0, len(mine) - MAX_PODS),
    )
