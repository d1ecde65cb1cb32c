"""ContainersScreen: one pod's containers; Enter or `l` follows a container's log."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen

from kstui.backends import actions
from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.model import Column, Row, Tone
from kstui.screens.disabled_keys import ExplainsDisabledKeys
from kstui.screens.logs import LogsScreen
from kstui.screens.operate_rules import POD_ONLY, operate_denial
from kstui.screens.plugin_rows import PluginsOnContainers
from kstui.screens.pod_attach import attach_in
from kstui.screens.pod_copy import copy_in
from kstui.screens.pod_operate import operate
from kstui.widgets.crumbs import Crumbs
from kstui.widgets.footer import Footer
from kstui.widgets.resource_table import ResourceTable

COLUMNS = (
    Column("NAME", max_width=40),
    Column("IMAGE", max_width=60),
    Column("READY"),
    Column("STATE", max_width=40),
    Column("RESTARTS", numeric=True),
    Column("INIT"),
)
POLL_SECONDS = 2.0


def container_rows(pod: dict[str, Any]) -> list[Row]:
    rows = []
    for info in actions.containers_of(pod):
        tone = (
            Tone.OK
            if info.ready
            else Tone.MUTED
            if info.state.startswith("terminated") and info.init
            else Tone.ERROR
            if "BackOff" in info.state or "Error" in info.state
            else Tone.WARN
        )
        rows.append(
            Row(
                info.name,
                (
                    info.name,
                    info.image,
                    "true" if info.ready else "false",
                    info.state,
                    str(info.restarts),
                    "yes" if info.init else "",
                ),
                tone,
            )
        )
    return rows


class ContainersScreen(ExplainsDisabledKeys, PluginsOnContainers, Screen[None]):
    DEFAULT_CSS = """
    ContainersScreen #crumbs {
        height: 1; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
    BINDINGS = [
        Binding("l", "logs", "logs", id="container.logs"),
        Binding("ctrl+e", "run", "run a command", id="container.run"),
        Binding("s", "shell", "shell", id="container.shell"),
        Binding("ctrl+k", "port_forward", "port-forward", id="container.port_forward"),
        Binding("ctrl+a", "attach", "attach", id="container.attach"),
        Binding("ctrl+u", "copy_files", "copy files", id="container.copy_files"),
        Binding("escape,q", "back", "back", id="container.back"),
    ]

    def __init__(self, backend: Backend, pod: dict[str, Any], *, crumb: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.pod = pod
        meta = pod.get("metadata") or {}
        self.namespace = str(meta.get("namespace", ""))
        self.pod_name = str(meta.get("name", ""))
        self.crumb = crumb or self.pod_name

    def compose(self) -> ComposeResult:
        yield Crumbs(f"{self.crumb} › containers", id="crumbs")
        yield ResourceTable(id="table")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(COLUMNS)
        table.apply(container_rows(self.pod), reset=True)
        self._show_crumbs()
        table.focus()
        self.bind_plugins()  # the config's plugins of `containers` (plugin_run.py)
        self.poll()

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def poll(self) -> None:
        """Container states change often and the pod is one object: poll it, never overlap."""
        kind = await self.backend.resolve("pods")
        client = await self.backend.open()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                self.pod = await actions.fetch(client, kind, self.namespace, self.pod_name)
            except KstuiError as error:
                self._show_crumbs(f"  {error.title}")
                continue
            self.query_one(ResourceTable).sync(container_rows(self.pod))
            self._show_crumbs()

    def _show_crumbs(self, problem: str = "") -> None:
        count = f"[{self.query_one(ResourceTable).row_count}]"
        self.query_one(Crumbs).show(f"{self.crumb} › containers", count, problem)

    @on(ResourceTable.RowChosen)
    def _chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        self.action_logs()

    def action_logs(self) -> None:
        key = self.query_one(ResourceTable).cursor_key
        if key:
            self.app.push_screen(
                LogsScreen.of_pod(self.backend, self.namespace, self.pod_name, key)
            )

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_run(self) -> None:
        """`ctrl+e`: a command in the container under the cursor (pod_operate.py)."""
        await self.operate("run")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_shell(self) -> None:
        """`s`: a shell in the container under the cursor."""
        await self.operate("shell")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_port_forward(self) -> None:
        """`ctrl+k`: forward a port of the container under the cursor."""
        await self.operate("port_forward")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_attach(self) -> None:
        """`ctrl+a`: attach to the main process of the container under the cursor."""
        await self.operate("attach")

    @work(group="operate", exclusive=True, exit_on_error=False)
    async def action_copy_files(self) -> None:
        """`ctrl+u`: copy files to or from the container under the cursor."""
        await self.operate("copy")

    async def operate(self, action: str) -> None:
        key = self.query_one(ResourceTable).cursor_key
        if key and action == "attach":
            await attach_in(self, self.backend, self.pod, key)
        elif key and action == "copy":
            await copy_in(self, self.backend, self.pod, key)
        elif key:
            await operate(action, self, self.backend, self.pod, key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "plugin":
            return self.check_plugin(str(parameters[0]))
        return None if self.denial(action) else True  # disabled: pressed, it says why

    def why_disabled(self, binding: ActiveBinding) -> str:
        """A plugin not marked safe, or an exec (run, shell, attach), in read-only mode."""
        return self.plugin_why(binding) or self.denial(binding.binding.action)

    def denial(self, action: str) -> str:
        return operate_denial(action, None, self.plugin_readonly()) if action in POD_ONLY else ""

    def action_back(self) -> None:
        self.dismiss(None)
