"""SVG snapshot of the Apps section at 120x36 on a frozen, seeded sandbox: the Helm release
list (a deployed, a failed and a pending-upgrade release in their tones)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.sandbox.runtime import SandboxOptions
from kstui.widgets.context_bar import ContextBar
from tests.conftest import RunningSandbox, _start
from tests.ui.conftest import wait_until
from tests.ui.test_apps import apps_app, releases

SIZE = (120, 36)


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = _start(
        tmp_path_factory.mktemp("frozen-apps"),
        SandboxOptions(clusters=1, pods=120, frozen=True, seed=7),
    )
    yield running
    running.thread.stop()


def test_release_list(snap_compare: Any, frozen: RunningSandbox, tmp_path: Path) -> None:
    now = frozen.sandbox.clock.now().timestamp()
    app = apps_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await releases(pilot)
        bar = screen.query_one("#context-bar", ContextBar)
        await wait_until(pilot, lambda: bar.user == "admin", "whoami")
        await wait_until(pilot, lambda: screen.loaded, "the whole list")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
