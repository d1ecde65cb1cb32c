"""Where Enter and the read keys lead from a resource list: a namespace or node → its pods,
a workload or service → its pods, a pod → its containers, anything else → its owner (or its
description when it has none); `d` describe, `y` yaml, `o` owner, `l` logs. The screen runs
them in its "read" worker group; a read made stale (esc, another row, the prompt) opens
nothing."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.binding import Binding
from textual.screen import Screen

from kstui.backends import actions
from kstui.model import utc_now
from kstui.screens.resource_target import ResourceHost, Selection, Target

# The views these keys open (logs, describe, yaml, exec...) are imported when first opened:
# the first frame needs none of them (app.LATER_MODULES).

POD_PARENTS = frozenset(
    {
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "services",
        "replicationcontrollers",
    }
)


class ResourceRoutes:
    """The drill-down and read views of one ResourcesScreen (its `host`)."""

    def __init__(self, host: ResourceHost) -> None:
        self.host = host

    async def drill_down(self) -> None:
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        namespace, name, kind = picked.namespace, picked.name, picked.kind
        crumb, context = host.crumbs(), host.target.context
        if kind.resource == "namespaces":
            host.app.push_screen(host.child(Target("pods", name, context, crumb=crumb)))
            return
        if kind.resource == "nodes":
            host.app.push_screen(
                host.child(
                    Target(
                        "pods",
                        "",
                        context,
                        field_selector=f"spec.nodeName={name}",
                        crumb=f"{crumb} › {name}",
                    )
                )
            )
            return
        Found = tuple[dict[str, Any], str | None, list[dict[str, Any]] | None]

        async def fetch() -> Found:
            client = await host.backend.open()
            obj = await actions.fetch(client, kind, namespace, name)
            selector = actions.pod_selector(obj) if kind.resource in POD_PARENTS else None
            events = None
            if kind.resource != "pods" and not selector and actions.controller_of(obj) is None:
                events = await actions.events_for(client, obj)
            return obj, selector, events

        found = await host.readings.read(f"opening {picked.label}", picked, fetch)
        if found is None:
            return
        obj, selector, events = found
        if kind.resource == "pods":
            from kstui.screens.containers import ContainersScreen

            host.app.push_screen(ContainersScreen(host.backend, obj, crumb=f"{crumb} › {name}"))
        elif selector:
            host.app.push_screen(
                host.child(
                    Target("pods", namespace, context, selector=selector, crumb=f"{crumb} › {name}")
                )
            )
        elif events is None:
            await self.open_owner(obj)
        else:
            self.show_description(obj, events)

    async def open_owner(self, obj: dict[str, Any]) -> None:
        host = self.host
        owner = actions.controller_of(obj)
        if owner is None:
            host.notify("this object has no owner", severity="warning")
            return
        api_version, owner_kind, owner_name = owner
        group = api_version.split("/")[0] if "/" in api_version else ""
        alias = f"{owner_kind}.{group}" if group else owner_kind
        meta = obj.get("metadata") or {}
        host.app.push_screen(
            host.child(
                Target(
                    alias,
                    meta.get("namespace") or "",
                    host.target.context,
                    focus=owner_name,
                    crumb=f"{host.crumbs()} › {meta.get('name')}",
                )
            )
        )

    def show_description(self, obj: dict[str, Any], events: list[dict[str, Any]]) -> None:
        from kstui.backends import describe
        from kstui.screens.text_view import TextViewScreen

        host = self.host
        meta = obj.get("metadata") or {}
        now = host.frozen_now or utc_now()
        where = "/".join(p for p in (meta.get("namespace"), meta.get("name")) if p)
        label = f"{obj.get('kind', '')} {where}"
        host.app.push_screen(
            TextViewScreen(
                f"describe {label} @ {host.context}",
                lambda _reveal: describe.describe(obj, events, now),
            )
        )

    async def logs(self) -> None:
        """`l`: a pod's log (a pod of several containers first asks which one, or all); on a
        workload or service, every pod of its selector, joining and leaving as they go."""
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        if picked.kind.resource != "pods":
            await self.selector_logs(picked)
            return
        got = await self.fetch_for_view("logs of", picked)
        if not got:
            return
        from kstui.screens.container_pick import ALL, ContainerPickModal
        from kstui.screens.logs import LogsScreen

        names = [info.name for info in actions.containers_of(got[0]) if not info.init]
        if len(names) <= 1:
            host.app.push_screen(
                LogsScreen.of_pod(
                    host.backend, picked.namespace, picked.name, names[0] if names else None
                )
            )
            return

        def chosen(answer: str | None) -> None:
            if answer is None:
                return
            host.app.push_screen(
                LogsScreen.of_pod(
                    host.backend,
                    picked.namespace,
                    picked.name,
                    None if answer == ALL else answer,
                    all_of=names if answer == ALL else (),
                )
            )

        host.app.push_screen(ContainerPickModal(picked.name, names), chosen)

    async def operate(self, action: str, name: str = "") -> None:
        """`ctrl+e` run a command, `s` a shell, in a container of the selected pod; `ctrl+k`
        port-forward from a pod, a service or a workload."""
        host = self.host
        picked = host.selected()
        got = picked and await self.fetch_for_view(f"{action} in", picked)
        from kstui.screens.pod_attach import attach_in
        from kstui.screens.pod_copy import copy_in
        from kstui.screens.pod_operate import operate

        if got and action == "attach":
            await attach_in(host, host.backend, got[0], None)
        elif got and action == "copy":
            await copy_in(host, host.backend, got[0], None)
        elif got:
            await operate(name or action, host, host.backend, got[0], None)

    async def selector_logs(self, picked: Selection) -> None:
        host = self.host
        if picked.kind.resource not in POD_PARENTS:
            host.notify(
                f"logs: a {picked.kind.kind.lower()} has no pods; choose a pod or a workload",
                severity="warning",
            )
            return
        got = await self.fetch_for_view("logs of", picked)
        if not got:
            return
        selector = actions.pod_selector(got[0])
        if not selector:
            host.notify(
                f"logs: {picked.label} selects no pods (it has no selector)", severity="warning"
            )
            return
        from kstui.backends.log_streams import LogScope
        from kstui.screens.logs import LogsScreen

        scope = LogScope(host.context, picked.namespace, selector=selector)
        shown = selector if len(selector) <= 30 else selector[:29] + "…"
        title = f"logs {picked.namespace}/{picked.name} (-l {shown}) @ {host.context}"
        host.app.push_screen(LogsScreen([(host.backend, scope)], title=title))

    async def events(self) -> None:
        """`E`: the live events of the selected object and of what it owns (named after it);
        on a namespace, the namespace's events."""
        host = self.host
        picked = host.selected()
        if picked is None:
            return
        from kstui.backends.event_groups import EventScope
        from kstui.screens.events import EventsScreen

        if picked.kind.resource == "namespaces":
            scope = EventScope(picked.name)
        else:
            scope = EventScope(
                picked.namespace, object_kind=picked.kind.kind, object_name=picked.name
            )
        host.app.push_screen(EventsScreen(host.backend, scope, frozen_now=host.frozen_now))

    async def fetch_for_view(
        self, what: str, picked: Selection, *, events: bool = False
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The object (and its events), or None when the view is no longer wanted."""
        host = self.host

        async def fetch() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            client = await host.backend.open()
            obj = await actions.fetch(client, picked.kind, picked.namespace, picked.name)
            return obj, await actions.events_for(client, obj) if events else []

        return await host.readings.read(f"{what} {picked.label}", picked, fetch)

    async def describe(self) -> None:
        picked = self.host.selected()
        got = picked and await self.fetch_for_view("describe", picked, events=True)
        if got:
            self.show_description(*got)

    async def yaml(self) -> None:
        host = self.host
        picked = host.selected()
        got = picked and await self.fetch_for_view("yaml", picked)
        if not picked or not got:
            return
        from kstui.backends import describe
        from kstui.screens.text_view import TextViewScreen

        obj = got[0]
        secret = obj.get("kind") == "Secret"
        host.app.push_screen(
            TextViewScreen(
                f"yaml {picked.label} @ {host.context}",
                lambda reveal: describe.shown_yaml(obj, reveal),
                language="yaml",
                has_secrets=secret,
            )
        )

    async def owner(self) -> None:
        picked = self.host.selected()
        got = picked and await self.fetch_for_view("owner of", picked)
        if got:
            await self.open_owner(got[0])


class OperatesOnPods(Screen[None]):
    """The operate keys of a resource list (pod_operate.py): on a pod row, in a container.
    `s` is bound with scale in the screen's own list: a subclass's key replaces a base's."""

    BINDINGS = [
        Binding("ctrl+e", "run", "run a command", show=False, id="resource.run"),
        Binding("ctrl+k", "port_forward", "port-forward", show=False, id="resource.port_forward"),
        Binding("ctrl+a", "attach", "attach", show=False, id="resource.attach"),
        Binding("ctrl+u", "copy_files", "copy files", show=False, id="resource.copy_files"),
    ]
    routes: ResourceRoutes

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_run(self) -> None:
        await self.routes.operate("run")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_shell(self) -> None:
        await self.routes.operate("shell")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_port_forward(self) -> None:
        await self.routes.operate("port-forward", "port_forward")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_attach(self) -> None:
        await self.routes.operate("attach")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_copy_files(self) -> None:
        await self.routes.operate("copy")
