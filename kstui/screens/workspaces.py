"""WorkspacesScreen: every workspace with its manager, placement, size and quota use."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kstui.backends.tenancy import ClusterLink, Flavor, WorkspaceSummary
from kstui.backends.workspaces import WorkspaceService
from kstui.model import Column, Row, Tone
from kstui.screens.env import ScreenEnv
from kstui.screens.identity_line import CSS as CLUSTERS_CSS
from kstui.screens.identity_line import cluster_line, header_cluster, show_clusters
from kstui.screens.tenancy import TenancyScreen, quota_summary, unreached_text
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspace_forms import CreateWorkspaceModal, DeleteWorkspaceModal
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable

COLUMNS = (
    Column("NAME", max_width=40),
    Column("ALIAS", max_width=30),
    Column("MANAGER", max_width=20),
    Column("CLUSTERS", max_width=30),
    Column("PROJECTS", numeric=True),
    Column("MEMBERS", numeric=True),
    Column("QUOTA", max_width=14),
    Column("AGE", age=True, max_width=12),
)
VANILLA_NOTE = "no tenant.kubesphere.io: workspaces are namespace labels here, read-only"
FULL_QUOTA = 0.9


def workspace_row(summary: WorkspaceSummary) -> Row:
    quota, ratio = quota_summary(summary.quota)
    tone = (
        Tone.MUTED
        if summary.synthetic
        else Tone.WARN
        if ratio is not None and ratio >= FULL_QUOTA
        else Tone.NORMAL
    )
    hidden = summary.forbidden
    projects = " ".join(
        filter(None, (str(summary.project_count), unreached_text(summary.unreached)))
    )
    return Row(
        summary.name,
        (
            summary.name,
            summary.alias,
            # a cell says just "forbidden"; the workspace's own header says more
            "forbidden" if "manager" in hidden else summary.manager,
            "forbidden" if "clusters" in hidden else ",".join(summary.clusters),
            projects,
            "forbidden" if "members" in hidden else str(summary.member_count),
            "forbidden" if "quota" in hidden else quota,
            summary.created,
        ),
        tone,
    )


@dataclass(frozen=True, slots=True)
class Listing:
    workspaces: list[WorkspaceSummary]
    links: list[ClusterLink]
    host: ClusterLink | None


class WorkspacesScreen(TenancyScreen):
    """The section's home: Enter opens a workspace; `a` and `ctrl+d` create and delete."""

    DEFAULT_CSS = (
        """
    WorkspacesScreen #note {
        height: 1; padding: 0 1; color: $warning; display: none;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    WorkspacesScreen #note.-shown { display: block; }
    """
        + CLUSTERS_CSS
    )
    BINDINGS = [
        Binding("a", "new", "new workspace", id="workspaces.new"),
        Binding("ctrl+d", "delete", "delete workspace", id="workspaces.delete"),
        Binding("ctrl+r", "refresh", "refresh", id="workspaces.refresh"),
        Binding("escape,q", "back", "back", show=False, id="workspaces.back"),
    ]
    GATED = {"new": "workspace.create", "delete": "workspace.delete"}

    def __init__(self, env: ScreenEnv, service: WorkspaceService) -> None:
        super().__init__(env, service)
        self.workspaces: dict[str, WorkspaceSummary] = {}
        """By name, as last listed."""
        self.links: list[ClusterLink] = []
        self.host_link: ClusterLink | None = None
        """The context workspaces are read and written through (the service's `host()`)."""

    def on_mount(self) -> None:
        self.prepare_tables()
        table = self.query_one(ResourceTable)
        table.set_columns(COLUMNS)
        table.focus()
        bar = self.query_one(ContextBar)
        bar.context = self.session.context
        bar.namespace = "(workspaces)"
        bar.readonly = self.session.readonly(self.session.context)
        self.poll()
        self.check_permissions()

    def compose(self) -> ComposeResult:
        yield ContextBar(id="context-bar", frozen_age="updated 0s ago" if self.frozen_now else None)
        yield Plain("workspaces", id="crumbs", one_line=True)
        yield cluster_line()
        yield Plain(VANILLA_NOTE, id="note", one_line=True)
        yield ResourceTable(id="table")
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def write_context(self) -> str:
        return self.host_link.context if self.host_link is not None else self.session.context

    def permission_requests(self) -> dict[str, dict[str, str]]:
        return {"workspace.create": {}, "workspace.delete": {}}

    # ------------------------------------------------------------------ data

    async def fetch(self) -> Listing:
        links = await self.service.links(refresh=self.relink)
        self.relink = False
        host = await self.service.host()
        return Listing(await self.service.workspaces(), links, host)

    def show(self, data: Listing) -> None:
        first = not self.loaded
        self.workspaces = {summary.name: summary for summary in data.workspaces}
        self.links, self.host_link = data.links, data.host
        table = self.query_one(ResourceTable)
        table.sync([workspace_row(summary) for summary in data.workspaces])
        table.set_empty_message("no workspaces")
        vanilla = data.host is not None and data.host.flavor is Flavor.VANILLA
        self.query_one("#note", Static).set_class(vanilla, "-shown")
        self.query_one("#crumbs", Static).update(f"workspaces[{table.row_count}]")
        show_clusters(self.query_one("#clusters", Plain), data.links, self.session.context)
        if first:
            self.show_identity()

    def show_failure(self, error: Exception) -> None:
        table = self.query_one(ResourceTable)
        if not table.row_count:
            title = getattr(error, "title", str(error))
            hint = getattr(error, "hint", "")
            table.set_empty_message(f"{title}\n{hint}".strip())

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        bar = self.query_one(ContextBar)
        link = self.host_link
        context = link.context if link is not None else self.session.context
        bar.context = context
        bar.cluster = header_cluster(self.session, context)
        bar.readonly = self.session.readonly(context)
        bar.user = await self.service.whoami(context)

    def selected_workspace(self) -> WorkspaceSummary | None:
        key = self.query_one(ResourceTable).cursor_key
        return self.workspaces.get(key) if key is not None else None

    # ------------------------------------------------------------------ actions

    @on(ResourceTable.RowChosen)
    def _open(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        summary = self.workspaces.get(event.key)
        if summary is not None:
            self.app.push_screen(WorkspaceDetailScreen(self.env, self.service, summary))

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_new(self) -> None:
        clusters = sorted({link.cluster for link in self.links if not link.error})
        host = [self.host_link.cluster] if self.host_link is not None else []
        manager = await self.service.whoami(self.write_context)  # cached by the service
        self.app.push_screen(
            CreateWorkspaceModal(self.service, clusters=clusters, manager=manager, preselected=host)
        )

    def action_delete(self) -> None:
        summary = self.selected_workspace()
        if summary is None:
            return
        if summary.synthetic:
            self.set_status(
                f"{summary.name} is a label grouping, not a workspace object", alert=True
            )
            return
        self.app.push_screen(DeleteWorkspaceModal(self.service, summary))
