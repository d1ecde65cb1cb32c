"""The guard: raising the weight of a version whose 5xx ratio or p95 latency is worse than the
other version's by more than the configured margin stops, shows the figures and why, and goes
on only on an explicit override. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from kstui.backends.traffic_health import Health, VersionHealth
from kstui.backends.traffic_settings import GuardSettings

__all__ = ["GuardSettings", "Verdict", "judge", "millis", "percent"]


@dataclass(frozen=True, slots=True)
class Verdict:
    raised: str
    """The version whose share would grow ("" when neither's does)."""
    other: str
    reasons: tuple[str, ...] = ()
    """Why the guard stops this move (empty: it does not)."""
    unknown: str = ""
    """Why the guard cannot judge (no figures), said but not blocking."""

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{100 * ratio:.2f}%"


def millis(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}ms"


def judge(
    old: str, new: str, current: int, wanted: int, health: Health, settings: GuardSettings
) -> Verdict:
    """Moving the new version's share from `current` to `wanted` %."""
    if wanted == current:
        return Verdict("", "")
    raised, other = (new, old) if wanted > current else (old, new)
    up, down = health.of(raised), health.of(other)
    reasons = [*_errors(up, down, settings), *_latency(up, down, settings)]
    unknown = ""
    if health.problem:
        unknown = f"guard cannot judge: {health.problem}"
    elif up.error_ratio is None and up.p95_ms is None:
        unknown = f"guard cannot judge: no requests to {raised} in {health.window}"
    return Verdict(raised, other, tuple(reasons), unknown)


def _errors(up: VersionHealth, down: VersionHealth, settings: GuardSettings) -> list[str]:
    if up.error_ratio is None:
        return []
    baseline = down.error_ratio or 0.0
    if 100 * (up.error_ratio - baseline) <= settings.error_margin:
        return []
    return [
        f"5xx ratio of {up.version} is {percent(up.error_ratio)}, {down.version}'s "
        f"{percent(down.error_ratio)}: worse by more than {settings.error_margin:g} points"
    ]


def _latency(up: VersionHealth, down: VersionHealth, settings: GuardSettings) -> list[str]:
    if up.p95_ms is None or down.p95_ms is None:
        return []
    if up.p95_ms <= down.p95_ms * (1 + settings.latency_margin / 100):
        return []
    return [
        f"p95 of {up.version} is {millis(up.p95_ms)}, {down.version}'s "
        f"{millis(down.p95_ms)}: slower by more than {settings.latency_margin:g}%"
    ]
