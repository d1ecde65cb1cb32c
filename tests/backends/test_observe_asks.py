"""What each Observe level asks the API server, and when: the lists a level needs are asked at
once (asyncio.gather), not one after another, and no more than it needs (the clusters level
reads NodeMetrics only; a project's level reads its own PodMetrics, not the cluster's)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.observe_place import Place
from kstui.backends.observe_service import ObserveService
from kstui.backends.session import BackendSettings, Session
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client

METRICS = "/apis/metrics.k8s.io/v1beta1"
Asked = list[tuple[str, int, int]]
"""(path, when it was asked, when it was answered) in the order of events."""


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    found: Asked = []
    ticks = iter(range(1_000_000))
    plain = KubeClient.list_pages  # every list reads its pages through it

    async def recorded(self: KubeClient, path: str, *args: Any, **kwargs: Any) -> Any:
        began = next(ticks)
        await asyncio.sleep(0.05)  # a slower server: what waits on what shows
        try:
            async for page in plain(self, path, *args, **kwargs):
                yield page
        finally:
            if "cluster.kubesphere.io" not in path:  # which clusters there are: not the level's
                found.append((path, began, next(ticks)))

    monkeypatch.setattr(KubeClient, "list_pages", recorded)
    return found


def _service(sandbox: RunningSandbox, tmp_path: Path) -> ObserveService:
    config = load_kubeconfig(str(sandbox.kubeconfig))
    settings = BackendSettings(cache_dir=tmp_path / "cache")
    return ObserveService(Session(config, "host", "default", settings=settings))


def _all_at_once(asked: Asked) -> None:
    """Every list was asked before any was answered."""
    assert max(began for _, began, _ in asked) < min(ended for _, _, ended in asked), asked


async def test_the_clusters_level_asks_nodes_their_metrics_and_pods_at_once(
    sandbox: RunningSandbox, tmp_path: Path, asked: Asked
) -> None:
    service = _service(sandbox, tmp_path)
    try:
        await service.now(Place("clusters"))
    finally:
        await service.session.aclose()
    paths = Counter(path for path, _, _ in asked)  # once per cluster
    assert set(paths) == {f"{METRICS}/nodes", "/api/v1/nodes", "/api/v1/pods"}
    assert len(set(paths.values())) == 1, paths
    # the session's own pods first, while the contexts are mapped; the rest then at once
    early, *rest = sorted(asked, key=lambda entry: entry[1])
    assert early[0] == "/api/v1/pods", asked
    _all_at_once(rest)


async def test_a_cluster_asks_its_pods_their_metrics_nodes_and_theirs_at_once(
    sandbox: RunningSandbox, tmp_path: Path, asked: Asked
) -> None:
    service = _service(sandbox, tmp_path)
    try:
        await service.now(Place("cluster", context="host"))
    finally:
        await service.session.aclose()
    paths = sorted(path for path, _, _ in asked)
    assert paths == sorted([f"{METRICS}/nodes", f"{METRICS}/pods", "/api/v1/nodes", "/api/v1/pods"])
    _all_at_once(asked)


async def test_workspaces_ask_namespaces_pods_and_their_metrics_at_once(
    sandbox: RunningSandbox, tmp_path: Path, asked: Asked
) -> None:
    service = _service(sandbox, tmp_path)
    try:
        await service.now(Place("workspaces", context="host"))
    finally:
        await service.session.aclose()
    paths = sorted(path for path, _, _ in asked)
    assert paths == sorted([f"{METRICS}/pods", "/api/v1/namespaces", "/api/v1/pods"])
    _all_at_once(asked)


async def test_a_project_asks_its_own_pods_and_metrics_at_once(
    sandbox: RunningSandbox, tmp_path: Path, asked: Asked
) -> None:
    service = _service(sandbox, tmp_path)
    try:
        await service.now(Place("namespace", context="host", namespace="shop-prod"))
    finally:
        await service.session.aclose()
    paths = sorted(path for path, _, _ in asked)
    assert paths == sorted(
        [f"{METRICS}/namespaces/shop-prod/pods", "/api/v1/namespaces/shop-prod/pods"]
    )
    _all_at_once(asked)


async def test_opening_asks_each_context_who_it_is_once(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The section's first read maps the contexts (a SelfSubjectReview each), the session's
    backend identifies itself when it opens, and the screen asks who the bar should name, all
    at once: one review per context between them, not one each."""
    reviews: Counter[int] = Counter()
    plain = KubeClient.whoami

    async def counted(self: KubeClient) -> dict[str, Any]:
        reviews[id(self)] += 1
        await asyncio.sleep(0.05)  # a slower server: the askers overlap
        return await plain(self)

    monkeypatch.setattr(KubeClient, "whoami", counted)
    service = _service(sandbox, tmp_path)
    try:
        await service.session.backend("host").open()  # the app opens it: it asks who it is
        await asyncio.gather(service.now(Place("clusters")), service.clusters.whoami("host"))
    finally:
        await service.session.aclose()
    assert reviews, "no review asked"
    assert set(reviews.values()) == {1}, reviews


async def test_a_lists_next_page_is_asked_while_the_caller_reads_this_one(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A level makes each page of 10,000 pods into its rows as the page comes: the server
    works on the next page meanwhile instead of waiting for the caller."""
    asked_pages: list[str] = []
    plain = KubeClient.get

    async def counted(self: KubeClient, path: str, *args: Any, **kwargs: Any) -> Any:
        asked_pages.append(path)
        return await plain(self, path, *args, **kwargs)

    monkeypatch.setattr(KubeClient, "get", counted)
    client = sandbox_client(sandbox)
    try:
        seen, more = [], []
        async for page in client.list_pages("/api/v1/pods", limit=5):
            await asyncio.sleep(0.01)  # the caller reads this page
            seen.append(len(asked_pages))  # pages asked meanwhile
            more.append(bool(page["metadata"].get("continue")))
            if len(seen) == 3:
                break
    finally:
        await client.aclose()
    assert all(more)  # there were more pages each time
    assert seen == [2, 3, 4]
