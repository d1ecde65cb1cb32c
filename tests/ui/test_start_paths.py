"""The first list never waits for discovery (issue 18): built-in kinds have known paths, so pods
show while a slow server still has not answered discovery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kstui.app import AppSettings, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from tests.conftest import RunningSandbox
from tests.ui.conftest import loaded

DISCOVERY_LATENCY = 60.0


async def test_pods_show_while_discovery_is_still_unanswered(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox()
    faults = running.cluster().faults
    running.call(faults.slow, DISCOVERY_LATENCY, "/apis")  # aggregated discovery hangs
    try:
        app = build_app(
            AppSettings(
                load_kubeconfig(str(running.kubeconfig)),
                "host",
                "",
                cache_dir=tmp_path / "cold-cache",  # no disk copy of the kinds either
            )
        )
        async with app.run_test(size=(140, 30)) as pilot:
            table = await loaded(pilot, minimum=2)
            assert table.visible_count >= 2
            backend = app.session.backend()
            task = backend._discovery_task
            assert task is not None
            assert not task.done(), "discovery answered: the test proves nothing"
    finally:
        running.call(faults.clear)
