"""Workspaces checks made before a write, on the real sandbox: a project moves only into a
workspace placed on its cluster; a member or manager who is no User is said before writing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from kstui.backends.kube import KubeClient
from kstui.backends.tenancy import ProjectSummary
from kstui.screens.project_detail import ProjectDetailScreen
from kstui.screens.workspace_forms import CreateWorkspaceModal, MemberModal, MoveProjectModal
from kstui.screens.workspaces import WorkspacesScreen
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import MakeHost, wait_until, workspaces_app
from tests.ui.test_workspaces import (
    NAMESPACES,
    TEMPLATES,
    WORKSPACE,
    WS_BINDINGS,
    choose,
    cursor_to,
    make_workspace,
    modal,
    open_workspace,
    ready,
    stored,
    type_text,
)

USER_REF = "iam.kubesphere.io/user-ref"


async def placed_workspace(kube: KubeClient, name: str, clusters: list[str]) -> None:
    await kube.create(
        TEMPLATES,
        {
            "apiVersion": "tenant.kubesphere.io/v1beta1",
            "kind": "WorkspaceTemplate",
            "metadata": {"name": name, "annotations": {"kubesphere.io/creator": "admin"}},
            "spec": {
                "template": {"spec": {"manager": "admin"}},
                "placement": {"clusters": [{"name": c} for c in clusters]},
            },
        },
    )


def namespace(name: str, workspace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {WORKSPACE: workspace, "kubesphere.io/managed": "true"},
        },
    }


def error_of(form: Any, field: str) -> str:
    box = form.query_one(f"#{field}-error", Static)
    return str(box.render()) if box.has_class("-shown") else ""


async def test_a_project_moves_only_into_a_workspace_on_its_cluster(
    make_host: MakeHost, kube: KubeClient, sandbox: RunningSandbox
) -> None:
    await placed_workspace(kube, "ui-both-sites", ["host", "member"])
    await placed_workspace(kube, "ui-host-site", ["host"])
    await placed_workspace(kube, "ui-eu-site", ["member"])
    member = sandbox_client(sandbox, "member")
    try:
        await member.create(NAMESPACES, namespace("ui-eu-orders", "ui-both-sites"))
        app = make_host()
        async with app.run_test(size=(120, 36)) as pilot:
            detail = await open_workspace(pilot, "ui-both-sites")
            projects = detail.query_one("#projects-table")
            await cursor_to(pilot, projects, "ui-eu-orders")
            await pilot.press("m")
            form = await modal(pilot, MoveProjectModal)
            await choose(pilot, "workspace", "ui-host-site")
            refusal = (
                "workspace ui-host-site is on clusters host; project ui-eu-orders is on member"
            )
            assert error_of(form, "workspace") == refusal  # said as soon as it is chosen
            await pilot.press("ctrl+s")
            await pilot.pause(0.3)
            assert app.screen is form  # refused in the form: nothing sent
            assert error_of(form, "workspace") == refusal
            stays = await stored(member, f"{NAMESPACES}/ui-eu-orders")
            assert stays is not None
            assert stays["metadata"]["labels"][WORKSPACE] == "ui-both-sites"
            # a workspace on member takes it
            await choose(pilot, "workspace", "ui-eu-site")
            assert error_of(form, "workspace") == ""
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: app.screen is detail, "moved")
            moved = await stored(member, f"{NAMESPACES}/ui-eu-orders")
            assert moved is not None
            assert moved["metadata"]["labels"][WORKSPACE] == "ui-eu-site"
    finally:
        await member.delete(f"{NAMESPACES}/ui-eu-orders")
        await member.aclose()


async def test_a_member_who_is_no_user_is_said_before_writing(
    make_host: MakeHost, kube: KubeClient
) -> None:
    await make_workspace(kube, "ui-people")
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "ui-people")
        await pilot.press("tab", "a")
        form = await modal(pilot, MemberModal)
        await type_text(pilot, "no-such-user")
        await choose(pilot, "role", "ui-people-regular")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: error_of(form, "user"), "the caveat")
        assert error_of(form, "user") == "there is no user no-such-user on host"
        outcome = str(form.query_one("#outcome", Static).render())
        assert outcome.endswith("nothing was sent; send again to go ahead anyway")
        assert app.screen is form
        assert await bindings_of(kube, "no-such-user") == []
        user = form.query_one("#user", Input)
        user.focus()
        user.value = ""
        await type_text(pilot, "dave")  # a User: sent at once
        assert error_of(form, "user") == ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail, "added")
        assert [b["metadata"]["name"] for b in await bindings_of(kube, "dave")] == [
            "dave-ui-people-regular"
        ]


async def bindings_of(kube: KubeClient, user: str) -> list[dict[str, Any]]:
    listed = await kube.list(WS_BINDINGS, {"labelSelector": f"{USER_REF}={user}"})
    return [b for b in listed["items"] if b["metadata"]["name"].endswith("ui-people-regular")]


async def test_a_manager_who_is_no_user_is_said_before_creating(
    make_host: MakeHost, kube: KubeClient
) -> None:
    app = make_host()
    async with app.run_test(size=(120, 36)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        await pilot.press("a")
        form = await modal(pilot, CreateWorkspaceModal)
        await type_text(pilot, "ui-managed")
        manager = form.query_one("#manager", Input)
        manager.value = "ghost"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: error_of(form, "manager"), "the caveat")
        assert error_of(form, "manager") == "there is no user ghost on host"
        assert await stored(kube, f"{TEMPLATES}/ui-managed") is None
        await pilot.press("ctrl+s")  # the same values again: the user means it
        await wait_until(pilot, lambda: app.screen is listing, "created")
        template = await stored(kube, f"{TEMPLATES}/ui-managed")
        assert template is not None
        assert template["spec"]["template"]["spec"]["manager"] == "ghost"


async def test_on_a_vanilla_cluster_a_member_cannot_be_checked_and_it_says_so(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False, pods=5)
    plain = sandbox_client(running)
    try:
        await plain.create(NAMESPACES, namespace("ui-plain", "crew"))
        app = workspaces_app(running.kubeconfig, "host", tmp_path / "cache")
        project = ProjectSummary("ui-plain", "host", "host", "crew", "", "", "Active", 0, 0, "")
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot, WorkspacesScreen)
            app.push_screen(ProjectDetailScreen(app.env, app.service("workspaces"), project))
            screen = await ready(pilot, ProjectDetailScreen)
            await pilot.press("tab", "a")
            form = await modal(pilot, MemberModal)
            await type_text(pilot, "nobody")
            await choose(pilot, "role", "view")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: error_of(form, "user"), "the caveat")
            assert error_of(form, "user") == (
                "cannot check that user nobody exists on this cluster "
                "(host serves no iam.kubesphere.io users)"
            )
            assert app.screen is form
            assert await subjects(plain, "ui-plain") == []
            await pilot.press("ctrl+s")  # said, and sent again: the user means it
            await wait_until(pilot, lambda: app.screen is screen, "added")
            assert await subjects(plain, "ui-plain") == ["nobody"]
    finally:
        await plain.aclose()


async def subjects(client: KubeClient, namespace: str) -> list[str]:
    listed = await client.list(
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings"
    )
    return [
        s["name"]
        for b in listed["items"]
        for s in b.get("subjects") or ()
        if s.get("kind") == "User"
    ]
