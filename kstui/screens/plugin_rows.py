"""What a plugin sees of a list's selected row (plugin_run.Subject): a resource list's row
(any kind) and a pod's container row."""

from __future__ import annotations

from typing import Any, cast

from kstui.backends import actions
from kstui.backends.backend import Backend
from kstui.backends.kinds import ResourceKind
from kstui.model import age_of, utc_now
from kstui.plugins import CONTAINERS
from kstui.screens.plugin_run import RunsPlugins, Subject, kubeconfig_env
from kstui.widgets.resource_table import ResourceTable


def kind_names(kind: ResourceKind | None) -> frozenset[str]:
    """Every name a plugin's `kinds` may give this kind by (as kubectl's resolve takes them)."""
    if kind is None:
        return frozenset()
    names = {kind.resource, kind.singular, kind.kind.lower(), kind.qualified}
    return frozenset(names | {short.lower() for short in kind.short_names})


def cells(table: ResourceTable, now: float | None) -> dict[str, str]:
    """Column name → the selected row's cell as shown (an age column's age, not its stamp)."""
    row = table.cursor_row
    if row is None:
        return {}
    at = utc_now() if now is None else now
    return {
        column.name: age_of(cell, at) if column.age else cell
        for column, cell in zip(table.columns, row.cells, strict=False)
    }


def values(backend: Backend, namespace: str, name: str, kind: str) -> dict[str, str]:
    info = backend.info
    return {
        "CONTEXT": info.name,
        "CLUSTER": info.cluster,
        "NAMESPACE": namespace,
        "NAME": name,
        "KIND": kind,
    }


class PluginsOnResources(RunsPlugins):
    """A ResourcesScreen's rows: any kind. $KIND is the kind as kubectl takes it (`pods`,
    `deployments.apps`); on a pod row a command naming $CONTAINER asks for the container."""

    backend: Backend
    kind: ResourceKind | None
    frozen_now: float | None

    def plugin_kinds(self) -> frozenset[str]:
        return kind_names(self.kind)

    def plugin_readonly(self) -> str:
        session = getattr(self, "session", None)
        return session.readonly_reason(self.backend.name) if session is not None else ""

    async def plugin_subject(self) -> Subject | None:
        picked = cast(Any, self).selected()  # the ResourcesScreen's Selection
        if picked is None:
            return None
        kind, backend = picked.kind, self.backend

        async def pod() -> dict[str, Any]:
            client = await backend.open()
            return await actions.fetch(client, kind, picked.namespace, picked.name)

        return Subject(
            picked.label,
            values(backend, picked.namespace, picked.name, kind.qualified),
            cells(self.query_one(ResourceTable), self.frozen_now),
            pod if kind.resource == "pods" else None,
            kubeconfig_env(backend.kubeconfig.files),
        )


class PluginsOnContainers(RunsPlugins):
    """A pod's container rows: $NAME is the pod, $CONTAINER the row's container, $KIND pods."""

    backend: Backend
    namespace: str
    pod_name: str

    def plugin_kinds(self) -> frozenset[str]:
        return frozenset({CONTAINERS})

    def plugin_readonly(self) -> str:
        session = getattr(self.app, "session", None)
        return session.readonly_reason(self.backend.name) if session is not None else ""

    async def plugin_subject(self) -> Subject | None:
        table = self.query_one(ResourceTable)
        container = table.cursor_key
        if container is None:
            return None
        found = values(self.backend, self.namespace, self.pod_name, "pods")
        return Subject(
            f'container "{container}" of pod {self.namespace}/{self.pod_name}',
            {**found, "CONTAINER": container},
            cells(table, None),
            None,
            kubeconfig_env(self.backend.kubeconfig.files),
        )
