"""TrafficService: the Traffic section's reads across the session's clusters (cluster_links.py),
its writes (traffic_writes.py) on the split's own context, and each split's health from that
cluster's Prometheus (the one Observe uses: a configured URL or the service proxy).

Per cluster: every grayscale Strategy with the VirtualService its controller generated (the
weights in effect); where the Strategy CRD is not served, every Istio VirtualService and
Gateway API HTTPRoute that splits traffic between backends (API.md §7.4). A tenant who may not
list cluster-wide reads its context's namespace.

How long a split has stayed at a partial weight: the newest `managedFields` time of a write to
its `spec` when the server keeps them; otherwise from when this session first saw those weights
(then shown as "≥": at least that long).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kstui.backends import traffic_writes as writes
from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink
from kstui.backends.errors import Forbidden, KstuiError, NotFound
from kstui.backends.objects import items, labels_of, meta_of
from kstui.backends.observe_history_rows import HistoryRows
from kstui.backends.prometheus import PrometheusError
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.session import Session
from kstui.backends.traffic_create import NewStrategy
from kstui.backends.traffic_guard import GuardSettings
from kstui.backends.traffic_health import Health, Selector, read_health, with_replicas
from kstui.backends.traffic_journal import Journal
from kstui.backends.traffic_model import (
    GATEWAY_API,
    ISTIO_API,
    STRATEGY_API,
    Source,
    Split,
    StrategyType,
    http_route_split,
    strategy_split,
    virtual_service_split,
)
from kstui.backends.traffic_writes import Written

if TYPE_CHECKING:
    from kstui.backends.kube import KubeClient

WITHIN = 8.0


@dataclass(frozen=True, slots=True)
class Listing:
    splits: list[Split]
    notes: list[str] = field(default_factory=list)
    """Clusters or kinds that could not be read, and why."""


@dataclass(frozen=True, slots=True)
class Allowed:
    allowed: bool = True
    reason: str = ""


class TrafficService:
    def __init__(
        self,
        session: Session,
        *,
        other_identities: Callable[[str], bool] = lambda _context: False,
        endpoints: Mapping[str, PrometheusEndpoint] | None = None,
        guard: GuardSettings | None = None,
        journal: Journal | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.clusters = ClusterLinks(session, other_identities=other_identities)
        self.retry_after = self.clusters.retry_after
        self.prometheus_of = HistoryRows(self.clusters, endpoints or {})
        self.guard = guard or GuardSettings()
        self.journal = journal or Journal()
        self.clock = clock
        self._seen: dict[str, tuple[tuple[tuple[str, int], ...], float]] = {}

    async def permission(self, verb: str, *, context: str, namespace: str, source: str) -> Allowed:
        """May this user `verb` (patch, delete) the split's kind in its namespace (SSAR)?
        Each write asks again before it is sent; `create` is asked by the form, for the
        namespace it names (allowed here)."""
        if verb == "create":
            return Allowed()
        group, plural = writes.RESOURCE[Source(source)]
        client = await self.clusters.client(context)
        allowed, reason = await client.can_i(verb, plural, group=group, namespace=namespace)
        if allowed:
            return Allowed()
        detail = f" ({reason})" if reason else ""
        return Allowed(False, f"you may not {verb} {plural} in {namespace} (RBAC){detail}")

    # ------------------------------------------------------------------ reading

    async def splits(self) -> Listing:
        answer = await self.clusters.fan_out(self._read_cluster, within=WITHIN)
        found: list[Split] = []
        notes = list(answer.warnings())
        for cluster_splits, cluster_notes in answer.values():
            found.extend(cluster_splits)
            notes.extend(cluster_notes)
        found = [self._since(split) for split in found]
        found.sort(key=lambda s: (s.cluster, s.namespace, s.name))
        return Listing(found, notes)

    def _since(self, split: Split) -> Split:
        """A split's weights dated by when this session first saw them, where the server
        keeps no managedFields."""
        if split.partial_since is not None:
            return split
        seen = self._seen.get(split.key)
        if seen is None or seen[0] != split.weights:
            seen = (split.weights, self.clock())
            self._seen[split.key] = seen
        return dataclasses.replace(split, partial_since=seen[1], since_seen=True)

    async def _read_cluster(
        self, link: ClusterLink, client: KubeClient
    ) -> tuple[list[Split], list[str]]:
        notes: list[str] = []
        where = {"context": link.context, "cluster": link.cluster}
        own = self.session.kubeconfig.contexts[link.context].namespace or "default"
        strategies = await _listed(client, "strategies", STRATEGY_API, own, notes, link)
        if strategies is not None:
            services = await _listed(client, "virtualservices", ISTIO_API, own, notes, link) or []
            by_name = {(meta_of(v).get("namespace"), meta_of(v).get("name")): v for v in services}
            return [
                strategy_split(
                    s,
                    by_name.get((meta_of(s).get("namespace"), _host_of(s))),
                    **where,
                )
                for s in strategies
            ], notes
        found: list[Split] = []
        for vs in await _listed(client, "virtualservices", ISTIO_API, own, notes, link) or []:
            if (split := virtual_service_split(vs, **where)) is not None:
                found.append(split)
        for route in await _listed(client, "httproutes", GATEWAY_API, own, notes, link) or []:
            if (split := http_route_split(route, **where)) is not None:
                found.append(split)
        return found, notes

    async def read(self, split: Split) -> Split | None:
        client = await self.clusters.client(split.context)
        found = await writes.read_split(client, split)
        return self._since(found) if found is not None else None

    async def health(self, split: Split, window: str, end: float | None = None) -> Health:
        """Each version's figures over `window` and its ready replicas; a Prometheus failure
        is the Health's `problem` (the replicas are still read)."""
        end = self.clock() if end is None else end
        versions = (split.old, split.new)
        if split.source is Source.HTTP_ROUTE:
            selector = Selector(split.namespace, versions, by="destination_service_name")
        else:
            selector = Selector(split.namespace, (split.host,))
        try:
            prometheus = await self.prometheus_of.prometheus(split.context)
            health = await read_health(prometheus, selector, versions, window, end)
        except PrometheusError as error:
            health = Health(window, end, problem=error.title)
        except KstuiError as error:
            health = Health(window, end, problem=error.title)
        try:
            replicas = await self.replicas(split)
        except KstuiError:
            replicas = {}
        return with_replicas(health, replicas)

    async def replicas(self, split: Split) -> dict[str, tuple[int, int]]:
        """Each version's (ready, desired) replicas: its Deployment by labels app and version
        (a Gateway API backend: the Deployment named as its Service)."""
        client = await self.clusters.client(split.context)
        listed = items(await client.list(f"/apis/apps/v1/namespaces/{split.namespace}/deployments"))
        found = {}
        for deployment in listed:
            labels = labels_of(deployment)
            name = meta_of(deployment).get("name")
            if split.source is Source.HTTP_ROUTE:
                version = name if name in (split.old, split.new) else None
            elif labels.get("app") == split.host:
                version = labels.get("version")
            else:
                version = None
            if version in (split.old, split.new):
                status = deployment.get("status") or {}
                desired = int((deployment.get("spec") or {}).get("replicas", 1))
                found[str(version)] = (int(status.get("readyReplicas") or 0), desired)
        return found

    # ------------------------------------------------------------------ writing

    async def set_weight(self, split: Split, weight: int) -> Written:
        return await writes.set_weight(await self._writer(split), split, weight)

    async def take_over(self, split: Split, version: str) -> Written:
        """§5.3: a Canary by weight moves to 100/0; the others set the governor."""
        client = await self._writer(split)
        if split.source is not Source.STRATEGY or split.type is StrategyType.CANARY:
            return await writes.set_weight(client, split, 100 if version == split.new else 0)
        return await writes.set_governor(client, split, version)

    async def restore(self, split: Split) -> Written:
        return await writes.set_governor(await self._writer(split), split, "")

    async def mirror(self, split: Split, on: bool) -> Written:
        return await writes.set_mirror(await self._writer(split), split, on)

    async def undo(self, written: Written) -> Written:
        return await writes.undo(await self._writer(written.after), written)

    async def offline(self, split: Split) -> list[str]:
        return await writes.offline(await self._writer(split), split)

    async def prerequisites(self, context: str, namespace: str, service: str) -> list[str]:
        client = await self.clusters.client(context)
        return (await writes.prerequisites(client, namespace, service))[0]

    async def create(self, context: str, form: NewStrategy) -> tuple[dict[str, Any], str]:
        self._writable(context)
        client = await self.clusters.client(context)
        creator = await self.clusters.whoami(context)
        return await writes.create(client, form, creator)

    def _writable(self, context: str) -> None:
        if self.session.readonly(context):
            raise KstuiError(
                f"read-only mode: nothing written on {context}",
                self.session.readonly_reason(context),
            )

    async def _writer(self, split: Split) -> KubeClient:
        self._writable(split.context)
        return await self.clusters.client(split.context)


def _host_of(strategy: Mapping[str, Any]) -> str:
    hosts = (((strategy.get("spec") or {}).get("template") or {}).get("spec") or {}).get("hosts")
    return str(hosts[0]) if hosts else labels_of(strategy).get("app", "")


async def _listed(
    client: KubeClient, plural: str, api: str, own: str, notes: list[str], link: ClusterLink
) -> list[dict[str, Any]] | None:
    """Every namespace's objects, or the context's namespace's when the user may not list them
    all (a note says so); None when the kind is not served."""
    try:
        return items(await client.list(f"/apis/{api}/{plural}"))
    except NotFound:
        return None
    except Forbidden:
        try:
            found = items(await client.list(f"/apis/{api}/namespaces/{own}/{plural}"))
        except NotFound:
            return None
        except Forbidden as error:
            notes.append(f"{link.context}: {plural} not readable ({error.denied})")
            return []
        notes.append(f"{link.context}: {plural} of namespace {own} only")
        return found
