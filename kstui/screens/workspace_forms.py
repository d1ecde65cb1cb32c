"""The Workspaces section's forms: create and delete a workspace, create and move a project,
add a member or change a role, set a quota. Each declares its fields and makes its one service
call in `send`; validating, sending and showing the answer are the form framework's
(widgets/form.py, screens/forms.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Literal

from kstui.backends.identities import Access
from kstui.backends.tenancy import (
    SELECTOR_PLACEMENT,
    ClusterLink,
    ProjectSummary,
    QuotaLine,
    WorkspaceSummary,
    validate_name,
    validate_quantity,
)
from kstui.backends.workspaces import WorkspaceService
from kstui.screens.forms import WriteForm, Written
from kstui.screens.tenancy import NOT_VISIBLE, clusters_text, unreached_text
from kstui.widgets.form import Values
from kstui.widgets.form_fields import Field, choice, multi, radio, text

QUOTA_RESOURCES = ("limits.cpu", "limits.memory", "requests.cpu", "requests.memory", "pods")
NAME_HINT = "lowercase letters, digits, -"


def named(what: str) -> Callable[[str], str | None]:
    return partial(validate_name, what=what)


class CreateWorkspaceModal(WriteForm):
    """Name (checked as it is typed), alias, description, manager and placement clusters."""

    SEND_LABEL = "Create"

    def __init__(
        self,
        service: WorkspaceService,
        *,
        clusters: Sequence[str],
        manager: str,
        preselected: Sequence[str] = (),
    ) -> None:
        super().__init__("New workspace")
        self.service = service
        self.clusters = list(clusters)
        self.manager = manager
        self.preselected = set(preselected) or set(self.clusters[:1])

    def fields(self) -> list[Field]:
        return [
            text(
                "name",
                "Name",
                placeholder=NAME_HINT,
                required="a name is required",
                validators=(named("workspace"),),
                server=("metadata.name",),
            ),
            text("alias", "Alias", placeholder="display name (optional)", message_row=False),
            text("description", "Description", placeholder="(optional)", message_row=False),
            text(
                "manager",
                "Manager",
                self.manager,
                required="a manager is required",
                validators=(named("user"),),
                server=("spec.template.spec.manager",),
            ),
            multi(
                "clusters",
                "Clusters",
                [(c, c) for c in self.clusters],
                [c for c in self.clusters if c in self.preselected],
                required="place it on at least one cluster (space toggles)",
                server=("spec.placement",),
            ),
        ]

    async def caveats(self, values: Values) -> dict[str, str]:
        return {"manager": await self.service.user_caveat(values["manager"])}

    def chosen_clusters(self) -> list[str]:
        return list(self.value_of("clusters"))

    async def send(self, values: Values) -> tuple[str, Written]:
        name, clusters = values["name"], values["clusters"]
        written = await self.service.writes.create_workspace(
            name,
            alias=values["alias"],
            description=values["description"],
            manager=values["manager"],
            clusters=clusters,
        )
        return f"created workspace {name} on {', '.join(clusters)}", written


class DeleteWorkspaceModal(WriteForm):
    """Delete or detach the projects, and type the workspace's name to confirm."""

    SEND_LABEL = "Delete"

    def __init__(self, service: WorkspaceService, workspace: WorkspaceSummary) -> None:
        count, members = workspace.project_count, workspace.member_count
        unreached = unreached_text(workspace.unreached)
        super().__init__(
            f"Delete workspace {workspace.name}?",
            detail=f"It has {count} project{'s' if count != 1 else ''}"
            + (f" ({unreached})" if unreached else "")
            + (
                f"; members {NOT_VISIBLE}"
                if "members" in workspace.forbidden
                else f" and {members} member{'s' if members != 1 else ''}"
            )
            + f"; placed on {clusters_text(workspace)}.",
            danger=True,
        )
        self.service = service
        self.workspace = workspace

    def fields(self) -> list[Field]:
        name = self.workspace.name
        return [
            radio(
                "projects",
                "",
                [
                    ("Detach its projects: keep the namespaces, drop the label", "detach"),
                    ("Delete its projects: every namespace and all it holds", "delete"),
                ],
                message_row=False,
            ),
            # typing the name is what the dialog asks first: it has the focus
            text(
                "confirm",
                "Type name",
                placeholder=name,
                live=False,
                focus=True,
                required=f"type {name} to confirm",
                validators=(lambda typed: None if typed == name else f"type {name} to confirm",),
            ),
        ]

    def can_send(self, values: Values) -> bool:
        return bool(values["confirm"] == self.workspace.name)

    def projects_choice(self) -> str:
        return "delete" if self.value_of("projects") == "delete" else "detach"

    async def send(self, values: Values) -> tuple[str, Written]:
        choice_: Literal["delete", "detach"] = (
            "delete" if values["projects"] == "delete" else "detach"
        )
        written = await self.service.writes.delete_workspace(self.workspace.name, projects=choice_)
        what = "deleting its projects" if choice_ == "delete" else "detaching its projects"
        return f"deleting workspace {self.workspace.name}, {what}", written


def link_label(link: ClusterLink) -> str:
    label = link.cluster if link.cluster == link.context else f"{link.cluster} ({link.context})"
    return f"{label} as {link.user}" if link.access is Access.BORROWED else label


class CreateProjectModal(WriteForm):
    """A namespace in the workspace, on one of the linked clusters."""

    SEND_LABEL = "Create"

    def __init__(
        self,
        service: WorkspaceService,
        workspace: str,
        *,
        links: Sequence[ClusterLink],
        context: str = "",
    ) -> None:
        super().__init__(f"New project in workspace {workspace}")
        self.service = service
        self.workspace = workspace
        self.links = list(links)
        self.context = context
        """The context chosen first (the session's, when it is linked)."""

    def fields(self) -> list[Field]:
        return [
            choice(
                "cluster",
                "Cluster",
                [(link_label(link), link.context) for link in self.links],
                self.context,
                required="no cluster is linked to this workspace",
            ),
            text(
                "name",
                "Name",
                placeholder=NAME_HINT,
                focus=True,
                required="a name is required",
                validators=(named("project"),),
                server=("metadata.name",),
            ),
            text("alias", "Alias", placeholder="display name (optional)", message_row=False),
        ]

    async def send(self, values: Values) -> tuple[str, Written]:
        name, context = values["name"], values["cluster"]
        written = await self.service.writes.create_project(
            self.workspace, context=context, name=name, alias=values["alias"]
        )
        return f"created project {name} in {self.workspace} ({context})", written


class MoveProjectModal(WriteForm):
    """Relabel a project into another workspace: one placed on the project's cluster."""

    SEND_LABEL = "Move"

    def __init__(
        self,
        service: WorkspaceService,
        project: ProjectSummary,
        *,
        workspaces: Sequence[WorkspaceSummary],
        clusters: Sequence[str] = (),
    ) -> None:
        super().__init__(
            f"Move project {project.name} ({project.cluster})",
            detail=f"now in workspace {project.workspace}",
        )
        self.service = service
        self.project = project
        self.clusters = set(clusters)
        """Every KubeSphere cluster the host lists: a project on none of them (its context
        not mapped to one) cannot be checked against a placement."""
        self.placed = {ws.name: ws for ws in workspaces if ws.name != project.workspace}
        self.targets = list(self.placed)

    def fields(self) -> list[Field]:
        return [
            choice(
                "workspace",
                "To workspace",
                [(name, name) for name in self.targets],
                required="there is no other workspace to move it to",
            )
        ]

    def check(self, values: Values) -> dict[str, str]:
        target = self.placed.get(values["workspace"])
        known = not self.clusters or self.project.cluster in self.clusters
        problem = target and known and misplaced(target, self.project)
        return {"workspace": problem} if problem else {}

    async def send(self, values: Values) -> tuple[str, Written]:
        target = values["workspace"]
        written = await self.service.writes.move_project(
            context=self.project.context, namespace=self.project.name, workspace=target
        )
        return f"moved project {self.project.name} to {target}", written


def misplaced(workspace: WorkspaceSummary, project: ProjectSummary) -> str | None:
    """Why `project` may not move into `workspace`: the workspace is not placed on the
    project's cluster. None when it is, or when the placement cannot be told (a cluster
    selector, or a template this user may not read)."""
    clusters = workspace.clusters
    if "clusters" in workspace.forbidden or SELECTOR_PLACEMENT in clusters:
        return None
    if project.cluster in clusters:
        return None
    where = f"on clusters {', '.join(clusters)}" if clusters else "placed on no cluster"
    return f"workspace {workspace.name} is {where}; project {project.name} is on {project.cluster}"


class MemberModal(WriteForm):
    """Add a member (user + role) or change a member's role, in a workspace or a project.

    `send(user, role)` is the service call for the scope (add_workspace_member,
    change_project_member, …), bound by the screen."""

    def __init__(
        self,
        title: str,
        *,
        roles: Sequence[str],
        send: Callable[[str, str], Awaitable[Written]],
        where: str,
        user: str = "",
        role: str = "",
        check_user: Callable[[str], Awaitable[str]] | None = None,
    ) -> None:
        super().__init__(title)
        self.check_user = check_user
        """Why a typed user name is doubtful ("" if it is a User): said before the write."""
        self.roles = list(roles)
        self.send_member = send
        self.where = where
        """The workspace or project, as the success message names it."""
        self.user = user
        """Fixed when changing a role; typed when adding."""
        self.role = role

    def fields(self) -> list[Field]:
        # A new member starts at the least privilege offered; admin is a deliberate choice.
        least = next((role for role in self.roles if role.endswith("viewer")), "")
        return [
            text(
                "user",
                "User",
                self.user,
                placeholder="user name",
                disabled=bool(self.user),
                required="a user name is required",
                validators=(named("user"),),
            ),
            choice(
                "role",
                "Role",
                [(r, r) for r in self.roles],
                self.role or least,
                required="choose a role" if self.roles else "no roles to choose from",
            ),
        ]

    def check(self, values: Values) -> dict[str, str]:
        if self.user and values["role"] == self.role:
            return {"role": f"{self.user} already has role {self.role}"}
        return {}

    async def caveats(self, values: Values) -> dict[str, str]:
        if self.user or self.check_user is None:  # a member's role changes: no new name
            return {}
        return {"user": await self.check_user(values["user"])}

    async def send(self, values: Values) -> tuple[str, Written]:
        user, role = values["user"], values["role"]
        written = await self.send_member(user, role)
        verb = "now has" if self.user else "added with"
        return f"{user} {verb} role {role} in {self.where}", written


class QuotaModal(WriteForm):
    """Hard limits of a workspace or project quota; an empty field sets no limit."""

    DEFAULT_CSS = """
    QuotaModal .field { margin-bottom: 0; }
    QuotaModal .field-error.-shown { margin-bottom: 0; }
    QuotaModal #foot { margin-top: 1; }
    """
    SEND_LABEL = "Apply"

    def __init__(
        self,
        title: str,
        *,
        current: Sequence[QuotaLine],
        send: Callable[[dict[str, str]], Awaitable[Written]],
        where: str,
    ) -> None:
        super().__init__(title, detail="Kubernetes quantities: 500m, 2, 4Gi, 512Mi…")
        self.current = {line.resource: line.hard for line in current}
        self.send_quota = send
        self.where = where

    @staticmethod
    def input_id(resource: str) -> str:
        return resource.replace(".", "-")

    def fields(self) -> list[Field]:
        return [
            text(
                self.input_id(resource),
                resource,
                self.current.get(resource, ""),
                placeholder="no limit",
                validators=(validate_quantity,),
                server=(f"spec.hard.{resource}", f"spec.quota.hard.{resource}"),
            )
            for resource in QUOTA_RESOURCES
        ]

    @classmethod
    def hard(cls, values: Values) -> dict[str, str]:
        typed = {resource: values[cls.input_id(resource)] for resource in QUOTA_RESOURCES}
        return {resource: value for resource, value in typed.items() if value}

    def check(self, values: Values) -> dict[str, str]:
        if not self.hard(values):
            return {self.input_id(QUOTA_RESOURCES[0]): "set at least one limit"}
        return {}

    async def send(self, values: Values) -> tuple[str, Written]:
        hard = self.hard(values)
        written = await self.send_quota(hard)
        limits = ", ".join(f"{resource}={value}" for resource, value in hard.items())
        return f"quota of {self.where}: {limits}", written
