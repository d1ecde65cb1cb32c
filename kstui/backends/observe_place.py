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
