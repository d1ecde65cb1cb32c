"""Snapshots of the Traffic section on the frozen sandbox: the list, the slider with each
version's health beside it (a real Prometheus backfilled with Istio series ending at the frozen
clock) at 80x24 and 160x48, and the guard stopping a move onto the failing version."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from kstui.app import AppSettings, KstuiApp, build_app
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.config import Config
from kstui.screens.traffic import TrafficScreen
from kstui.screens.traffic_modals import GuardModal
from kstui.screens.traffic_split import SplitScreen
from kstui.widgets.prompt import Prompt
from kstui.widgets.resource_table import ResourceTable
from tests.conftest import RunningSandbox, _need_prometheus
from tests.traffic_prometheus import backfilled
from tests.ui.conftest import footer_keys_shown, wait_until
from tests.visual.test_snapshots import LARGE, SMALL, frozen

__all__ = ["frozen"]


@pytest.fixture(scope="module")
def istio(frozen: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_prometheus()
    end = frozen.sandbox.clock.now().timestamp()
    with backfilled(tmp_path_factory.mktemp("istio-snap"), end) as url:
        yield url


@pytest.fixture
def traffic(frozen: RunningSandbox, istio: str, tmp_path: Path) -> Callable[[], KstuiApp]:
    def make() -> KstuiApp:
        loaded = load_kubeconfig(str(frozen.kubeconfig))
        return build_app(
            AppSettings(
                loaded,
                "host",
                "shop-prod",
                config=Config(prometheus={"host": PrometheusEndpoint(istio)}),
                screen="traffic",
                frozen_now=frozen.sandbox.clock.now().timestamp(),
                cache_dir=tmp_path / "cache",
            )
        )

    return make


async def _listed(pilot: Pilot[Any]) -> TrafficScreen:
    screen = pilot.app.screen
    assert isinstance(screen, TrafficScreen)
    await wait_until(pilot, lambda: screen.loaded and bool(screen.splits), "the splits")
    bar = screen.query_one("#context-bar")
    await wait_until(pilot, lambda: bar.user == "admin", "whoami")  # type: ignore[attr-defined]
    for prompt in screen.query(Prompt):
        prompt.cursor_blink = False
    return screen


async def _slider(pilot: Pilot[Any]) -> SplitScreen:
    screen = await _listed(pilot)
    key = next(k for k, s in screen.splits.items() if s.namespace == "shop-prod")
    screen.query_one(ResourceTable).move_cursor_to(key)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SplitScreen), "the slider")
    split = pilot.app.screen
    assert isinstance(split, SplitScreen)
    await wait_until(
        pilot, lambda: split.loaded and split.health.of("v2").p95_ms is not None, "figures"
    )
    bar = split.query_one("#context-bar")
    await wait_until(pilot, lambda: bar.user == "admin", "whoami")  # type: ignore[attr-defined]
    for prompt in split.query(Prompt):
        prompt.cursor_blink = False
    return split


def test_traffic_list(snap_compare: Any, traffic: Callable[[], KstuiApp]) -> None:
    async def listed(pilot: Pilot[Any]) -> None:
        await _listed(pilot)
        await pilot.pause()

    assert snap_compare(traffic(), terminal_size=SMALL, run_before=listed)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
def test_traffic_slider_with_health(
    snap_compare: Any, traffic: Callable[[], KstuiApp], size: tuple[int, int]
) -> None:
    async def slider(pilot: Pilot[Any]) -> None:
        await _slider(pilot)
        await pilot.press("left")  # v1 85 / v2 15: the preview shows it, nothing is sent
        await pilot.pause()

    assert snap_compare(traffic(), terminal_size=size, run_before=slider)


def test_traffic_guard(snap_compare: Any, traffic: Callable[[], KstuiApp]) -> None:
    async def guard(pilot: Pilot[Any]) -> None:
        await _slider(pilot)
        await footer_keys_shown(pilot)
        await pilot.press("right", "right", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, GuardModal), "the guard")
        await pilot.pause()

    assert snap_compare(traffic(), terminal_size=LARGE, run_before=guard)
