"""ResourcesScreen: a live list of any kind (k9s's browser), with the actions on its rows."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from kstui import command_line
from kstui.backends import actions, describe
from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.kinds import ResourceKind
from kstui.backends.rows import Projection, project, projection
from kstui.heap import HEAP
from kstui.model import utc_now
from kstui.safe_text import inert_line
from kstui.screens.confirm import ConfirmModal
from kstui.screens.editing import ObjectEditor
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import notify_failure
from kstui.screens.logs import LogsScreen
from kstui.screens.scale import ScaleModal
from kstui.screens.sending import WritesInFlight, reported
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.textual_leaks import Footer
from kstui.widgets.write_status import WriteStatus

WRITE_ACTIONS = frozenset({"edit", "delete", "scale", "restart"})
POD_PARENTS = frozenset({"deployments", "replicasets", "statefulsets", "daemonsets", "jobs",
                         "services", "replicationcontrollers"})


@dataclass(frozen=True, slots=True)
class Selection:
    """The object under the cursor: enough to fetch it and to name it to the user."""

    key: str
    namespace: str
    name: str
    kind: ResourceKind

    @property
    def label(self) -> str:
        return f"{self.kind.kind} {self.namespace}/{self.name}" if self.namespace \
            else f"{self.kind.kind} {self.name}"


@dataclass(frozen=True, slots=True, eq=False)
class Reading:
    """A fetch for a view. Only the current one may open its view: esc, another row or
    another fetch make it stale, and a slow server's late answer is then dropped."""

    what: str
    key: str


@dataclass(frozen=True, slots=True)
class Target:
    """What a ResourcesScreen lists."""

    kind: str
    """Any alias: `po`, `deployments.apps`, `workspacetemplates`."""
    namespace: str | None = None
    """None: the session's namespace; "": all namespaces."""
    context: str | None = None
    selector: str = ""
    field_selector: str = ""
    focus: str = ""
    """Put the cursor on this name once it is listed."""
    crumb: str = ""


class ResourcesScreen(WritesInFlight):
    DEFAULT_CSS = """
    ResourcesScreen #crumbs { height: 1; color: $text-muted; padding: 0 1; }
    ResourcesScreen ResourceTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("d", "describe", "describe", id="resource.describe"),
        Binding("y", "yaml", "yaml", id="resource.yaml"),
        Binding("e", "edit", "edit", id="resource.edit"),
        Binding("ctrl+d", "delete", "delete", id="resource.delete"),
        Binding("s", "scale", "scale", show=False, id="resource.scale"),
        Binding("r", "restart", "restart", show=False, id="resource.restart"),
        Binding("l", "logs", "logs", id="resource.logs"),
        Binding("c", "copy", "copy name", show=False, id="resource.copy"),
        Binding("o", "owner", "owner", show=False, id="resource.owner"),
        Binding("A", "all_namespaces", "all ns", show=False, id="resource.all_namespaces"),
        Binding("w", "wide", "wide", show=False, id="resource.wide"),
        Binding("greater_than_sign", "sort(1)", "sort →", show=False, id="resource.sort_next"),
        Binding("less_than_sign", "sort(-1)", "sort ←", show=False, id="resource.sort_prev"),
        Binding("equals_sign", "sort(0)", "reverse", show=False, id="resource.sort_reverse"),
        Binding("escape", "back", "back", show=False, id="resource.back"),
    ]

    @dataclass
    class CommandEntered(Message):
        """A `:` line for the app to carry out (switch kind, namespace, context, quit)."""

        command: command_line.Command
        screen: ResourcesScreen

    @dataclass
    class Loaded(Message):
        """The first complete list arrived (the app freezes the GC's view of it)."""

        rows: int

    def __init__(self, env: ScreenEnv, target: Target) -> None:
        super().__init__()
        self.env = env
        self.first_frame = env.first_frame
        """Set once the app's first frame is on the terminal; the network waits for it."""
        self.session = env.session
        self.target = target
        self.backend: Backend = self.session.backend(target.context)
        self.frozen_now = env.frozen_now
        self.coalesce_seconds = env.coalesce_seconds
        self.kind: ResourceKind | None = None
        self.names: dict[str, tuple[str, str]] = {}
        """Row key → (namespace, name): what actions need to fetch the object."""
        self.wide = False
        self.view: Projection | None = None
        self.table_columns: tuple[Any, ...] = ()
        self.filter_text = ""
        self.loaded = False
        self.pending: set[str] = set()
        self.reading: Reading | None = None
        """The object being fetched for a view (describe, yaml, owner, enter), if any."""
        self.released = False
        """A history step: another list covers this one, which keeps no rows meanwhile."""
        self._reopen_at: str | None = None

    # ------------------------------------------------------------------ layout

    @property
    def namespace(self) -> str:
        return self.session.namespace if self.target.namespace is None else self.target.namespace

    @property
    def context(self) -> str:
        return self.backend.name

    def crumbs(self) -> str:
        where = self.namespace or "all"
        if self.kind is not None and not self.kind.namespaced:
            label = self.kind.resource  # cluster-scoped: no namespace to name
        else:
            label = f"{self.kind.resource if self.kind else self.target.kind}({where})"
        if self.target.selector:
            label += f" -l {self.target.selector}"
        if self.target.field_selector:
            label += f" --field-selector {self.target.field_selector}"
        return f"{self.target.crumb} › {label}" if self.target.crumb else label

    def _show_crumbs(self) -> None:
        """Breadcrumbs, the row count (… while the list is still arriving) and the filter."""
        table = self.query_one(ResourceTable)
        count = f"{table.visible_count}/{table.row_count}" if self.filter_text \
            else str(table.row_count)
        text = f"{self.crumbs()}[{count}{'' if self.loaded else '…'}]"
        if self.filter_text:
            text += f"  /{self.filter_text}"
        if self.reading is not None:
            text += f"  {self.reading.what}…  (esc cancels)"
        self.query_one("#crumbs", Static).update(text)

    def compose(self) -> ComposeResult:
        yield ContextBar(id="context-bar",
                         frozen_age="updated 0s ago" if self.frozen_now else None)
        yield Plain(self.crumbs(), id="crumbs", one_line=True)
        yield ResourceTable(id="table")
        yield WriteStatus(id="write-status")
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        if self.frozen_now is not None:
            table.freeze_time(self.frozen_now)
        self.set_focus(table)  # now: keys replayed after a `:` command land here
        self._start()

    def on_unmount(self) -> None:
        HEAP.released()  # the heap may have been frozen with this list in it: let it go

    def on_screen_suspend(self) -> None:
        """Another list covers this one: it becomes a history step, which keeps what reopens
        it (target, filter, cursor) but not its rows or its watch. Going back lists it again,
        at once while its cache lingers. Describe, logs and modals on top keep the rows."""
        if isinstance(self.app.screen, ResourcesScreen) and self.app.screen is not self:
            self._release()

    def on_screen_resume(self) -> None:
        if self.released:
            self.released = False
            self.watch_rows()

    def _release(self) -> None:
        table = self.query_one(ResourceTable)
        self.workers.cancel_group(self, "watch")
        self._reopen_at = table.cursor_key
        self.names, self.loaded, self.pending = {}, False, set()
        table.apply(reset=True)
        table.set_pending(())
        table.set_empty_message("loading…")
        self.released = True
        HEAP.released()

    def _start(self) -> None:
        """Show where this list comes from, then start listing it (mount and retarget)."""
        bar = self.query_one(ContextBar)
        info = self.backend.info
        bar.context, bar.cluster, bar.user = info.name, info.cluster, info.user
        bar.namespace, bar.problem, bar.synced_at = self.namespace, "", None
        bar.readonly = self.session.readonly(self.context)
        waiting = "" if self.backend.client else self.session.kubeconfig.exec_waiting(self.context)
        self.query_one(ResourceTable).set_empty_message(waiting or "loading…")
        self.watch_rows()
        self.show_identity()

    async def _after_first_frame(self) -> None:
        """Connecting loads httpx and the kubernetes package: after the first frame."""
        if self.first_frame is not None:
            await self.first_frame.wait()

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        await self._after_first_frame()
        await self.backend.open()
        user, notice = await self.backend.identity(), self.backend.notice
        self.query_one(ContextBar).user = f"{user} ({notice})" if notice else user

    def retarget(self, target: Target) -> None:
        """List something else in place (a namespace or context switch): no new history."""
        self.target = target
        self.backend = self.session.backend(target.context)
        self.kind, self.view, self.table_columns = None, None, ()
        self.names, self.loaded, self.pending = {}, False, set()
        self.query_one(ResourceTable).apply(reset=True)
        self._set_filter("")
        self.refresh_bindings()
        self._start()

    # ------------------------------------------------------------------ the live list

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_rows(self) -> None:
        table = self.query_one(ResourceTable)
        bar = self.query_one(ContextBar)
        await self._after_first_frame()
        try:
            await self.backend.open()
            table.set_empty_message("loading…")  # the exec plugin, if any, has answered
            self.kind = kind = await self.backend.resolve(self.target.kind)
        except KstuiError as error:
            table.set_empty_message(f"{error.title}\n{error.hint}".strip())
            bar.problem = error.title
            return
        if not kind.namespaced:
            bar.namespace = "(cluster)"
        self._show_crumbs()
        self.refresh_bindings()
        path = kind.path(self.namespace or None) if kind.namespaced else kind.path()
        assert self.backend.caches is not None
        async with self.backend.caches.subscribe(
                path, label_selector=self.target.selector,
                field_selector=self.target.field_selector) as subscription:
            async for delta in subscription.changes(self.coalesce_seconds):
                self._apply(delta, subscription.cache.columns)
                bar.synced_at = delta.synced_at
                bar.problem = delta.error.title if delta.error is not None else ""
                if delta.error is not None and not table.row_count:
                    table.set_empty_message(f"{delta.error.title}\n{delta.error.hint}".strip())

    def _apply(self, delta: Any, columns: tuple[Any, ...]) -> None:
        table = self.query_one(ResourceTable)
        if self.view is None or columns != self.table_columns:
            self.table_columns = columns
            self._set_projection()
        assert self.view is not None
        if delta.reset:
            self.names = {}
        for row in delta.upserted:
            self.names[row.key] = (row.namespace, row.name)
        for key in delta.deleted:
            self.names.pop(key, None)
        table.apply(project(delta.upserted, self.view), delta.deleted, reset=delta.reset)
        if self.pending:
            self.pending -= {row.key for row in delta.upserted} | set(delta.deleted)
            self._show_pending()
        if delta.loaded and not self.loaded:
            self.loaded = True
            self._focus_target()
            self.post_message(self.Loaded(table.row_count))
        self._show_crumbs()
        if delta.loaded and not table.row_count:
            where = f" in {self.namespace}" if self.namespace and self.kind and \
                self.kind.namespaced else ""
            what = self.kind.resource if self.kind else self.target.kind
            table.set_empty_message(f"no {what}{where}")

    def _set_projection(self) -> None:
        table = self.query_one(ResourceTable)
        all_namespaces = bool(self.kind and self.kind.namespaced and not self.namespace)
        self.view = projection(self.table_columns, wide=self.wide,
                               with_namespace=all_namespaces)
        table.set_columns(self.view.columns)

    def _focus_target(self) -> None:
        if self._reopen_at is not None:  # back from the history: where the cursor was
            key, self._reopen_at = self._reopen_at, None
            if key in self.names:
                self.query_one(ResourceTable).move_cursor_to(key)
            return
        if not self.target.focus:
            return
        for key, (_namespace, name) in self.names.items():
            if name == self.target.focus:
                self.query_one(ResourceTable).move_cursor_to(key)
                return

    # ------------------------------------------------------------------ the selected row

    def selected(self) -> Selection | None:
        """The row under the cursor, once the kind is known."""
        key = self.query_one(ResourceTable).cursor_key
        if key is None or key not in self.names or self.kind is None:
            return None
        namespace, name = self.names[key]
        return Selection(key, namespace, name, self.kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS:
            if self.session.readonly(self.context):
                return None  # shown, but disabled: read-only
            kind = self.kind
            if kind is not None:
                if action == "scale" and not actions.scalable(kind):
                    return None
                if action == "restart" and kind.resource not in actions.RESTARTABLE:
                    return None
                if action == "delete" and not kind.can("delete"):
                    return None
                if action == "edit" and not kind.can("update"):
                    return None
        if action == "logs" and self.kind is not None and self.kind.resource != "pods":
            return None
        return True

    @on(ResourceTable.RowChosen)
    def _row_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        self.drill_down()

    @work(group="read", exclusive=True, exit_on_error=False)
    async def drill_down(self) -> None:
        """Deployment → its pods, pod → its containers, namespace → its pods, node → its pods,
        anything else → its owner (or its description when it has none)."""
        picked = self.selected()
        if picked is None:
            return
        namespace, name, kind = picked.namespace, picked.name, picked.kind
        crumb = self.crumbs()
        if kind.resource == "namespaces":
            self.app.push_screen(self._child(Target("pods", name, self.target.context,
                                                    crumb=crumb)))
            return
        if kind.resource == "nodes":
            self.app.push_screen(self._child(Target(
                "pods", "", self.target.context, field_selector=f"spec.nodeName={name}",
                crumb=f"{crumb} › {name}")))
            return
        reading = self._begin_reading(f"opening {picked.label}", picked)
        try:
            client = await self.backend.open()
            obj = await actions.fetch(client, kind, namespace, name)
            selector = actions.pod_selector(obj) if kind.resource in POD_PARENTS else None
            events = None
            if kind.resource != "pods" and not selector and actions.controller_of(obj) is None:
                events = await actions.events_for(client, obj)
        finally:
            current = self._end_reading(reading)
        if not current:
            return
        if kind.resource == "pods":
            from kstui.screens.containers import ContainersScreen
            self.app.push_screen(ContainersScreen(self.backend, obj, crumb=f"{crumb} › {name}"))
        elif selector:
            self.app.push_screen(self._child(Target(
                "pods", namespace, self.target.context, selector=selector,
                crumb=f"{crumb} › {name}")))
        elif events is None:
            await self._open_owner(obj)
        else:
            self._show_description(obj, events)

    def _child(self, target: Target) -> ResourcesScreen:
        return ResourcesScreen(self.env, target)

    async def _open_owner(self, obj: dict[str, Any]) -> None:
        owner = actions.controller_of(obj)
        if owner is None:
            self.notify("this object has no owner", severity="warning")
            return
        api_version, owner_kind, owner_name = owner
        group = api_version.split("/")[0] if "/" in api_version else ""
        alias = f"{owner_kind}.{group}" if group else owner_kind
        namespace = (obj.get("metadata") or {}).get("namespace") or ""
        self.app.push_screen(self._child(Target(
            alias, namespace, self.target.context, focus=owner_name,
            crumb=f"{self.crumbs()} › {(obj.get('metadata') or {}).get('name')}")))

    def _show_description(self, obj: dict[str, Any], events: list[dict[str, Any]]) -> None:
        meta = obj.get("metadata") or {}
        now = self.frozen_now or utc_now()
        where = "/".join(p for p in (meta.get("namespace"), meta.get("name")) if p)
        label = f"{obj.get('kind', '')} {where}"
        self.app.push_screen(TextViewScreen(
            f"describe {label} @ {self.context}",
            lambda _reveal: describe.describe(obj, events, now)))

    # ------------------------------------------------------------------ read actions

    def _begin_reading(self, what: str, picked: Selection) -> Reading:
        self.reading = Reading(what, picked.key)
        self._show_crumbs()
        return self.reading

    def _end_reading(self, reading: Reading) -> bool:
        """True when this fetch is still wanted: then its view may open."""
        if self.reading is not reading:
            return False
        self.reading = None
        self._show_crumbs()
        return True

    def cancel_reading(self) -> bool:
        if self.reading is None:
            return False
        self.reading = None
        self.workers.cancel_group(self, "read")
        self._show_crumbs()
        return True

    @on(ResourceTable.CursorMoved)
    def _cursor_moved(self, event: ResourceTable.CursorMoved) -> None:
        if self.reading is not None and event.key != self.reading.key:
            self.cancel_reading()  # the view was asked for another row

    async def _fetch_for_view(self, what: str, picked: Selection, *, events: bool = False,
                              ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """The object (and its events), or None when the view is no longer wanted."""
        reading = self._begin_reading(f"{what} {picked.label}", picked)
        try:
            client = await self.backend.open()
            obj = await actions.fetch(client, picked.kind, picked.namespace, picked.name)
            found = await actions.events_for(client, obj) if events else []
        finally:
            current = self._end_reading(reading)
        return (obj, found) if current else None

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_describe(self) -> None:
        picked = self.selected()
        got = picked and await self._fetch_for_view("describe", picked, events=True)
        if got:
            self._show_description(*got)

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_yaml(self) -> None:
        picked = self.selected()
        got = picked and await self._fetch_for_view("yaml", picked)
        if not picked or not got:
            return
        obj = got[0]
        secret = obj.get("kind") == "Secret"
        self.app.push_screen(TextViewScreen(
            f"yaml {picked.label} @ {self.context}"
            + ("  (values hidden: x reveals)" if secret else ""),
            lambda reveal: describe.to_yaml(obj, reveal_secrets=reveal),
            language="yaml", has_secrets=secret))

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_owner(self) -> None:
        picked = self.selected()
        got = picked and await self._fetch_for_view("owner of", picked)
        if got:
            await self._open_owner(got[0])

    def action_logs(self) -> None:
        picked = self.selected()
        if picked is not None:
            self.app.push_screen(LogsScreen(self.backend, picked.namespace, picked.name, None))

    def action_copy(self) -> None:
        picked = self.selected()
        if picked is not None:
            self.app.copy_to_clipboard(inert_line(picked.name))  # pasted into shells
            self.notify(f"copied {picked.name}")

    def action_all_namespaces(self) -> None:
        if self.kind is not None and not self.kind.namespaced:
            return
        namespace = self.session.namespace if not self.namespace else ""
        self.post_message(self.CommandEntered(
            command_line.GoTo(self.target.kind, namespace, self.target.context,
                              self.target.selector), self))

    def action_wide(self) -> None:
        self.wide = not self.wide
        if self.table_columns:
            self._set_projection()
            self.watch_rows()  # a fresh subscription replays every row in the new columns

    def action_sort(self, step: int) -> None:
        table = self.query_one(ResourceTable)
        if step == 0:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)
        else:
            count = max(1, len(self.view.columns) if self.view else 1)
            table.sort_by((table.sort_column + step) % count, reverse=False)

    # ------------------------------------------------------------------ write actions

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_delete(self) -> None:
        picked = self.selected()
        if picked is None:
            return
        confirmed = await self.app.push_screen_wait(ConfirmModal(
            f"Delete {picked.label} on {self.context}?",
            "Dependents are removed by the garbage collector (propagation: Background)."))
        if not confirmed:
            return
        client = await self.backend.open()
        self._send(picked.key, f"deleting {picked.label}…", f"delete of {picked.label}",
                   lambda: actions.delete(client, picked.kind, picked.namespace, picked.name))

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_scale(self) -> None:
        picked = self.selected()
        if picked is None:
            return
        client = await self.backend.open()
        reading = self._begin_reading(f"scale {picked.label}", picked)  # esc, `/`... drop it
        try:
            current = await actions.replicas(client, picked.kind, picked.namespace, picked.name)
        finally:
            wanted = self._end_reading(reading)
        if not wanted:
            return
        count = await self.app.push_screen_wait(ScaleModal(picked.label, current))
        if count is None or count == current:
            return
        self._send(picked.key, f"scaling {picked.label} to {count}…",
                   f"scale of {picked.label}", lambda: actions.scale(
                       client, picked.kind, picked.namespace, picked.name, count))

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_restart(self) -> None:
        picked = self.selected()
        if picked is None:
            return
        confirmed = await self.app.push_screen_wait(ConfirmModal(
            f"Restart {picked.label} on {self.context}?",
            "Pods are replaced by a rolling update.", yes="Restart", dangerous=False))
        if not confirmed:
            return
        client = await self.backend.open()
        at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._send(picked.key, f"restarting {picked.label}…", f"restart of {picked.label}",
                   lambda: actions.restart(client, picked.kind, picked.namespace, picked.name,
                                           at))

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_edit(self) -> None:
        picked = self.selected()
        if picked is None:
            return
        client = await self.backend.open()
        # Read first, as a view does: esc, `/` or another row drop a slow read, so the
        # editor never opens over keys meant for the prompt.
        reading = self._begin_reading(f"edit {picked.label}", picked)
        try:
            server_copy = await actions.fetch(client, picked.kind, picked.namespace, picked.name)
        finally:
            wanted = self._end_reading(reading)
        if not wanted:
            return
        editor = ObjectEditor(self.app, client, picked.kind, picked.label,
                              context=self.context, key=picked.key, host=self)
        # An app worker: the save is not cancelled by the next key or by leaving the screen.
        edit = editor.edit(picked.namespace, picked.name, server_copy=server_copy)
        self.app.run_worker(reported(self.app, edit), group="write-send", exit_on_error=False)

    # ------------------------------------------------------------------ prompt

    def prompt_opening(self) -> None:
        """The app opens the `:`/`/` prompt: a view opening late would take its keys."""
        self.cancel_reading()

    def filter_changed(self, table: ResourceTable) -> None:
        self.filter_text = table.filter_text
        self._show_crumbs()

    async def select_labels(self, selector: str) -> None:
        """`/-l k=v`: this list again, with a label selector."""
        await self.app.push_screen(self._child(replace(
            self.target, selector=selector, focus="", crumb=self.crumbs())))

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        self.query_one(ResourceTable).set_filter(text)
        self._show_crumbs()

    def action_back(self) -> None:
        if self.cancel_reading():
            return
        if self.filter_text:
            self._set_filter("")
            return
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)

    # ------------------------------------------------------------------ errors

    def on_worker_state_changed(self, event: Any) -> None:
        """A failed user action becomes one notification; the list keeps its last rows."""
        worker = event.worker
        if worker.error is None or (worker.group == "watch" and self.is_attached is False):
            return
        notify_failure(self, worker.error)


def browser(env: ScreenEnv, _service: None = None) -> ResourcesScreen:
    """The Resources section's first screen: the kind given by `--kind`."""
    return ResourcesScreen(env, Target(env.start_kind))
