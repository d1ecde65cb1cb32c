"""The app store's values forms: install (an ApplicationRelease, API.md §2.3, or on 3.x a
HelmRelease, §2.7) and upgrade (§2.5, with a diff of the values). Values are
edited in the form or in $EDITOR (ctrl+o) and checked before anything is sent: YAML syntax with
its line, then the chart's values.schema.json. ctrl+y is a server dry run showing the exact
object. A project this user may not install into is refused on its field, with why."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import yaml as pyyaml
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widgets import Select, TextArea

from kstui.backends.app_bodies import (
    check_values,
    decode_values,
    values_diff,
)
from kstui.backends.app_charts import ChartFiles
from kstui.backends.app_service import AppStore
from kstui.backends.app_store import ReleaseRow, VersionRow
from kstui.backends.errors import KstuiError
from kstui.backends.tenancy import validate_name
from kstui.backends.tenancy.values import ProjectSummary, WorkspaceSummary
from kstui.screens.editing import run_editor
from kstui.screens.forms import WriteForm, Written
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.form import Values
from kstui.widgets.form_fields import Field, choice, set_choices, text, yaml
from kstui.widgets.plain import Plain

EDITOR_BINDINGS: list[BindingType] = [
    # ctrl+e is the end of the line in a text field: ctrl+o opens the values in $EDITOR
    Binding("ctrl+o", "editor", "values in $EDITOR", priority=True, id="install.editor"),
    # the values area would take ctrl+y as redo: the dry run wins wherever the focus is
    Binding("ctrl+y", "preview", "preview", priority=True, id="install.preview"),
]


def _values_field(value: str = "") -> Field:
    return yaml("values", "Values", value, server=("spec.values",))


def _version_choices(versions: Sequence[VersionRow]) -> list[tuple[str, str]]:
    return [(f"{v.version}  ({v.name})", v.name) for v in versions]


def object_yaml(obj: dict[str, Any]) -> str:
    """An object to send, as YAML, with its base64 values shown decoded below it."""
    shown = pyyaml.safe_dump(obj, sort_keys=False)
    values = decode_values(str((obj.get("spec") or {}).get("values") or ""))
    if values:
        shown += "\n# spec.values decoded:\n" + "".join(
            f"#   {line}\n" for line in values.splitlines()
        )
    return shown


class ValuesForm(WriteForm):
    """A form with a values field checked against the chart of the chosen version."""

    DEFAULT_CSS = """
    ValuesForm .title, ValuesForm .detail, ValuesForm .field { margin-bottom: 0; }
    ValuesForm #foot { dock: bottom; }
    """
    """Fits 80x24: one line a field, Cancel and send docked below whatever scrolls."""
    BINDINGS = EDITOR_BINDINGS
    HINT = "tab: next · ctrl+s: send · esc: cancel · ctrl+o: $EDITOR"

    def __init__(
        self, title: str, store: AppStore, versions: Sequence[VersionRow], detail: str = ""
    ) -> None:
        super().__init__(title, detail=detail)
        self.store = store
        self.versions = list(versions)
        self.charts: dict[str, ChartFiles] = {}

    def version(self, name: str) -> VersionRow | None:
        return next((v for v in self.versions if v.name == name), None)

    def chart_of(self, name: str) -> ChartFiles | None:
        return self.charts.get(name)

    def check(self, values: Values) -> dict[str, str]:
        chart = self.chart_of(values.get("version", ""))
        problems = check_values(
            values.get("values", ""),
            chart.schema if chart else None,
            chart.values if chart else "",
        )
        if not problems:
            return {}
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return {"values": f"{problems[0]}{more}"}

    @work(group="chart", exclusive=True, exit_on_error=False)
    async def load_chart(self, name: str) -> None:
        """The chart of a version: its schema checks the values; its default values fill an
        empty values field."""
        version = self.version(name)
        if version is None:
            return
        files = await self.store.chart(version)
        self.charts[name] = files
        if files.problem:
            self.show_outcome(f"chart not read: {files.problem}", error=False)
        else:
            schema = "checked against values.schema.json" if files.schema else "no schema"
            self.show_outcome(f"chart {version.version} read: values {schema}", error=False)
        if not files.problem and not self.value_of("values").strip():
            self.query_one("#values", TextArea).text = files.values
        self.refresh_problems("values")

    def refresh_problems(self, field_id: str) -> None:
        self.show_field_problem(field_id, self.problems().get(field_id))
        self._update_send()

    @work(group="editor", exclusive=True, exit_on_error=False)
    async def action_editor(self) -> None:
        area = self.query_one("#values", TextArea)
        edited = await run_editor(self.app, area.text, "values")
        area.text = edited
        self.refresh_problems("values")


WHERE = "Helm runs as you: a release lands only in a project where you may write"


class InstallForm(ValuesForm):
    """Workspace, cluster (its placement), project (its namespaces there), version, name,
    values; enter sends, ctrl+y is a dry run, ctrl+o edits the values in $EDITOR."""

    SEND_LABEL = "Install"

    def __init__(
        self, store: AppStore, version: VersionRow, versions: Sequence[VersionRow]
    ) -> None:
        super().__init__(f"Install {version.app}", store, versions or [version], detail=WHERE)
        self.first = version
        self.workspaces: list[WorkspaceSummary] = []
        self.projects: list[ProjectSummary] = []
        self.denied: dict[tuple[str, str], str] = {}
        """(cluster, project) → why this user may not install there."""
        self.asked: set[tuple[str, str]] = set()

    def fields(self) -> list[Field]:
        return [
            choice("workspace", "Workspace", load=self.load_workspaces),
            choice("cluster", "Cluster", load=self.load_clusters),
            choice("project", "Project", load=self.load_projects, server=("metadata.labels",)),
            choice(
                "version",
                "Version",
                _version_choices(self.versions),
                self.first.name,
                server=("spec.appVersionID",),
            ),
            text(
                "name",
                "Release name",
                placeholder="lowercase letters, digits, -",
                required="a release name is required",
                validators=(partial(validate_name, what="release"),),
                server=("metadata.name",),
                focus=True,
            ),
            text("alias", "Alias", placeholder="display name (optional)", message_row=False),
            _values_field(),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.load_chart(self.first.name)

    # ------------------------------------------------------------------ dependent choices

    async def load_workspaces(self) -> list[tuple[str, str]]:
        self.workspaces = await self.store.workspaces()
        unseen = await self.store.unseen_projects()
        if unseen:  # a tenant: what is not offered, and why
            self.query_one(".detail", Plain).update(unseen)
        return [((w.alias and f"{w.name} ({w.alias})") or w.name, w.name) for w in self.workspaces]

    async def load_clusters(self) -> list[tuple[str, str]]:
        workspace = next((w for w in self.workspaces if w.name == self.value_of("workspace")), None)
        if workspace is None:
            return []
        if "clusters" not in workspace.forbidden:
            return [(c, c) for c in workspace.clusters]
        # its placement may not be read (a tenant): the clusters its projects are seen on
        self.projects = await self.store.projects(workspace.name)
        return [(c, c) for c in sorted({p.cluster for p in self.projects})]

    async def load_projects(self) -> list[tuple[str, str]]:
        workspace = self.value_of("workspace")
        if not workspace:
            return []
        self.projects = await self.store.projects(workspace)
        cluster = self.value_of("cluster")
        return [(p.name, p.name) for p in self.projects if not cluster or p.cluster == cluster]

    @on(Select.Changed, "#workspace")
    def _workspace_changed(self, event: Select.Changed) -> None:
        self._reload("cluster", self.load_clusters, then_projects=True)

    @on(Select.Changed, "#cluster")
    def _cluster_changed(self, event: Select.Changed) -> None:
        self._reload("project", self.load_projects, then_projects=False)

    @on(Select.Changed, "#project")
    def _project_changed(self, event: Select.Changed) -> None:
        self.ask_permission()

    @on(Select.Changed, "#version")
    def _version_changed(self, event: Select.Changed) -> None:
        name = self.value_of("version")
        if name and name not in self.charts:
            self.load_chart(name)
        self.refresh_problems("values")

    @work(group="reload", exit_on_error=False)
    async def _reload(self, field_id: str, load: Any, *, then_projects: bool) -> None:
        field = next(f for f in self.declared if f.id == field_id)
        try:
            choices = await load()
        except KstuiError as error:
            self.show_field_problem(field_id, f"could not load: {error.title}")
            return
        set_choices(self.query_one(f"#{field_id}", Select), field, choices)
        if then_projects:
            await self._reload_projects()
        self.ask_permission()

    async def _reload_projects(self) -> None:
        field = next(f for f in self.declared if f.id == "project")
        choices = await self.load_projects()
        set_choices(self.query_one("#project", Select), field, choices)

    @work(group="permission", exclusive=True, exit_on_error=False)
    async def ask_permission(self) -> None:
        where = (self.value_of("cluster"), self.value_of("project"))
        if not all(where) or where in self.asked:
            self.refresh_problems("project")
            return
        verdict = await self.store.may_install(*where)
        self.asked.add(where)
        if not verdict.allowed:
            self.denied[where] = verdict.reason
        self.refresh_problems("project")

    def check(self, values: Values) -> dict[str, str]:
        found = super().check(values)
        where = (values.get("cluster", ""), values.get("project", ""))
        if where in self.denied:
            found["project"] = self.denied[where]
        elif values.get("workspace") and not values.get("project"):
            found["project"] = "no project of this workspace on this cluster"
        return found

    # ------------------------------------------------------------------ sending

    async def body(self, values: Values) -> dict[str, Any]:
        version = self.version(values["version"])
        if version is None:
            raise KstuiError(f"version {values['version']} is not an active version")
        return await self.store.release_body(
            values["name"],
            version,
            workspace=values["workspace"],
            cluster=values["cluster"],
            namespace=values["project"],
            values=values["values"],
            alias=values["alias"],
        )

    async def preview(self, values: Values) -> str:
        body = await self.body(values)
        await self.store.install(body, dry_run=True)
        self.app.push_screen(
            TextViewScreen(
                f"dry run accepted: {body['kind']} {values['name']} to create",
                lambda _r: object_yaml(body),
                language="yaml",
            )
        )
        return "dry run accepted by the server (esc on the preview comes back here)"

    async def send(self, values: Values) -> tuple[str, Written]:
        where = (values["cluster"], values["project"])
        verdict = await self.store.may_install(*where)
        if not verdict.allowed:
            self.denied[where] = verdict.reason
            raise KstuiError("not sent: you may not install there", verdict.reason)
        created = await self.store.install(await self.body(values))
        summary = f"installing {values['name']} into {values['project']} on {values['cluster']}"
        return summary, [created]


class UpgradeForm(ValuesForm):
    """Another version and/or other values for a release; ctrl+y shows the values diff and
    the patch, checked by the server's dry run."""

    SEND_LABEL = "Upgrade"

    def __init__(
        self, store: AppStore, release: ReleaseRow, versions: Sequence[VersionRow]
    ) -> None:
        super().__init__(
            f"Upgrade {release.name} ({release.cluster}/{release.namespace})", store, versions
        )
        self.release = release
        self.before = decode_values(release.values)

    def fields(self) -> list[Field]:
        return [
            choice(
                "version",
                "Version",
                _version_choices(self.versions),
                self.release.version_id,
                server=("spec.appVersionID",),
            ),
            _values_field(self.before),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        if self.versions:
            self.load_chart(self.value_of("version"))

    @on(Select.Changed, "#version")
    def _version_changed(self, event: Select.Changed) -> None:
        name = self.value_of("version")
        if name and name not in self.charts:
            self.load_chart(name)
        self.refresh_problems("values")

    def check(self, values: Values) -> dict[str, str]:
        found = super().check(values)
        if (
            values.get("version") == self.release.version_id
            and values.get("values") == self.before
            and "values" not in found
        ):
            found["version"] = "same version and values: nothing to upgrade"
        return found

    def diff(self, values: Values) -> str:
        version = self.version(values["version"])
        label = version.version if version else values["version"]
        return values_diff(
            self.before,
            values["values"],
            f"values ({self.release.version or self.release.version_id})",
            f"values ({label})",
        )

    async def preview(self, values: Values) -> str:
        version = self.version(values["version"])
        assert version is not None
        patch = await self.store.upgrade_patch(self.release, version, values["values"])
        shown = (
            self.diff(values)
            + "\n# the merge patch sent:\n"
            + pyyaml.safe_dump(patch, sort_keys=False)
        )
        self.app.push_screen(
            TextViewScreen(
                f"upgrade {self.release.name}: values diff", lambda _r: shown, language="diff"
            )
        )
        return "the values diff and the patch are shown (esc comes back here)"

    async def send(self, values: Values) -> tuple[str, Written]:
        version = self.version(values["version"])
        if version is None:
            raise KstuiError(f"version {values['version']} is not an active version")
        patched = await self.store.upgrade(self.release, version, values["values"])
        return f"upgrading {self.release.name} to {version.version}", [patched]
