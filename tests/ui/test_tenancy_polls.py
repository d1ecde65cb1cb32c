"""The Workspaces screens' poll honours a 429's Retry-After (and says so in the header). Real
sandbox, real WorkspaceService, pilot keys. (A half-done change spelled out once is checked in
test_workspaces.py::test_a_half_done_change_is_spelled_out.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.screens.tenancy import TenancyScreen
from kstui.screens.workspace_detail import WorkspaceDetailScreen
from kstui.screens.workspaces import WorkspacesScreen
from kstui.widgets.context_bar import ContextBar
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox
from tests.ui.conftest import wait_until, workspaces_app
from tests.ui.test_workspaces import (
    TEMPLATES,
    WS_BINDINGS,
    WS_QUOTAS,
    cells,
    open_workspace,
    ready,
)

Fresh = Callable[..., RunningSandbox]
RETRY_AFTER = 2
"""Seconds the injected 429s ask for: a whole number, as HTTP's Retry-After is."""
POLL = 0.5
"""The screens' poll pace in these tests (the app's is POLL_SECONDS): well under Retry-After,
so a second request at the poll's pace and one after the server's wait are told apart."""
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
    assert screen.poll_seconds == POLL < RETRY_AFTER
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
    assert second - first >= RETRY_AFTER - 0.1  # not the poll's pace
    # The third request is answered: the header clears once the poll after it lands.
    await wait_until(
        pilot,
        lambda: not BUSY.search(bar.problem) and not bar.problem,
        "recovered",
        timeout=RETRY_AFTER + 20,
    )


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TenancyScreen, "poll_seconds", POLL)


async def test_the_workspace_list_waits_out_a_429(fresh_sandbox: Fresh, tmp_path: Path) -> None:
    running = fresh_sandbox(pods=10)
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
