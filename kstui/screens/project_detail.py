"""ProjectDetailScreen: one project's pods (live, problems toned), workloads, members and quota;
`b`, `w` and Enter on a pod jump into the resource browser scoped to the project."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kstui.backends.errors import KstuiError
from kstui.backends.identities import Access
from kstui.backends.tenancy import Member, ProjectSummary, QuotaLine
from kstui.backends.workspaces import WorkspaceService
from kstui.model import Column, Row, Tone
from kstui.screens.confirm import ConfirmModal
from kstui.screens.env import ScreenEnv
from kstui.screens.failures import problem_text
from kstui.screens.identity_line import CSS as CLUSTERS_CSS
from kstui.screens.identity_line import cluster_cell, cluster_line, show_clusters
from kstui.screens.live_list import LiveList
from kstui.screens.resources import Target
from kstui.screens.tenancy import TenancyScreen, or_error
from kstui.screens.workspace_forms import MemberModal, QuotaModal
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.footer import Footer
from kstui.widgets.plain import Plain
from kstui.widgets.prompt import Prompt
from kstui.widgets.quota_bars import QuotaBars
from kstui.widgets.resource_table import ResourceTable

MEMBER_COLUMNS = (Column("USER", max_width=40), Column("ROLE", max_width=50))
WORKLOADS = ("deployments", "statefulsets")
PROBLEM_TONES = frozenset({Tone.ERROR, Tone.WARN})


def tally(live: LiveList, noun: str, problem_word: str) -> str:
    """How many rows one live list has and how many of them look wrong."""
    if not live.loaded:
        return f"{noun} …"
    bad = sum(tone in PROBLEM_TONES for tone in live.tones.values())
    return f"{noun} {len(live.tones)}" + (f" ({bad} {problem_word})" if bad else "")


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    members: list[Member] | KstuiError
    quota: tuple[QuotaLine, ...] | KstuiError


class ProjectDetailScreen(TenancyScreen):
    DEFAULT_CSS = (
        """
    ProjectDetailScreen #workloads {
        height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """
        + CLUSTERS_CSS
    )
    BINDINGS = [
        Binding(
            "tab,right_square_bracket",
            "cycle_pane(1)",
            "next pane",
            show=False,
            id="project.next_pane",
        ),
        Binding(
            "shift+tab,left_square_bracket",
            "cycle_pane(-1)",
            "previous pane",
            show=False,
            id="project.previous_pane",
        ),
        Binding("b", "browse('pods')", "browse pods", id="project.browse"),
        Binding("w", "browse('deployments')", "workloads", id="project.workloads"),
        Binding("a", "add_member", "add member", id="project.add_member"),
        Binding("e", "change_role", "change role", id="project.change_role"),
        Binding("ctrl+d", "remove_member", "remove member", id="project.remove_member"),
        Binding("Q", "set_quota", "set quota", id="project.set_quota"),
        Binding("ctrl+r", "refresh", "refresh", show=False, id="project.refresh"),
        # esc is back in every view; the footer keeps its 80 columns for the view's own keys
        Binding("escape,q", "back", "back", show=False, id="project.back"),
    ]
    GATED = {
        "add_member": "project.member.add",
        "change_role": "project.member.change",
        "remove_member": "project.member.remove",
        "set_quota": "project.quota",
    }
    PANES = ("pods", "members", "quota")
    PANE_ACTIONS = {"change_role": "members", "remove_member": "members"}

    def __init__(self, env: ScreenEnv, service: WorkspaceService, project: ProjectSummary) -> None:
        super().__init__(env, service)
        self.project = project
        self.backend = self.session.backend(project.context)
        self.members: dict[str, Member] = {}
        self.quota: tuple[QuotaLine, ...] = ()
        self.lives = {
            "pods": LiveList(
                coalesce_seconds=0.1,
                hint=False,
                on_delta=self._counted,
                empty=lambda: f"no pods in {project.name}",
            )
        }
        """Pods (shown and counted) and workloads (counted only), live from the watch cache."""
        for resource in WORKLOADS:
            self.lives[resource] = LiveList(coalesce_seconds=0.2, on_delta=self._counted)
        self.refused: KstuiError | None = None
        """Why this project's context may not serve the session (another user's)."""
        self.cleared = False
        """True once the service has said the project's context may serve this session."""

    @property
    def write_context(self) -> str:
        return self.project.context

    def crumbs(self) -> str:
        p = self.project
        alias = f" ({p.alias})" if p.alias and p.alias != p.name else ""
        return (
            f"workspaces › {p.workspace or '(none)'} › {p.name}{alias}"
            f" · {cluster_cell(p.cluster, p.other_user)}"
            f" · {p.phase or '?'} · created by {p.creator or '?'}"
        )

    def compose(self) -> ComposeResult:
        yield ContextBar(id="context-bar", frozen_age="updated 0s ago" if self.frozen_now else None)
        yield Plain(self.crumbs(), id="crumbs", one_line=True)
        yield cluster_line()
        yield Plain("", id="workloads", one_line=True)
        yield from self.compose_panes("pods", "Pods")
        yield Plain("", id="status", one_line=True)
        yield Prompt(self.env.complete, id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.prepare_tables()
        self.query_one("#members-table", ResourceTable).set_columns(MEMBER_COLUMNS)
        self.query_one("#pods-table", ResourceTable).focus()
        info = self.backend.info
        bar = self.query_one(ContextBar)
        bar.context, bar.cluster, bar.user = info.name, info.cluster, info.user
        bar.namespace = self.project.name
        bar.readonly = self.session.readonly(self.project.context)
        self._show_workloads()
        self.poll()
        self.check_permissions()
        self.show_identity()

    @work(group="identity", exit_on_error=False)
    async def show_identity(self) -> None:
        """Nothing is read through the project's context before the service says that context
        is the session's user (or one the config lets it act as)."""
        await self._after_first_frame()
        context = self.project.context
        links = [link for link in await self.service.links() if link.context == context]
        show_clusters(self.query_one("#clusters", Plain), links, self.session.context)
        bar = self.query_one(ContextBar)
        try:
            link = await self.service.access(context)
        except KstuiError as error:
            self.refused = error
            bar.user = self.service.me
            self.query_one("#pods-table", ResourceTable).set_empty_message(
                f"{error.title}\n{error.detail}".strip()
            )
            self.query_one("#workloads", Static).update(error.title)
            return
        self.cleared = True
        bar.user = link.user if link.access is Access.OWN else f"{link.user} (other identity)"
        self.watch_pods()
        for resource in WORKLOADS:
            self.watch_workloads(resource)

    def permission_requests(self) -> dict[str, dict[str, str]]:
        where = {"context": self.project.context, "namespace": self.project.name}
        return {pid: dict(where) for pid in self.GATED.values()}

    # ------------------------------------------------------------------ live lists

    async def _subscribe_path(self, resource: str) -> str:
        await self._after_first_frame()
        await self.backend.open()
        kind = await self.backend.resolve(resource)
        return kind.path(self.project.name)

    @work(exclusive=True, group="watch-pods", exit_on_error=False)
    async def watch_pods(self) -> None:
        """The project's pods through the shared watch cache, as the browser shows them."""
        live = self.lives["pods"]
        live.table = self.query_one("#pods-table", ResourceTable)
        try:
            path = await self._subscribe_path("pods")
        except KstuiError as error:
            live.failed(error)
            return
        assert self.backend.caches is not None
        await live.follow(self.backend.caches, path)

    @work(group="watch-workloads", exit_on_error=False)
    async def watch_workloads(self, resource: str) -> None:
        """Counts only: how many deployments/statefulsets and how many are not ready."""
        try:
            path = await self._subscribe_path(resource)
        except KstuiError:
            return
        assert self.backend.caches is not None
        await self.lives[resource].follow(self.backend.caches, path)

    def _show_workloads(self) -> None:
        if self.refused is not None:
            return
        lives = self.lives
        self.query_one("#workloads", Static).update(
            " · ".join(
                (
                    tally(lives["pods"], "pods", "with problems"),
                    tally(lives["deployments"], "deployments", "not ready"),
                    tally(lives["statefulsets"], "statefulsets", "not ready"),
                )
            )
        )

    def _counted(self, _delta: object) -> None:
        self._show_workloads()

    # ------------------------------------------------------------------ members and quota

    async def fetch(self) -> ProjectAccess:
        context, namespace = self.project.context, self.project.name

        members, quota = await asyncio.gather(
            or_error(self.service.project_members(context, namespace)),
            or_error(self.service.project_quota(context, namespace)),
        )
        return ProjectAccess(members, quota)

    def show(self, data: ProjectAccess) -> None:
        problems = []
        table = self.query_one("#members-table", ResourceTable)
        if isinstance(data.members, KstuiError):
            problems.append(problem_text(data.members))
            if not table.row_count:
                table.set_empty_message(data.members.title)
        else:
            self.members = {m.binding or m.user: m for m in data.members}
            table.sync([Row(key, (m.user, m.role)) for key, m in self.members.items()])
            table.set_empty_message("no members: a adds one")
        bars = self.query_one(QuotaBars)
        if isinstance(data.quota, KstuiError):
            problems.append(problem_text(data.quota))
            bars.set_lines(self.quota, empty_message=data.quota.title)
        else:
            self.quota = data.quota
            bars.set_lines(data.quota, empty_message="no quota set: Q sets one")
        if problems:
            self.query_one(ContextBar).problem = "; ".join(problems)

    def selected_member(self) -> Member | None:
        key = self.query_one("#members-table", ResourceTable).cursor_key
        return self.members.get(key) if key is not None else None

    # ------------------------------------------------------------------ actions

    def _may_browse(self) -> bool:
        """The browser reads through the project's context: only once it is cleared."""
        if self.cleared:
            return True
        self.set_status(
            f"{self.refused.title}: {self.refused.detail}"
            if self.refused
            else "still asking who serves this project…",
            alert=True,
        )
        return False

    def action_browse(self, resource: str) -> None:
        if not self._may_browse():
            return
        self.open_resources(
            Target(
                resource,
                self.project.name,
                self.project.context,
                crumb=f"{self.project.workspace} › {self.project.name}",
            )
        )

    @on(ResourceTable.RowChosen, "#pods-table")
    def _pod_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        if not self._may_browse():
            return
        self.open_resources(
            Target(
                "pods",
                self.project.name,
                self.project.context,
                focus=self.lives["pods"].names.get(event.key, ("", ""))[1],
                crumb=f"{self.project.workspace} › {self.project.name}",
            )
        )

    @on(ResourceTable.RowChosen, "#members-table")
    def _member_chosen(self, event: ResourceTable.RowChosen) -> None:
        event.stop()
        if self.allowed("change_role"):
            self.action_change_role()

    def _where(self) -> str:
        return f"project {self.project.name} ({self.project.cluster})"

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_add_member(self) -> None:
        context, namespace = self.project.context, self.project.name
        roles = await self.service.project_roles(context, namespace)
        self.app.push_screen(
            MemberModal(
                f"Add a member to {self._where()}",
                roles=roles,
                check_user=self.service.user_caveat,
                where=self._where(),
                send=lambda user, role: self.service.writes.add_project_member(
                    context=context, namespace=namespace, user=user, role=role
                ),
            )
        )

    @work(group="form", exclusive=True, exit_on_error=False)
    async def action_change_role(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        context, namespace = self.project.context, self.project.name
        roles = await self.service.project_roles(context, namespace)
        self.app.push_screen(
            MemberModal(
                f"Change {member.user}'s role in {self._where()}",
                roles=roles,
                where=self._where(),
                user=member.user,
                role=member.role,
                send=lambda user, role: self.service.writes.change_project_member(
                    context=context, namespace=namespace, user=user, role=role
                ),
            )
        )

    @work(group="write", exclusive=True, exit_on_error=False)
    async def action_remove_member(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        confirmed = await self.app.push_screen_wait(
            ConfirmModal(
                f"Remove {member.user} from {self._where()}?",
                f"Deletes {member.user}'s role binding(s) in namespace {self.project.name} "
                f"(now: {member.role}).",
                yes="Remove",
            )
        )
        if not confirmed:
            return
        await self.service.writes.remove_project_member(
            context=self.project.context, namespace=self.project.name, user=member.user
        )
        self.notify(f"removed {member.user} from {self._where()}", title="done")
        self.poll()

    def action_set_quota(self) -> None:
        context, namespace = self.project.context, self.project.name
        self.app.push_screen(
            QuotaModal(
                f"Quota of {self._where()}",
                current=self.quota,
                where=self._where(),
                send=lambda hard: self.service.writes.set_project_quota(
                    context=context, namespace=namespace, hard=hard
                ),
            )
        )
