"""SVG snapshots of the Pipelines section at 80x24 and 160x48 on a frozen, seeded sandbox and
its own DevOps API behind the service proxy: the pipeline list, a run with a parallel group
(cart-ci #2: branches side by side, one aborted), a failing step's log (payments-nightly #2,
"Integration Test") and the trigger form (cart-ci: a string, a choice, a boolean from its
Jenkins metadata)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.sandbox.runtime import SandboxOptions
from kstui.screens.pipeline_run import RunScreen
from tests.conftest import RunningSandbox, _start
from tests.ui.conftest import footer_keys_shown, wait_until
from tests.ui.test_pipelines import open_run, open_runs, pipeline_list, pipelines_app

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """The sandbox's own DevOps API behind the service proxy, its clock frozen."""
    running = _start(
        tmp_path_factory.mktemp("frozen-pipelines"),
        SandboxOptions(clusters=1, pods=40, frozen=True, seed=7),
    )
    yield running
    running.thread.stop()


def _app(frozen: RunningSandbox, tmp_path: Path) -> Any:
    now = frozen.sandbox.clock.now().timestamp()
    return pipelines_app(frozen.kubeconfig, tmp_path / "cache", frozen_now=now)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pipeline_list(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await pipeline_list(pilot)
        await wait_until(pilot, lambda: screen.permissions, "permissions")
        await pilot.pause()

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


async def _run_view(
    pilot: Pilot[Any], pipeline: str, build: str, stage: str, logged: str
) -> RunScreen:
    runs = await open_runs(pilot, pipeline)
    run = next(r.name for r in runs.runs.values() if r.build == build)
    await pilot.press("escape")
    screen = await open_run(pilot, pipeline, run)
    await wait_until(pilot, lambda: screen.stage_id == stage, "the stage to open on")
    await wait_until(
        pilot,
        lambda: logged in str(screen.query_one("#log").lines),
        "the log",
    )
    await wait_until(pilot, lambda: "ended" in str(screen.query_one("#log-title").render()), "end")
    await wait_until(pilot, lambda: screen.permissions, "permissions")
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_with_parallel_stages(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _run_view(pilot, "cart-ci", "2", "13", "+")

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_failing_step_log(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _run_view(pilot, "payments-nightly", "2", "10", "+")

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_trigger_form(
    snap_compare: Any, frozen: RunningSandbox, tmp_path: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await pipeline_list(pilot)
        key = next(k for k, p in screen.pipelines.items() if p.name == "cart-ci")
        screen.query_one("#table").move_cursor_to(key)  # type: ignore[attr-defined]
        await pilot.pause()  # the move asks the permissions again, for that project
        await wait_until(pilot, lambda: screen.allowed("trigger"), "the trigger permission")
        await footer_keys_shown(pilot)
        await pilot.press("ctrl+e")
        await wait_until(
            pilot,
            lambda: type(pilot.app.screen).__name__ == "TriggerForm",
            "the form",
        )
        await pilot.pause(0.3)

    assert snap_compare(_app(frozen, tmp_path), terminal_size=size, run_before=run_before)


def test_s2i_builders(snap_compare: Any, frozen: RunningSandbox, tmp_path: Path) -> None:
    """`:s2i` at 80x24: the seeded builders (S2I, B2I, one failing) and their images."""
    from kstui.screens.pipeline_s2i import S2iScreen

    async def run_before(pilot: Pilot[Any]) -> None:
        await pipeline_list(pilot)
        await pilot.press("colon", *"s2i", "enter")
        await wait_until(
            pilot,
            lambda: isinstance(pilot.app.screen, S2iScreen) and len(pilot.app.screen.builders) >= 3,
            "the seeded builders",
        )
        await pilot.pause()

    assert snap_compare(_app(frozen, tmp_path), terminal_size=(80, 24), run_before=run_before)
