"""Backend: everything kstui holds for one kubeconfig context, opened and closed as one."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from kstui.backends.errors import Forbidden, KstuiError, NotFound
from kstui.backends.kinds import BUILTIN, KindRegistry, ResourceKind, UnknownKind
from kstui.backends.kubeconfig import ContextInfo, KubeConfig

if TYPE_CHECKING:  # imported in open(): httpx and ssl cost ~70 ms the first frame need not pay
    from kstui.backends.cache_manager import CacheManager
    from kstui.backends.discovery import Discovery
    from kstui.backends.kube import KubeClient


def cache_home(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".cache")
    return Path(base) / "kstui"


class BackendSettings(NamedTuple):
    grace_seconds: float = 30.0
    page_size: int = 500
    cache_dir: Path | None = None
    watch_bounds: tuple[tuple[str, float], ...] = ()
    """WatchCache liveness bounds by name (probe_after, probe_timeout, list_timeout,
    quiet_relist); empty: cache.py's defaults."""
    write_timeout: float = 30.0
    """Seconds a write waits for its answer before kstui reads the object back."""
    kinds_settle: float = 2.0
    """Seconds after open before the kinds are revalidated and CRDs followed (the first
    list goes first)."""


CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


class Backend:
    """One context: its client, kinds, shared watch caches and identity. `open()` never
    waits for discovery: kinds start from the disk cache (or the built-in list) and
    refresh in the background."""

    def __init__(
        self, kubeconfig: KubeConfig, context: str, settings: BackendSettings | None = None
    ) -> None:
        self.kubeconfig = kubeconfig
        self.info: ContextInfo = kubeconfig.context(context)
        self.settings = settings or BackendSettings()
        self.client: KubeClient | None = None
        self.caches: CacheManager | None = None
        self.kinds: KindRegistry = BUILTIN
        self.username: str = ""
        self.notice: str = ""
        """What the header should add about the connection (e.g. plain http, no credentials)."""
        self.namespace_names: set[str] = set()
        """Kept current by whoever watches namespaces (the app), for completion."""
        self._discovery: Discovery | None = None
        self._discovery_task: asyncio.Task[KindRegistry] | None = None
        self._current_task: asyncio.Task[None] | None = None
        self.discovery_error: KstuiError | None = None
        self._identity_task: asyncio.Task[None] | None = None
        self._review: asyncio.Task[dict[str, Any]] | None = None
        self._opened = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.info.name

    async def open(self, *, discover: bool = True) -> KubeClient:
        """Connect (credentials may run an exec plugin, so this is awaited off the loop).
        `discover=False` only connects: Workspaces asks a context who it is (one
        SelfSubjectReview) before deciding to use it, and reads nothing else through it."""
        async with self._opened:
            if self.client is None:
                await self._connect()
            assert self.client is not None
            if discover and self._discovery_task is None:
                # Fresh contexts: the caller's would pin its worker and screen to these tasks.
                self._discovery_task = asyncio.create_task(
                    self._discover_quietly(), context=contextvars.Context()
                )
                self._identity_task = asyncio.create_task(
                    self._identify(self.client), context=contextvars.Context()
                )
                self._current_task = asyncio.create_task(
                    self._keep_kinds_current(), context=contextvars.Context()
                )
            return self.client

    async def _connect(self) -> None:
        from kstui.backends.cache_manager import CacheManager
        from kstui.backends.credentials import connect
        from kstui.backends.discovery import Discovery
        from kstui.backends.early_list import connection_of
        from kstui.backends.kube import KubeClient

        connection = connection_of(self.kubeconfig, self.info.name)  # made at start, or now:
        early = connection is not None
        if connection is None:
            connection = await connect(self.kubeconfig, self.info.name)
        self.notice = connection.notice
        client = KubeClient(connection, write_timeout=self.settings.write_timeout)
        if early:
            client.hold_network()  # the start list's rows are drawn first
        self.caches = CacheManager(
            client,
            grace=self.settings.grace_seconds,
            page_size=self.settings.page_size,
            watch_bounds=self.settings.watch_bounds,
        )
        cache_dir = (self.settings.cache_dir or cache_home()) / "discovery"
        self._discovery = Discovery(client, cache_dir, self.info.server)
        cached = self._discovery.cached()
        if cached is not None:
            self.kinds = cached
        self.client = client

    async def _discover(self, force: bool) -> KindRegistry:
        assert self._discovery is not None
        self.kinds = await self._discovery.load(force=force)
        return self.kinds

    async def _discover_quietly(self) -> KindRegistry:
        """The background pass: a failure keeps the cached or built-in kinds (the lists
        themselves report an unreachable server), and is kept for whoever asks."""
        try:
            return await self._discover(force=False)
        except KstuiError as error:
            self.discovery_error = error
            return self.kinds

    async def _keep_kinds_current(self) -> None:
        """In the background, once the first list had its start: a disk copy of the kinds is
        revalidated with the server, then CRDs are followed and each change refreshes the
        kinds, so a CRD created while kstui runs appears without a restart."""
        from kstui.backends.cache_rows import CacheState

        assert self._discovery_task is not None
        assert self._discovery is not None
        await asyncio.shield(self._discovery_task)
        await asyncio.sleep(self.settings.kinds_settle)
        if self._discovery.fetched_with is None:  # the disk copy: ask the server once
            with contextlib.suppress(KstuiError):
                await self._discover(force=True)
        if self.caches is None:
            return
        try:
            watchable = self.kinds.resolve("customresourcedefinitions.apiextensions.k8s.io")
        except UnknownKind:
            return
        if not watchable.can("watch"):
            return
        async with self.caches.subscribe(CRDS) as subscription:
            seen: int | None = None
            async for delta in subscription.changes(min_interval=1.0):
                if delta.state is CacheState.FAILED and isinstance(delta.error, Forbidden):
                    return  # a tenant who may not read CRDs keeps the kinds it has
                if not delta.loaded or delta.version == seen:
                    continue
                # The first list: only CRDs the kinds lack (made since discovery answered).
                if seen is not None or any(not self._knows(row.name) for row in delta.upserted):
                    with contextlib.suppress(KstuiError):
                        await self._discover(force=True)
                seen = delta.version

    def _knows(self, qualified: str) -> bool:
        try:
            self.kinds.resolve(qualified)
        except UnknownKind:
            return False
        return True

    async def _identify(self, client: KubeClient) -> None:
        with contextlib.suppress(KstuiError):
            self.username = await self.whoami()

    async def whoami(self) -> str:
        """The user the API server says we are (SelfSubjectReview), asked once: whoever asks
        meanwhile (the header, a section's cluster map) shares the one review; one that failed
        is asked again. Only connects: it reads nothing else through the context."""
        task = self._review
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.create_task(self._ask_review(), context=contextvars.Context())
            # Heard here: an asker cancelled mid-review leaves no one to read its failure.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
            self._review = task
        user = await asyncio.shield(task)
        return str(user.get("username") or "")

    async def _ask_review(self) -> dict[str, Any]:
        client = await self.open(discover=False)
        return await client.whoami()

    async def identity(self) -> str:
        """The user name the API server reports (SelfSubjectReview), once known."""
        if self._identity_task is not None:
            with contextlib.suppress(KstuiError):
                await asyncio.shield(self._identity_task)
        return self.username or self.info.user

    async def identity_label(self) -> str:
        """Who the header names: the user, and what the connection warns of ("alice (http:
        credentials not sent)")."""
        user = await self.identity()
        return f"{user} ({self.notice})" if self.notice else user

    async def kinds_ready(self) -> KindRegistry:
        """The discovered kinds (waits for the first discovery pass)."""
        if self._discovery_task is not None:
            with contextlib.suppress(KstuiError):
                await asyncio.shield(self._discovery_task)
        return self.kinds

    async def resolve(self, alias: str) -> ResourceKind:
        """A kind by any alias. Unknown ones wait for discovery, then force a refresh once,
        so a CRD installed a moment ago is found."""
        await self.open()
        try:
            return self.kinds.resolve(alias)
        except UnknownKind:
            pass
        await self.kinds_ready()
        try:
            return self.kinds.resolve(alias)
        except UnknownKind:
            pass
        await self._discover(force=True)
        return self.kinds.resolve(alias)

    async def namespace_exists(self, name: str) -> bool | None:
        """Whether the namespace is there: True, False (the server says NotFound), or None
        when it cannot be told (Forbidden for a tenant, no answer). Known names are not asked."""
        if name in self.namespace_names:
            return True
        try:
            client = await self.open()
            await asyncio.wait_for(client.get(f"/api/v1/namespaces/{quote(name, safe='')}"), 5)
        except NotFound:
            return False
        except (KstuiError, TimeoutError):
            return None
        return True

    async def aclose(self) -> None:
        for task in (self._current_task, self._discovery_task, self._identity_task, self._review):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.caches is not None:
            await self.caches.aclose()
        if self.client is not None:
            await self.client.aclose()
        self.client = None
        self._discovery_task = self._identity_task = self._current_task = self._review = None
