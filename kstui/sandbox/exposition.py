"""Metric families and how they are written: the Prometheus text format a scrape reads, and
OpenMetrics history for `promtool tsdb create-blocks-from openmetrics`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from kstui.sandbox.usage import BUCKET_S


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labels(pairs: dict[str, str]) -> str:
    return _labels(tuple(pairs.items()))


@functools.lru_cache(maxsize=1 << 17)  # the same series every scrape: format each once
def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


Value = Callable[[float], float]


def constant(value: float) -> Value:
    return lambda _t: value


def scaled(source: Callable[[float], Any], index: int, factor: float = 1.0) -> Value:
    """Element `index` of what `source` gives at t, times `factor`."""
    return lambda t: float(source(t)[index]) * factor


@dataclass(slots=True)
class Family:
    """One metric family: its type, and per series a labels string and a value function."""

    name: str
    kind: str  # counter | gauge
    steady: bool = False
    """State that changes rarely (kube-state-metrics, node totals): the history samples it
    every 4 minutes only, within Prometheus's 5 minute lookback."""
    counted: bool = False
    """A counter whose values are its totals (restarts), not rates to integrate."""
    series: list[tuple[str, Callable[[float], float]]] = field(default_factory=list)


class Memo:
    """Values computed once per 15 s window and reused by every series that needs them."""

    def __init__(self) -> None:
        self._values: dict[tuple[Any, ...], Any] = {}

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        found = self._values.get(key)
        if found is None:
            found = self._values[key] = make()
        return found

    def clear(self) -> None:
        self._values.clear()


def merged(found: Iterable[Family]) -> list[Family]:
    """Families of one name joined (the exposition formats want each name once)."""
    by_name: dict[str, Family] = {}
    for family in found:
        if family.name in by_name:
            by_name[family.name].series.extend(family.series)
        else:
            by_name[family.name] = family
    return list(by_name.values())


class Counters:
    """Each counter's running total: advanced window by window with the model's rate at the
    start of each 15 s window, so the last two samples of a live scrape give metrics.k8s.io's
    value exactly (the rate of one window)."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[float, float]] = {}  # series -> (total, at)

    def advance(self, key: str, t: float, rate: Callable[[float], float]) -> float:
        total, since = self.values.get(key, (0.0, t))
        if t - since > 3_600:  # a long gap (nobody scraped): one step, not 240 windows
            total += rate(t) * (t - since)
        else:
            edge = since
            while edge < t:
                end = min((edge // BUCKET_S + 1) * BUCKET_S, t)
                total += rate(edge) * (end - edge)
                edge = end
        self.values[key] = (total, t)
        return total

    def advance_coarse(self, key: str, t: float, rate: Callable[[float], float]) -> float:
        """One step of the history: the rate at the step's start times its length."""
        total, since = self.values.get(key, (0.0, t))
        total += rate(since) * (t - since)
        self.values[key] = (total, t)
        return total


def write_exposition(out: IO[str], found: list[Family], counters: Counters, t: float) -> None:
    """The Prometheus text format (0.0.4) at t, as a scrape would read it. Each sample carries
    t (ms): the counters were integrated up to t, so a rate between two scrapes is the model's
    rate exactly, not off by the jitter between the scrape's clock and this one."""
    stamp = int(t * 1000)
    for family in merged(found):
        out.write(f"# TYPE {family.name} {family.kind}\n")
        for series, value in family.series:
            if family.kind == "counter" and not family.counted:
                number = counters.advance(family.name + series, stamp / 1000, value)
            else:
                number = value(t)
            out.write(f"{family.name}{series} {number!r} {stamp}\n")


def write_openmetrics(
    out: IO[str],
    found: list[Family],
    counters: Counters,
    times: list[float],
    starts: Callable[[str], float] | None = None,
) -> int:
    """OpenMetrics history for `promtool tsdb create-blocks-from openmetrics`: each series'
    samples in ascending time, counters integrated as they go. Returns the samples written."""
    written = 0
    for family in merged(found):
        base = family.name.removesuffix("_total") if family.kind == "counter" else family.name
        out.write(f"# TYPE {base} {family.kind}\n")
        for series, value in family.series:
            key = family.name + series
            first = starts(series) if starts else times[0]
            lines = []
            for index, t in enumerate(times):
                if family.steady and int(t) % 240 and index != len(times) - 1:
                    continue
                if t < first:
                    continue
                if family.kind == "counter" and not family.counted:
                    number = counters.advance_coarse(key, t, value)
                else:
                    number = value(t)
                lines.append(f"{family.name}{series} {number!r} {int(t)}\n")
            out.write("".join(lines))
            written += len(lines)
    out.write("# EOF\n")
    return written
