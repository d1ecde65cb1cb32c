"""The Workspaces section through the keyboard, on the real sandbox with a real WorkspaceService;
every write is checked against what the sandbox then holds."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

import kstui
import kstui.backends.errors
from kstui.backends.errors import NotFound
from kstui.backends.kube import KubeClient
from kstui.backends.tenancy import ProjectSummary
from kstui.config import Config
from kstui.model import Row, Tone
from kstui.screens.confirm import ConfirmModal
from kstui.screens.project_detail import ProjectDetailScreen
from kstui.screens.resources import ResourcesScreen, Target
from kstui.screens.tenancy import POLL_SECONDS, TenancyScreen
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspace_forms import (
    CreateProjectModal,
    CreateWorkspaceModal,
    DeleteWorkspaceModal,
    MemberModal,
    MoveProjectModal,
    QuotaModal,
)
from kstui.screens.workspaces import VANILLA_NOTE, WorkspacesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.quota_bars import QuotaBars
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client as client_for
from tests.ui.conftest import MakeHost, wait_until, workspaces_app

TEMPLATES = "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates"
WS_ROLES = "/apis/iam.kubesphere.io/v1beta1/workspaceroles"
WS_BINDINGS = "/apis/iam.kubesphere.io/v1beta1/workspacerolebindings"
WS_QUOTAS = "/apis/quota.kubesphere.io/v1alpha2/resourcequotas"
NAMESPACES = "/api/v1/namespaces"
IAM_ROLES = "/apis/iam.kubesphere.io/v1beta1/namespaces/{ns}/roles"
IAM_BINDINGS = "/apis/iam.kubesphere.io/v1beta1/namespaces/{ns}/rolebindings"
WORKSPACE = "kubesphere.io/workspace"
HOLD = "tests.kstui.io/hold"
KEYS = {" ": "space", "-": "minus", "_": "underscore", ".": "full_stop", "!": "exclamation_mark"}


# ---------------------------------------------------------------------- helpers


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*(KEYS.get(ch, ch) for ch in text))


async def ready(pilot: Pilot[Any], screen_type: type[TenancyScreen]) -> Any:
    """The screen on top once its first poll is shown and its permissions are known."""
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, screen_type) and pilot.app.screen.loaded,
        screen_type.__name__,
    )
    screen = pilot.app.screen
    assert isinstance(screen, screen_type)
    await wait_until(
        pilot, lambda: len(screen.permissions) == len(set(screen.GATED.values())), "permissions"
    )
    return screen


def cells(table: ResourceTable) -> dict[str, tuple[str, ...]]:
    return {
        row.cells[0]: row.cells for key in table.visible_keys if (row := table.row(key)) is not None
    }


def row_of(table: ResourceTable, first_cell: str) -> Row:
    """The row whose first cell is `first_cell` (it must be listed)."""
    rows = [row for key in table.visible_keys if (row := table.row(key)) is not None]
    return next(row for row in rows if row.cells[0] == first_cell)


async def cursor_to(pilot: Pilot[Any], table: ResourceTable, first_cell: str) -> None:
    await wait_until(pilot, lambda: first_cell in cells(table), f"row {first_cell}")
    key = row_of(table, first_cell).key
    assert table.move_cursor_to(key)
    table.focus()
    await pilot.pause()


async def open_workspace(pilot: Pilot[Any], name: str) -> WorkspaceDetailScreen:
    listing = await ready(pilot, WorkspacesScreen)
    await cursor_to(pilot, listing.query_one(ResourceTable), name)
    await pilot.press("enter")
    detail: WorkspaceDetailScreen = await ready(pilot, WorkspaceDetailScreen)
    return detail


async def modal(pilot: Pilot[Any], modal_type: type) -> Any:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, modal_type), modal_type.__name__)
    await pilot.pause()
    return pilot.app.screen


async def choose(pilot: Pilot[Any], select_id: str, label: str) -> None:
    """Open a Select with the keyboard and pick the option shown as `label`."""
    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    values = [value for _prompt, value in select._options if value is not Select.NULL]
    target = values.index(label)
    current = values.index(select.value) if select.value in values else 0
    step = "down" if target >= current else "up"
    await pilot.press(*[step] * abs(target - current), "enter")
    await wait_until(pilot, lambda: select.value == label, f"{label} chosen")


async def send_past_caveat(pilot: Pilot[Any], field: str, caveat: str) -> None:
    """Send; the form says `caveat` on `field` and sends nothing; send again: go ahead."""
    form = pilot.app.screen
    await pilot.press("ctrl+s")
    box = form.query_one(f"#{field}-error", Static)
    await wait_until(pilot, lambda: box.has_class("-shown"), f"caveat on {field}")
    assert str(box.render()) == caveat
    assert pilot.app.screen is form
    await pilot.press("ctrl+s")


async def stored(kube: KubeClient, path: str) -> dict[str, Any] | None:
    try:
        return await kube.get(path)  # type: ignore[no-any-return]
    except NotFound:
        return None


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 10.0) -> None:
    """Poll the sandbox until `check()` holds (its controllers act on their own time)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def make_workspace(kube: KubeClient, name: str, *, hold: bool = False) -> None:
    """A WorkspaceTemplate on host; the sandbox's controller stamps its built-in roles."""
    metadata: dict[str, Any] = {"name": name, "annotations": {"kubesphere.io/creator": "admin"}}
    if hold:  # a finalizer no controller owns: the deleted template stays readable
        metadata["finalizers"] = [HOLD]
    await kube.create(
        TEMPLATES,
        {
            "apiVersion": "tenant.kubesphere.io/v1beta1",
            "kind": "WorkspaceTemplate",
            "metadata": metadata,
            "spec": {
                "template": {"spec": {"manager": "admin"}},
                "placement": {"clusters": [{"name": "host"}]},
            },
        },
    )
    await eventually(lambda: exists(kube, f"{WS_ROLES}/{name}-viewer"), f"roles of {name}")


async def make_project(kube: KubeClient, name: str, workspace: str) -> None:
    """A managed namespace in `workspace`; the controller stamps admin/operator/viewer."""
    await kube.create(
        NAMESPACES,
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "annotations": {"kubesphere.io/creator": "admin"},
                "labels": {WORKSPACE: workspace, "kubesphere.io/managed": "true"},
            },
        },
    )
    await eventually(
        lambda: exists(kube, f"{IAM_ROLES.format(ns=name)}/viewer"), f"roles of {name}"
    )


async def exists(kube: KubeClient, path: str) -> bool:
    return await stored(kube, path) is not None


# ---------------------------------------------------------------------- browsing


async def test_list_shows_the_seeded_workspaces(make_host: MakeHost, kube: KubeClient) -> None:
    template = await kube.get(f"{TEMPLATES}/acme-retail")
    placement = ",".join(c["name"] for c in template["spec"]["placement"]["clusters"])
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        rows = cells(screen.query_one(ResourceTable))
        assert {"acme-retail", "beta-labs"} <= set(rows)
        _name, alias, manager, clusters, projects, members, quota, _age = rows["acme-retail"]
        assert (alias, manager, clusters) == ("ACME Retail", "alice", placement)
        assert int(projects) >= 2
        assert int(members) >= 2
        assert re.fullmatch(r"(cpu|mem|req\.cpu|req\.mem|pods) \d+%", quota)
        assert rows["beta-labs"][6] == "—"  # no quota object
        assert screen.query_one("#note", Static).display is False
        assert screen.check_action("new", ()) is True


async def test_the_list_polls_but_not_under_a_form(make_host: MakeHost, kube: KubeClient) -> None:
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        table = screen.query_one(ResourceTable)
        await make_workspace(kube, "ui-polled")
        await wait_until(pilot, lambda: "ui-polled" in cells(table), "picked up by the poll")
        await pilot.press("a")
        await modal(pilot, CreateWorkspaceModal)
        assert screen._next_poll is None  # nothing scheduled while the form covers the list
        await make_workspace(kube, "ui-polled-2")
        await pilot.pause(0.2)
        assert "ui-polled-2" not in cells(table)
        await pilot.press("escape")
        started = asyncio.get_running_loop().time()
        await wait_until(pilot, lambda: "ui-polled-2" in cells(table), "polled on return")
        assert asyncio.get_running_loop().time() - started < POLL_SECONDS


async def test_drill_into_a_workspace_and_a_project_then_the_browser(
    make_host: MakeHost, fresh_sandbox: Callable[..., RunningSandbox]
) -> None:
    # A sandbox of its own: on the shared one, minutes into the run, the crash-looping worker
    # may be in the running part of its back-off cycle, as a real one would be.
    app = make_host(kubeconfig=fresh_sandbox().kubeconfig)
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "acme-retail")
        projects = detail.query_one("#projects-table", ResourceTable)
        await wait_until(
            pilot, lambda: {"shop-prod", "shop-staging"} <= set(cells(projects)), "projects"
        )
        shop = cells(projects)["shop-prod"]
        assert shop[1] == "host"
        assert shop[3] == "alice"
        assert shop[4] == "Active"
        assert int(shop[6]) >= 1  # the crash-looping worker
        assert row_of(projects, "shop-prod").tone is Tone.ERROR
        await pilot.press("right_square_bracket")  # the number keys are the sections'
        assert detail.active_pane == "members"
        members = detail.query_one("#members-table", ResourceTable)
        assert cells(members)["carol"][1] == "acme-retail-regular"
        await pilot.press("tab")
        assert detail.active_pane == "quota"
        bars = detail.query_one(QuotaBars)
        assert [line.resource for line in bars.lines][:2] == ["limits.cpu", "limits.memory"]
        await pilot.press("tab")  # round to the first pane
        await cursor_to(pilot, projects, "shop-prod")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        pods = project.query_one("#pods-table", ResourceTable)
        await wait_until(
            pilot, lambda: any(n.startswith("shop-worker") for n in cells(pods)), "pods"
        )
        worker = next(name for name in cells(pods) if name.startswith("shop-worker"))
        assert row_of(pods, worker).tone is Tone.ERROR
        await wait_until(
            pilot,
            lambda: "with problems" in str(project.query_one("#workloads", Static).render()),
            "problem tally",
        )
        await pilot.press("tab")
        members = project.query_one("#members-table", ResourceTable)
        await wait_until(pilot, lambda: "carol" in cells(members), "project members")
        assert cells(members)["carol"][1] == "operator"
        await pilot.press("shift+tab")
        await pilot.press("b")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ResourcesScreen) and app.screen.loaded,
            "resource browser",
        )
        assert app.screen.target == Target(
            "pods", "shop-prod", "host", crumb="acme-retail › shop-prod"
        )
        assert app.screen.query_one(ResourceTable).row_count >= 3
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is project, "back to the project")
        table = project.query_one("#pods-table", ResourceTable)
        await cursor_to(pilot, table, next(n for n in cells(table) if n.startswith("reviews")))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ResourcesScreen), "browser")
        assert app.screen.target.focus.startswith("reviews")


# ---------------------------------------------------------------------- workspaces


async def test_create_workspace_checks_the_name_then_writes_the_template(
    make_host: MakeHost, kube: KubeClient
) -> None:
    app = make_host()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, WorkspacesScreen)
        await pilot.press("a")
        form: CreateWorkspaceModal = await modal(pilot, CreateWorkspaceModal)
        assert form.query_one("#manager", Input).value == "admin"  # whoami
        await type_text(pilot, "Bad_Name")
        error = form.query_one("#name-error", Static)
        assert error.has_class("-shown")
        assert "lower case" in str(error.render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        assert "nothing was sent" in str(form.query_one("#outcome", Static).render())
        assert await stored(kube, f"{TEMPLATES}/Bad_Name") is None
        name = form.query_one("#name", Input)
        name.value = ""
        name.focus()
        await type_text(pilot, "ui-created")
        assert not error.has_class("-shown")
        await pilot.press("tab")
        await type_text(pilot, "UI made")
        await pilot.press("tab", "tab", "tab")  # description, manager, the cluster list
        assert form.focused is form.query_one("#clusters")
        await pilot.press("down", "space")  # place it on member too
        assert form.chosen_clusters() == ["host", "member"]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "closed")
        template = await stored(kube, f"{TEMPLATES}/ui-created")
        assert template is not None
        notes = template["metadata"]["annotations"]
        assert notes["kubesphere.io/creator"] == "admin"
        assert notes["kubesphere.io/alias-name"] == "UI made"
        assert template["spec"]["template"]["spec"]["manager"] == "admin"
        assert (
            template["spec"]["template"]["metadata"]["annotations"]["kubesphere.io/creator"]
            == "admin"
        )
        assert template["spec"]["placement"] == {"clusters": [{"name": "host"}, {"name": "member"}]}
        listing = app.screen
        await wait_until(
            pilot, lambda: "ui-created" in cells(listing.query_one(ResourceTable)), "listed"
        )
        # the same name again: the server's 409, shown in the form, which stays open
        await pilot.press("a")
        form = await modal(pilot, CreateWorkspaceModal)
        await type_text(pilot, "ui-created")
        await pilot.press("enter")
        outcome = form.query_one("#outcome", Static)
        await wait_until(pilot, lambda: "AlreadyExists" in str(outcome.render()), "409 shown")
        assert "already exists" in str(outcome.render())
        assert app.screen is form
        assert not form.sending
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "cancelled")


async def test_delete_workspace_asks_for_the_name_and_detaches(
    make_host: MakeHost, kube: KubeClient
) -> None:
    await make_workspace(kube, "ui-doomed", hold=True)
    await make_project(kube, "ui-doomed-app", "ui-doomed")
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        await cursor_to(pilot, listing.query_one(ResourceTable), "ui-doomed")
        await pilot.press("ctrl+d")
        form = await modal(pilot, DeleteWorkspaceModal)
        assert form.form_title == "Delete workspace ui-doomed?"
        send = form.query_one("#send")
        assert send.disabled
        assert form.projects_choice() == "detach"
        form.query_one("#confirm", Input).focus()
        await type_text(pilot, "ui-doome")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form
        assert "type ui-doomed" in str(form.query_one("#confirm-error", Static).render())
        await type_text(pilot, "d")
        assert not send.disabled
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "closed")
        template = await stored(kube, f"{TEMPLATES}/ui-doomed")
        assert template is not None  # held by the test's finalizer
        assert template["metadata"].get("deletionTimestamp")
        assert template["metadata"]["annotations"]["kubesphere.io/deletion-propagation"] == "Orphan"

        async def detached() -> bool:
            namespace = await stored(kube, f"{NAMESPACES}/ui-doomed-app")
            return namespace is not None and WORKSPACE not in namespace["metadata"]["labels"]

        await eventually(detached, "project detached, namespace kept")


async def test_delete_workspace_can_take_its_projects(
    make_host: MakeHost, kube: KubeClient
) -> None:
    await make_workspace(kube, "ui-gone")
    await make_project(kube, "ui-gone-app", "ui-gone")
    app = make_host()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        await cursor_to(pilot, listing.query_one(ResourceTable), "ui-gone")
        await pilot.press("ctrl+d")
        form = await modal(pilot, DeleteWorkspaceModal)
        await type_text(pilot, "ui-gone")  # the name field has the focus
        await pilot.press("shift+tab", "down", "space")  # back to the radio set: "delete"
        assert form.projects_choice() == "delete"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "closed")

        async def gone() -> bool:
            namespace = await stored(kube, f"{NAMESPACES}/ui-gone-app")
            return await stored(kube, f"{TEMPLATES}/ui-gone") is None and (
                namespace is None or bool(namespace["metadata"].get("deletionTimestamp"))
            )

        await eventually(gone, "workspace and its project deleted")
        await wait_until(
            pilot, lambda: "ui-gone" not in cells(listing.query_one(ResourceTable)), "row gone"
        )


# ---------------------------------------------------------------------- projects


async def test_create_then_move_a_project(make_host: MakeHost, kube: KubeClient) -> None:
    await make_workspace(kube, "ui-projects")
    await make_workspace(kube, "ui-projects-next")
    app = make_host()
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_workspace(pilot, "ui-projects")
        await pilot.press("p")
        form = await modal(pilot, CreateProjectModal)
        assert [link.cluster for link in form.links] == ["host"]
        await type_text(pilot, "UI-proj")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form  # refused before sending: upper case
        name = form.query_one("#name", Input)
        name.value = ""
        await type_text(pilot, "ui-proj-a")
        await pilot.press("tab")
        await type_text(pilot, "Project A")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is detail, "closed")
        namespace = await stored(kube, f"{NAMESPACES}/ui-proj-a")
        assert namespace is not None
        assert namespace["metadata"]["labels"][WORKSPACE] == "ui-projects"
        assert namespace["metadata"]["labels"]["kubesphere.io/managed"] == "true"
        assert namespace["metadata"]["annotations"]["kubesphere.io/creator"] == "admin"
        assert namespace["metadata"]["annotations"]["kubesphere.io/alias-name"] == "Project A"
        projects = detail.query_one("#projects-table", ResourceTable)
        await cursor_to(pilot, projects, "ui-proj-a")
        await pilot.press("m")
        form = await modal(pilot, MoveProjectModal)
        assert "ui-projects" not in form.targets
        assert "ui-projects-next" in form.targets
        await choose(pilot, "workspace", "ui-projects-next")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail, "closed")
        namespace = await stored(kube, f"{NAMESPACES}/ui-proj-a")
        assert namespace is not None
        assert namespace["metadata"]["labels"][WORKSPACE] == "ui-projects-next"
        await wait_until(pilot, lambda: "ui-proj-a" not in cells(projects), "moved away")


# ---------------------------------------------------------------------- members and quotas


async def test_workspace_member_add_change_remove(make_host: MakeHost, kube: KubeClient) -> None:
    await make_workspace(kube, "ui-team")
    app = make_host()
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_workspace(pilot, "ui-team")
        await pilot.press("tab")
        await pilot.press("a")
        form = await modal(pilot, MemberModal)
        await type_text(pilot, "erin")
        await choose(pilot, "role", "ui-team-regular")
        await send_past_caveat(pilot, "user", "there is no user erin on host")
        await wait_until(pilot, lambda: app.screen is detail, "added")
        binding = await stored(kube, f"{WS_BINDINGS}/erin-ui-team-regular")
        assert binding is not None
        assert binding["metadata"]["labels"] == {
            WORKSPACE: "ui-team",
            "iam.kubesphere.io/user-ref": "erin",
            "iam.kubesphere.io/role-ref": "ui-team-regular",
        }
        assert binding["roleRef"] == {
            "apiGroup": "iam.kubesphere.io",
            "kind": "WorkspaceRole",
            "name": "ui-team-regular",
        }
        members = detail.query_one("#members-table", ResourceTable)
        await cursor_to(pilot, members, "erin")
        await pilot.press("e")
        form = await modal(pilot, MemberModal)
        assert form.query_one("#user", Input).disabled
        await pilot.press("ctrl+s")  # unchanged role: refused in the form
        await pilot.pause()
        assert app.screen is form
        assert "already has role" in str(form.query_one("#role-error", Static).render())
        await choose(pilot, "role", "ui-team-viewer")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail, "changed")
        assert await stored(kube, f"{WS_BINDINGS}/erin-ui-team-regular") is None
        assert await stored(kube, f"{WS_BINDINGS}/erin-ui-team-viewer") is not None
        await wait_until(
            pilot,
            lambda: cells(members).get("erin", ("", ""))[1] == "ui-team-viewer",
            "new role shown",
        )
        await cursor_to(pilot, members, "erin")
        await pilot.press("ctrl+d")
        confirm = await modal(pilot, ConfirmModal)
        assert confirm.question == "Remove erin from workspace ui-team?"
        await pilot.press("y")
        await wait_until(pilot, lambda: "erin" not in cells(members), "removed")
        listed = await kube.list(WS_BINDINGS, {"labelSelector": "iam.kubesphere.io/user-ref=erin"})
        assert listed["items"] == []


async def test_workspace_quota_validates_quantities(make_host: MakeHost, kube: KubeClient) -> None:
    await make_workspace(kube, "ui-quota")
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "ui-quota")
        await pilot.press("left_square_bracket")  # round back to the last pane
        assert "no quota" in str(detail.query_one(QuotaBars).render())
        await pilot.press("Q")
        form = await modal(pilot, QuotaModal)
        await type_text(pilot, "lots")
        assert form.query_one("#limits-cpu-error", Static).has_class("-shown")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        form.query_one("#limits-cpu", Input).value = ""
        await type_text(pilot, "8")
        await pilot.press("tab")
        await type_text(pilot, "16Gi")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail, "applied")
        quota = await stored(kube, f"{WS_QUOTAS}/ui-quota")
        assert quota is not None
        assert quota["spec"]["quota"]["hard"] == {"limits.cpu": "8", "limits.memory": "16Gi"}
        assert quota["spec"]["selector"] == {WORKSPACE: "ui-quota"}
        bars = detail.query_one(QuotaBars)
        await wait_until(pilot, lambda: [line.hard for line in bars.lines] == ["8", "16Gi"], "bars")


async def test_project_members_and_quota(make_host: MakeHost, kube: KubeClient) -> None:
    await make_workspace(kube, "ui-crew")
    await make_project(kube, "ui-crew-app", "ui-crew")
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "ui-crew")
        await cursor_to(pilot, detail.query_one("#projects-table", ResourceTable), "ui-crew-app")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        await pilot.press("tab", "a")
        form = await modal(pilot, MemberModal)
        assert {"admin", "operator", "viewer"} <= set(form.roles)
        await type_text(pilot, "frank")
        await choose(pilot, "role", "operator")
        await send_past_caveat(pilot, "user", "there is no user frank on host")
        await wait_until(pilot, lambda: app.screen is project, "added")
        path = IAM_BINDINGS.format(ns="ui-crew-app")
        binding = await stored(kube, f"{path}/frank-operator")
        assert binding is not None
        assert binding["roleRef"] == {
            "apiGroup": "iam.kubesphere.io",
            "kind": "Role",
            "name": "operator",
        }
        assert binding["metadata"]["labels"]["iam.kubesphere.io/user-ref"] == "frank"
        members = project.query_one("#members-table", ResourceTable)
        await cursor_to(pilot, members, "frank")
        await pilot.press("enter")  # Enter on a member changes the role
        await modal(pilot, MemberModal)
        await choose(pilot, "role", "viewer")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is project, "changed")
        assert await stored(kube, f"{path}/frank-operator") is None
        assert await stored(kube, f"{path}/frank-viewer") is not None
        await wait_until(
            pilot, lambda: cells(members).get("frank", ("", ""))[1] == "viewer", "new role shown"
        )
        await cursor_to(pilot, members, "frank")
        await pilot.press("ctrl+d")
        confirm = await modal(pilot, ConfirmModal)
        assert confirm.question == "Remove frank from project ui-crew-app (host)?"
        await pilot.press("y")
        await wait_until(pilot, lambda: "frank" not in cells(members), "removed")
        assert await stored(kube, f"{path}/frank-viewer") is None
        await pilot.press("Q")
        form = await modal(pilot, QuotaModal)
        form.query_one("#pods", Input).focus()
        await type_text(pilot, "20")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is project, "quota set")
        quota = await stored(kube, "/api/v1/namespaces/ui-crew-app/resourcequotas/ui-crew-app")
        assert quota is not None
        assert quota["spec"]["hard"] == {"pods": "20"}


async def test_a_half_done_change_is_spelled_out(make_host: MakeHost, kube: KubeClient) -> None:
    """Changing a role deletes the old binding, then creates the new one. Here the new name is
    taken (by a binding of another user), so the server refuses the second step: the form
    says what was done and what was not, and stays open."""
    await make_workspace(kube, "ui-half")
    await make_project(kube, "ui-half-app", "ui-half")
    path = IAM_BINDINGS.format(ns="ui-half-app")

    def binding(name: str, user: str, role: str, labelled: bool) -> dict[str, Any]:
        labels = {"iam.kubesphere.io/user-ref": user, "iam.kubesphere.io/role-ref": role}
        return {
            "apiVersion": "iam.kubesphere.io/v1beta1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "labels": labels if labelled else {}},
            "roleRef": {"apiGroup": "iam.kubesphere.io", "kind": "Role", "name": role},
            "subjects": [{"apiGroup": "iam.kubesphere.io", "kind": "User", "name": user}],
        }

    await kube.create(path, binding("gina-operator", "gina", "operator", labelled=True))
    await kube.create(path, binding("gina-viewer", "zed", "viewer", labelled=False))
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "ui-half")
        await cursor_to(pilot, detail.query_one("#projects-table", ResourceTable), "ui-half-app")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        await pilot.press("tab")
        members = project.query_one("#members-table", ResourceTable)
        await cursor_to(pilot, members, "gina")
        await pilot.press("e")
        form: MemberModal = await modal(pilot, MemberModal)
        await choose(pilot, "role", "viewer")
        await pilot.press("ctrl+s")
        outcome = form.query_one("#outcome", Static)
        await wait_until(
            pilot,
            lambda: "not done" in str(outcome.render()) or "failed" in str(outcome.render()),
            "partial failure shown",
        )
        text = str(outcome.render())
        assert "✓ done: deleted RoleBinding gina-operator (role operator)" in text
        assert "✗ failed: create RoleBinding gina-viewer (role viewer)" in text
        assert "already exists" in text
        # Each step is spelled out once, then what to do.
        lines = text.splitlines()
        assert lines[0].startswith("✗ ")
        assert [line for line in lines if "gina-operator" in line] == [
            "✓ done: deleted RoleBinding gina-operator (role operator)"
        ]
        failed = [line for line in lines if "gina-viewer" in line]
        assert len(failed) == 1
        assert failed[0].startswith("✗ failed: create RoleBinding gina-viewer (role viewer)")
        assert lines[-1] == (
            "→ gina has no role in project ui-half-app now: add the member again with role viewer"
        )
        assert len(lines) == len(set(lines))
        assert app.screen is form
        assert form.wrote_something
        assert await stored(kube, f"{path}/gina-operator") is None
        stray = await stored(kube, f"{path}/gina-viewer")
        assert stray is not None
        assert stray["subjects"][0]["name"] == "zed"  # untouched
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is project, "closed")
        await wait_until(pilot, lambda: "gina" not in cells(members), "gina listed no more")


# ---------------------------------------------------------------------- who may do what


async def test_a_tenant_sees_disabled_actions_and_why(
    make_host: MakeHost, kube: KubeClient
) -> None:
    app = make_host(context="tenant")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        assert screen.check_action("new", ()) is None
        assert screen.check_action("delete", ()) is None
        reason = screen.permissions["workspace.create"].reason
        assert reason.startswith("RBAC denies create workspacetemplates")
        status = screen.query_one("#status", Static)
        assert str(status.render()).startswith("disabled — a new workspace, ^d delete workspace")
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen  # no form
        assert str(status.render()) == f"a new workspace: {reason}"
        assert status.has_class("-denied")
        footer_keys = {
            key: active.enabled
            for key, active in screen.active_bindings.items()
            if active.binding.action in ("new", "delete")
        }
        assert footer_keys == {"a": False, "ctrl+d": False}


REFUSAL = "not reachable as alice (context member is admin; opt in: other_identities)"


def text_of(screen: TenancyScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_tenant_is_told_which_clusters_only_another_user_reaches(
    make_host: MakeHost,
) -> None:
    """shop-eu lives on member, which only the member's admin context reaches: a tenant's
    session neither lists it through that context nor hides why."""
    app = make_host(context="tenant")
    async with app.run_test(size=(120, 36)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        line = listing.query_one("#clusters", Static)
        assert text_of(listing, "#clusters") == f"member: {REFUSAL} · tenant as alice"
        assert line.has_class("-other")
        detail = await open_workspace(pilot, "acme-retail")
        projects = detail.query_one("#projects-table", ResourceTable)
        await wait_until(pilot, lambda: "shop-prod" in cells(projects), "projects")
        # shop-eu is not listed as if it could be opened: member stands for it, unreached
        assert set(cells(projects)) == {"shop-prod", "(no access from this context)"}
        assert cells(projects)["shop-prod"][1] == "tenant"
        assert text_of(detail, "#clusters") == f"member: {REFUSAL} · tenant as alice"


async def test_a_tenant_opening_a_project_on_member_gets_no_admin_writes(
    make_host: MakeHost,
) -> None:
    """A project on member (as the listing used to offer it) opens without reading or writing
    through the member's admin context, and says which user that would take."""
    app = make_host(context="tenant")
    shop_eu = ProjectSummary(
        "shop-eu", "member", "member", "acme-retail", "Shop (EU)", "alice", "Active", 2, 0, ""
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, WorkspacesScreen)
        app.push_screen(ProjectDetailScreen(app.env, app.service("workspaces"), shop_eu))
        project = await ready(pilot, ProjectDetailScreen)
        for action in ("add_member", "set_quota"):
            assert project.check_action(action, ()) is None
            assert project.denial(action) == REFUSAL
        assert REFUSAL in text_of(project, "#status")
        assert text_of(project, "#clusters") == f"member: {REFUSAL}"
        assert project.query_one("#clusters", Static).has_class("-other")
        pods = project.query_one("#pods-table", ResourceTable)
        await wait_until(pilot, lambda: project.refused is not None, "the refusal")
        assert "will not act as admin through member" in pods._empty_message
        await pilot.press("a")
        assert app.screen is project  # no member form
        await pilot.press("b")
        await pilot.pause()
        assert not any(isinstance(step, ResourcesScreen) for step in app.screen_stack)
        assert app.screen is project
        assert text_of(project, "#status") == f"will not act as admin through member: {REFUSAL}"
        assert pods.row_count == 0  # shop-eu has pods: none were read as admin
        member = app.session.backend("member")  # asked who it is, and no more
        assert member.caches is not None
        assert member.caches.caches() == []


async def test_an_opted_in_context_serves_and_is_marked(make_host: MakeHost) -> None:
    app = make_host(context="tenant", config=Config(other_identities=frozenset({"member"})))
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "acme-retail")
        assert "member as admin (other identity, opted in)" in text_of(detail, "#clusters")
        assert detail.query_one("#clusters", Static).has_class("-other")
        projects = detail.query_one("#projects-table", ResourceTable)
        await wait_until(pilot, lambda: "shop-eu" in cells(projects), "shop-eu")
        assert cells(projects)["shop-eu"][1] == "member (as admin)"
        assert row_of(projects, "shop-eu").tone is Tone.WARN
        assert cells(projects)["shop-prod"][1] == "tenant"
        await cursor_to(pilot, projects, "shop-eu")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        assert "member (as admin)" in text_of(project, "#crumbs")
        assert text_of(project, "#clusters") == "member as admin (other identity, opted in)"
        await wait_until(
            pilot,
            lambda: project.query_one(ContextBar).user == "admin (other identity)",
            "the marked user",
        )
        assert project.check_action("add_member", ()) is True
        pods = project.query_one("#pods-table", ResourceTable)
        await wait_until(pilot, lambda: pods.row_count >= 1, "pods read as admin")


async def test_a_read_only_vanilla_cluster_says_so(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False, pods=10)
    app = workspaces_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        note = screen.query_one("#note", Static)
        assert note.display
        assert str(note.render()) == VANILLA_NOTE
        rows = cells(screen.query_one(ResourceTable))
        assert "(unassigned)" in rows
        assert screen.check_action("new", ()) is None
        assert "workspaces are namespace labels" in screen.denial("new")


async def test_section_key_opens_workspaces_in_the_app(make_app) -> None:
    """The real app: `2` opens the Workspaces section, a context switch rebuilds it."""
    from kstui.screens.workspaces import WorkspacesScreen
    from tests.ui.conftest import loaded, type_text, wait_until

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "section")
        rows = app.screen.query_one("ResourceTable")
        await wait_until(pilot, lambda: rows.row("acme-retail") is not None, "workspaces")
        await pilot.press("1")
        await wait_until(pilot, lambda: app.current_mode == "resources", "back to resources")
        await pilot.press("colon")
        await type_text(pilot, "ctx member")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.context == "member", "switched")
        await pilot.press("2")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "rebuilt")
        assert app.services["workspaces"] is app.screen.service


async def test_quota_below_use_shows_as_exceeded(make_host: MakeHost, kube: KubeClient) -> None:
    await make_workspace(kube, "ui-full")
    await make_project(kube, "ui-full-app", "ui-full")
    await kube.create(
        "/apis/apps/v1/namespaces/ui-full-app/deployments",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                },
            },
        },
    )
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "ui-full")
        await cursor_to(pilot, detail.query_one("#projects-table", ResourceTable), "ui-full-app")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        await pilot.press("Q")
        form = await modal(pilot, QuotaModal)
        form.query_one("#pods", Input).focus()
        await type_text(pilot, "1")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is project, "quota set")
        await pilot.press("3")
        bars = project.query_one(QuotaBars)
        await wait_until(
            pilot,
            lambda: any(line.resource == "pods" and (line.ratio or 0) >= 2 for line in bars.lines),
            "2 of 1 pods",
            timeout=15,
        )
        assert "200%" in str(bars.render())
        # the sandbox's admission now refuses a third pod, as a real API server would
        with pytest.raises(kstui.backends.errors.Forbidden, match="exceeded quota"):
            await kube.create(
                "/api/v1/namespaces/ui-full-app/pods",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "extra"},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                },
            )


async def test_a_kubesphere_3_cluster(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere_version="3", pods=10)
    app = workspaces_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "acme-retail")
        projects = detail.query_one("#projects-table", ResourceTable)
        await cursor_to(pilot, projects, "shop-prod")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        await pilot.press("2", "a")
        await modal(pilot, MemberModal)
        await type_text(pilot, "gina")
        await choose(pilot, "role", "operator")
        await send_past_caveat(pilot, "user", "there is no user gina on host")
        await wait_until(pilot, lambda: app.screen is project, "added")
    client = client_for(running)
    try:
        binding = await client.get(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/shop-prod/rolebindings/gina-operator"
        )
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "operator",
        }
        assert binding["metadata"]["labels"]["iam.kubesphere.io/user-ref"] == "gina"
        assert binding["subjects"][0]["kind"] == "User"
    finally:
        await client.aclose()
