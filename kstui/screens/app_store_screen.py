"""The app store: categories beside the active apps (the category under the cursor filters
them, `/` searches them), an app's installable versions, and a version's chart (Chart.yaml and
README with `d`, default values with `v`) read from its spec.pullUrl."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from kstui.backends.app_charts import ChartFiles
from kstui.backends.app_service import AppStore
from kstui.backends.app_store import (
    AppRow,
    CategoryRow,
    VersionRow,
    categories_of,
    store_apps,
    versions_of,
)
from kstui.model import Column, Row, Tone
from kstui.screens.app_releases import open_install
from kstui.screens.app_views import VIEW_SCREENS, StoreView, view_bindings
from kstui.screens.env import ScreenEnv
from kstui.screens.text_view import TextViewScreen
from kstui.widgets.resource_table import ResourceTable

ALL = "*"
CATEGORY_COLUMNS = (Column("CATEGORY", max_width=18), Column("APPS", numeric=True))
APP_COLUMNS = (
    Column("APP", max_width=22),
    Column("LATEST", max_width=12),
    Column("REPO", max_width=14),
    Column("DESCRIPTION", max_width=60),
)
VERSION_COLUMNS = (
    Column("VERSION", max_width=16),
    Column("STATE", max_width=10),
    Column("CREATED", age=True, max_width=10),
    Column("NAME", max_width=36),
    Column("CHART", max_width=60),
)
"""CHART is the archive's file name (the whole pullUrl is in `d`): at 80 columns a URL shows
only its host."""


@dataclass(frozen=True, slots=True)
class Catalog:
    categories: list[CategoryRow]
    apps: list[AppRow]


def app_row_of(app: AppRow) -> Row:
    return Row(app.name, (app.alias or app.name, app.latest, app.repo, app.description))


class StoreScreen(StoreView):
    """Categories (left) and the active apps of the one under the cursor (right)."""

    DEFAULT_CSS = """
    StoreScreen #panes { height: 1fr; }
    StoreScreen #categories { width: 26; height: 1fr; border-right: vkey $panel; }
    StoreScreen #apps { width: 1fr; height: 1fr; }
    """
    VIEW = "store"
    CRUMB = "store"
    GATED = {"install": "release.install"}
    BINDINGS = [
        Binding("i", "install", "install", id="store.install"),
        Binding("y", "yaml", "yaml", show=False, id="store.yaml"),
        Binding(
            "tab,right_square_bracket", "pane(1)", "next pane", show=False, id="store.next_pane"
        ),
        Binding(
            "shift+tab,left_square_bracket",
            "pane(-1)",
            "previous pane",
            show=False,
            id="store.previous_pane",
        ),
        *view_bindings("store"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="store.refresh"),
        Binding("escape,q", "back", "back", show=False, id="store.back"),
    ]

    def __init__(self, env: ScreenEnv, store: AppStore) -> None:
        super().__init__(env, store)
        self.category = ALL
        self.catalog = Catalog([], [])

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield ResourceTable(id="categories")
            yield ResourceTable(id="apps")

    def prepare(self) -> None:
        self.query_one("#categories", ResourceTable).set_columns(CATEGORY_COLUMNS)
        self.query_one("#apps", ResourceTable).set_columns(APP_COLUMNS)
        self.query_one("#apps", ResourceTable).focus()

    def crumbs(self) -> str:
        shown = len(self.shown_apps())
        where = "all" if self.category == ALL else self.category
        return f"apps › store({where})[{shown}]"

    async def fetch(self) -> Catalog:
        categories, apps = await self.store.catalog()
        return Catalog(categories_of(categories, apps), apps)

    def show(self, data: Catalog) -> None:
        self.catalog = data
        active = sum(c.apps for c in data.categories)
        rows = [Row(ALL, ("All", str(active)))]
        rows += [
            Row(c.name, (c.alias or c.name, str(c.apps)), Tone.NORMAL if c.apps else Tone.MUTED)
            for c in data.categories
        ]
        categories = self.query_one("#categories", ResourceTable)
        categories.sync(rows)
        self._show_apps()

    def shown_apps(self) -> list[AppRow]:
        category = "" if self.category == ALL else self.category
        return store_apps(self.catalog.apps, category=category)

    def _show_apps(self) -> None:
        apps = self.query_one("#apps", ResourceTable)
        apps.sync(app_row_of(app) for app in self.shown_apps())
        if not apps.row_count:
            apps.set_empty_message("no active apps in this category")
        self.update_crumbs()

    @on(ResourceTable.CursorMoved, "#categories")
    def _category_moved(self, event: ResourceTable.CursorMoved) -> None:
        event.stop()
        if event.key is not None and event.key != self.category:
            self.category = event.key
            self._show_apps()

    @on(ResourceTable.RowChosen, "#categories")
    def _category_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        self.query_one("#apps", ResourceTable).focus()

    @on(ResourceTable.RowChosen, "#apps")
    def _app_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        app = self.app_named(event.key)
        if app is not None:
            self.app.push_screen(VersionsScreen(self.env, self.store, app))

    def app_named(self, name: str | None) -> AppRow | None:
        return next((a for a in self.catalog.apps if a.name == name), None)

    def selected(self) -> AppRow | None:
        return self.app_named(self.query_one("#apps", ResourceTable).cursor_key)

    def action_pane(self, step: int) -> None:
        tables = list(self.query(ResourceTable))
        focused = self.focused if isinstance(self.focused, ResourceTable) else tables[-1]
        tables[(tables.index(focused) + step) % len(tables)].focus()

    def action_yaml(self) -> None:
        if (app := self.selected()) is not None:
            kind = self.store.last_dialect.applications.qualified
            self.env.open_yaml(self.session.context, kind, "", app.name)

    @work(group="install", exclusive=True, exit_on_error=False)
    async def action_install(self) -> None:
        app = self.selected()
        if app is None:
            return
        versions = versions_of(await self.store.versions(app.name), app.name)
        if not versions:
            self.set_status(f"{app.alias or app.name} has no active version to install", alert=True)
            return
        open_install(self, self.store, versions[0], versions)


class VersionsScreen(StoreView):
    """An app's installable (active) versions, newest first."""

    CRUMB = "store"
    GATED = {"install": "release.install"}
    BINDINGS = [
        Binding("i", "install", "install", id="versions.install"),
        Binding("d", "chart", "chart & readme", id="versions.describe"),
        Binding("v", "values", "default values", id="versions.values"),
        Binding("y", "yaml", "yaml", show=False, id="versions.yaml"),
        *view_bindings("versions"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="versions.refresh"),
        Binding("escape,q", "back", "back", id="versions.back"),
    ]

    def __init__(self, env: ScreenEnv, store: AppStore, app: AppRow) -> None:
        super().__init__(env, store)
        self.store_app = app
        self.versions: list[VersionRow] = []

    def crumbs(self) -> str:
        return f"apps › store › {self.store_app.alias or self.store_app.name} versions"

    def prepare(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_columns(VERSION_COLUMNS)
        table.sort_by(2, reverse=False)  # youngest (newest) first
        table.focus()

    async def fetch(self) -> list[VersionRow]:
        return await self.store.versions(self.store_app.name)

    def show(self, data: list[VersionRow]) -> None:
        self.versions = versions_of(data, self.store_app.name)
        hidden = len(versions_of(data, self.store_app.name, everything=True)) - len(self.versions)
        table = self.query_one(ResourceTable)
        table.sync(
            Row(v.name, (v.version, v.state, v.created, v.name, v.pull_url.rsplit("/", 1)[-1]))
            for v in self.versions
        )
        if not self.versions:
            table.set_empty_message(f"{self.store_app.name} has no active version")
        if hidden:
            self.update_crumbs(f"{self.crumbs()} ({hidden} not active, not installable)")

    def selected(self) -> VersionRow | None:
        key = self.query_one(ResourceTable).cursor_key
        return next((v for v in self.versions if v.name == key), None)

    @on(ResourceTable.RowChosen)
    def _chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        self.action_chart()

    def action_install(self) -> None:
        if (version := self.selected()) is not None:
            open_install(self, self.store, version, self.versions)

    def action_yaml(self) -> None:
        if (version := self.selected()) is not None:
            kind = self.store.last_dialect.versions.qualified
            self.env.open_yaml(self.session.context, kind, "", version.name)

    def action_chart(self) -> None:
        self._open_chart("chart")

    def action_values(self) -> None:
        self._open_chart("values")

    @work(group="chart", exclusive=True, exit_on_error=False)
    async def _open_chart(self, what: str) -> None:
        version = self.selected()
        if version is None:
            return
        self.set_status(f"reading the chart at {version.pull_url or '(no pullUrl)'}…")
        files = await self.store.chart(version)
        self.set_status(files.problem, alert=bool(files.problem))
        self.app.push_screen(chart_view(version, files, what))


VIEW_SCREENS["store"] = StoreScreen


def chart_view(version: VersionRow, files: ChartFiles, what: str) -> TextViewScreen:
    if what == "values":
        return TextViewScreen(
            f"default values {version.name}",
            lambda _r: files.problem or files.values or "(the chart has no values.yaml)",
            language="yaml" if not files.problem else "",
        )
    return TextViewScreen(f"chart {version.name}", lambda _r: chart_text(version, files))


def chart_text(version: VersionRow, files: ChartFiles) -> str:
    lines = [
        f"version      {version.version}  ({version.name}, {version.state or 'no state'})",
        f"chart        {version.pull_url or '-'}",
        f"home         {version.home or '-'}",
        f"maintainers  {version.maintainers or '-'}",
        f"schema       {'values.schema.json' if files.schema else 'none'}",
        "",
    ]
    if files.problem:
        return "\n".join([*lines, files.problem])
    lines += ["── Chart.yaml", files.chart_yaml.rstrip(), "", "── README.md"]
    lines.append(files.readme.rstrip() or "(the chart has no README.md)")
    return "\n".join(lines)
