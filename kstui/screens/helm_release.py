"""A Helm release's history: every revision Helm keeps, newest first, live. On the selected
revision: v values, t notes, M manifest, D the diff with the revision before, y its Secret."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kstui.backends.errors import KstuiError
from kstui.backends.helm_releases import SELECTOR, Release, Revision, history_line
from kstui.backends.helm_service import READ_ONLY_NOTE, HelmReleases, secrets_path
from kstui.model import Row
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import error_message, notify_failure, problem_text
from kstui.screens.helm_views import (
    REVISION_COLUMNS,
    diff_view,
    manifest_view,
    notes_view,
    revision_bindings,
    values_view,
)
from kstui.screens.live_list import LOADING
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable


def revision_row(revision: Revision) -> Row:
    return Row(str(revision.revision), history_line(revision), revision.tone)


class ReleaseScreen(Screen[None]):
    DEFAULT_CSS = """
    ReleaseScreen #crumbs {
        height: 1; color: $text-muted; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ReleaseScreen #summary { height: auto; padding: 0 1; }
    ReleaseScreen #note {
        height: 1; padding: 0 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ReleaseScreen ResourceTable { height: 1fr; }
    """
    BINDINGS = [
        *revision_bindings("release"),
        Binding("escape,q", "back", "back", show=False, id="release.back"),
    ]

    def __init__(
        self, env: ScreenEnv, service: HelmReleases, context: str, newest: Revision
    ) -> None:
        super().__init__()
        self.env, self.service, self.context = env, service, context
        self.namespace, self.release_name = newest.namespace, newest.release
        self.release = Release(newest.release, newest.namespace, (newest,))

    def compose(self) -> ComposeResult:
        frozen = "updated 0s ago" if self.env.frozen_now is not None else None
        yield ContextBar(id="context-bar", frozen_age=frozen)
        yield Plain(self._crumbs(), id="crumbs", one_line=True)
        yield Plain(self._summary(), id="summary")
        yield Plain(READ_ONLY_NOTE, id="note", one_line=True)
        yield ResourceTable(id="table")
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(REVISION_COLUMNS)
        table.sort_by(0, reverse=True)  # newest first
        if self.env.frozen_now is not None:
            table.freeze_time(self.env.frozen_now)
        table.set_empty_message(LOADING)
        table.focus()
        bar = self.query_one(ContextBar)
        info = self.service.backend(self.context).info
        bar.context, bar.cluster, bar.user = info.name, info.cluster, info.user
        bar.namespace = self.namespace
        bar.readonly = self.env.session.readonly(self.context)
        self.follow()
        self.show_identity()

    def _crumbs(self) -> str:
        return f"apps › helm releases › {self.namespace}/{self.release_name} history"

    def _summary(self) -> str:
        latest = self.release.latest
        if latest.error:
            return latest.error
        return (
            f"chart {latest.chart_label}  app version {latest.app_version or '-'}  "
            f"status {latest.status}  revision {latest.revision}  "
            f"first deployed {latest.first_deployed or '-'}"
        )

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        await self.env.after_first_frame()
        backend = self.service.backend(self.context)
        await backend.open()
        self.query_one(ContextBar).user = await backend.identity_label()

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def follow(self) -> None:
        """The release's Secrets, listed again whenever the watch sees one change."""
        await self.env.after_first_frame()
        table = self.query_one(ResourceTable)
        try:
            backend = self.service.backend(self.context)
            await backend.open()
            assert backend.caches is not None
            async with backend.caches.subscribe(
                secrets_path(self.namespace), label_selector=f"{SELECTOR},name={self.release_name}"
            ) as subscription:
                async for delta in subscription.changes(self.env.coalesce_seconds):
                    bar = self.query_one(ContextBar)
                    bar.synced_at = delta.synced_at  # the header's age, not "loading…" forever
                    bar.problem = problem_text(delta.error) if delta.error is not None else ""
                    if not delta.loaded:
                        continue
                    await self._list()
        except KstuiError as error:
            table.set_empty_message(error_message(error))

    async def _list(self) -> None:
        release = await self.service.release(self.context, self.namespace, self.release_name)
        table = self.query_one(ResourceTable)
        if not release.history:
            table.sync([])
            table.set_empty_message(f"no revisions of {self.release_name} left in {self.namespace}")
            return
        self.release = release
        table.sync(revision_row(r) for r in release.history)
        self.query_one("#summary", Plain).update(self._summary())

    def selected(self) -> Revision | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.release.revision(int(key)) if key is not None and key.isdigit() else None

    def action_values(self) -> None:
        if (revision := self.selected()) is not None:
            self.app.push_screen(values_view(revision))

    def action_notes(self) -> None:
        if (revision := self.selected()) is not None:
            self.app.push_screen(notes_view(revision))

    def action_manifest(self) -> None:
        if (revision := self.selected()) is not None:
            self.app.push_screen(manifest_view(revision))

    def action_diff(self) -> None:
        revision = self.selected()
        if revision is None:
            return
        before = self.release.previous(revision.revision)
        if before is None:
            self.notify(f"{revision.label} is the first revision Helm keeps: nothing to diff")
            return
        self.app.push_screen(diff_view(before, revision))

    def action_yaml(self) -> None:
        if (revision := self.selected()) is not None:
            self.env.open_yaml(self.context, "secrets", revision.namespace, revision.secret)

    def action_back(self) -> None:
        self.dismiss(None)

    def on_worker_state_changed(self, event: Any) -> None:
        worker = event.worker
        if worker.error is not None and worker.group not in ("watch", "identity"):
            notify_failure(self, worker.error)
