"""bench/tui.py's sections (`--sections`): each section opened once by its number key (its
first screen built, its data asked for, WARM_SECONDS for it to arrive), then, warm, switched to
from the resources list and back, each switch timed to its frame with this process's CPU
milliseconds. Issue 18's target: a section switch with warm caches ≤ 100 ms."""

from __future__ import annotations

import asyncio
import statistics
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from table import FrameClock, p95, send_key

from kstui.screens.sections import SECTIONS

WARM_SECONDS = 3.0
"""What a section's first open gets for its data to arrive before its switches are timed."""
TARGET_MS = 100


async def sections(app: Any, clock: FrameClock, samples: int, results: dict[str, Any]) -> None:
    """Each section warmed once, then switched to from the list and back `samples` times:
    `<name> switch` and `back to list` in ms, `cpu <label>` their CPU ms."""
    key = partial(send_key, app)
    base = app.screen

    async def until(condition: Callable[[], bool]) -> None:
        while not condition():  # noqa: ASYNC110 (a state, not an event)
            await asyncio.sleep(0.02)

    async def timed(label: str, act: Callable[[], Any], condition: Callable[[], bool]) -> None:
        results.setdefault(label, []).append(await clock.time(act, condition))
        results.setdefault(f"cpu {label}", []).append(clock.last_cpu)

    names = [name for name in SECTIONS if name != "resources"]
    screens = {}
    for name in names:
        key(SECTIONS[name].key, SECTIONS[name].key)
        await until(lambda name=name: app.current_mode == name)
        screens[name] = app.screen
        await asyncio.sleep(WARM_SECONDS)
        key("1", "1")
        await until(lambda: app.screen is base)
        await asyncio.sleep(0.2)
    for _ in range(samples):
        for name in names:
            number = SECTIONS[name].key
            await timed(
                f"{name} switch",
                lambda number=number: key(number, number),
                lambda name=name: app.screen is screens[name],
            )
            await asyncio.sleep(0.05)
            await timed("back to list", lambda: key("1", "1"), lambda: app.screen is base)
            await asyncio.sleep(0.05)


def report(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def report_sections(keys: dict[str, Any]) -> None:
    report("| switch, warm, under churn | p50 / p95 / max | CPU p50 / p95 | target | |")
    report("| --- | --- | --- | --- | --- |")
    for label, values in keys.items():
        if not values or not (label.endswith(" switch") or label == "back to list"):
            continue
        if label.startswith("cpu "):
            continue
        cpu = keys.get(f"cpu {label}") or [float("nan")]
        report(
            f"| {label} | {statistics.median(values):.0f} / {p95(values):.0f} / "
            f"{max(values):.0f} ms | {statistics.median(cpu):.1f} / {p95(cpu):.1f} ms | "
            f"p95 ≤ {TARGET_MS} ms | {'pass' if p95(values) <= TARGET_MS else 'MISS'} |"
        )
