"""Form modals for workspaces and projects: create and delete a workspace, create and move a
project. The shared behaviour (validate, send in a worker, show the answer) is FormModal's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, SelectionList

from kstui.backends.identities import Access
from kstui.backends.tenancy import ClusterLink, ProjectSummary, WorkspaceSummary, validate_name
from kstui.backends.workspaces import WorkspaceService
from kstui.safe_text import inert_line
from kstui.screens.tenancy_forms import (
    FormModal,
    Written,
    select_field,
    selected,
    text_field,
    typed,
)
from kstui.widgets.plain import Plain


class CreateWorkspaceModal(FormModal):
    """Name (checked as it is typed), alias, description, manager and placement clusters."""

    DEFAULT_CSS = """
    CreateWorkspaceModal SelectionList { height: auto; max-height: 6; width: 1fr; }
    """
    SEND_LABEL = "Create"

    def __init__(self, service: WorkspaceService, *, clusters: Sequence[str], manager: str,
                 preselected: Sequence[str] = ()) -> None:
        super().__init__("New workspace")
        self.service = service
        self.clusters = list(clusters)
        self.manager = manager
        self.preselected = set(preselected) or set(self.clusters[:1])

    def fields(self) -> ComposeResult:
        yield from text_field("Name", "name", placeholder="lowercase letters, digits, -")
        yield from text_field("Alias", "alias", placeholder="display name (optional)",
                              checked=False)
        yield from text_field("Description", "description", placeholder="(optional)",
                              checked=False)
        yield from text_field("Manager", "manager", self.manager)
        with Horizontal(classes="field"):
            yield Label("Clusters")
            yield SelectionList[str](*((Text(inert_line(cluster)), cluster,
                                        cluster in self.preselected)
                                       for cluster in self.clusters), id="clusters")
        yield Plain("", id=self.field_error_id("clusters"), classes="field-error")

    def chosen_clusters(self) -> list[str]:
        return list(self.query_one("#clusters", SelectionList).selected)

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        name = typed(self, "name")
        message = validate_name(name, "workspace") if name else "a name is required"
        if message:
            found["name"] = message
        manager = typed(self, "manager")
        message = validate_name(manager, "user") if manager else "a manager is required"
        if message:
            found["manager"] = message
        if not self.chosen_clusters():
            found["clusters"] = "place it on at least one cluster (space toggles)"
        return found

    async def send(self) -> tuple[str, Written]:
        name, clusters = typed(self, "name"), self.chosen_clusters()
        written = await self.service.writes.create_workspace(
            name, alias=typed(self, "alias"), description=typed(self, "description"),
            manager=typed(self, "manager"), clusters=clusters)
        return f"created workspace {name} on {', '.join(clusters)}", written


class DeleteWorkspaceModal(FormModal):
    """Delete or detach the projects, and type the workspace's name to confirm."""

    DEFAULT_CSS = """
    DeleteWorkspaceModal RadioSet { width: 1fr; height: auto; margin-bottom: 1; }
    """
    SEND_LABEL = "Delete"
    QUIET_FIELDS = frozenset({"confirm"})

    def __init__(self, service: WorkspaceService, workspace: WorkspaceSummary) -> None:
        count = workspace.project_count
        super().__init__(
            f"Delete workspace {workspace.name}?",
            detail=f"It has {count} project{'s' if count != 1 else ''} and "
                   f"{workspace.member_count} member{'s' if workspace.member_count != 1 else ''}"
                   f"; placed on {', '.join(workspace.clusters) or 'no cluster'}.",
            danger=True)
        self.service = service
        self.workspace = workspace

    def fields(self) -> ComposeResult:
        with RadioSet(id="projects"):
            yield RadioButton("Detach its projects: keep the namespaces, drop the label",
                              value=True, id="detach")
            yield RadioButton("Delete its projects: every namespace and all it holds",
                              id="delete")
        yield from text_field("Type name", "confirm", placeholder=self.workspace.name)

    def first_focus(self) -> str:
        return "#projects"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#send", Button).disabled = True

    @on(Input.Changed, "#confirm")
    def _confirm_typed(self, event: Input.Changed) -> None:
        self.query_one("#send", Button).disabled = event.value.strip() != self.workspace.name

    def projects_choice(self) -> Literal["delete", "detach"]:
        pressed = self.query_one("#projects", RadioSet).pressed_button
        return "delete" if pressed is not None and pressed.id == "delete" else "detach"

    def problems(self) -> dict[str, str]:
        if typed(self, "confirm") != self.workspace.name:
            return {"confirm": f"type {self.workspace.name} to confirm"}
        return {}

    async def send(self) -> tuple[str, Written]:
        choice = self.projects_choice()
        written = await self.service.writes.delete_workspace(self.workspace.name, projects=choice)
        what = "deleting its projects" if choice == "delete" else "detaching its projects"
        return f"deleting workspace {self.workspace.name}, {what}", written


def link_label(link: ClusterLink) -> str:
    label = link.cluster if link.cluster == link.context else f"{link.cluster} ({link.context})"
    return f"{label} as {link.user}" if link.access is Access.BORROWED else label


class CreateProjectModal(FormModal):
    """A namespace in the workspace, on one of the linked clusters."""

    SEND_LABEL = "Create"

    def __init__(self, service: WorkspaceService, workspace: str, *,
                 links: Sequence[ClusterLink], context: str = "") -> None:
        super().__init__(f"New project in workspace {workspace}")
        self.service = service
        self.workspace = workspace
        self.links = list(links)
        self.context = context
        """The context chosen first (the session's, when it is linked)."""

    def fields(self) -> ComposeResult:
        yield from select_field("Cluster", "cluster",
                                [(link_label(link), link.context) for link in self.links],
                                self.context)
        yield from text_field("Name", "name", placeholder="lowercase letters, digits, -")
        yield from text_field("Alias", "alias", placeholder="display name (optional)",
                              checked=False)

    def first_focus(self) -> str:
        return "#name"

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        name = typed(self, "name")
        message = validate_name(name, "project") if name else "a name is required"
        if message:
            found["name"] = message
        if not selected(self, "cluster"):
            found["cluster"] = "no cluster is linked to this workspace"
        return found

    async def send(self) -> tuple[str, Written]:
        name, context = typed(self, "name"), selected(self, "cluster")
        written = await self.service.writes.create_project(self.workspace, context=context,
                                                    name=name, alias=typed(self, "alias"))
        return f"created project {name} in {self.workspace} ({context})", written


class MoveProjectModal(FormModal):
    """Relabel a project into another workspace."""

    SEND_LABEL = "Move"

    def __init__(self, service: WorkspaceService, project: ProjectSummary, *,
                 workspaces: Sequence[str]) -> None:
        super().__init__(f"Move project {project.name} ({project.cluster})",
                         detail=f"now in workspace {project.workspace}")
        self.service = service
        self.project = project
        self.targets = [name for name in workspaces if name != project.workspace]

    def fields(self) -> ComposeResult:
        yield from select_field("To workspace", "workspace",
                                [(name, name) for name in self.targets])

    def first_focus(self) -> str:
        return "#workspace"

    def problems(self) -> dict[str, str]:
        if not selected(self, "workspace"):
            return {"workspace": "there is no other workspace to move it to"}
        return {}

    async def send(self) -> tuple[str, Written]:
        target = selected(self, "workspace")
        written = await self.service.writes.move_project(
            context=self.project.context, namespace=self.project.name, workspace=target)
        return f"moved project {self.project.name} to {target}", written
