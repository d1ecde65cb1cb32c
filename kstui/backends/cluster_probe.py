"""Every kubeconfig context mapped to the KubeSphere Cluster it reaches (by the UID of its
kube-system namespace, API.md 0.2), and whether it may serve the session at all.

Each context is first asked who it is (SelfSubjectReview). Only those that are the session's own
user, or that the config opts in (`other_identities`), are probed further; another user's
context is never read through, so a tenant's session cannot act as an admin by accident.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kstui.backends.cluster_values import (
    CLUSTERS,
    HOST_LABEL,
    KUBE_SYSTEM,
    ClusterLink,
    Flavor,
    flavor_of,
)
from kstui.backends.errors import ApiError, Forbidden, KstuiError
from kstui.backends.identities import Access, judge, refusal
from kstui.backends.objects import labels_of, meta_of
from kstui.backends.retry_after import RetryAfter
from kstui.backends.session import Session


class ContextMap:
    """ClusterLinks' prober: who each context is, and which cluster it reaches."""

    def __init__(
        self,
        session: Session,
        *,
        probe_timeout: float,
        other_identities: Callable[[str], bool],
        retry_after: RetryAfter,
    ) -> None:
        self.session = session
        self.retry_after = retry_after
        """Where a 429 met while probing is noted, though the probe carries on."""
        self.probe_timeout = probe_timeout
        self.other_identities = other_identities
        self.me = ""
        """The session context's user by SelfSubjectReview ("" until known, or if unsaid)."""
        self.cluster_names: tuple[str, ...] = ()
        """Every Cluster object the host lists, mapped to a context or not."""
        self._usernames: dict[str, str] = {}

    async def whoami(self, context: str) -> str:
        """The user the API server says we are (SelfSubjectReview): the creator to stamp.
        Only connects: asking who a context is reads nothing else through it."""
        if context not in self._usernames:
            self._usernames[context] = await self.session.backend(context).whoami()
        return self._usernames[context]

    async def _who(self, context: str) -> tuple[str, str]:
        """(user, why the context cannot be reached): an API error answer is a reachable
        server that will not say (no SelfSubjectReview), the user then stays unknown."""
        try:
            return await asyncio.wait_for(self.whoami(context), self.probe_timeout), ""
        except TimeoutError:
            return "", f"no answer within {self.probe_timeout:g} s"
        except ApiError:
            return "", ""
        except KstuiError as error:
            return "", error.title

    async def _identities(self) -> dict[str, tuple[str, Access, str]]:
        """context → (user, access, error). Only the session's own user serves by default."""
        contexts = self.session.contexts
        infos = self.session.kubeconfig.contexts
        who = dict(
            zip(contexts, await asyncio.gather(*(self._who(c) for c in contexts)), strict=True)
        )
        mine = self.session.context
        self.me = who.get(mine, ("", ""))[0]
        entry = infos[mine].user if mine in infos else ""
        verdicts = {}
        for context, (user, unreachable) in who.items():
            access = judge(
                context,
                user,
                infos[context].user,
                session_context=mine,
                session_user=self.me,
                session_entry=entry,
                opted_in=self.other_identities(context),
            )
            error = unreachable or (
                refusal(context, user, self.me) if access is Access.REFUSED else ""
            )
            verdicts[context] = (user, access, error)
        return verdicts

    async def links(self) -> list[ClusterLink]:
        contexts = self.session.contexts
        verdicts = await self._identities()
        # Another user's context is asked who it is, never probed: nothing else is read as it.
        probes = await asyncio.gather(
            *(
                self._probe(name) if not verdicts[name][2] else _unprobed(name, verdicts[name][2])
                for name in contexts
            )
        )
        clusters: dict[str, tuple[str, bool]] = {}
        for probe in probes:
            for cluster in probe.get("clusters") or ():
                uid = (cluster.get("status") or {}).get("uid")
                if uid:
                    clusters[uid] = (
                        meta_of(cluster).get("name", ""),
                        HOST_LABEL in labels_of(cluster),
                    )
        self.cluster_names = tuple(sorted(name for name, _ in clusters.values()))
        # A context that may not read kube-system (a tenant), or that is not probed (another
        # user's), shares its server with one that was: same API server, same cluster.
        uid_by_server = {
            self.session.kubeconfig.contexts[p["context"]].server: p["uid"]
            for p in probes
            if p.get("uid")
        }
        links = []
        for probe in probes:
            context = probe["context"]
            error = probe.get("error", "")
            uid = probe.get("uid") or ""
            user, access, _ = verdicts[context]
            if not uid and (probe.get("forbidden") or probe.get("unprobed")):
                uid = uid_by_server.get(self.session.kubeconfig.contexts[context].server, "")
                if probe.get("forbidden"):
                    error = ""  # it still serves what it may read
            cluster, host = clusters.get(uid, (context, False)) if uid else (context, False)
            links.append(
                ClusterLink(
                    context,
                    cluster,
                    uid,
                    host,
                    probe.get("flavor", Flavor.VANILLA),
                    error,
                    user,
                    access,
                )
            )
        # Still unmapped (nobody could read kube-system there): a context on the same server as
        # a usable one is that one's cluster, e.g. the admin context beside a tenant's.
        usable: dict[str, ClusterLink] = {}
        for link in self.preferred(links):
            if not link.error:
                usable.setdefault(self.server(link), link)
        return [
            replace(link, cluster=same.cluster, host=same.host)
            if not link.uid and (same := usable.get(self.server(link))) is not None
            else link
            for link in links
        ]

    def preferred(self, links: list[ClusterLink]) -> list[ClusterLink]:
        """The session's own user first, its own context first among those."""
        return sorted(
            links,
            key=lambda ln: (
                ln.access is not Access.OWN,
                ln.context != self.session.context,
                ln.context,
            ),
        )

    def server(self, link: ClusterLink) -> str:
        return self.session.kubeconfig.contexts[link.context].server or link.context

    async def _probe(self, context: str) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(self._probe_now(context), self.probe_timeout)
        except TimeoutError:
            return {"context": context, "error": f"no answer within {self.probe_timeout:g} s"}
        except KstuiError as error:
            self.retry_after.note(error)
            return {"context": context, "error": error.title}

    async def _probe_now(self, context: str) -> dict[str, Any]:
        backend = self.session.backend(context)
        client = await backend.open()
        kube_system, kinds, clusters = await asyncio.gather(
            client.get(KUBE_SYSTEM),
            backend.kinds_ready(),
            client.list(CLUSTERS.path()),
            return_exceptions=True,
        )
        for answer in (kube_system, kinds, clusters):
            self.retry_after.note(answer)
        result: dict[str, Any] = {"context": context}
        if isinstance(kube_system, ApiError):
            result["error"] = f"cannot read namespace kube-system: {kube_system.title}"
            result["forbidden"] = isinstance(kube_system, Forbidden)
        elif isinstance(kube_system, BaseException):
            raise kube_system  # unreachable: nothing else will answer either
        else:
            result["uid"] = meta_of(kube_system).get("uid", "")
        if not isinstance(kinds, BaseException):
            tenant = kinds.get("tenant.kubesphere.io", "workspacetemplates") or kinds.get(
                "tenant.kubesphere.io", "workspaces"
            )
            result["flavor"] = flavor_of(tenant.version if tenant else None)
        if not isinstance(clusters, BaseException):
            result["clusters"] = clusters.get("items") or []
        return result


async def _unprobed(context: str, error: str) -> dict[str, Any]:
    return {"context": context, "error": error, "unprobed": True}
