"""Workspaces checks made before a write, on the real sandbox: a project moves only into a
workspace placed on its cluster; a member or manager who is no User is said before writing."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from kstui.backends.kube import KubeClient
from kstui.screens.workspace_forms import MoveProjectModal
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.ui.conftest import MakeHost, wait_until
from tests.ui.test_workspaces import (
    NAMESPACES,
    TEMPLATES,
    WORKSPACE,
    choose,
    cursor_to,
    modal,
    open_workspace,
    stored,
)


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
            await pilot.press("ctrl+s")
            await pilot.pause(0.3)
            assert app.screen is form  # refused in the form: nothing sent
            assert error_of(form, "workspace") == (
                "workspace ui-host-site is on clusters host; project ui-eu-orders is on member"
            )
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
