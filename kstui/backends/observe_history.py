"""One target's usage over a window, for the Observe section's chart: CPU, memory and network
in and out, asked of Prometheus at once (four range queries in parallel) on one aligned grid.

A target whose expression answers several series (an empty name at its own level) is summed
point by point; a moment without a sample stays missing, never 0. A failure is the
PrometheusError of the first query that failed (its `line` says which, in one line)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from kstui.backends.prometheus import Prometheus, Series
from kstui.backends.prometheus_queries import METRICS, WINDOWS, Metric, Target


@dataclass(frozen=True)
class UsageHistory:
    window: str
    start: float
    end: float
    step: float
    series: dict[Metric, list[tuple[float, float]]]
    """metric → (unix seconds, value), oldest first: cores, bytes, bytes/s in and out."""

    def at(self, metric: Metric, moment: float) -> float | None:
        """The value at exactly `moment` (a point of the grid), None where there is none."""
        for when, value in self.series.get(metric, ()):
            if abs(when - moment) < 0.5:
                return value
        return None


def aligned_end(window: str, end: float | None = None) -> float:
    """The grid's last moment, as Prometheus.history aligns it."""
    _seconds, step = WINDOWS[window]
    end = time.time() if end is None else end
    return end // step * step


def summed(found: list[Series]) -> list[tuple[float, float]]:
    """Several series as one, point by point (the moments any of them has)."""
    if len(found) == 1:
        return list(found[0].points)
    total: dict[float, float] = {}
    for series in found:
        for when, value in series.points:
            total[when] = total.get(when, 0.0) + value
    return sorted(total.items())


async def usage_history(
    prometheus: Prometheus, target: Target, window: str, end: float | None = None
) -> UsageHistory:
    """CPU, memory and network in/out of `target` over `window` ending at `end` (now)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; one of {', '.join(WINDOWS)}")
    seconds, step = WINDOWS[window]
    last = aligned_end(window, end)
    answers = await asyncio.gather(
        *(prometheus.history(metric, target, window, last) for metric in METRICS)
    )
    series = {metric: summed(found) for metric, found in zip(METRICS, answers, strict=True)}
    return UsageHistory(window, last - seconds, last, float(step), series)
