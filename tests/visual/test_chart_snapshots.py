"""Snapshots of the Observe chart pane with its cursor moved back, at 80x24 and 160x48: fixed
data (a day of a pod's CPU, memory and network with a spike) and UTC clock times, so every run
draws the same."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from kstui.backends.observe_history import UsageHistory
from kstui.backends.prometheus_queries import WINDOWS, Metric, Target
from kstui.screens.observe_chart import ChartPane
from kstui.widgets.footer import Footer
from kstui.widgets.usage_chart import UsageChart
from tests.ui.conftest import wait_until
from tests.visual.test_snapshots import LARGE, SMALL

END = 1_767_268_800.0  # 2026-01-01 12:00 UTC
BASE: dict[Metric, float] = {"cpu": 0.18, "memory": 210e6, "net_in": 42e3, "net_out": 18e3}


def fixed_history(target: Target, window: str, end: float = END) -> UsageHistory:
    """A pod's day: a daily wave, a little ripple, and a spike 3 h before END (the same every
    run)."""
    seconds, step = WINDOWS[window]
    start = end - seconds
    series: dict[Metric, list[tuple[float, float]]] = {}
    for n, (metric, base) in enumerate(BASE.items()):
        points = []
        for i in range(seconds // step + 1):
            t = start + i * step
            wave = 1 + 0.35 * math.sin(t / 13_000 + n) + 0.08 * math.sin(t / 1_100 + 2 * n)
            spike = 2.4 if abs(t - (END - 3 * 3600)) < 1800 and metric != "memory" else 1.0
            points.append((t, base * wave * spike))
        series[metric] = points
    return UsageHistory(window, start, end, float(step), series)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        async def load(target: Target, window: str) -> UsageHistory:
            return fixed_history(target, window)

        yield ChartPane(load, id="chart")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        target = Target("pod", namespace="shop-prod", pod="checkout-7d9f8-x2x4q")
        self.query_one(ChartPane).show_target(target, "pod shop-prod/checkout-7d9f8-x2x4q")
        self.query_one(UsageChart).focus()


@pytest.fixture
def utc() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


async def cursor_back(pilot: Pilot[Any]) -> None:
    pane = pilot.app.query_one(ChartPane)
    await pilot.press("plus", "plus")  # 1h → 6h → 24h
    await wait_until(
        pilot, lambda: pane.history is not None and pane.history.window == "24h", "24h"
    )
    await pilot.press("shift+left", "shift+left", "left", "left")  # 22 steps: 3 h 40 m back
    await pilot.pause()


@pytest.mark.usefixtures("utc")
def test_chart_with_its_cursor_80x24(snap_compare: Any) -> None:
    assert snap_compare(Host(), terminal_size=SMALL, run_before=cursor_back)


@pytest.mark.usefixtures("utc")
def test_chart_with_its_cursor_160x48(snap_compare: Any) -> None:
    assert snap_compare(Host(), terminal_size=LARGE, run_before=cursor_back)
