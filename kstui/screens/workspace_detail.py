"""WorkspaceDetailScreen: a workspace's projects (on every linked cluster), members and quota."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kstui.backends.errors import Forbidden, KstuiError
from kstui.backends.identities import Access
from kstui.backends.tenancy import (
    SELECTOR_PLACEMENT,
    ClusterLink,
    Member,
    ProjectSummary,
    QuotaLine,
    WorkspaceSummary,
)
from kstui.backends.workspaces import WorkspaceService
from kstui.model import Column, Row, Tone
from kstui.screens.confirm import ConfirmModal
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import problem_text
from kstui.screens.identity_line import CSS as CLUSTERS_CSS
from kstui.screens.identity_line import (
    cluster_cell,
    cluster_line,
    header_cluster,
    show_clusters,
)
from kstui.screens.project_detail import ProjectDetailScreen
from kstui.screens.tenancy import (
    NO_ACCESS,
    NOT_VISIBLE,
    UNKNOWN,
    TenancyScreen,
    clusters_text,
    manager_text,
    or_error,
    unreached_text,
)
from kstui.screens.workspace_forms import (
    CreateProjectModal,
    MemberModal,
    MoveProjectModal,
    QuotaModal,
)
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.quota_bars import QuotaBars
from kstui.widgets.resource_table import ResourceTable

PROJECT_COLUMNS = (
    Column("NAME", max_width=40),
    Column("CLUSTER", max_width=20),
    Column("ALIAS", max_width=30),
    Column("CREATOR", max_width=20),
    Column("STATUS", max_width=14),
    Column("PODS", numeric=True),
    Column("PROBLEMS", numeric=True),
    Column("AGE", age=True, max_width=12),
)
MEMBER_COLUMNS = (Column("USER", max_width=40), Column("ROLE", max_width=50))


def project_row(project: ProjectSummary) -> Row:
    tone = (
        Tone.ERROR
        if project.problem_pods
        else Tone.WARN
        if project.other_user or (project.phase and project.phase != "Active")
        else Tone.NORMAL
    )
    return Row(
        f"{project.context}/{project.name}",
        (
            project.name,
            cluster_cell(project.cluster, project.other_user),
            project.alias,
            project.creator,
            project.phase,
            str(project.pods),
            str(project.problem_pods),
            project.created,
        ),
        tone,
    )


def member_row(member: Member) -> Row:
    return Row(member.binding or member.user, (member.user, member.role))


@dataclass(frozen=True, slots=True)
class WorkspaceDetail:
    """One poll's answers; a pane whose call failed carries the error instead."""

    projects: list[ProjectSummary] | KstuiError
    members: list[Member] | KstuiError
    quota: tuple[QuotaLine, ...] | KstuiError
    links: list[ClusterLink]
    unreached: tuple[str, ...] = ()
    """Clusters of the workspace whose projects this session cannot list."""


def unreached_row(cluster: str) -> Row:
    """Stands for the projects on a cluster no usable context reaches: never listed as if
    they could be opened."""
    return Row(
        f"unreached/{cluster}",
        (f"({NO_ACCESS})", cluster, "", "", "unreachable", "", "", ""),
        Tone.MUTED,
    )


class WorkspaceDetailScreen(TenancyScreen):
    DEFAULT_CSS = CLUSTERS_CSS
    BINDINGS = [
        Binding(
            "tab,right_square_bracket",
            "cycle_pane(1)",
            "next pane",
            show=False,
            id="workspace.next_pane",
        ),
        Binding(
            "shift+tab,left_square_bracket",
            "cycle_pane(-1)",
            "previous pane",
            show=False,
            id="workspace.previous_pane",
        ),
        Binding("p", "create_project", "new project", id="workspace.create_project"),
        Binding("m", "move_project", "move project", id="workspace.move_project"),
        Binding("a", "add_member", "add member", id="workspace.add_member"),
        Binding("e", "change_role", "change role", id="workspace.change_role"),
        Binding("ctrl+d", "remove_member", "remove member", id="workspace.remove_member"),
        Binding("Q", "set_quota", "set quota", id="workspace.set_quota"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="workspace.refresh"),
        # esc is back in every view; the footer keeps its 80 columns for the view's own keys
        Binding("escape,q", "back", "back", show=False, id="workspace.back"),
    ]
    GATED = {
        "create_project": "project.create",
        "move_project": "project.move",
        "add_member": "workspace.member.add",
        "change_role": "workspace.member.change",
        "remove_member": "workspace.member.remove",
        "set_quota": "workspace.quota",
    }
    PANES = ("projects", "members", "quota")
    PANE_ACTIONS = {
        "move_project": "projects",
        "change_role": "members",
        "remove_member": "members",
    }

    def __init__(
        self, env: ScreenEnv, service: WorkspaceService, workspace: WorkspaceSummary
    ) -> None:
        super().__init__(env, service)
        self.workspace = workspace
        self.projects: dict[str, ProjectSummary] = {}
        self.members: dict[str, Member] = {}
        self.quota: tuple[QuotaLine, ...] = ()
        self.members_forbidden = "members" in workspace.forbidden
        self.unreached: tuple[str, ...] = workspace.unreached
        """Clusters the workspace may be on whose projects no usable context can list."""

    def crumbs(self) -> str:
        ws = self.workspace
        alias = f" ({ws.alias})" if ws.alias and ws.alias != ws.name else ""
        clusters = clusters_text(ws)
        where = f"clusters {clusters}" if clusters == UNKNOWN else f"on {clusters}"
        unreached = unreached_text(self.unreached)
        projects = f"{len(self.projects)} projects" + (f" ({unreached})" if unreached else "")
        members = (
            f"members {NOT_VISIBLE}" if self.members_forbidden else f"{len(self.members)} members"
        )
        return (
            f"workspaces › {ws.name}{alias} · manager {manager_text(ws)} · {where}"
            f" · {projects} · {members}"
        )

    def compose(self) -> ComposeResult:
        yield ContextBar(id="context-bar", frozen_age="updated 0s ago" if self.frozen_now else None)
        yield Plain(self.crumbs(), id="crumbs", one_line=True)
        yield cluster_line()
        yield from self.compose_panes("projects", "Projects")
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.prepare_tables()
        self.query_one("#projects-table", ResourceTable).set_columns(PROJECT_COLUMNS)
        self.query_one("#members-table", ResourceTable).set_columns(MEMBER_COLUMNS)
        self.query_one("#projects-table", ResourceTable).focus()
        bar = self.query_one(ContextBar)
        bar.context = self.session.context
        bar.namespace = f"(workspace {self.workspace.name})"
        bar.readonly = self.session.readonly(self.session.context)
        self.poll()
        self.check_permissions()
        self.show_identity()

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        bar = self.query_one(ContextBar)
        host = await self.service.host()
        if host is not None:
            bar.context, bar.cluster = host.context, header_cluster(self.session, host.context)
            bar.readonly = self.session.readonly(host.context)
        bar.user = await self.service.whoami(bar.context)

    def permission_requests(self) -> dict[str, dict[str, str]]:
        return {pid: {"workspace": self.workspace.name} for pid in self.GATED.values()}

    # ------------------------------------------------------------------ data

    async def fetch(self) -> WorkspaceDetail:
        name = self.workspace.name

        projects, members, quota = await asyncio.gather(
            or_error(self.service.projects(name)),
            or_error(self.service.workspace_members(name)),
            or_error(self.service.workspace_quota(name)),
        )
        usable, skipped = await self.service.clusters.per_cluster()
        reached = {link.cluster for link in usable}
        ws = self.workspace
        anywhere = "clusters" in ws.forbidden or SELECTOR_PLACEMENT in ws.clusters
        unreached = tuple(
            sorted(
                cluster
                for cluster in {error.link.cluster for error in skipped} - reached
                if anywhere or cluster in ws.clusters
            )
        )
        return WorkspaceDetail(projects, members, quota, await self.service.links(), unreached)

    def show(self, data: WorkspaceDetail) -> None:
        problems = []
        projects_table = self.query_one("#projects-table", ResourceTable)
        if isinstance(data.projects, KstuiError):
            problems.append(problem_text(data.projects))
            if not projects_table.row_count:
                projects_table.set_empty_message(data.projects.title)
        else:
            self.projects = {f"{p.context}/{p.name}": p for p in data.projects}
            self.unreached = data.unreached
            projects_table.sync(
                [project_row(p) for p in data.projects]
                + [unreached_row(cluster) for cluster in data.unreached]
            )
            projects_table.set_empty_message("no projects: p creates one")
        members_table = self.query_one("#members-table", ResourceTable)
        self.members_forbidden = isinstance(data.members, Forbidden)
        if isinstance(data.members, KstuiError):
            problems.append(problem_text(data.members))
            if not members_table.row_count:
                members_table.set_empty_message(
                    f"members {NOT_VISIBLE}\n{data.members.title}"
                    if self.members_forbidden
                    else data.members.title
                )
        else:
            self.members = {member_row(m).key: m for m in data.members}
            members_table.sync([member_row(m) for m in data.members])
            members_table.set_empty_message("no members")
        bars = self.query_one(QuotaBars)
        if isinstance(data.quota, KstuiError):
            problems.append(problem_text(data.quota))
            bars.set_lines(self.quota, empty_message=data.quota.title)
        else:
            self.quota = data.quota
            bars.set_lines(data.quota, empty_message="no quota set: Q sets one")
        self.query_one("#crumbs", Static).update(self.crumbs())
        show_clusters(self.query_one("#clusters", Plain), data.links, self.session.context)
        if problems:
            self.query_one(ContextBar).problem = "; ".join(problems)

    def selected_project(self) -> ProjectSummary | None:
        key = self.query_one("#projects-table", ResourceTable).cursor_key
        return self.projects.get(key) if key is not None else None

    def selected_member(self) -> Member | None:
        key = self.query_one("#members-table", ResourceTable).cursor_key
        return self.members.get(key) if key is not None else None

    # ------------------------------------------------------------------ actions

    @on(ResourceTable.RowChosen, "#projects-table")
    def _open_project(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        project = self.projects.get(event.key)
        if project is not None:
            self.app.push_screen(ProjectDetailScreen(self.env, self.service, project))

    @on(ResourceTable.RowChosen, "#members-table")
    def _member_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        if self.allowed("change_role"):
            self.action_change_role()

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_create_project(self) -> None:
        links = [link for link in await self.service.links() if not link.error]
        placed = [link for link in links if link.cluster in self.workspace.clusters]
        # One context per cluster: the session's own where it reaches that cluster (a tenant
        # writes as the tenant), else the first kubeconfig context of the same user that does,
        # else one the config lets act as another user.
        by_cluster: dict[str, ClusterLink] = {}
        for link in sorted(
            placed or links,
            key=lambda ln: (
                ln.access is not Access.OWN,
                ln.context != self.session.context,
                ln.context,
            ),
        ):
            by_cluster.setdefault(link.cluster, link)
        choices = sorted(by_cluster.values(), key=lambda ln: ln.cluster)
        contexts = [link.context for link in choices]
        preferred = self.session.context if self.session.context in contexts else ""
        self.app.push_screen(
            CreateProjectModal(self.service, self.workspace.name, links=choices, context=preferred)
        )

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_move_project(self) -> None:
        project = self.selected_project()
        if project is None:
            return
        targets = [ws for ws in await self.service.workspaces() if not ws.synthetic]
        self.app.push_screen(
            MoveProjectModal(
                self.service, project, workspaces=targets, clusters=self.service.cluster_names
            )
        )

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_add_member(self) -> None:
        name = self.workspace.name
        roles = await self.service.workspace_roles(name)
        self.app.push_screen(
            MemberModal(
                f"Add a member to workspace {name}",
                roles=roles,
                check_user=self.service.user_caveat,
                where=f"workspace {name}",
                send=lambda user, role: self.service.writes.add_workspace_member(name, user, role),
            )
        )

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_change_role(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        name = self.workspace.name
        roles = await self.service.workspace_roles(name)
        self.app.push_screen(
            MemberModal(
                f"Change {member.user}'s role in workspace {name}",
                roles=roles,
                where=f"workspace {name}",
                user=member.user,
                role=member.role,
                send=lambda user, role: self.service.writes.change_workspace_member(
                    name, user, role
                ),
            )
        )

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_remove_member(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        name = self.workspace.name
        confirmed = await self.app.push_screen_wait(
            ConfirmModal(
                f"Remove {member.user} from workspace {name}?",
                f"Deletes {member.user}'s workspace role binding(s) (now: {member.role}). "
                "Their project roles stay.",
                yes="Remove",
            )
        )
        if not confirmed:
            return
        await self.service.writes.remove_workspace_member(name, member.user)
        self.notify(f"removed {member.user} from workspace {name}", title="done")
        self.poll()

    def action_set_quota(self) -> None:
        name = self.workspace.name
        self.app.push_screen(
            QuotaModal(
                f"Quota of workspace {name}",
                current=self.quota,
                where=f"workspace {name}",
                send=lambda hard: self.service.writes.set_workspace_quota(name, hard),
            )
        )
