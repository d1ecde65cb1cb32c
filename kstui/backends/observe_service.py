"""ObserveService: what each level of the Observe section shows, read across the session's
clusters (cluster_links.py): pods, nodes and namespaces from the API server, usage now from
metrics.k8s.io, history and network from Prometheus (observe_history_rows.py).

A level the user may not read says why (`Level.denied`), never an empty table; a tenant who
may not list pods or namespaces cluster-wide sees the namespaces its context names.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import Forbidden, KstuiError, NotFound
from kstui.backends.objects import items, meta_of
from kstui.backends.observe_history import UsageHistory, usage_history
from kstui.backends.observe_history_rows import HistoryRows
from kstui.backends.observe_levels import (
    NO_WORKSPACE,
    LevelRow,
    PodFacts,
    Usage,
    container_rows,
    group_pods,
    node_rows,
    pod_facts,
    pod_key,
    pod_row,
    pod_usage,
    quota_problems,
    total_row,
    workload_key,
    workload_row,
    workspace_of,
)
from kstui.backends.observe_place import Place
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.prometheus_queries import Target
from kstui.backends.session import Session

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

CACHE_SECONDS = 4.0
"""A list younger than this serves the next level too (drilling down costs no new list);
shorter than the screens' poll, so every poll reads afresh."""
METRICS = "/apis/metrics.k8s.io/v1beta1"


@dataclass(slots=True)
class Level:
    rows: list[LevelRow]
    denied: str = ""
    """Why this level cannot be shown to this user ("" when it can)."""
    history: str = ""
    """One line when Prometheus gave no history ("Prometheus absent: …")."""
    notes: list[str] = field(default_factory=list)
    """What else could not be read (a cluster down, usage unknown, only some namespaces)."""


@dataclass(frozen=True, slots=True)
class Allowed:
    allowed: bool = True
    reason: str = ""


@dataclass(slots=True)
class _Pods:
    facts: list[PodFacts]
    usage: Usage
    notes: list[str]
    at: float
    measured: bool = True
    """Whether `usage` was asked for (a list read for nodes only leaves it empty)."""


class ObserveService:
    """One per session (the section's service); reads are cached for CACHE_SECONDS."""

    def __init__(
        self,
        session: Session,
        *,
        other_identities: Callable[[str], bool] = lambda _context: False,
        endpoints: Mapping[str, PrometheusEndpoint] | None = None,
    ) -> None:
        """`other_identities` and `endpoints` are the config's (`other_identities`, and a
        Prometheus URL per context)."""
        self.session = session
        self.clusters = ClusterLinks(session, other_identities=other_identities)
        self.retry_after = self.clusters.retry_after
        self.history = HistoryRows(self.clusters, endpoints or {})
        self._pods: dict[tuple[str, str], _Pods] = {}
        self._node_cache: dict[str, tuple[float, tuple[list[Any], list[Any], list[str]]]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def forget(self) -> None:
        """The next read lists afresh and asks Prometheus again (ctrl+r)."""
        self._pods.clear()
        self._node_cache.clear()
        self.history.forget()

    async def usage(
        self, context: str, target: Target, window: str, end: float | None = None
    ) -> UsageHistory:
        """One row's chart (CPU, memory, network over `window`) from the context's Prometheus,
        the same client the levels' history uses."""
        prometheus = await self.history.prometheus(context)
        return await usage_history(prometheus, target, window, end)

    async def permission(self, _pid: str, **_where: str) -> Allowed:
        return Allowed()  # the section only reads; what it may not read, each level says

    # ------------------------------------------------------------------ reading

    async def level(self, place: Place, now: float | None = None) -> Level:
        """The rows of `place`, with history from Prometheus (or the session's samples)."""
        return await self.with_history(place, await self.now(place), now)

    async def now(self, place: Place) -> Level:
        """The rows of `place` with usage now, before any history (a slow Prometheus never
        holds them up)."""
        if place.level == "clusters":  # the session's own pods listed while contexts are mapped
            early = asyncio.ensure_future(self._early_pods())
            try:
                level = await self._clusters()
            finally:
                early.cancel()
        else:
            link = await self.clusters.link(place.context)
            client = await self.clusters.client(link.context)
            level = await self._read(place, link, client)
        level.notes = list(dict.fromkeys(level.notes))
        return level

    async def with_history(self, place: Place, level: Level, now: float | None = None) -> Level:
        """`level` with each row's history and network from Prometheus (one line if not)."""
        if not level.denied:
            level.history = await self.history.fill(place, level.rows, now)
        return level

    async def _early_pods(self) -> None:
        """The session's own context's pods (the clusters level's biggest list), asked at once:
        mapping the contexts first takes a review and a probe of each."""
        context = self.session.context
        with contextlib.suppress(KstuiError):
            client = await self.clusters.client(context)
            await self._pods_of(context, client, "", usage=False)

    async def _read(self, place: Place, link: ClusterLink, client: KubeClient) -> Level:
        if place.level == "cluster":
            return await self._cluster(link, client)
        if place.level == "nodes":
            return await self._nodes(link, client)
        if place.level == "node":
            pods = await self.pods(link, client, "")
            chosen = [p for p in pods.facts if p.node == place.node]
            rows = group_pods(chosen, pods.usage, pod_key, {}, pod_row)
            return Level(list(rows.values()), notes=pods.notes)
        if place.level == "workspaces":
            return await self._workspaces(link, client)
        if place.level == "workspace":
            return await self._workspace(place, link, client)
        pods = await self.pods(link, client, place.namespace)
        if place.level == "namespace":
            rows = group_pods(pods.facts, pods.usage, workload_key, {}, workload_row)
            return Level(list(rows.values()), notes=pods.notes)
        if place.level == "workload":
            mine = [
                p
                for p in pods.facts
                if p.workload_kind == place.workload_kind and p.workload == place.workload
            ]
            rows = group_pods(mine, pods.usage, pod_key, {}, pod_row)
            return Level(list(rows.values()), notes=pods.notes)
        pod = next((p for p in pods.facts if p.name == place.pod), None)
        if pod is None:
            return Level([], denied=f"pod {place.pod} is gone from {place.namespace}")
        return Level(container_rows(pod, pods.usage), notes=pods.notes)

    async def _clusters(self) -> Level:
        async def one(link: ClusterLink, client: KubeClient) -> LevelRow:
            level = await self._cluster(link, client, usage=False)
            row = total_row(link.context, link.cluster or link.context, Target("cluster"), [])
            nodes = next((r for r in level.rows if r.key == "nodes" and r.amounts.cpu), None)
            pods = next(r for r in level.rows if r.key != "nodes")
            source = nodes or pods
            row.amounts, row.against = source.amounts, source.against
            row.capacity_cpu, row.capacity_memory = source.capacity_cpu, source.capacity_memory
            row.restarts, row.problems, row.pods = pods.restarts, pods.problems, pods.pods
            row.context = link.context
            row.extra = {"vanilla": "1" if link.flavor is Flavor.VANILLA else ""}
            return row

        answer = await self.clusters.fan_out(one, within=20)
        return Level(answer.values(), notes=answer.warnings())

    async def _cluster(self, link: ClusterLink, client: KubeClient, usage: bool = True) -> Level:
        """Its nodes and its workspaces (or projects), each summed; `usage=False` reads the
        pods' own usage only when the nodes cannot be read (the clusters' level)."""
        if usage:  # the pods, their usage and the nodes' asked at once (then all kept)
            await asyncio.gather(
                self.pods(link, client, "", usage=True), _quietly(self._node_lists(link, client))
            )
        nodes = await self._nodes(link, client)
        pods = await self.pods(link, client, "", usage=usage or bool(nodes.denied))
        vanilla = link.flavor is Flavor.VANILLA
        name = "projects" if vanilla else "workspaces"
        spread = total_row("workspaces", name, Target("cluster"), [])
        group_pods(pods.facts, pods.usage, lambda _p: "workspaces", {"workspaces": spread})
        node_total = total_row("nodes", "nodes", Target("cluster"), nodes.rows)
        if nodes.denied:
            node_total.problems.clear()
            node_total.extra = {"denied": nodes.denied}
        for row in (node_total, spread):
            row.context = link.context
        return Level([node_total, spread], notes=[*nodes.notes, *pods.notes])

    async def _nodes(self, link: ClusterLink, client: KubeClient) -> Level:
        try:
            (nodes, measured, notes), pods = await asyncio.gather(
                self._node_lists(link, client), self.pods(link, client, "", usage=False)
            )
        except Forbidden as error:
            return Level([], denied=f"nodes: {error.denied}")
        rows = node_rows(nodes, measured, pods.facts, pods.usage)
        for row in rows:
            row.context = link.context
        return Level(rows, notes=[*pods.notes, *notes])

    async def _node_lists(
        self, link: ClusterLink, client: KubeClient
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
        """The nodes and their NodeMetrics (shared for CACHE_SECONDS, as the pods are)."""
        cached = self._node_cache.get(link.context)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        notes: list[str] = []

        async def measure() -> list[dict[str, Any]]:
            try:
                return items(await client.list(f"{METRICS}/nodes"))
            except (Forbidden, NotFound) as error:
                notes.append(f"node usage unknown: {_why(error)}")
                return []

        listed, measured = await asyncio.gather(client.list("/api/v1/nodes"), measure())
        nodes = items(listed)
        self._node_cache[link.context] = (time.monotonic(), (nodes, measured, notes))
        return nodes, measured, notes

    async def _workspaces(self, link: ClusterLink, client: KubeClient) -> Level:
        (namespaces, notes), pods = await asyncio.gather(
            self._namespaces(link.context, client), self.pods(link, client, "")
        )
        claimed = workspace_of(namespaces)
        rows: dict[str, LevelRow] = {
            ws: LevelRow(ws, ws, Target("workspace", workspace=ws), context=link.context)
            for ws in sorted(set(claimed.values()))
        }
        _zero_when_measured(rows.values(), pods)
        group_pods(pods.facts, pods.usage, lambda p: claimed.get(p.namespace), rows)
        return Level(list(rows.values()), notes=[*notes, *pods.notes])

    async def _workspace(self, place: Place, link: ClusterLink, client: KubeClient) -> Level:
        async def named() -> tuple[list[str], list[str], list[dict[str, Any]]]:
            namespaces, notes = await self._namespaces(link.context, client)
            claimed = workspace_of(namespaces)
            names = sorted(ns for ns, ws in claimed.items() if ws == place.workspace)
            return names, notes, await self._quotas(client, names)

        (names, notes, quotas), pods = await asyncio.gather(named(), self.pods(link, client, ""))
        rows = {
            ns: LevelRow(
                ns,
                ns,
                Target(
                    "namespace",
                    namespace=ns,
                    workspace="" if place.workspace == NO_WORKSPACE else place.workspace,
                ),
                context=link.context,
            )
            for ns in names
        }
        _zero_when_measured(rows.values(), pods)
        group_pods(pods.facts, pods.usage, lambda p: p.namespace, rows)
        for namespace, markers in quota_problems(quotas).items():
            if namespace in rows:
                rows[namespace].problems.update(markers)
        return Level(list(rows.values()), notes=[*notes, *pods.notes])

    async def _quotas(self, client: KubeClient, namespaces: list[str]) -> list[dict[str, Any]]:
        """The ResourceQuotas of these namespaces (what this user may read of them)."""
        try:
            return items(await client.list("/api/v1/resourcequotas"))
        except Forbidden:
            parts = await asyncio.gather(
                *(_quietly(client.list(_in(ns, "/api/v1", "resourcequotas"))) for ns in namespaces)
            )
            return [quota for part in parts for quota in items(part)]

    # ------------------------------------------------------------------ lists

    async def _namespaces(
        self, context: str, client: KubeClient
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Every namespace, or the context's own when this user may not list them."""
        try:
            return items(await client.list("/api/v1/namespaces")), []
        except Forbidden as error:
            own = self.session.kubeconfig.contexts[context].namespace or "default"
            try:
                found = [await client.get(f"/api/v1/namespaces/{own}")]
            except KstuiError:
                found = [{"metadata": {"name": own}}]
            return found, [f"namespace {own} only ({error.denied})"]

    async def pods(
        self, link: ClusterLink, client: KubeClient, namespace: str, *, usage: bool = True
    ) -> _Pods:
        """The pods of `namespace` ("" = every namespace this user may read), with their usage
        now unless `usage` is False (a node's and a cluster's own figures come from
        NodeMetrics: the cluster-wide PodMetrics wait until a level needs them). A cluster-wide
        list younger than CACHE_SECONDS serves any namespace."""
        return await self._pods_of(link.context, client, namespace, usage=usage)

    async def _pods_of(
        self, context: str, client: KubeClient, namespace: str, *, usage: bool
    ) -> _Pods:
        key = (context, namespace)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            found = self._cached(key)
            if found is None:
                found = await self._read_pods(context, client, namespace, usage)
                self._pods[key] = found
            if usage and not found.measured:
                notes: list[str] = []
                measured = await self._measure(client, namespace, found.facts, notes)
                if found is self._pods.get(key):
                    found.usage, found.measured = measured, True
                    found.notes = [*found.notes, *notes]
                else:
                    found = _Pods(found.facts, measured, [*found.notes, *notes], found.at, True)
            return found

    def _cached(self, key: tuple[str, str]) -> _Pods | None:
        context, namespace = key
        for wide in (key, (context, "")):
            cached = self._pods.get(wide)
            if cached is not None and time.monotonic() - cached.at < CACHE_SECONDS:
                if wide == key:
                    return cached
                facts = [p for p in cached.facts if p.namespace == namespace]
                return _Pods(facts, cached.usage, cached.notes, cached.at, cached.measured)
        return None

    async def _read_pods(
        self, context: str, client: KubeClient, namespace: str, usage: bool
    ) -> _Pods:
        notes: list[str] = []
        try:
            found, measured = await asyncio.gather(
                _facts(client, _in(namespace, "/api/v1", "pods")),
                self._usage(client, namespace, notes) if usage else _nothing(),
            )
        except Forbidden as error:
            if namespace:
                raise
            namespaces, notes = await self._namespaces(context, client)
            names = [str(meta_of(ns).get("name") or "") for ns in namespaces]
            parts = await asyncio.gather(
                *(self._read_pods(context, client, n, usage) for n in names)
            )
            facts = [p for part in parts for p in part.facts]
            merged = {k: v for part in parts for k, v in part.usage.items()}
            notes += [note for part in parts for note in part.notes]
            if not notes:
                notes = [f"pods: {error.denied}"]
            return _Pods(facts, merged, notes, time.monotonic(), usage)
        return _Pods(found, measured, notes, time.monotonic(), usage)

    async def _measure(
        self, client: KubeClient, namespace: str, facts: list[PodFacts], notes: list[str]
    ) -> Usage:
        """PodMetrics for pods listed without them: cluster-wide, or namespace by namespace
        where this user may not read them cluster-wide."""
        try:
            return pod_usage(items(await client.list(_in(namespace, METRICS, "pods"))))
        except Forbidden as error:
            if namespace:
                notes.append(f"usage now unknown: {_why(error)}")
                return {}
        except NotFound as error:
            notes.append(f"usage now unknown: {_why(error)}")
            return {}
        names = sorted({pod.namespace for pod in facts})
        parts = await asyncio.gather(*(self._usage(client, n, notes) for n in names))
        return {key: value for part in parts for key, value in part.items()}

    async def _usage(self, client: KubeClient, namespace: str, notes: list[str]) -> Usage:
        try:
            return pod_usage(items(await client.list(_in(namespace, METRICS, "pods"))))
        except (Forbidden, NotFound) as error:
            notes.append(f"usage now unknown: {_why(error)}")
            return {}


async def _facts(client: KubeClient, path: str) -> list[PodFacts]:
    """A pod list's facts, made a page at a time while the server makes the next page."""
    facts: list[PodFacts] = []
    async for page in client.list_pages(path):
        facts.extend(pod_facts(pod) for pod in items(page))
    return facts


async def _nothing() -> Usage:
    return {}


async def _quietly(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except KstuiError:
        return {}


def _in(namespace: str, prefix: str, resource: str) -> str:
    return f"{prefix}/namespaces/{namespace}/{resource}" if namespace else f"{prefix}/{resource}"


def _why(error: KstuiError) -> str:
    if isinstance(error, Forbidden):
        return error.denied
    return "metrics.k8s.io is not served (no metrics-server)"


def _zero_when_measured(rows: Iterable[LevelRow], pods: _Pods) -> None:
    """Rows without running pods use nothing, once metrics.k8s.io has answered at all."""
    if pods.usage:
        for row in rows:
            row.amounts.cpu = row.amounts.memory = 0.0
