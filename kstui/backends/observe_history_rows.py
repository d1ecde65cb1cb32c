"""History and network for the rows of one Observe level: ONE Prometheus query per metric for
the whole level (grouped by the level's label, prometheus_queries.py with an empty name), its
series matched to the rows. When Prometheus cannot answer, the rows keep the session's own
samples of usage now as their history, and one line says why.

CPU history is a range query over the chosen window (the same points until the window's step
has passed); network is an instant query at the same aligned moment, cached as long.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.errors import KstuiError
from kstui.backends.observe_levels import PROMETHEUS_KINDS, LevelRow
from kstui.backends.observe_place import Place
from kstui.backends.prometheus import Prometheus, PrometheusError, Series, prometheus_for
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.prometheus_queries import (
    NODE_EXPORTER,
    WINDOWS,
    Metric,
    Target,
    expression,
)

TIMEOUT = 4.0
"""A Prometheus slower than this is "slow": usage now is not held up longer."""
FAILURE_SECONDS = 15.0
"""A failed Prometheus is asked again after this long (the line stays meanwhile)."""
SAMPLES = 60
"""The session's own samples kept per row (the fallback history)."""
SAMPLE_SECONDS = 5.0
"""One sample per level this often at most: metrics.k8s.io and the lists change no faster."""

Key = Callable[[Mapping[str, str]], str | None]


@dataclass(frozen=True, slots=True)
class Query:
    """One level's query: the Target of all its rows and how a series names its row."""

    target: Target
    key: Key
    network: bool = True


def level_query(place: Place) -> Query:
    level = place.level
    if level in ("clusters", "cluster"):
        return Query(Target("cluster"), lambda _labels: "*")
    if level == "nodes":
        return Query(Target("node"), lambda labels: labels.get("node"))
    if level == "node":
        return Query(Target("pod", node=place.node), _pod_of)
    if level == "workspaces":
        return Query(Target("workspace"), lambda labels: labels.get("workspace"))
    if level == "workspace":
        workspace = "" if place.workspace.startswith("(") else place.workspace
        target = Target("namespace", workspace=workspace)
        return Query(target, lambda labels: labels.get("namespace"))
    if level == "namespace":
        return Query(Target("pod", namespace=place.namespace), _workload_of)
    if level == "workload":
        if place.workload_kind in PROMETHEUS_KINDS:
            target = Target(
                "pod",
                namespace=place.namespace,
                workload_kind=place.workload_kind,
                workload=place.workload,
            )
        else:
            target = Target("pod", namespace=place.namespace)
        return Query(target, _pod_of)
    target = Target("container", namespace=place.namespace, pod=place.pod)
    return Query(target, lambda labels: labels.get("container"), network=False)


def _pod_of(labels: Mapping[str, str]) -> str | None:
    return f"{labels.get('namespace', '')}/{labels.get('pod', '')}"


def _workload_of(labels: Mapping[str, str]) -> str | None:
    kind, name = labels.get("owner_kind", ""), labels.get("owner_name", "")
    if kind == "ReplicaSet":
        return f"Deployment/{name.rpartition('-')[0] or name}"
    return f"{kind}/{name}" if kind else None


def summed(series: list[Series], key: Key) -> dict[str, dict[float, float]]:
    """The series of one query added up per row key, point by point."""
    found: dict[str, dict[float, float]] = {}
    for one in series:
        name = key(one.labels)
        if name is None:
            continue
        points = found.setdefault(name, {})
        for at, value in one.points:
            if value == value:  # NaN is no sample
                points[at] = points.get(at, 0.0) + value
    return found


class HistoryRows:
    """Per context: its Prometheus (service proxy or configured URL), the last range and
    instant answers, the last failure, and the session's samples."""

    def __init__(self, clusters: ClusterLinks, endpoints: Mapping[str, PrometheusEndpoint]) -> None:
        self.clusters = clusters
        self.endpoints = dict(endpoints)
        self.window = "1h"
        self._prometheus: dict[str, Prometheus] = {}
        self._answers: dict[tuple[str, str, float], list[Series]] = {}
        self._failed: dict[str, tuple[float, PrometheusError]] = {}
        self._unlabelled: set[str] = set()
        """Contexts whose usage series carry no `node` label: a node's pods are asked for as
        KubeSphere asks (every pod's usage, joined to kube_pod_info on the node)."""
        self._samples: dict[tuple[Place, str], deque[float]] = {}
        self._sampled: dict[Place, float] = {}
        """When each level last added a sample (reads within SAMPLE_SECONDS share a list)."""

    def forget(self) -> None:
        """Ask again: cached answers and failures go (the samples stay)."""
        self._answers.clear()
        self._failed.clear()

    async def prometheus(self, context: str) -> Prometheus:
        found = self._prometheus.get(context)
        if found is None:
            link = await self.clusters.link(context)
            client = await self.clusters.client(context)
            found = prometheus_for(
                context, client, link.flavor, self.endpoints.get(context), timeout=TIMEOUT
            )
            self._prometheus[context] = found
        return found

    async def fill(self, place: Place, rows: list[LevelRow], now: float | None = None) -> str:
        """Each row's history (CPU over the window) and network now; "" when Prometheus
        answered, else its one line (the rows then show the session's samples: the screen
        says so in the column's title)."""
        sampled = time.monotonic()
        fresh = sampled - self._sampled.get(place, -SAMPLE_SECONDS) >= SAMPLE_SECONDS
        if fresh:
            self._sampled[place] = sampled
        for row in rows:
            samples = self._samples.setdefault((place, row.key), deque(maxlen=SAMPLES))
            if row.amounts.cpu is not None and (fresh or not samples):
                samples.append(row.amounts.cpu)
        query = level_query(place)
        contexts = sorted({row.context or place.context for row in rows})
        if place.level != "clusters":
            contexts = [place.context]
        answers = await asyncio.gather(
            *(self._fill_context(place, query, c, rows, now) for c in contexts)
        )
        by_line: dict[str, list[str]] = {}
        for context, line in zip(contexts, answers, strict=True):
            if line:
                by_line.setdefault(line, []).append(context)
        lines = [
            f"{', '.join(where)}: {line}" if place.level == "clusters" else line
            for line, where in by_line.items()
        ]
        failed = {context for context, line in zip(contexts, answers, strict=True) if line}
        for row in rows:  # Prometheus answered without a row's series: no history, not ours
            if (row.context or place.context) in failed or (place.level != "clusters" and failed):
                row.history = list(self._samples.get((place, row.key), ()))
        if not lines:
            return ""
        return "; ".join(lines)

    async def _fill_context(
        self, place: Place, query: Query, context: str, rows: list[LevelRow], now: float | None
    ) -> str:
        mine = [row for row in rows if (row.context or place.context) == context]
        if place.level != "clusters":
            mine = rows
        failed = self._failed.get(context)
        if failed is not None and time.monotonic() - failed[0] < FAILURE_SECONDS:
            return _line(failed[1])
        try:
            prometheus = await self.prometheus(context)
            seconds, step = WINDOWS[self.window]
            end = (time.time() if now is None else now) // step * step
            network: list[Metric] = ["net_in", "net_out"] if query.network else []
            metrics: list[Metric] = ["cpu", *network]

            async def ask(target: Target) -> list[list[Series]]:
                return await asyncio.gather(
                    *(
                        self._ask(prometheus, context, m, target, end, seconds, step)
                        for m in metrics
                    )
                )

            target = query.target
            if target.level == "node":
                exporters = await self._exporters_of(prometheus, context, end, seconds)
                target = replace(target, exporters=exporters)
            if target.node and target.level == "pod" and context not in self._unlabelled:
                # the pods of a node: by the series' own `node` label where they have one
                cpu, *net = await ask(replace(target, node_labelled=True))
                if not cpu:
                    cpu, *net = await ask(target)
                    if cpu:
                        self._unlabelled.add(context)
            else:
                cpu, *net = await ask(target)
        except PrometheusError as error:
            self._failed[context] = (time.monotonic(), error)
            return _line(error)
        except KstuiError as error:
            return f"history unavailable: {error.title}"
        self._failed.pop(context, None)
        history = summed(cpu, query.key)
        rates = [summed(one, query.key) for one in net]
        for row in mine:
            name = "*" if place.level in ("clusters", "cluster") else row.key
            points = history.get(name)
            if points:
                row.history = [points[at] for at in sorted(points)]
            if rates:
                row.net_in = _last(rates[0].get(name))
                row.net_out = _last(rates[1].get(name))
        return ""

    async def _exporters_of(
        self, prometheus: Prometheus, context: str, end: float, seconds: int
    ) -> tuple[str, ...]:
        """The namespaces node-exporter ran in over the window (one small instant query,
        kept as long as the window's answers)."""
        expr = (
            f"group by (namespace) (last_over_time(node_cpu_seconds_total{{{NODE_EXPORTER}, "
            f'mode="idle"}}[{seconds}s]))'
        )
        key = (context, f"{self.window} {expr}", end)
        found = self._answers.get(key)
        if found is None:
            found = await prometheus.query(expr, end)
            for old in [k for k in self._answers if k[:2] == key[:2]]:
                del self._answers[old]
            self._answers[key] = found
        return tuple(sorted({s.labels.get("namespace", "") for s in found} - {""}))

    async def _ask(
        self,
        prometheus: Prometheus,
        context: str,
        metric: Metric,
        target: Target,
        end: float,
        seconds: int,
        step: int,
    ) -> list[Series]:
        expr = expression(metric, target)
        key = (context, f"{self.window} {expr}", end)
        cached = self._answers.get(key)
        if cached is not None:
            return cached
        if metric == "cpu":
            found = await prometheus.query_range(expr, end - seconds, end, step)
        else:
            found = await prometheus.query(expr, end)
        for old in [k for k in self._answers if k[:2] == key[:2]]:
            del self._answers[old]
        self._answers[key] = found
        return found

    async def aclose(self) -> None:
        for prometheus in self._prometheus.values():
            await prometheus.aclose()


def _last(points: dict[float, float] | None) -> float | None:
    if not points:
        return None
    return points[max(points)]


def _line(error: PrometheusError) -> str:
    return error.line
