"""TrafficService on the real sandbox: the list across contexts, creating a Strategy (§5.1's
prerequisites, the failing one named), and the vanilla variants (§7.4: an Istio VirtualService,
a Gateway API HTTPRoute) on a cluster without KubeSphere."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.backend import BackendSettings
from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.session import Session
from kstui.backends.traffic_create import NewStrategy
from kstui.backends.traffic_journal import Journal
from kstui.backends.traffic_model import Source, StrategyType
from kstui.backends.traffic_service import TrafficService
from kstui.backends.traffic_writes import Unmet
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client
from tests.traffic_seeds import deployment, seed_split, service, unique, wait_ready


@contextlib.asynccontextmanager
async def service_on(kubeconfig: Path, context: str, tmp: Path) -> AsyncIterator[TrafficService]:
    session = Session(
        load_kubeconfig(str(kubeconfig)),
        context,
        "default",
        settings=BackendSettings(cache_dir=tmp / "cache"),
    )
    try:
        yield TrafficService(session, journal=Journal(tmp / "journal.jsonl"))
    finally:
        await session.aclose()


@pytest.fixture
async def admin(sandbox: RunningSandbox) -> AsyncIterator[KubeClient]:
    client = sandbox_client(sandbox)
    yield client
    await client.aclose()


async def test_the_list_reads_every_cluster_with_weights_from_the_virtual_service(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    namespace, _ = await seed_split(admin, old=70)
    async with service_on(sandbox.kubeconfig, "host", tmp_path) as traffic:
        listing = await traffic.splits()
    seeded = next(s for s in listing.splits if s.namespace == "shop-prod")
    assert (seeded.name, seeded.type, seeded.cluster) == (
        "reviews-canary",
        StrategyType.CANARY,
        "host",
    )
    assert seeded.weights == (("v1", 80), ("v2", 20))
    assert seeded.governor == ""
    assert seeded.since_seen  # the sandbox keeps no managedFields: dated from first seen
    mine = next(s for s in listing.splits if s.namespace == namespace)
    assert mine.weights == (("v1", 70), ("v2", 30))
    assert listing.notes == []  # the member answered too (it has no Strategy)


async def test_create_names_the_failing_prerequisite_and_sends_nothing(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    namespace, _ = await seed_split(admin, with_strategy=False)
    await admin.patch(
        f"/api/v1/namespaces/{namespace}/services/reviews",
        {"metadata": {"annotations": {"servicemesh.kubesphere.io/enabled": None}}},
    )
    form = NewStrategy(namespace, "reviews", "reviews-canary", StrategyType.CANARY, "v1", "v2", 10)
    async with service_on(sandbox.kubeconfig, "host", tmp_path) as traffic:
        with pytest.raises(Unmet) as raised:
            await traffic.create("host", form)
    assert raised.value.problems == [
        'Service reviews lacks annotation servicemesh.kubesphere.io/enabled: "true"'
    ]
    listed = await admin.get(
        f"/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{namespace}/strategies"
    )
    assert listed["items"] == []


async def test_create_a_version_without_ready_replicas_is_named(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    namespace, _ = await seed_split(admin, with_strategy=False)
    await admin.patch(
        f"/apis/apps/v1/namespaces/{namespace}/deployments/reviews-v2", {"spec": {"replicas": 0}}
    )
    async with service_on(sandbox.kubeconfig, "host", tmp_path) as traffic:
        for _ in range(100):
            problems = await traffic.prerequisites("host", namespace, "reviews")
            if problems:
                break
    assert problems == ["Deployment reviews-v2 (version v2) has no ready replica"]


@pytest.mark.parametrize(
    ("kind", "rules"),
    [
        (
            StrategyType.CANARY,
            [
                {
                    "route": [
                        {"destination": {"host": "reviews", "subset": "v1"}, "weight": 90},
                        {"destination": {"host": "reviews", "subset": "v2"}, "weight": 10},
                    ]
                }
            ],
        ),
        (
            StrategyType.CONTENT,
            [
                {
                    "match": [{"headers": {"cookie": {"regex": "user=beta"}}}],
                    "route": [{"destination": {"host": "reviews", "subset": "v2"}, "weight": 100}],
                },
                {"route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 100}]},
            ],
        ),
        (
            StrategyType.MIRROR,
            [
                {
                    "route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 100}],
                    "mirror": {"host": "reviews", "subset": "v2"},
                }
            ],
        ),
    ],
    ids=["canary", "content", "mirror"],
)
async def test_create_posts_the_console_strategy(
    sandbox: RunningSandbox,
    admin: KubeClient,
    tmp_path: Path,
    kind: StrategyType,
    rules: list[dict[str, Any]],
) -> None:
    namespace, _ = await seed_split(admin, with_strategy=False)
    form = NewStrategy(
        namespace, "reviews", "reviews-x", kind, "v1", "v2", 10, header="cookie", value="user=beta"
    )
    async with service_on(sandbox.kubeconfig, "host", tmp_path) as traffic:
        created, warning = await traffic.create("host", form)
    spec = created["spec"]
    assert spec["strategyPolicy"] == "WaitForWorkloadReady"
    assert spec["principal"] == "v1"
    assert spec["type"] == ("Mirror" if kind is StrategyType.MIRROR else "Canary")
    assert created["metadata"]["annotations"]["kubesphere.io/creator"] == "admin"
    assert created["metadata"]["labels"]["app"] == "reviews"
    assert spec["template"]["spec"] == {"hosts": ["reviews"], "http": rules}
    assert warning == ""  # the matcher came back (a pruned one is said: test_traffic_model)


# ------------------------------------------------------------------ vanilla clusters (§7.4)


async def test_vanilla_istio_and_gateway_api_weights(fresh_sandbox: Any, tmp_path: Path) -> None:
    running = fresh_sandbox(kubesphere=False)
    client = sandbox_client(running)
    try:
        # a vanilla sandbox serves Istio's and Gateway API's CRDs (as a mesh-enabled cluster)
        namespace = unique("vanilla")
        await client.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
        await client.create(f"/api/v1/namespaces/{namespace}/services", service("reviews"))
        for version in ("v1", "v2"):
            await client.create(
                f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment("reviews", version)
            )
        await wait_ready(client, namespace, ("reviews-v1", "reviews-v2"))
        vs = {
            "apiVersion": "networking.istio.io/v1beta1",
            "kind": "VirtualService",
            "metadata": {"name": "reviews"},
            "spec": {
                "hosts": ["reviews"],
                "http": [
                    {
                        "match": [{"headers": {"x-beta": {"exact": "1"}}}],
                        "route": [{"destination": {"host": "reviews", "subset": "v2"}}],
                    },
                    {
                        "route": [
                            {"destination": {"host": "reviews", "subset": "v1"}, "weight": 90},
                            {"destination": {"host": "reviews", "subset": "v2"}, "weight": 10},
                        ],
                        "timeout": "5s",
                    },
                ],
            },
        }
        await client.create(
            f"/apis/networking.istio.io/v1beta1/namespaces/{namespace}/virtualservices", vs
        )
        route = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "shop"},
            "spec": {
                "parentRefs": [{"name": "gateway"}],
                "rules": [
                    {
                        "backendRefs": [
                            {"name": "shop-v1", "port": 80, "weight": 3},
                            {"name": "shop-v2", "port": 80, "weight": 1},
                        ]
                    }
                ],
            },
        }
        await client.create(
            f"/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes", route
        )
        async with service_on(running.kubeconfig, "host", tmp_path) as traffic:
            listing = await traffic.splits()
            by_source = {s.source: s for s in listing.splits if s.namespace == namespace}
            istio, gateway = by_source[Source.VIRTUAL_SERVICE], by_source[Source.HTTP_ROUTE]
            assert istio.weights == (("v1", 90), ("v2", 10))
            assert gateway.weights == (("shop-v1", 75), ("shop-v2", 25))
            written = await traffic.set_weight(istio, 40)
            assert written.sent.body == {
                "spec": {
                    "http": [
                        vs["spec"]["http"][0],
                        {
                            "route": [
                                {"destination": {"host": "reviews", "subset": "v1"}, "weight": 60},
                                {"destination": {"host": "reviews", "subset": "v2"}, "weight": 40},
                            ],
                            "timeout": "5s",
                        },
                    ]
                },
                "metadata": {"resourceVersion": istio.resource_version},
            }
            assert written.after.weights == (("v1", 60), ("v2", 40))
            moved = await traffic.set_weight(gateway, 50)
            assert moved.sent.body == {
                "spec": {
                    "rules": [
                        {
                            # the rule array as read: with the defaults Gateway API's schema adds
                            "backendRefs": [
                                {
                                    "group": "",
                                    "kind": "Service",
                                    "name": n,
                                    "port": 80,
                                    "weight": 50,
                                }
                                for n in ("shop-v1", "shop-v2")
                            ],
                            "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        }
                    ]
                },
                "metadata": {"resourceVersion": gateway.resource_version},
            }
            stored = await client.get(
                f"/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes/shop"
            )
            assert [r["weight"] for r in stored["spec"]["rules"][0]["backendRefs"]] == [50, 50]
    finally:
        await client.aclose()


async def test_create_refuses_mirror_on_a_tcp_service(
    sandbox: RunningSandbox, admin: KubeClient, tmp_path: Path
) -> None:
    namespace, _ = await seed_split(admin, protocol="tcp", with_strategy=False)
    form = NewStrategy(namespace, "reviews", "reviews-m", StrategyType.MIRROR, "v1", "v2")
    async with service_on(sandbox.kubeconfig, "host", tmp_path) as traffic:
        with pytest.raises(Unmet) as raised:
            await traffic.create("host", form)
    assert raised.value.problems == ["Service reviews is TCP (port 'tcp-db'): Mirror needs HTTP"]
