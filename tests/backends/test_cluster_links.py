"""ClusterLinks against the sandbox: each context's cluster and flavor, and a fan-out that keeps
each cluster's answer or error apart, with a deadline per cluster and the Retry-After noted."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from kstui.backends.backend import BackendSettings
from kstui.backends.cluster_links import ClusterLinks
from kstui.backends.cluster_values import ClusterLink, Flavor
from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.session import Session
from tests.conftest import RunningSandbox

Fresh = Callable[..., RunningSandbox]
KUBE_SYSTEM = "/api/v1/namespaces/kube-system"


@contextlib.asynccontextmanager
async def links_on(
    running: RunningSandbox, tmp_path: Path, probe_timeout: float = 8.0
) -> AsyncIterator[ClusterLinks]:
    session = Session(
        load_kubeconfig(str(running.kubeconfig)),
        "host",
        "default",
        settings=BackendSettings(cache_dir=tmp_path / "discovery"),
    )
    try:
        yield ClusterLinks(session, probe_timeout=probe_timeout)
    finally:
        await session.aclose()


async def kube_system_uid(link: ClusterLink, client: KubeClient) -> str:
    """What each cluster answers: the UID the link was made by, so the answer is checkable."""
    return str((await client.get(KUBE_SYSTEM))["metadata"]["uid"])


async def test_links_know_each_clusters_flavor_and_host(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    running = fresh_sandbox(clusters=2, pods=3)
    async with links_on(running, tmp_path) as links:
        by_context = {link.context: link for link in await links.links()}
        assert (by_context["host"].cluster, by_context["host"].host) == ("host", True)
        assert (by_context["member"].cluster, by_context["member"].host) == ("member", False)
        assert {by_context[c].flavor for c in ("host", "member")} == {Flavor.V4}
        assert (await links.host()) == by_context["host"]
        answer = await links.fan_out(kube_system_uid)
        # The tenant's context reaches host too, but host is read once, as the session's user.
        assert answer.by_cluster() == {c: by_context[c].uid for c in ("host", "member")}
        assert answer.errors == ()


async def test_a_vanilla_cluster_is_linked_as_vanilla(fresh_sandbox: Fresh, tmp_path: Path) -> None:
    running = fresh_sandbox(kubesphere=False, pods=2)
    async with links_on(running, tmp_path) as links:
        link = next(link for link in await links.links() if link.context == "host")
        assert (link.flavor, link.error) == (Flavor.VANILLA, "")
        assert (await links.fan_out(kube_system_uid)).values() == [link.uid]


async def test_a_slow_cluster_misses_its_deadline_alone(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    running = fresh_sandbox(clusters=2, pods=3)
    async with links_on(running, tmp_path) as links:
        await links.links()
        running.call(running.cluster("member").faults.slow, 5.0, KUBE_SYSTEM)
        started = time.monotonic()
        answer = await links.fan_out(kube_system_uid, within=1.0)
        assert time.monotonic() - started < 4.0  # the member's 5 s never held the host up
        assert answer.by_cluster() == {"host": (await links.host()).uid}
        assert answer.errors_by_cluster() == {"member": "no answer within 1 s"}
        assert answer.warnings() == ["member: no answer within 1 s"]


async def test_a_throttled_cluster_is_an_error_and_its_retry_after_is_kept(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    running = fresh_sandbox(clusters=2, pods=3)
    async with links_on(running, tmp_path) as links:
        await links.links()
        assert links.retry_after.remaining() == 0
        running.call(running.cluster("member").faults.fail_next, 1, 429, KUBE_SYSTEM, 30)
        answer = await links.fan_out(kube_system_uid)
        assert answer.by_cluster() == {"host": (await links.host()).uid}
        assert list(answer.errors_by_cluster()) == ["member"]
        assert links.retry_after.remaining() > 20


async def test_an_unreachable_context_is_named_and_the_rest_answer(
    fresh_sandbox: Fresh, tmp_path: Path
) -> None:
    running = fresh_sandbox(clusters=2, pods=3)
    running.call(running.cluster("member").faults.hang)
    async with links_on(running, tmp_path, probe_timeout=1.0) as links:
        answer = await links.fan_out(kube_system_uid)
        assert answer.by_cluster() == {"host": (await links.host()).uid}
        assert [(e.where, e.reason) for e in answer.errors] == [("member", "no answer within 1 s")]
