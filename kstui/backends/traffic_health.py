"""Per-version health of a traffic split from Istio's metrics in Prometheus: request rate, 5xx
ratio and p95 latency over a window, with a sparkline's worth of points each.

Series (Istio's standard labels, reporter="destination": what the version's own sidecar saw):
`istio_requests_total` and `istio_request_duration_milliseconds_bucket`, selected by
`destination_service_namespace` and `destination_service_name` and summed by
`destination_version` (a Strategy's or VirtualService's subsets) or, for a Gateway API split
whose backends are one Service per version, by `destination_service_name`.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kstui.backends.traffic_settings import WINDOWS

if TYPE_CHECKING:
    from kstui.backends.prometheus import Prometheus, Series

__all__ = ["POINTS", "WINDOWS", "Health", "Selector", "VersionHealth", "read_health"]
POINTS = 30
"""Points per sparkline."""


@dataclass(frozen=True, slots=True)
class Selector:
    namespace: str
    services: tuple[str, ...]
    """The Service (one for subsets), or one Service per version (Gateway API)."""
    by: str = "destination_version"

    def labels(self, extra: str = "") -> str:
        names = "|".join(self.services)
        matcher = (
            f'destination_service_name="{names}"'
            if len(self.services) == 1
            else (f'destination_service_name=~"{names}"')
        )
        parts = [
            'reporter="destination"',
            f'destination_service_namespace="{self.namespace}"',
            matcher,
        ]
        if extra:
            parts.append(extra)
        return "{" + ", ".join(parts) + "}"


def rate_expr(selector: Selector, window: str) -> str:
    return f"sum by ({selector.by}) (rate(istio_requests_total{selector.labels()}[{window}]))"


def errors_expr(selector: Selector, window: str) -> str:
    """5xx answers over all answers, per version (no requests: no value, never 0). A version
    that never answered a 5xx has no such series: `or` its total times 0 makes that a 0."""
    fives = selector.labels('response_code=~"5.."')
    every = f"sum by ({selector.by}) (rate(istio_requests_total{selector.labels()}[{window}]))"
    return (
        f"(sum by ({selector.by}) (rate(istio_requests_total{fives}[{window}])) or {every} * 0)"
        f" / {every}"
    )


def p95_expr(selector: Selector, window: str) -> str:
    return (
        f"histogram_quantile(0.95, sum by ({selector.by}, le) "
        f"(rate(istio_request_duration_milliseconds_bucket{selector.labels()}[{window}])))"
    )


@dataclass(frozen=True, slots=True)
class VersionHealth:
    version: str
    rate: float | None = None
    """Requests per second over the window."""
    error_ratio: float | None = None
    """5xx answers / answers (0..1); None without requests."""
    p95_ms: float | None = None
    rates: tuple[float, ...] = ()
    errors: tuple[float, ...] = ()
    p95s: tuple[float, ...] = ()
    ready: int | None = None
    desired: int | None = None


@dataclass(frozen=True, slots=True)
class Health:
    window: str
    end: float
    versions: dict[str, VersionHealth] = field(default_factory=dict)
    problem: str = ""
    """Why there are no figures (Prometheus absent, …); "" when there are."""

    def of(self, version: str) -> VersionHealth:
        return self.versions.get(version) or VersionHealth(version)


def _last(series: list[Series], by: str) -> dict[str, float]:
    found = {}
    for one in series:
        if one.points and not math.isnan(one.points[-1][1]):
            found[one.labels.get(by, "")] = one.points[-1][1]
    return found


def _points(
    series: list[Series], by: str, start: float, step: float
) -> dict[str, tuple[float, ...]]:
    """Each version's values on the grid (a gap is 0 for rates and ratios, the last seen
    value would lie)."""
    found = {}
    for one in series:
        values = [0.0] * POINTS
        for t, v in one.points:
            index = round((t - start) / step)
            if 0 <= index < POINTS and not math.isnan(v):
                values[index] = v
        found[one.labels.get(by, "")] = tuple(values)
    return found


async def read_health(
    prometheus: Prometheus,
    selector: Selector,
    versions: tuple[str, ...],
    window: str,
    end: float,
) -> Health:
    """The three figures now (over `window` ending at `end`) and their sparklines (POINTS
    points across the window, each over max(step, 1m))."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; one of {', '.join(WINDOWS)}")
    seconds = WINDOWS[window]
    step = seconds / POINTS
    end = end // 15 * 15  # aligned: the same answers on every refresh within 15 s
    start = end - seconds + step
    inner = f"{max(int(step), 60)}s"
    by = selector.by
    answers = await asyncio.gather(
        prometheus.query(rate_expr(selector, window), end),
        prometheus.query(errors_expr(selector, window), end),
        prometheus.query(p95_expr(selector, window), end),
        prometheus.query_range(rate_expr(selector, inner), start, end, step),
        prometheus.query_range(errors_expr(selector, inner), start, end, step),
        prometheus.query_range(p95_expr(selector, inner), start, end, step),
    )
    rates, errors, p95s = (_last(found, by) for found in answers[:3])
    rate_points, error_points, p95_points = (
        _points(found, by, start, step) for found in answers[3:]
    )
    found = {
        version: VersionHealth(
            version,
            rate=rates.get(version, 0.0 if rates else None),
            error_ratio=errors.get(version),
            p95_ms=p95s.get(version),
            rates=rate_points.get(version, ()),
            errors=error_points.get(version, ()),
            p95s=p95_points.get(version, ()),
        )
        for version in versions
    }
    return Health(window, end, found)


def with_replicas(health: Health, replicas: dict[str, tuple[int, int]]) -> Health:
    """The figures with each version's (ready, desired) replicas beside them."""
    versions = dict(health.versions)
    for version, (ready, desired) in replicas.items():
        base = versions.get(version) or VersionHealth(version)
        versions[version] = VersionHealth(
            base.version,
            base.rate,
            base.error_ratio,
            base.p95_ms,
            base.rates,
            base.errors,
            base.p95s,
            ready,
            desired,
        )
    return Health(health.window, health.end, versions, health.problem)
