"""ApplicationReleases (API.md §2.3, §2.4): every release of the store with its workspace,
cluster, project, state, message, age, installed version and Helm revision (release_rows.py);
a release followed live (its state transitions with their times, its failure's message, its
Helm job pod's log with `l`, and the workloads and pods it produced, which Enter opens in the
resource browser). Upgrade `u`, uninstall ctrl+d (a confirmation naming release, cluster and
project)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker

from kstui.backends.app_bodies import decode_values
from kstui.backends.app_service import AppStore, Produced
from kstui.backends.app_store import FAILED_STATES, ReleaseRow, VersionRow, state_of, versions_of
from kstui.backends.errors import KstuiError, NotFound
from kstui.model import Column, Row
from kstui.screens.app_forms import InstallForm, UpgradeForm
from kstui.screens.app_views import VIEW_SCREENS, StoreView, view_bindings
from kstui.screens.confirm import ConfirmModal
from kstui.screens.env import ScreenEnv
from kstui.screens.release_rows import RELEASE_COLUMNS, Place, RevisionColumn, release_line, tone_of
from kstui.screens.resource_target import Target
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.form import FormResult
from kstui.widgets.plain import Plain
from kstui.widgets.resource_table import ResourceTable

PRODUCED_COLUMNS = (
    Column("KIND", max_width=14),
    Column("NAME", max_width=44),
    Column("STATUS", max_width=14),
)


def seconds(rfc3339: str) -> float:
    """An RFC 3339 time as epoch seconds (0 when it is not one)."""
    try:
        return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def values_view(release: ReleaseRow) -> TextViewScreen:
    return TextViewScreen(
        f"values {release.name} ({release.version or release.version_id})",
        lambda _r: decode_values(release.values) or "(no values: the chart's defaults)",
        language="yaml",
    )


class ReleaseActions(StoreView):
    """Upgrade, uninstall and values of one release, for the list and a followed release."""

    GATED = {"upgrade": "release.upgrade", "uninstall": "release.uninstall"}

    def selected(self) -> ReleaseRow | None:
        raise NotImplementedError

    def action_values(self) -> None:
        if (release := self.selected()) is not None:
            self.app.push_screen(values_view(release))

    def action_yaml(self) -> None:
        if (release := self.selected()) is not None:
            kind = self.store.last_dialect.releases.qualified
            self.env.open_yaml(self.session.context, kind, "", release.name)

    @work(group="upgrade", exclusive=True, exit_on_error=False)
    async def action_upgrade(self) -> None:
        release = self.selected()
        if release is None:
            return
        versions = versions_of(await self.store.versions(release.app), release.app)
        if not versions:
            self.set_status(f"{release.app} has no active version to upgrade to", alert=True)
            return
        self.app.push_screen(UpgradeForm(self.store, release, versions))

    def action_uninstall(self) -> None:
        release = self.selected()
        if release is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._uninstall(release)

        self.app.push_screen(
            ConfirmModal(
                f"Uninstall {release.name} from project {release.namespace} on cluster "
                f"{release.cluster}?",
                f"Deletes {self.store.last_dialect.releases.kind} {release.name}: KubeSphere's "
                "controller runs "
                f"helm uninstall in {release.namespace} on {release.cluster}, then lets it go.",
                yes="Uninstall",
            ),
            answered,
        )

    @work(group="uninstall", exit_on_error=False)
    async def _uninstall(self, release: ReleaseRow) -> None:
        await self.store.uninstall(release)
        self.notify(f"uninstalling {release.name} from {release.where}", title="done")
        self.poll()


class ReleasesScreen(ReleaseActions):
    VIEW = "releases"
    CRUMB = "app releases"
    BINDINGS = [
        Binding("u", "upgrade", "upgrade", id="app_releases.upgrade"),
        Binding("ctrl+d", "uninstall", "uninstall", id="app_releases.delete"),
        Binding("v", "values", "values", id="app_releases.values"),
        Binding("y", "yaml", "yaml", show=False, id="app_releases.yaml"),
        *view_bindings("app_releases"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="app_releases.refresh"),
        Binding("escape,q", "back", "back", show=False, id="app_releases.back"),
    ]

    def __init__(self, env: ScreenEnv, store: AppStore) -> None:
        super().__init__(env, store)
        self.releases: dict[str, ReleaseRow] = {}
        self.revisions = RevisionColumn()
        self._reading: Worker[None] | None = None

    def crumbs(self) -> str:
        return f"apps › app releases[{len(self.releases)}]"

    def compose_body(self) -> ComposeResult:
        note = Plain("", id="note")
        note.display = False
        yield note
        yield ResourceTable(id="table")

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(RELEASE_COLUMNS)
        table.focus()

    async def fetch(self) -> list[ReleaseRow]:
        return await self.store.releases()

    def show(self, data: list[ReleaseRow]) -> None:
        self.releases = {r.name: r for r in data}
        self._show_rows()
        if not data:
            table = self.query_one(ResourceTable)
            table.set_empty_message("no ApplicationReleases: S opens the store, i installs")
        self.update_crumbs()
        in_release = self.store.last_dialect.revision_in_release
        if not in_release and (self._reading is None or self._reading.is_finished):
            self._reading = self._read_revisions(self.revisions.places(data))

    def _show_rows(self) -> None:
        in_release = self.store.last_dialect.revision_in_release
        self.query_one(ResourceTable).sync(
            release_line(r, self.revisions.cell(r, in_release=in_release))
            for r in self.releases.values()
        )
        note = self.query_one("#note", Plain)
        text = self.revisions.note(self.releases.values())
        note.update(text)
        note.display = bool(text)

    @work(group="revisions", exit_on_error=False)
    async def _read_revisions(self, places: list[Place]) -> None:
        """Helm's revisions, one list per project, all at once; each fills its rows as it
        comes (the list is shown before: a slow or denied project holds nothing up)."""

        async def one(place: Place) -> None:
            self.revisions.read[place] = await self.store.helm_revisions(*place)
            self._show_rows()

        await asyncio.gather(*(one(place) for place in places))

    def selected(self) -> ReleaseRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.releases.get(key) if key is not None else None

    @on(ResourceTable.RowChosen)
    def _chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        if event.key in self.releases:
            self.app.push_screen(ProgressScreen(self.env, self.store, event.key))


@dataclass(slots=True)
class Followed:
    release: ReleaseRow | None
    produced: list[Produced] = field(default_factory=list)
    produced_error: str = ""
    gone: bool = False
    revision: str = ""
    """Helm's newest revision of it on its cluster ("3 deployed"), when its Secrets are read."""
    helm_error: str = ""
    """A failed release's reason in its Helm job's log (a deployFailed status says no more)."""


class ProgressScreen(ReleaseActions):
    """One release, followed: each state it goes through with the time it was seen, its
    message (a failure's reason in the error colour), its Helm job pod and what it made."""

    DEFAULT_CSS = """
    ProgressScreen #summary { height: auto; padding: 0 1; }
    ProgressScreen #message { height: auto; padding: 0 1; }
    ProgressScreen #message.-failed { color: $error; text-style: bold; }
    ProgressScreen #transitions { height: auto; max-height: 8; padding: 0 1; color: $text-muted; }
    """
    poll_seconds = 1.0
    BINDINGS = [
        Binding("l", "logs", "helm job log", id="app_release.logs"),
        Binding("u", "upgrade", "upgrade", id="app_release.upgrade"),
        Binding("ctrl+d", "uninstall", "uninstall", id="app_release.delete"),
        Binding("v", "values", "values", id="app_release.values"),
        Binding("y", "yaml", "yaml", show=False, id="app_release.yaml"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="app_release.refresh"),
        Binding("escape,q", "back", "back", id="app_release.back"),
    ]

    def __init__(self, env: ScreenEnv, store: AppStore, name: str) -> None:
        super().__init__(env, store)
        self.name_followed = name
        self.release: ReleaseRow | None = None
        self.transitions: list[tuple[float, str, str]] = []
        """(seen at, state, message), each change once."""
        self.produced: dict[str, Produced] = {}
        self.job_pods: list[str] = []
        self.helm_reason = ""
        """Helm's reason from its job's log, once a poll has read it (the watch shows it too)."""
        self.revision = ""

    def crumbs(self) -> str:
        return f"apps › app releases › {self.name_followed}"

    def compose_body(self) -> ComposeResult:
        yield Plain("", id="summary")
        yield Plain("", id="message")
        yield Plain("", id="transitions")
        yield ResourceTable(id="table")

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(PRODUCED_COLUMNS)
        table.focus()

    async def fetch(self) -> Followed:
        try:
            release = await self.store.release(self.name_followed)
        except NotFound:
            return Followed(None, gone=True)
        try:
            produced = await self.store.produced(release)
        except KstuiError as error:
            return Followed(release, [], error.title)
        revision = await self.store.helm_revision(release)
        jobs = [p.name for p in produced if p.job]
        reason = ""
        if state_of(release) in FAILED_STATES and jobs:
            try:
                reason = await self.store.helm_error(release, jobs[-1])
            except KstuiError:
                reason = ""  # the log is gone or unreadable: the status says what it can
        return Followed(release, produced, revision=revision, helm_error=reason)

    def on_mount(self) -> None:
        super().on_mount()
        self.follow()

    @work(group="watch", exclusive=True, exit_on_error=False)
    async def follow(self) -> None:
        """The release's every change from a watch (the poll reads what it made): a state the
        controller holds for less than a poll is still listed."""
        await self._after_first_frame()
        while True:
            try:
                async for _kind, release in self.store.watch_release(self.name_followed):
                    if release is None:
                        self._show_gone()
                        return
                    self._show_release(release, self.helm_reason)
            except KstuiError:
                pass  # the poll says what is wrong; the watch is opened again
            await asyncio.sleep(1.0)

    def show(self, data: Followed) -> None:
        if data.gone:
            self._show_gone()
            return
        release = data.release
        assert release is not None
        self.revision = data.revision or self.revision
        self.helm_reason = data.helm_error
        self._show_release(release, data.helm_error)
        self.produced = {f"{p.kind}/{p.name}": p for p in data.produced}
        self.job_pods = [p.name for p in data.produced if p.job]
        table = self.query_one(ResourceTable)
        table.sync(
            Row(
                key,
                (f"{p.kind} (helm job)" if p.job else p.kind, p.name, p.status),
                tone_of("active" if p.status else ""),
            )
            for key, p in self.produced.items()
        )
        if not self.produced:
            table.set_empty_message(
                data.produced_error
                or f"nothing labelled app.kubernetes.io/instance={release.release_name} yet"
            )
        if self.job_pods:
            self.set_status(f"Helm job pod {self.job_pods[-1]}: l shows its log")

    def _show_gone(self) -> None:
        self._note_state("gone", "the ApplicationRelease is deleted (uninstalled)")
        self.query_one("#summary", Plain).update(f"{self.name_followed}: uninstalled")
        self._show_transitions()

    def _show_release(self, release: ReleaseRow, helm_error: str = "") -> None:
        self.release = release
        if not self.transitions:  # what the controller recorded before we looked (3.x)
            self.transitions = [(seconds(at), s, m) for at, s, m in release.history if at]
        state = state_of(release)
        self._note_state(state, release.message)
        self.query_one("#summary", Plain).update(
            f"{release.release_name}  {release.app} {release.version or release.version_id}  "
            f"in {release.namespace} on {release.cluster} ({release.workspace})  state {state}"
            + (f"  helm revision {self.revision}" if self.revision else "")
        )
        message = self.query_one("#message", Plain)
        failed = state in FAILED_STATES
        text = f"{'failed: ' if failed else ''}{release.message}" if release.message else ""
        if failed and helm_error and helm_error not in text:
            text += f"\nhelm: {helm_error}"  # the reason, on screen and not only in a log
        message.update(text)
        message.set_class(failed, "-failed")
        self._show_transitions()

    def _note_state(self, state: str, message: str) -> None:
        if not self.transitions or self.transitions[-1][1:] != (state, message):
            self.transitions.append(
                (self.env.now() if self.env.frozen_now else time.time(), state, message)
            )

    def _show_transitions(self) -> None:
        lines = [
            f"{time.strftime('%H:%M:%S', time.gmtime(at))}  {state}" + (f"  {msg}" if msg else "")
            for at, state, msg in self.transitions[-8:]
        ]
        self.query_one("#transitions", Plain).update("\n".join(lines))

    def selected(self) -> ReleaseRow | None:
        return self.release

    @on(ResourceTable.RowChosen)
    def _chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        produced = self.produced.get(event.key)
        if produced is not None:
            self.env.open_resources(
                Target(
                    produced.kind,
                    produced.namespace,
                    produced.context,
                    focus=produced.name,
                )
            )

    @work(group="logs", exclusive=True, exit_on_error=False)
    async def action_logs(self) -> None:
        if self.release is None:
            return
        context, pods = await self.store.job_pods(self.release)
        if not pods:
            why = self.store.last_dialect.no_helm_job
            self.set_status(why or f"no Helm job pod for {self.release.name} (yet)", alert=True)
            return
        self.env.open_logs(context, self.release.namespace, [pods[-1]])


def open_install(
    screen: Screen[Any], store: AppStore, version: VersionRow, versions: Sequence[VersionRow]
) -> None:
    """The install form; once sent, the release's progress is followed live."""

    def done(result: FormResult | None) -> None:
        if result is None or not result.written:
            return
        env = getattr(screen, "env")  # noqa: B009  (every store view has one)
        name = str((result.written[0].get("metadata") or {}).get("name") or "")
        screen.app.push_screen(ProgressScreen(env, store, name))

    screen.app.push_screen(InstallForm(store, version, versions), done)


VIEW_SCREENS["releases"] = ReleasesScreen
