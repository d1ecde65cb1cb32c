"""Where a level of the Observe trees is (Place) and which level each row opens (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from kstui.backends.observe_levels import NO_WORKSPACE, LevelRow

LevelName = Literal[
    "clusters",
    "cluster",
    "nodes",
    "node",
    "workspaces",
    "workspace",
    "namespace",
    "workload",
    "pod",
]


@dataclass(frozen=True, slots=True)
class Place:
    """Where in the trees a level is: its name and what it is the level of."""

    level: LevelName
    context: str = ""
    cluster: str = ""
    vanilla: bool = False
    node: str = ""
    workspace: str = ""
    namespace: str = ""
    workload_kind: str = ""
    workload: str = ""
    pod: str = ""

    @property
    def crumb(self) -> str:
        return {
            "clusters": "observe",
            "cluster": self.cluster or self.context,
            "nodes": "nodes",
            "node": f"node {self.node}",
            "workspaces": "projects" if self.vanilla else "workspaces",
            "workspace": "projects" if self.vanilla else self.workspace,
            "namespace": f"project {self.namespace}",
            "workload": f"{self.workload_kind.lower()} {self.workload}",
            "pod": f"pod {self.pod}",
        }[self.level]

    @property
    def empty(self) -> str:
        """What an empty level says: what it would list, named."""
        return {
            "clusters": "no clusters in the kubeconfig",
            "cluster": f"nothing to observe on {self.cluster or self.context}",
            "nodes": "no nodes",
            "node": f"no pods on node {self.node}",
            "workspaces": "no projects" if self.vanilla else "no workspaces",
            "workspace": f"no projects in workspace {self.workspace}",
            "namespace": f"no workloads or pods in project {self.namespace}",
            "workload": f"no pods of {self.workload_kind.lower()} {self.workload}",
            "pod": f"no containers in pod {self.pod}",
        }[self.level]


def child(place: Place, row: LevelRow) -> Place | None:
    """The level a row opens (None for a container: the screen opens its logs)."""
    extra: Mapping[str, str] = row.extra
    base = Place(
        "cluster",
        context=place.context or row.context,
        cluster=place.cluster,
        vanilla=place.vanilla,
    )
    match place.level:
        case "clusters":
            vanilla = bool(extra.get("vanilla"))
            return Place("cluster", context=row.context, cluster=row.name, vanilla=vanilla)
        case "cluster" if row.key == "nodes":
            return replace(base, level="nodes")
        case "cluster" if place.vanilla:  # projects are the namespaces
            return replace(base, level="workspace", workspace=NO_WORKSPACE)
        case "cluster":
            return replace(base, level="workspaces")
        case "nodes":
            return replace(base, level="node", node=row.key)
        case "workspaces":
            return replace(base, level="workspace", workspace=row.key)
        case "workspace":
            return replace(base, level="namespace", workspace=place.workspace, namespace=row.key)
        case "namespace":
            return replace(
                base,
                level="workload",
                namespace=place.namespace,
                workload_kind=extra.get("kind", ""),
                workload=row.name,
            )
        case "node" | "workload":
            return replace(
                base,
                level="pod",
                node=extra.get("node", ""),
                namespace=extra.get("namespace", ""),
                pod=row.name,
            )
    return None


def chart_title(place: Place, row: LevelRow) -> str:
    """What the chart of `row` shows, in words (the same Target can chart two rows: a
    cluster's nodes and its workspaces are both the cluster)."""
    target = row.target
    if place.level == "clusters":
        return f"cluster {row.name}"
    if target.level == "cluster":
        return f"cluster {place.cluster or place.context}"
    if target.level == "workload":
        return f"{target.workload_kind.lower()} {target.namespace}/{target.workload}"
    if target.level == "pod" and target.pod:
        return f"pod {target.namespace}/{target.pod}"
    if target.level == "pod":  # a Job's or a bare pod's: no series of its own
        kind = row.extra.get("kind", "workload").lower()
        return f"{kind} {row.name}: no {kind} series, every pod of {target.namespace}"
    if target.level == "container":
        return f"container {target.pod}/{target.container}"
    return f"{target.level.replace('namespace', 'project')} {row.name}"
