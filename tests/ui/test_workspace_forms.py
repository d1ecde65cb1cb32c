"""Workspaces forms on the form framework, against the sandbox: the delete dialog takes the
typed name as soon as it opens, and a taken workspace name is said on the name field."""

from __future__ import annotations

from textual.widgets import Input, Static

from kstui.backends.kube import KubeClient
from kstui.screens.workspace_forms import CreateWorkspaceModal, DeleteWorkspaceModal
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import MakeHost, wait_until
from tests.ui.test_workspaces import (
    TEMPLATES,
    cursor_to,
    eventually,
    make_workspace,
    modal,
    ready,
    stored,
    type_text,
)


async def test_the_delete_dialog_takes_the_typed_name_at_once(
    make_host: MakeHost, kube: KubeClient
) -> None:
    await make_workspace(kube, "ui-typed")
    app = make_host()
    async with app.run_test(size=(80, 24)) as pilot:
        listing = await ready(pilot, WorkspacesScreen)
        await cursor_to(pilot, listing.query_one(ResourceTable), "ui-typed")
        await pilot.press("ctrl+d")
        form = await modal(pilot, DeleteWorkspaceModal)
        assert form.focused is form.query_one("#confirm", Input)
        await type_text(pilot, "ui-typed")
        assert not form.query_one("#send").disabled
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "closed")
        await eventually(lambda: _gone(kube, f"{TEMPLATES}/ui-typed"), "workspace deleted")


async def _gone(kube: KubeClient, path: str) -> bool:
    return await stored(kube, path) is None


async def test_a_taken_workspace_name_is_said_on_the_name_field(
    make_host: MakeHost, kube: KubeClient
) -> None:
    await make_workspace(kube, "ui-taken")
    app = make_host()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, WorkspacesScreen)
        await pilot.press("a")
        form = await modal(pilot, CreateWorkspaceModal)
        await type_text(pilot, "ui-taken")
        await pilot.press("tab")
        await pilot.press("enter")
        name_error = form.query_one("#name-error", Static)
        await wait_until(pilot, lambda: name_error.has_class("-shown"), "shown on the name")
        assert str(name_error.render()) == "ui-taken already exists"
        outcome = str(form.query_one("#outcome", Static).render())
        assert "AlreadyExists" in outcome
        assert "reload" not in outcome  # no conflict hint: nothing changed meanwhile
        assert form.focused is form.query_one("#name", Input)
        await pilot.press("end")  # the focus selected the name: keep it, add to it
        await type_text(pilot, "-2")
        assert not name_error.has_class("-shown")  # a new name: the server's message goes
