"""The Workspaces section as the sandbox's `tenant` context (alice: limited RBAC, the member
cluster only through another user's context): what she may not read is said to be unknown,
never shown as a zero; projects on a cluster she cannot reach are marked, not offered; and the
header names the cluster as the resource browser does."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from kstui.model import Tone
from kstui.screens.resources import ResourcesScreen
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import MakeHost, drawn, loaded, wait_until
from tests.ui.test_workspaces import cells, cursor_to, open_workspace, ready, row_of

NO_ACCESS = "(no access from this context)"


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_as_the_tenant_what_is_forbidden_is_not_a_zero(make_host: MakeHost) -> None:
    app = make_host(context="tenant")
    async with app.run_test(size=(160, 40)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        row = cells(listing.query_one(ResourceTable))["acme-retail"]
        _name, _alias, manager, clusters, _projects, members, quota, _age = row
        assert members == "forbidden"  # not "0"
        assert clusters == "forbidden"  # not ""
        assert manager == "forbidden"
        assert quota == "forbidden"
        detail = await open_workspace(pilot, "acme-retail")
        await wait_until(pilot, lambda: detail.members_forbidden, "members refused")
        crumbs = text_of(detail, "#crumbs")
        assert "members not visible to you (forbidden)" in crumbs
        assert "clusters unknown (forbidden)" in crumbs
        assert "0 members" not in crumbs
        assert "no cluster" not in crumbs
        members = detail.query_one("#members-table", ResourceTable)
        assert members._empty_message.startswith("members not visible to you (forbidden)")


async def test_as_the_tenant_projects_on_an_unreachable_cluster_are_marked(
    make_host: MakeHost,
) -> None:
    """shop-eu lives on member, which the tenant's context cannot reach: the workspace's
    project count says some may be missing there, and the projects list marks member as
    unreached instead of listing what is there as if it could be opened."""
    app = make_host(context="tenant")
    async with app.run_test(size=(160, 40)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        assert cells(listing.query_one(ResourceTable))["acme-retail"][4] == "1 +? on member"
        detail = await open_workspace(pilot, "acme-retail")
        projects = detail.query_one("#projects-table", ResourceTable)
        await wait_until(pilot, lambda: NO_ACCESS in cells(projects), "the unreached mark")
        marked = row_of(projects, NO_ACCESS)
        assert marked.cells[1] == "member"
        assert marked.cells[4] == "unreachable"
        assert marked.tone is Tone.MUTED
        assert "1 projects (+? on member)" in text_of(detail, "#crumbs")
        await cursor_to(pilot, projects, NO_ACCESS)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.screen is detail  # nothing to open: no project is offered there
        await pilot.press("m")
        await pilot.pause(0.2)
        assert app.screen is detail


def header(pilot: Pilot[Any]) -> tuple[str, str, str]:
    bar = pilot.app.screen.query_one(ContextBar)
    return bar.context, bar.cluster, str(bar.render()).split(" │ ")[0]


async def test_the_header_names_the_cluster_alike_in_both_sections(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(context="tenant", namespace="shop-prod")
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ResourcesScreen)
        in_resources = header(pilot)
        assert in_resources[:2] == ("tenant", "kstui-host")
        await pilot.press("2")
        screen = await ready(pilot, WorkspacesScreen)
        await wait_until(pilot, lambda: screen.query_one(ContextBar).user, "the user")
        assert header(pilot) == in_resources
        detail = await open_workspace(pilot, "acme-retail")
        await wait_until(pilot, lambda: detail.query_one(ContextBar).user, "the user")
        assert header(pilot) == in_resources
        await cursor_to(pilot, detail.query_one("#projects-table", ResourceTable), "shop-prod")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: not isinstance(app.screen, WorkspaceDetailScreen), "the project"
        )
        assert header(pilot) == in_resources


async def test_as_the_tenant_at_80_columns_the_header_says_what_is_denied(
    make_host: MakeHost,
) -> None:
    app = make_host(context="tenant")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, WorkspacesScreen)
        detail = await open_workspace(pilot, "acme-retail")
        await wait_until(pilot, lambda: detail.members_forbidden, "members refused")
        bar = detail.query_one(ContextBar)
        await wait_until(pilot, lambda: bool(bar.problem), "a problem in the header")
        assert bar.problem.startswith("forbidden: alice cannot"), bar.problem  # not "GET /apis…"
        status = detail.query_one("#status", Static)
        shown = drawn(status)
        assert shown.endswith(")"), shown  # "(press one for why)": whole, on two lines
