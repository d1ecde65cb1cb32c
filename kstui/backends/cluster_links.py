"""ClusterLinks: every context of a session linked to its cluster, for any section that reads or
writes across clusters (Workspaces today; Observe, Traffic, Apps and Pipelines next).

It knows each context's cluster (by the UID of kube-system, API.md 0.2), flavor (4.x, 3.x or
vanilla) and identity (issue 8: another user's context serves only if `other_identities` opts it
in), hands out a client per context, and fans a call out to one usable context per cluster
concurrently, keeping each cluster's error apart so one cluster down never fails the rest.

    links = ClusterLinks(session)
    answer = await links.fan_out(lambda link, client: client.list(path), within=5)
    answer.values()    # what each cluster answered
    answer.warnings()  # "member: no answer within 5 s", one line per cluster that did not
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from kstui.backends.cluster_probe import ContextMap
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.errors import KstuiError
from kstui.backends.identities import OPT_IN_KEY, Access, refusal
from kstui.backends.retry_after import RetryAfter
from kstui.backends.session import Session

if TYPE_CHECKING:  # httpx loads when a context is opened, not at start
    from kstui.backends.kube import KubeClient

T = TypeVar("T")

__all__ = ["ClusterError", "ClusterLink", "ClusterLinks", "FanOut", "Flavor"]


@dataclass(frozen=True, slots=True)
class ClusterError:
    """Why one cluster (or one of its contexts) has no share in a fan-out's answer."""

    link: ClusterLink
    where: str
    """What the line names: the context for an unreachable context or a failed call, the
    cluster for one only another user's context reaches (refused)."""
    reason: str

    def line(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FanOut(Generic[T]):
    """One call's answer from every cluster: what each answered, and why the others did not."""

    results: tuple[tuple[ClusterLink, T], ...]
    errors: tuple[ClusterError, ...]

    def values(self) -> list[T]:
        return [value for _, value in self.results]

    def by_cluster(self) -> dict[str, T]:
        return {link.cluster: value for link, value in self.results}

    def errors_by_cluster(self) -> dict[str, str]:
        return {error.link.cluster: error.reason for error in self.errors}

    def warnings(self) -> list[str]:
        """One line per skipped context or cluster, for a status line."""
        return [error.line() for error in self.errors]


class ClusterLinks:
    """The links of one session, probed once and cached until `links(refresh=True)`."""

    def __init__(
        self,
        session: Session,
        *,
        probe_timeout: float = 8.0,
        other_identities: Callable[[str], bool] = lambda _context: False,
        retry_after: RetryAfter | None = None,
    ) -> None:
        """`other_identities` says whether the config lets a context of another user than the
        session's serve (config `other_identities`); by default none does."""
        self.session = session
        self.retry_after = retry_after or RetryAfter()
        """A 429's Retry-After, even one a fan-out kept as a per-cluster error."""
        self._map = ContextMap(
            session,
            probe_timeout=probe_timeout,
            other_identities=other_identities,
            retry_after=self.retry_after,
        )
        self._links: list[ClusterLink] | None = None
        self._lock = asyncio.Lock()

    @property
    def me(self) -> str:
        """The session context's user by SelfSubjectReview ("" until known, or if unsaid)."""
        return self._map.me

    @property
    def cluster_names(self) -> tuple[str, ...]:
        """Every Cluster object the host lists, mapped to a context or not."""
        return self._map.cluster_names

    async def links(self, refresh: bool = False) -> list[ClusterLink]:
        async with self._lock:
            if self._links is None or refresh:
                self._links = await self._map.links()
            return list(self._links)

    async def whoami(self, context: str) -> str:
        """The user the API server says we are (SelfSubjectReview): the creator to stamp."""
        return await self._map.whoami(context)

    async def client(self, context: str) -> KubeClient:
        return await self.session.backend(context).open()

    async def host(self) -> ClusterLink | None:
        """The context to read the host cluster through: the session's own if it reaches the
        host (so a tenant acts as the tenant), else the first context that does."""
        links = await self.links()
        on_host = sorted(
            (link for link in links if link.host and not link.error),
            key=lambda link: link.access is not Access.OWN,
        )
        mine = next((link for link in links if link.context == self.session.context), None)
        if mine is not None and mine in on_host:
            return mine
        return on_host[0] if on_host else mine

    async def link(self, context: str) -> ClusterLink:
        """The link to read or write through `context` ("" = the session's): raises unless the
        context may serve this session and is reachable."""
        name = context or self.session.context
        link = next((link for link in await self.links() if link.context == name), None)
        if link is None:
            raise KstuiError(
                f'context "{name}" is not in the kubeconfig',
                f"known contexts: {', '.join(self.session.contexts)}",
            )
        if link.access is Access.REFUSED and link.error == refusal(name, link.user, self.me):
            raise KstuiError(
                f"will not act as {link.user or 'another user'} through {name}",
                link.error,
                f"list {name} in {OPT_IN_KEY} in the config to allow it",
            )
        if link.error:
            raise KstuiError(
                f"cannot use context {name}",
                link.error,
                "check that the cluster is reachable, then refresh",
            )
        return link

    async def per_cluster(self) -> tuple[list[ClusterLink], list[ClusterError]]:
        """One usable context per cluster: the session's own user's first, the session's own
        context first among those (another user's serves only if opted in); and why each
        unreachable context, or cluster only a refused context reaches, is left out."""
        chosen: dict[str, ClusterLink] = {}
        refused = []
        skipped = []
        for link in self._map.preferred(await self.links()):
            if link.access is Access.REFUSED:
                refused.append(link)
            elif link.error:
                skipped.append(ClusterError(link, link.context, link.error))
            else:
                chosen.setdefault(self._cluster_key(link), link)
        skipped += [
            ClusterError(link, link.cluster, link.error)
            for link in refused
            if self._cluster_key(link) not in chosen
        ]
        return list(chosen.values()), skipped

    async def fan_out(
        self,
        call: Callable[[ClusterLink, KubeClient], Awaitable[T]],
        *,
        within: float | None = None,
        links: Iterable[ClusterLink] | None = None,
    ) -> FanOut[T]:
        """`call(link, client)` on one usable context per cluster (or on `links`), all at
        once. A KstuiError, or a call still running `within` seconds (each cluster's own
        deadline, so a slow cluster never cancels the others), becomes that
        cluster's error (a 429's Retry-After is noted in `retry_after`); other clusters'
        answers are kept. Any other exception is a bug and propagates."""
        if links is None:
            chosen, skipped = await self.per_cluster()
        else:
            chosen, skipped = list(links), []
        answers = await asyncio.gather(*(self._call(link, call, within) for link in chosen))
        results = []
        for link, answer in zip(chosen, answers, strict=True):
            if isinstance(answer, ClusterError):
                skipped.append(answer)
            else:
                results.append((link, answer))
        return FanOut(tuple(results), tuple(skipped))

    async def _call(
        self,
        link: ClusterLink,
        call: Callable[[ClusterLink, KubeClient], Awaitable[T]],
        within: float | None,
    ) -> T | ClusterError:
        try:
            async with asyncio.timeout(within):
                return await call(link, await self.client(link.context))
        except TimeoutError:
            if within is None:
                raise
            return ClusterError(link, link.context, f"no answer within {within:g} s")
        except KstuiError as error:
            self.retry_after.note(error)
            return ClusterError(link, link.context, error.title)

    def server(self, link: ClusterLink) -> str:
        return self._map.server(link)

    def _cluster_key(self, link: ClusterLink) -> str:
        return link.uid or self._map.server(link)
