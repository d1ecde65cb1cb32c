"""ResourcesScreen: a live list of any kind (k9s's browser), with the actions on its rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.message import Message

from kstui.backends.backend import Backend
from kstui.backends.errors import KstuiError
from kstui.backends.kinds import ResourceKind, UnknownKind
from kstui.heap import HEAP
from kstui.safe_text import inert_line
from kstui.screens.disabled_keys import ExplainsDisabledKeys
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import notify_failure
from kstui.screens.live_list import LOADING, LiveList
from kstui.screens.operate_rules import action_denial, applies
from kstui.screens.plugin_rows import PluginsOnResources
from kstui.screens.resource_routes import OperatesOnPods, ResourceRoutes
from kstui.screens.resource_target import Readings, Selection, Target, crumb_label, empty_text
from kstui.screens.resource_write_keys import WriteKeys
from kstui.screens.resource_writes import ResourceWrites
from kstui.screens.sections import FIRST_VIEW
from kstui.screens.sending import WritesInFlight
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.crumbs import Crumbs
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.table_store import filter_problem
from kstui.widgets.write_status import WriteStatus

if TYPE_CHECKING:
    from kstui.command_line import Command

__all__ = ["ResourcesScreen", "Selection", "Target"]


DEFAULT_KIND = "pods"  # what the browser lists when `--kind` names no kind


class ResourcesScreen(
    WriteKeys, WritesInFlight, ExplainsDisabledKeys, PluginsOnResources, OperatesOnPods
):
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
        Binding("s", "shell", "shell", show=False, id="resource.shell"),  # on pods (applies)
        Binding("r", "restart", "restart", show=False, id="resource.restart"),
        Binding("l", "logs", "logs", id="resource.logs"),
        Binding("E", "events", "events", show=False, id="resource.events"),
        Binding("c", "copy", "copy name", show=False, id="resource.copy"),
        Binding("o", "owner", "owner", show=False, id="resource.owner"),
        Binding("A", "all_namespaces", "all ns", show=False, id="resource.all_namespaces"),
        Binding("ctrl+w", "wide", "wide", show=False, id="resource.wide"),
        Binding("greater_than_sign", "sort(1)", "sort →", show=False, id="resource.sort_next"),
        Binding("less_than_sign", "sort(-1)", "sort ←", show=False, id="resource.sort_prev"),
        Binding("equals_sign", "sort(0)", "reverse", show=False, id="resource.sort_reverse"),
        Binding("escape,q", "back", "back", show=False, id="resource.back"),
    ]

    class CommandEntered(Message):
        """A `:` line for the app to carry out (switch kind, namespace, context, quit)."""

        def __init__(self, command: Command, screen: ResourcesScreen) -> None:
            super().__init__()
            self.command, self.screen = command, screen

    class Loaded(Message):
        """The first complete list arrived (the app settles the heap after it)."""

        def __init__(self, rows: int) -> None:
            super().__init__()
            self.rows = rows

    def __init__(self, env: ScreenEnv, target: Target) -> None:
        super().__init__()
        self.env = env
        self.first_frame = env.first_frame  # set once the first frame is drawn: network after
        self.session = env.session
        self.target = target
        self.backend: Backend = self.session.backend(target.context)
        self.frozen_now = env.frozen_now
        self.coalesce_seconds = env.coalesce_seconds
        self.kind: ResourceKind | None = None
        self.filter_text = ""
        self.live = LiveList(
            coalesce_seconds=self.coalesce_seconds,
            pending=self.pending,
            empty=lambda: empty_text(self.target, self.kind, self.namespace),
            show_pending=self._show_pending,
            on_loaded=self._loaded,
            on_delta=lambda _: self._show_crumbs(),
        )
        """The live list: rows, names, pending marks (table and bar are set on mount)."""
        self.routes = ResourceRoutes(self)
        self.writes = ResourceWrites(self)
        self.readings = Readings(self._show_crumbs, lambda: self.workers.cancel_group(self, "read"))
        """The object being fetched for a view (describe, yaml, owner, enter), if any."""
        self.released = False
        """A history step: another list covers this one, which keeps no rows meanwhile."""
        self.namespace_before_all: str | None = None
        """What `A` goes back to from all namespaces (None: the context's current one)."""

    # ------------------------------------------------------------------ layout

    @property
    def namespace(self) -> str:
        """The target's, else its context's current namespace (session.py); "" is all."""
        if self.target.namespace is None:
            return self.session.namespace_of(self.context)
        return self.target.namespace

    @property
    def context(self) -> str:
        return self.backend.name

    @property
    def names(self) -> Mapping[str, tuple[str, str]]:
        """Row key → (namespace, name): what actions need to fetch the object."""
        return self.live.names

    @property
    def loaded(self) -> bool:
        return self.live.loaded

    def crumbs(self) -> str:
        """This list's step; one on another context than the app's names it (`@member`)."""
        away = "" if self.context == self.session.context else self.context
        return crumb_label(self.target, self.kind, self.namespace, away)

    def _show_crumbs(self) -> None:
        """Breadcrumbs, the row count (… while the list is still arriving, — when it is not
        coming) and the filter."""
        table = self.query_one(ResourceTable)
        count = (
            f"{table.visible_count}/{table.row_count}" if self.filter_text else str(table.row_count)
        )
        extra = ""
        if self.filter_text:
            extra += f"  /{self.filter_text}"
            if (problem := filter_problem(self.filter_text)) is not None:
                extra += f"  ({problem})"
        if (reading := self.readings.current) is not None:
            extra += f"  {reading.what}…  (esc cancels)"
        if self.live.stopped is not None and not table.row_count:
            count = "—"  # the list never came, and is not coming (forbidden, not found)
        elif not self.loaded:
            count += "…"
        self.query_one(Crumbs).show(self.crumbs(), f"[{count}]", extra)

    def compose(self) -> ComposeResult:
        yield ContextBar(id="context-bar", frozen_age="updated 0s ago" if self.frozen_now else None)
        yield Crumbs(self.crumbs(), id="crumbs")
        yield ResourceTable(id="table")
        if self.first_frame is None or self.first_frame.is_set():
            yield from self._parts_after_first_frame()

    def _parts_after_first_frame(self) -> ComposeResult:
        """What the first frame does without: the write status and the prompt are hidden, and
        the footer shows no keys before the first rows (env.first_rows)."""
        from kstui.widgets.footer import Footer  # with Textual's: ~1.5 ms, after the frame
        from kstui.widgets.prompt import Prompt

        yield WriteStatus(id="write-status")
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False, hold=self.env.first_rows)

    async def _compose_after_first_frame(self) -> None:
        """The first screen's last parts come after its first frame (~5 ms of CPU before it,
        issue 18); the keys read meanwhile are held (on_mount) until they are in."""
        from kstui.widgets.prompt import Prompt

        await self.mount(*self._parts_after_first_frame())
        self.app.post_message(Prompt.Settled())  # the key gate lets them go (key_gate.py)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        self.live.table, self.live.bar = table, self.query_one(ContextBar)
        if self.frozen_now is not None:
            table.freeze_time(self.frozen_now)
        self.set_focus(table)  # now: keys replayed after a `:` command land here
        if not self.query("#prompt"):  # the first list: no prompt yet for the keys read
            hold_keys = getattr(self.app, "hold_keys", None)  # the app's key gate
            if hold_keys is not None:
                hold_keys()
            self.call_after_refresh(self._compose_after_first_frame)
        self.bind_plugins()  # the config's plugins (plugin_run.py), on the rows of their kinds
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
        self.workers.cancel_group(self, "watch")
        cursor = self.query_one(ResourceTable).cursor_key
        self.live.clear()
        self.live.focus_key = cursor  # the way back puts the cursor here again
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
        self.query_one(ResourceTable).set_empty_message(waiting or LOADING)
        self.live.focus_name = self.target.focus
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
        self.query_one(ContextBar).user = await self.backend.identity_label()

    @property
    def is_first_list(self) -> bool:
        """The section's first screen (the one `--kind` chose), not a step pushed on it."""
        stack = self.app.screen_stack
        return bool(stack) and stack[0] is self

    def retarget(self, target: Target, *, keep_view: bool = False) -> None:
        """List something else in place (a namespace or context switch, `A`): no new history.
        `keep_view` (`A`): the filter and the cursor's row stay; the sort always does."""
        cursor = self.query_one(ResourceTable).cursor_key
        self.target = target
        self.backend = self.session.backend(target.context)
        self.kind = None
        self.live.clear(forget_columns=True)
        if keep_view:
            self.live.focus_key = cursor
        else:
            self.namespace_before_all = None
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
            table.set_empty_message(LOADING)  # the exec plugin, if any, has answered
            self.kind = kind = await self.backend.resolve(self.target.kind)
        except UnknownKind as error:
            if self.is_first_list and self.target.kind != DEFAULT_KIND:
                # `--kind foo`: say so and list the default kind rather than nothing
                self.notify(str(error), title="--kind", severity="error")
                self.retarget(self.target._replace(kind=DEFAULT_KIND, focus=""))
                return
            self.live.failed(error)
            return
        except KstuiError as error:
            self.live.failed(error)
            return
        if not kind.namespaced:
            bar.namespace = "(cluster)"
        self._show_crumbs()
        self.refresh_bindings()
        self.live.with_namespace = bool(kind.namespaced and not self.namespace)
        path = kind.path(self.namespace or None) if kind.namespaced else kind.path()
        assert self.backend.caches is not None
        await self.live.follow(
            self.backend.caches,
            path,
            label_selector=self.target.selector,
            field_selector=self.target.field_selector,
        )

    def _loaded(self) -> None:
        self.post_message(self.Loaded(self.query_one(ResourceTable).row_count))

    # ------------------------------------------------------------------ the selected row

    def selected(self) -> Selection | None:
        """The row under the cursor, once the kind is known."""
        key = self.query_one(ResourceTable).cursor_key
        if key is None or key not in self.names or self.kind is None:
            return None
        namespace, name = self.names[key]
        return Selection(key, namespace, name, self.kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "plugin":  # hidden off its kinds, disabled when read-only and not safe
            return self.check_plugin(str(parameters[0]))
        if not applies(action, self.kind):  # `s`: a shell on pods, scale elsewhere
            return False
        return None if self.denial(action) else True  # disabled: pressed, it says why

    def why_disabled(self, binding: ActiveBinding) -> str:
        """A key that does not apply here, pressed (ExplainsDisabledKeys): why."""
        return self.plugin_why(binding) or self.denial(binding.binding.action)

    def denial(self, action: str) -> str:
        """Why a write or an exec does not apply here ("" when it does, and for the rest)."""
        return action_denial(action, self.kind, self.session.readonly_reason(self.context))

    @on(ResourceTable.RowChosen)
    def _row_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        self.drill_down()

    @work(group="read", exclusive=True, exit_on_error=False)
    async def drill_down(self) -> None:
        """Enter: where the row leads (resource_routes.py)."""
        await self.routes.drill_down()

    def child(self, target: Target) -> ResourcesScreen:
        return ResourcesScreen(self.env, target)

    # ------------------------------------------------------------------ read actions

    def cancel_reading(self) -> bool:
        return self.readings.cancel()

    @on(ResourceTable.CursorMoved)
    def _cursor_moved(self, event: ResourceTable.CursorMoved) -> None:
        self.readings.moved_to(event.key)

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_describe(self) -> None:
        await self.routes.describe()

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_yaml(self) -> None:
        await self.routes.yaml()

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_owner(self) -> None:
        await self.routes.owner()

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_logs(self) -> None:
        await self.routes.logs()

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_events(self) -> None:
        await self.routes.events()

    def action_copy(self) -> None:
        picked = self.selected()
        if picked is not None:
            self.app.copy_to_clipboard(inert_line(picked.name))  # pasted into shells
            self.notify(f"copied {picked.name}")

    def action_all_namespaces(self) -> None:
        """`A`: this same list (selectors, filter, sort, cursor) in all namespaces, or back
        in the one it had; in place, as `:ns` is: esc still leads to the step before."""
        if self.kind is not None and not self.kind.namespaced:
            return
        self.cancel_reading()
        namespace: str | None = ""
        if self.namespace:
            self.namespace_before_all = self.target.namespace
        else:
            namespace, self.namespace_before_all = self.namespace_before_all, None
            if not (self.session.namespace_of(self.context) if namespace is None else namespace):
                self.notify("already all namespaces: `:ns NAME` picks one", severity="warning")
                return
        self.retarget(self.target._replace(namespace=namespace, focus=""), keep_view=True)

    def action_wide(self) -> None:
        self.live.wide = not self.live.wide
        if self.live.columns:
            self.live.reproject()
            self.watch_rows()  # a fresh subscription replays every row in the new columns

    def action_sort(self, step: int) -> None:
        table = self.query_one(ResourceTable)
        if step == 0:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)
        else:
            view = self.live.view
            count = max(1, len(view.columns) if view else 1)
            table.sort_by((table.sort_column + step) % count, reverse=False)

    send = WritesInFlight._send  # what resource_writes.py calls

    # ------------------------------------------------------------------ prompt

    def prompt_opening(self) -> None:
        """The app opens the `:`/`/` prompt: a view opening late would take its keys."""
        self.cancel_reading()

    def filter_changed(self, table: ResourceTable) -> None:
        self.filter_text = table.filter_text
        self._show_crumbs()

    async def select_labels(self, selector: str) -> None:
        """`/-l k=v`: this list again, with a label selector."""
        await self.app.push_screen(
            self.child(self.target._replace(selector=selector, focus="", crumb=self.crumbs()))
        )

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
        else:
            self.notify(FIRST_VIEW, timeout=3)

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
