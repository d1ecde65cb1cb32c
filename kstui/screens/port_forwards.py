"""Port-forward (`ctrl+k`) from a pod, a Service or a workload row, and `:pf`, the running
forwards with their connections and bytes (`ctrl+d` stops one, `r` re-targets one whose pod
went away). The forwards belong to the app
(port_forward.Forwards) and keep running across screens until stopped; a Service or a workload
forwards to one ready pod of theirs, as kubectl does."""

from __future__ import annotations

from typing import Any, Protocol

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer

from kstui.backends import actions
from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.port_forward import (
    Forwards,
    PortForward,
    container_ports,
    pick_pod,
    service_target,
)
from kstui.model import Column, Row, Tone
from kstui.screens.container_pick import ContainerPickModal
from kstui.screens.failures import notify_failure
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable


class Host(Protocol):
    @property
    def app(self) -> App[Any]: ...


def forwards_of(app: object) -> Forwards:
    """The app's forwards (made on first use)."""
    forwards = getattr(app, "port_forwards", None)
    if not isinstance(forwards, Forwards):
        forwards = Forwards()
        setattr(app, "port_forwards", forwards)  # noqa: B010 - an attribute the app may lack
    return forwards


async def forward_from(
    screen: Host, backend: Backend, obj: dict[str, Any], container: str | None = None
) -> None:
    """`ctrl+k`: pick the port (when there are several; of `container` only, from a container
    row), listen on the same local port or the next free one, and say where."""
    app = screen.app
    meta = obj.get("metadata") or {}
    namespace, name, kind = str(meta.get("namespace", "")), str(meta.get("name", "")), obj["kind"]
    try:
        client = await backend.open()
        pod = obj
        if kind != "Pod":
            selector = actions.pod_selector(obj)
            listed = selector and await client.get(
                f"/api/v1/namespaces/{namespace}/pods", {"labelSelector": selector}
            )
            found = pick_pod(listed.get("items") or []) if listed else None
            if found is None:
                app.notify(
                    f"port-forward: {kind.lower()} {namespace}/{name} has no running pod",
                    severity="warning",
                )
                return
            pod = found
        choices: dict[str, tuple[int, int]] = {}  # label → (local port wanted, pod port)
        if kind == "Service":
            for port in (obj.get("spec") or {}).get("ports") or []:
                target = service_target(obj, pod, port)
                named = f" ({port['name']})" if port.get("name") else ""
                label = f"{port.get('port')}/{port.get('protocol', 'TCP')}{named} → {target}"
                choices[label] = (int(port.get("port") or target), target)
        else:
            for declared in container_ports(pod):
                if container in (None, declared.container):
                    choices[declared.label] = (declared.port, declared.port)
        if not choices:
            app.notify(
                f"port-forward: {kind.lower()} {namespace}/{name}"
                + (f' container "{container}"' if container else "")
                + " declares no ports",
                severity="warning",
            )
            return
        label = next(iter(choices))
        if len(choices) > 1:
            question = f"port-forward {kind.lower()} {name}: which port?"
            picked = await app.push_screen_wait(
                ContainerPickModal(name, list(choices), question=question, offer_all=False)
            )
            if picked is None:
                return
            label = picked
        wanted, port = choices[label]
        pod_meta = pod.get("metadata") or {}
        forward = PortForward(
            client,
            namespace,
            str(pod_meta.get("name", "")),
            port,
            wanted,
            uid=str(pod_meta.get("uid", "")),
            label="" if kind == "Pod" else f"{kind.lower()}/{name}",
            selector="" if kind == "Pod" else actions.pod_selector(obj) or "",
        )
        await forwards_of(app).add(forward)
    except KstuiError as error:
        notify_failure(app, error)
        return
    moved = f" ({forward.wanted} is in use here)" if forward.moved else ""
    app.notify(
        f"127.0.0.1:{forward.local} → {forward.where}{moved}; :pf lists the forwards",
        title="port-forward",
        timeout=10,
    )


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count:.1f} GiB"


def row_of(key: str, forward: PortForward) -> Row:
    target = f"{forward.namespace}/{forward.pod}:{forward.port}"
    state = "pod gone" if forward.gone else "error" if forward.last_error else "forwarding"
    tone = Tone.ERROR if forward.gone or forward.last_error else Tone.OK
    cells = (
        f"127.0.0.1:{forward.local}",
        state,
        f"{forward.active}/{forward.connections}",
        _size(forward.bytes_in),
        _size(forward.bytes_out),
        target + (f" ({forward.label})" if forward.label else ""),
    )
    return Row(key, cells, tone)


class PortForwardsScreen(Screen[None]):
    """`:pf`: the running forwards, refreshed each second."""

    DEFAULT_CSS = """
    PortForwardsScreen #title {
        height: 1; background: $panel; text-style: bold; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    PortForwardsScreen #detail { height: auto; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("escape,q", "back", "back", id="forwards.back"),
        Binding("ctrl+d", "stop", "stop forward", id="forwards.delete"),
        Binding("r", "retarget", "re-target", id="forwards.restart"),
    ]
    COLUMNS = (
        Column("LOCAL", max_width=15),
        Column("STATE", max_width=10),
        Column("CONNS", numeric=True, max_width=9),
        Column("IN", numeric=True, max_width=9),
        Column("OUT", numeric=True, max_width=9),
        Column("TARGET", max_width=80),
    )

    def __init__(self, forwards: Forwards) -> None:
        super().__init__()
        self.forwards = forwards

    def compose(self) -> ComposeResult:
        yield Plain("port-forwards", id="title", one_line=True)
        yield ResourceTable(id="forwards")
        yield Plain("", id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(self.COLUMNS)
        table.set_empty_message("no port-forwards: ctrl+k on a pod, a service or a workload")
        self.show()
        self.set_interval(1.0, self.show)
        table.focus()

    def show(self) -> None:
        table = self.query_one(ResourceTable)
        table.sync(row_of(self._key(forward), forward) for forward in self.forwards.items)
        count = len(self.forwards.items)
        title = f"port-forwards ({count})" if count else "port-forwards: none (ctrl+k on a pod)"
        self.query_one("#title", Plain).update(title)
        self.show_detail()

    @staticmethod
    def _key(forward: PortForward) -> str:
        return str(id(forward))  # one row per forward object, whatever it forwards to

    def _selected(self) -> PortForward | None:
        key = self.query_one(ResourceTable).cursor_key
        return next((f for f in self.forwards.items if self._key(f) == key), None)

    def on_resource_table_cursor_moved(self) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        """The highlighted forward's whole story: where its pod went, its last error."""
        forward = self._selected()
        text = ""
        if forward is not None:
            text = forward.gone + " (r re-targets)" if forward.gone else forward.last_error
        self.query_one("#detail", Plain).update(text)

    async def action_stop(self) -> None:
        forward = self._selected()
        if forward is None:
            self.notify("no forward to stop", severity="warning")
            return
        await self.forwards.stop(forward)
        self.notify(f"stopped 127.0.0.1:{forward.local} → {forward.where}")
        self.show()

    async def action_retarget(self) -> None:
        """`r` on a forward whose pod went away: to a running pod of the same owner."""
        forward = self._selected()
        if forward is None:
            self.notify("no forward to re-target", severity="warning")
            return
        if not forward.gone:
            self.notify(f"{forward.where} is still there: nothing to re-target")
            return
        try:
            said = await forward.retarget()
        except KstuiError as error:
            notify_failure(self.app, error)
            return
        self.notify(said, title="re-target", severity="warning" if forward.gone else "information")
        self.show()

    def action_back(self) -> None:
        self.dismiss(None)
