"""The Apps section's first view: the Helm releases of the current context, on any cluster.

Live from the watch cache of `secrets -l owner=helm` (all namespaces by default, `A` toggles
the session's namespace); each release's newest revision is decoded from its Secret. Read-only:
the header says so, and why. The app store's views (S store, R app releases, P repos) open from
here and come back here with esc or H (app_views.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kstui.backends.app_service import AppStore
from kstui.backends.errors import Forbidden, KstuiError
from kstui.backends.helm_releases import SELECTOR, Revision, parse_secret_name
from kstui.backends.helm_service import (
    READ_ONLY_NOTE,
    HelmReleases,
    SecretRef,
    newest,
    secrets_path,
)
from kstui.model import Column, Row
from kstui.screens import app_repos, app_store_screen  # noqa: F401  (register their views)
from kstui.screens.app_views import open_view, view_bindings
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message, notify_failure, problem_text
from kstui.screens.helm_release import ReleaseScreen
from kstui.screens.helm_views import (
    diff_view,
    manifest_view,
    notes_view,
    revision_bindings,
    values_view,
)
from kstui.screens.live_list import LOADING
from kstui.screens.sections import FIRST_VIEW
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

COLUMNS = (
    Column("NAMESPACE", max_width=30),
    Column("NAME", max_width=40),
    Column("REVISION", numeric=True),
    Column("STATUS", max_width=18),
    Column("CHART", max_width=40),
    Column("APP VERSION", max_width=20),
    Column("UPDATED", age=True, max_width=12),
)
FETCHES = 8
"""Release Secrets fetched at once when many releases changed together."""


def release_row(revision: Revision) -> Row:
    return Row(
        f"{revision.namespace}/{revision.release}",
        (
            revision.namespace,
            revision.release,
            str(revision.revision),
            revision.status or "unknown",
            revision.chart_label or ("(unreadable)" if revision.error else ""),
            revision.app_version,
            revision.last_deployed,
        ),
        revision.tone,
    )


class AppsScreen(Screen[None]):
    """Helm releases: Enter opens one's history; v values, t notes, M manifest, D diff."""

    DEFAULT_CSS = """
    AppsScreen #crumbs {
        height: 1; color: $text-muted; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    AppsScreen #note {
        height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    AppsScreen ResourceTable { height: 1fr; }
    AppsScreen #status { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        *revision_bindings("apps"),
        Binding("A", "all_namespaces", "all ns", show=False, id="apps.all_namespaces"),
        *view_bindings("apps"),
        Binding("escape,q", "back", "back", show=False, id="apps.back"),
    ]

    def __init__(self, env: ScreenEnv, service: HelmReleases) -> None:
        super().__init__()
        self.env, self.service = env, service
        self.session = env.session
        self.context = self.session.context
        self.all_namespaces = True
        self.latest: dict[str, Revision] = {}
        """Row key (namespace/release) → its newest revision, decoded."""
        self.loaded = False
        self.stopped = False
        """The list failed before anything came (a 403): the count says — rather than …"""
        self._store: AppStore | None = None

    @property
    def store(self) -> AppStore:
        """The app store's service, made when a store view first opens."""
        if self._store is None:
            self._store = AppStore(self.session)
        return self._store

    def action_view(self, view: str) -> None:
        if view == "helm":
            self.notify("this is the Helm releases view", timeout=3)
            return
        open_view(self, self.env, self.store, view)

    @property
    def namespace(self) -> str:
        return "" if self.all_namespaces else self.session.namespace

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Plain(self._crumbs(), id="crumbs", one_line=True)
        yield Plain(READ_ONLY_NOTE, id="note", one_line=True)
        yield ResourceTable(id="table")
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(COLUMNS)
        if self.env.frozen_now is not None:
            table.freeze_time(self.env.frozen_now)
        table.set_empty_message(LOADING)
        table.focus()
        self._start()

    def _start(self) -> None:
        bar = self.query_one(ContextBar)
        info = self.service.backend(self.context).info
        bar.context, bar.cluster, bar.user = info.name, info.cluster, info.user
        bar.namespace = self.namespace or "(all namespaces)"
        bar.readonly = self.session.readonly(self.context)
        self.watch_releases()
        self.show_identity()

    def _crumbs(self) -> str:
        where = self.namespace or "all"
        # failed before anything came (self.stopped): nothing is loading, no count to give
        loading = "" if self.loaded else "…"
        count = "[—]" if self.stopped else f"[{len(self.latest)}{loading}]"
        return f"apps › helm releases({where}){count}"

    def _show_crumbs(self) -> None:
        self.query_one("#crumbs", Plain).update(self._crumbs())

    # ------------------------------------------------------------------ the live list

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        await self.env.after_first_frame()
        backend = self.service.backend(self.context)
        await backend.open()
        self.query_one(ContextBar).user = await backend.identity_label()

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def watch_releases(self) -> None:
        await self.env.after_first_frame()
        table = self.query_one(ResourceTable)
        bar = self.query_one(ContextBar)
        backend = self.service.backend(self.context)
        try:
            await backend.open()
        except KstuiError as error:
            table.set_empty_message(error_message(error))
            bar.problem = error.title
            return
        assert backend.caches is not None
        refs: dict[str, SecretRef] = {}
        async with backend.caches.subscribe(
            secrets_path(self.namespace), label_selector=SELECTOR
        ) as subscription:
            async for delta in subscription.changes(self.env.coalesce_seconds):
                if delta.reset:
                    refs.clear()
                for row in delta.upserted:
                    refs[row.key] = SecretRef(row.namespace, row.name, row.resource_version)
                for key in delta.deleted:
                    refs.pop(key, None)
                await self._decode_newest(refs)
                self.loaded = self.loaded or delta.loaded
                if not table.row_count:
                    if delta.error is not None:
                        table.set_empty_message(self._failure(delta.error))
                    elif delta.loaded:
                        where = f" in {self.namespace}" if self.namespace else ""
                        table.set_empty_message(f"no Helm releases{where}")
                bar.synced_at = delta.synced_at
                bar.problem = problem_text(delta.error) if delta.error is not None else ""
                self.stopped = delta.error is not None and not self.loaded
                self._show_crumbs()

    def _failure(self, error: KstuiError) -> str:
        """Why the list is empty; a user who may not read Secrets everywhere is offered the
        session's namespace (tenants often may read their own)."""
        text = error_message(error)
        if isinstance(error, Forbidden) and self.all_namespaces and self.session.namespace:
            text += f"\nA lists {self.session.namespace} only"
        return text

    async def _decode_newest(self, refs: dict[str, SecretRef]) -> None:
        wanted = newest(refs.values())
        gate = asyncio.Semaphore(FETCHES)

        async def one(ref: SecretRef) -> Revision:
            async with gate:
                try:
                    return await self.service.revision(self.context, ref)
                except KstuiError as error:  # gone meanwhile, forbidden: said on its row
                    return _unread(ref, error.title)

        found = await asyncio.gather(*(one(ref) for ref in wanted.values()))
        self.latest = {f"{r.namespace}/{r.release}": r for r in found}
        self.query_one(ResourceTable).sync(release_row(r) for r in found)

    # ------------------------------------------------------------------ actions

    def selected(self) -> Revision | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.latest.get(key) if key is not None else None

    @on(ResourceTable.RowChosen)
    def _open(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        revision = self.latest.get(event.key)
        if revision is not None:
            self.app.push_screen(ReleaseScreen(self.env, self.service, self.context, revision))

    def action_values(self) -> None:
        if (revision := self.selected()) is not None:
            self.app.push_screen(values_view(revision))

    def action_notes(self) -> None:
        if (revision := self.selected()) is not None:
            self.app.push_screen(notes_view(revision))

    def action_manifest(self) -> None:
        if (revision := self.selected()) is not None:
            self.app.push_screen(manifest_view(revision))

    def action_yaml(self) -> None:
        if (revision := self.selected()) is not None:
            self.env.open_yaml(self.context, "secrets", revision.namespace, revision.secret)

    @work(group="read", exclusive=True, exit_on_error=False)
    async def action_diff(self) -> None:
        revision = self.selected()
        if revision is None:
            return
        release = await self.service.release(self.context, revision.namespace, revision.release)
        latest = release.revision(revision.revision) or revision
        before = release.previous(latest.revision)
        if before is None:
            self.notify(f"{revision.label} is the first revision Helm keeps: nothing to diff")
            return
        self.app.push_screen(diff_view(before, latest))

    def action_all_namespaces(self) -> None:
        self.all_namespaces = not self.all_namespaces
        self.latest, self.loaded, self.stopped = {}, False, False
        table = self.query_one(ResourceTable)
        table.apply(reset=True)
        table.set_empty_message(LOADING)
        self._show_crumbs()
        self._start()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.notify(FIRST_VIEW, timeout=3)

    def on_worker_state_changed(self, event: Any) -> None:
        worker = event.worker
        if worker.error is not None and worker.group not in ("watch", "identity"):
            notify_failure(self, worker.error)


def _unread(ref: SecretRef, why: str) -> Revision:
    release, number = parse_secret_name(ref.name) or (ref.name, 0)
    return Revision(
        release,
        ref.namespace,
        number,
        ref.name,
        error=f"cannot read Secret {ref.namespace}/{ref.name}: {why}",
    )
