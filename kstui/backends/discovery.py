"""Which kinds a cluster serves: API discovery, cached on disk per server like kubectl.

Aggregated discovery (apidiscovery.k8s.io/v2) answers in two requests; older servers get the
legacy walk (`/api`, `/api/v1`, `/apis`, then every group's preferred version at once).
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import orjson

from kstui.backends.errors import NotFound, ServerError
from kstui.backends.kinds import KindRegistry, ResourceKind, UnknownKind
from kstui.backends.kube import KubeClient

AGGREGATED_ACCEPT = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)
LEGACY_ACCEPT = "application/json"
CACHE_FORMAT = 1
"""Bumped when the file layout changes, so an old cache is ignored rather than misread."""

FetchedWith = Literal["aggregated", "legacy"]


class Discovery:
    """Discovers one server's kinds and keeps them in `<cache_dir>/<host_port>/kinds.json`."""

    def __init__(
        self,
        client: KubeClient,
        cache_dir: Path,
        server: str,
        ttl: float = 6 * 3600,
        *,
        legacy: bool = False,
    ) -> None:
        self.client = client
        self.server = server
        self.ttl = ttl
        self.legacy = legacy
        """Skip aggregated discovery even when the server offers it."""
        self.cache_path = Path(cache_dir) / cache_key(server) / "kinds.json"
        self.fetched_with: FetchedWith | None = None
        """How the last fetch was answered; None until one ran (a disk hit fetches nothing)."""
        self.failed_groups: tuple[str, ...] = ()
        """Group versions the last fetch had to skip (an aggregated API that is down)."""
        self._registry: KindRegistry | None = None
        self._fetched_at = 0.0
        self._generation = 0
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ public

    def cached(self) -> KindRegistry | None:
        """The disk copy, whatever its age, or None: cheap enough for the first frame."""
        loaded = self._read_cache()
        return loaded[0] if loaded else None

    async def load(self, force: bool = False) -> KindRegistry:
        """The kinds, from memory or disk while younger than ttl, else from the server.
        `force=True` always asks the server (a CRD may have been created since)."""
        generation = self._generation
        async with self._lock:
            if force and self._generation != generation and not self.failed_groups:
                # Another caller refetched while we waited: that answer is fresh enough.
                assert self._registry is not None
                return self._registry
            if not force:
                fresh = self._fresh()
                if fresh is not None:
                    return fresh
            registry, complete = await self._fetch()
            self._registry, self._fetched_at = registry, time.time()
            self._generation += 1
            if complete:
                self._write_cache(registry, self._fetched_at)
            return registry

    async def resolve(self, text: str) -> ResourceKind:
        """resolve() on the current kinds; if unknown, refetch once and try again."""
        try:
            return (await self.load()).resolve(text)
        except UnknownKind:
            return (await self.load(force=True)).resolve(text)

    # ------------------------------------------------------------------ freshness

    def _fresh(self) -> KindRegistry | None:
        now = time.time()
        if (
            self._registry is not None
            and not self.failed_groups
            and now - self._fetched_at < self.ttl
        ):
            return self._registry
        loaded = self._read_cache()
        if loaded and now - loaded[1] < self.ttl:
            self._registry, self._fetched_at = loaded
            self.failed_groups = ()
            return self._registry
        return None

    # ------------------------------------------------------------------ fetching

    async def _fetch(self) -> tuple[KindRegistry, bool]:
        accept = LEGACY_ACCEPT if self.legacy else AGGREGATED_ACCEPT
        core, groups = await asyncio.gather(
            self.client.get("/api", accept=accept), self.client.get("/apis", accept=accept)
        )
        kinds: list[ResourceKind] = []
        failed: list[str] = []
        # Either answer may be legacy even when aggregated was asked for (an older server).
        wanted: list[tuple[str, str]] = []
        for document in (core, groups):
            if _is_aggregated(document):
                kinds.extend(_from_aggregated(document, failed))
            elif document is core:
                wanted.append(("", (core.get("versions") or ["v1"])[0]))
            else:
                wanted.extend(_preferred_versions(groups))
        lists = await asyncio.gather(*(self._resource_list(g, v) for g, v in wanted))
        for (group, version), resource_list in zip(wanted, lists, strict=True):
            if resource_list is None:
                failed.append(f"{group}/{version}")
            else:
                kinds.extend(_from_resource_list(group, version, resource_list))
        self.fetched_with = "legacy" if wanted else "aggregated"
        self.failed_groups = tuple(failed)
        return KindRegistry(kinds), not failed

    async def _resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            return await self.client.get(path, accept=LEGACY_ACCEPT)
        except (ServerError, NotFound):
            # kubectl carries on without a group whose aggregated server is down (503) or
            # that vanished mid-walk (404): one broken APIService must not hide every kind.
            return None

    # ------------------------------------------------------------------ disk

    def _read_cache(self) -> tuple[KindRegistry, float] | None:
        try:
            document = orjson.loads(self.cache_path.read_bytes())
            if document.get("format") != CACHE_FORMAT or document.get("server") != self.server:
                return None
            kinds = [_kind_from_json(entry) for entry in document["kinds"]]
            return KindRegistry(kinds), float(document["fetchedAt"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing or damaged: rediscover

    def _write_cache(self, registry: KindRegistry, fetched_at: float) -> None:
        document = {
            "format": CACHE_FORMAT,
            "server": self.server,
            "fetchedAt": fetched_at,
            "fetchedWith": self.fetched_with,
            "kinds": [_kind_to_json(kind) for kind in registry],
        }
        directory = self.cache_path.parent
        try:
            directory.mkdir(mode=0o750, parents=True, exist_ok=True)
            # Write beside the target, then rename: a reader sees the old file or the new one.
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".kinds.", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(orjson.dumps(document))
                os.replace(temporary, self.cache_path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only home only costs the next start a fetch


def cache_key(server: str) -> str:
    """`https://10.0.0.1:6443` -> `10.0.0.1_6443`, as kubectl names its discovery cache."""
    schemeless = re.sub(r"^[a-z][a-z0-9+.-]*://", "", server.strip().rstrip("/"), flags=re.I)
    return re.sub(r"[^\w.-]", "_", schemeless) or "_"


# ---------------------------------------------------------------------- documents


def _is_aggregated(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == "APIGroupDiscoveryList"


def _preferred_versions(group_list: dict[str, Any]) -> list[tuple[str, str]]:
    wanted = []
    for group in group_list.get("groups") or ():
        preferred = (group.get("preferredVersion") or {}).get("version") or (
            (group.get("versions") or [{}])[0]
        ).get("version")
        if group.get("name") and preferred:
            wanted.append((group["name"], preferred))
    return wanted


def _from_aggregated(document: dict[str, Any], failed: list[str]) -> list[ResourceKind]:
    kinds: list[ResourceKind] = []
    for item in document.get("items") or ():
        group = (item.get("metadata") or {}).get("name") or ""
        # Versions come in preference order; a Stale one is an aggregated API that is down.
        versions = item.get("versions") or ()
        current = [v for v in versions if v.get("freshness") != "Stale"]
        if versions and versions[0].get("freshness") == "Stale":
            failed.append(f"{group}/{versions[0].get('version')}")
        if not current:
            continue
        version = current[0]["version"]
        for resource in current[0].get("resources") or ():
            kinds.append(
                ResourceKind(
                    group=group,
                    version=version,
                    resource=resource["resource"],
                    kind=(resource.get("responseKind") or {}).get("kind") or "",
                    singular=resource.get("singularResource") or "",
                    short_names=tuple(resource.get("shortNames") or ()),
                    namespaced=resource.get("scope") == "Namespaced",
                    verbs=frozenset(resource.get("verbs") or ()),
                    categories=tuple(resource.get("categories") or ()),
                    subresources=frozenset(
                        s["subresource"] for s in resource.get("subresources") or ()
                    ),
                )
            )
    return kinds


def _from_resource_list(
    group: str, version: str, resource_list: dict[str, Any]
) -> list[ResourceKind]:
    entries = resource_list.get("resources") or ()
    subresources: dict[str, set[str]] = {}
    for entry in entries:
        parent, _, sub = entry["name"].partition("/")
        if sub:
            subresources.setdefault(parent, set()).add(sub)
    return [
        ResourceKind(
            group=group,
            version=version,
            resource=entry["name"],
            kind=entry.get("kind") or "",
            singular=entry.get("singularName") or "",
            short_names=tuple(entry.get("shortNames") or ()),
            namespaced=bool(entry.get("namespaced")),
            verbs=frozenset(entry.get("verbs") or ()),
            categories=tuple(entry.get("categories") or ()),
            subresources=frozenset(subresources.get(entry["name"], ())),
        )
        for entry in entries
        if "/" not in entry["name"]
    ]


def _kind_to_json(kind: ResourceKind) -> dict[str, Any]:
    return {
        "group": kind.group,
        "version": kind.version,
        "resource": kind.resource,
        "kind": kind.kind,
        "singular": kind.singular,
        "shortNames": list(kind.short_names),
        "namespaced": kind.namespaced,
        "verbs": sorted(kind.verbs),
        "categories": list(kind.categories),
        "subresources": sorted(kind.subresources),
    }


def _kind_from_json(entry: dict[str, Any]) -> ResourceKind:
    return ResourceKind(
        group=entry["group"],
        version=entry["version"],
        resource=entry["resource"],
        kind=entry["kind"],
        singular=entry["singular"],
        short_names=tuple(entry["shortNames"]),
        namespaced=bool(entry["namespaced"]),
        verbs=frozenset(entry["verbs"]),
        categories=tuple(entry["categories"]),
        subresources=frozenset(entry["subresources"]),
    )
