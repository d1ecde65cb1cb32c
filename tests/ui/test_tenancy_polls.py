"""The Workspaces screens' poll honours a 429's Retry-After (and says so in the header), and a
half-done change is spelled out once. Real sandbox, real WorkspaceService, pilot keys."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from kstui.backends.kube import KubeClient
from kstui.screens.project_detail import ProjectDetailScreen
from kstui.screens.tenancy import POLL_SECONDS, TenancyScreen
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspace_forms import MemberModal
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.ui.conftest import wait_until, workspaces_app
from tests.ui.test_workspaces import (
    IAM_BINDINGS,
    TEMPLATES,
    WS_BINDINGS,
    WS_QUOTAS,
    cells,
    choose,
    cursor_to,
    make_project,
    make_workspace,
    modal,
    open_workspace,
    ready,
    stored,
)

Fresh = Callable[..., RunningSandbox]
RETRY_AFTER = 8
BUSY = re.compile(r"server busy \(429\): next read in (\d+)s")


def taken(running: RunningSandbox, prefix: str) -> list[float]:
    """When the sandbox answered a request under `prefix` with an injected failure."""
    faults = running.cluster().faults
    return [at for at, path, _status in list(faults.taken) if path.startswith(prefix)]


async def waits_out_retry_after(
    pilot: Pilot[Any], running: RunningSandbox, prefix: str, screen: TenancyScreen
) -> None:
    """Two 429s in a row under `prefix`: the second request comes no sooner than Retry-After
    after the first, the header says why meanwhile, and the screen recovers after."""
    bar = screen.query_one(ContextBar)
    await wait_until(pilot, lambda: taken(running, prefix), "the first 429", timeout=20)
    await wait_until(pilot, lambda: BUSY.search(bar.problem), "the header names the wait")
    shown = BUSY.search(bar.problem)
    assert shown is not None
    assert 1 <= int(shown.group(1)) <= RETRY_AFTER
    await wait_until(
        pilot,
        lambda: len(taken(running, prefix)) >= 2,
        "the second request",
        timeout=RETRY_AFTER + 20,
    )
    first, second = taken(running, prefix)[:2]
    assert second - first >= RETRY_AFTER - 0.1  # not the POLL_SECONDS pace
    # The third request is answered: the header clears once the poll after it lands.
    await wait_until(
        pilot,
        lambda: not BUSY.search(bar.problem) and not bar.problem,
        "recovered",
        timeout=RETRY_AFTER + 20,
    )


async def test_the_workspace_list_waits_out_a_429(fresh_sandbox: Fresh, tmp_path: Path) -> None:
    running = fresh_sandbox(pods=10)
    assert POLL_SECONDS < RETRY_AFTER
    running.call(running.cluster().faults.fail_next, 2, 429, TEMPLATES, retry_after=RETRY_AFTER)
    app = workspaces_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 36)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspacesScreen), "list")
        screen = app.screen
        assert isinstance(screen, WorkspacesScreen)
        await waits_out_retry_after(pilot, running, TEMPLATES, screen)
        await wait_until(
            pilot,
            lambda: "acme-retail" in cells(screen.query_one(ResourceTable)),
            "listed after the wait",
        )


async def test_a_swallowed_429_still_holds_the_poll(fresh_sandbox: Fresh, tmp_path: Path) -> None:
    """A 429 on workspace quotas is only a missing column, but the server's wait still holds."""
    running = fresh_sandbox(pods=10)
    running.call(running.cluster().faults.fail_next, 2, 429, WS_QUOTAS, retry_after=RETRY_AFTER)
    app = workspaces_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 36)) as pilot:
        screen = await ready(pilot, WorkspacesScreen)
        assert "acme-retail" in cells(screen.query_one(ResourceTable))
        await waits_out_retry_after(pilot, running, WS_QUOTAS, screen)


async def test_a_workspace_pane_429_holds_the_detail_poll(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    running = fresh_sandbox(pods=10)
    app = workspaces_app(running.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(160, 36)) as pilot:
        detail = await open_workspace(pilot, "acme-retail")
        running.call(
            running.cluster().faults.fail_next, 2, 429, WS_BINDINGS, retry_after=RETRY_AFTER
        )
        await waits_out_retry_after(pilot, running, WS_BINDINGS, detail)
        assert isinstance(app.screen, WorkspaceDetailScreen)


async def test_a_half_done_change_is_spelled_out_once(
    sandbox: RunningSandbox, tmp_path: Path, kube: KubeClient
) -> None:
    """Change role = delete the old binding, then create the new one; the second step fails
    (the name is taken). Each step is listed once, then what to do."""
    await make_workspace(kube, "ui-once")
    await make_project(kube, "ui-once-app", "ui-once")
    path = IAM_BINDINGS.format(ns="ui-once-app")

    def binding(name: str, user: str, role: str, labelled: bool) -> dict[str, Any]:
        labels = {"iam.kubesphere.io/user-ref": user, "iam.kubesphere.io/role-ref": role}
        return {
            "apiVersion": "iam.kubesphere.io/v1beta1",
            "kind": "RoleBinding",
            "metadata": {"name": name, "labels": labels if labelled else {}},
            "roleRef": {"apiGroup": "iam.kubesphere.io", "kind": "Role", "name": role},
            "subjects": [{"apiGroup": "iam.kubesphere.io", "kind": "User", "name": user}],
        }

    await kube.create(path, binding("hal-operator", "hal", "operator", labelled=True))
    await kube.create(path, binding("hal-viewer", "zed", "viewer", labelled=False))
    app = workspaces_app(sandbox.kubeconfig, "host", tmp_path / "cache")
    async with app.run_test(size=(120, 36)) as pilot:
        detail = await open_workspace(pilot, "ui-once")
        await cursor_to(pilot, detail.query_one("#projects-table", ResourceTable), "ui-once-app")
        await pilot.press("enter")
        project = await ready(pilot, ProjectDetailScreen)
        await pilot.press("2")
        await cursor_to(pilot, project.query_one("#members-table", ResourceTable), "hal")
        await pilot.press("c")
        form: MemberModal = await modal(pilot, MemberModal)
        await choose(pilot, "role", "viewer")
        await pilot.press("ctrl+s")
        outcome = form.query_one("#outcome", Static)
        await wait_until(pilot, lambda: "failed" in str(outcome.render()), "outcome shown")
        lines = str(outcome.render()).splitlines()
        assert lines[0].startswith("✗ ")
        assert [line for line in lines if "hal-operator" in line] == [
            "✓ done: deleted RoleBinding hal-operator (role operator)"
        ]
        failed = [line for line in lines if "hal-viewer" in line]
        assert len(failed) == 1
        assert failed[0].startswith("✗ failed: create RoleBinding hal-viewer (role viewer)")
        assert "already exists" in failed[0]
        assert lines[-1] == (
            "→ hal has no role in project ui-once-app now: add the member again with role viewer"
        )
        assert len(lines) == len(set(lines))
        assert await stored(kube, f"{path}/hal-operator") is None
        assert app.screen is form
