#!/usr/bin/env python
"""What a 24 h usage chart (CPU, memory, net in, net out: 145 points each) costs per frame, for
each plotting candidate, at 80x24 and 160x48:

    python bench/chart_render.py            # 40 frames per candidate and size
    python bench/chart_render.py --frames 100

A frame is: new data handed to the widget (or, for kstui's chart, the cursor moved), then one
full trip through Textual (render, compositor, the headless driver's write) by `pilot.pause()`.
CPU time (process_time) is counted, not the wait for Textual's refresh tick; the same trip
with nothing changed is measured first and subtracted, so each number is the candidate's own
cost. A report, not a test: numbers, no assertions; a candidate that is not
installed (`pip install textual-plot textual-plotext`) is said so and skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from kstui.widgets.usage_chart import UsageChart

STEP = 600.0
START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
END = START + 86_400
METRICS = ("cpu", "memory", "net_in", "net_out")
SCALE = {"cpu": 0.5, "memory": 300e6, "net_in": 40e3, "net_out": 25e3}


def series(shift: int) -> dict[str, list[tuple[float, float]]]:
    """Four metrics over 24 h, moved by `shift` so each frame's data differs."""
    times = [START + i * STEP for i in range(145)]
    return {
        metric: [
            (t, SCALE[metric] * (1.2 + math.sin((i + shift) / 9 + n) + 0.3 * math.cos(i / 3)))
            for i, t in enumerate(times)
        ]
        for n, metric in enumerate(METRICS)
    }


class Host(App[None]):
    def __init__(self, make: Callable[[], list[Widget]]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        with Vertical():
            yield from self.make()


# ---------------------------------------------------------------------------- candidates
# each: (name, widgets to mount, update(widgets, frame))


def kstui_chart() -> tuple[list[Widget], Callable[[list[Widget], int], None]]:
    chart = UsageChart()

    def update(widgets: list[Widget], frame: int) -> None:
        assert isinstance(widgets[0], UsageChart)
        widgets[0].show(START, END, STEP, series(frame))

    return [chart], update


def kstui_cursor() -> tuple[list[Widget], Callable[[list[Widget], int], None]]:
    chart = UsageChart()
    first = [True]

    def update(widgets: list[Widget], frame: int) -> None:
        chart = widgets[0]
        assert isinstance(chart, UsageChart)
        if first[0]:
            chart.show(START, END, STEP, series(0))
            first[0] = False
        chart.action_move(-1 if frame % 40 < 20 else 1)

    return [chart], update


def sparklines() -> tuple[list[Widget], Callable[[list[Widget], int], None]]:
    widgets: list[Widget] = []
    for _ in METRICS:
        line = Sparkline([])
        line.styles.height = "1fr"
        widgets.append(line)

    def update(widgets: list[Widget], frame: int) -> None:
        data = series(frame)
        for widget, metric in zip(widgets, METRICS, strict=True):
            assert isinstance(widget, Sparkline)
            widget.data = [v for _t, v in data[metric]]

    return widgets, update


def textual_plot() -> tuple[list[Widget], Callable[[list[Widget], int], None]]:
    from textual_plot import HiResMode, PlotWidget

    widgets: list[Widget] = [PlotWidget() for _ in METRICS]

    def update(widgets: list[Widget], frame: int) -> None:
        data = series(frame)
        for widget, metric in zip(widgets, METRICS, strict=True):
            assert isinstance(widget, PlotWidget)
            widget.clear()
            xs = [t for t, _v in data[metric]]
            ys = [v for _t, v in data[metric]]
            widget.plot(xs, ys, hires_mode=HiResMode.BRAILLE)

    return widgets, update


def textual_plotext() -> tuple[list[Widget], Callable[[list[Widget], int], None]]:
    from textual_plotext import PlotextPlot

    widgets: list[Widget] = [PlotextPlot() for _ in METRICS]

    def update(widgets: list[Widget], frame: int) -> None:
        data = series(frame)
        for widget, metric in zip(widgets, METRICS, strict=True):
            assert isinstance(widget, PlotextPlot)
            plt = widget.plt
            plt.clear_data()
            plt.plot([t - START for t, _v in data[metric]], [v for _t, v in data[metric]])
            widget.refresh()

    return widgets, update


def idle() -> tuple[list[Widget], Callable[[list[Widget], int], None]]:
    static = Static("")

    def update(widgets: list[Widget], frame: int) -> None:
        pass

    return [static], update


CANDIDATES: dict[str, Callable[[], tuple[list[Widget], Callable[[list[Widget], int], None]]]] = {
    "kstui UsageChart (new data)": kstui_chart,
    "kstui UsageChart (cursor move)": kstui_cursor,
    "textual Sparkline x4": sparklines,
    "textual-plot PlotWidget x4": textual_plot,
    "textual-plotext PlotextPlot x4": textual_plotext,
}


async def measure(
    make: Callable[[], tuple[list[Widget], Callable[[list[Widget], int], None]]],
    size: tuple[int, int],
    frames: int,
) -> float:
    """Median CPU ms of one frame (update + one trip through Textual): CPU time, not wall
    time, so the wait for Textual's next refresh tick is not counted."""
    widgets, update = make()
    app = Host(lambda: widgets)
    took = []
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        update(widgets, 0)
        await pilot.pause()
        for frame in range(1, frames + 1):
            started = time.process_time()
            update(widgets, frame)
            for widget in widgets:
                widget.refresh()
            await pilot.pause()
            took.append((time.process_time() - started) * 1000)
    return statistics.median(took)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    sizes = ((80, 24), (160, 48))
    baseline = {size: await measure(idle, size, args.frames) for size in sizes}
    print(f"{'candidate':34} " + " ".join(f"{w}x{h:<8}" for w, h in sizes))
    print(f"{'(empty frame, subtracted)':34} " + " ".join(f"{baseline[s]:<11.2f}" for s in sizes))
    for name, make in CANDIDATES.items():
        row = []
        for size in sizes:
            try:
                ms = await measure(make, size, args.frames)
            except ImportError as error:
                row = [f"not installed ({error.name})"]
                break
            row.append(f"{max(0.0, ms - baseline[size]):<11.2f}")
        print(f"{name:34} " + " ".join(row))
    print("CPU ms per frame, median of the frames; lower is better")


if __name__ == "__main__":
    asyncio.run(main())
