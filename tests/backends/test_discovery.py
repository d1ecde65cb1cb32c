"""Discovery against the sandbox: aggregated and legacy, the disk cache, CRDs made at run time."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from kstui.backends.discovery import Discovery, cache_key
from kstui.backends.errors import ServerError, Unauthorized, Unreachable
from kstui.backends.kinds import UnknownKind
from kstui.backends.kube import TABLE_ACCEPT, KubeClient
from tests.conftest import RunningSandbox
from tests.connections import SandboxConnection, sandbox_client

MODES = [pytest.param(False, id="aggregated"), pytest.param(True, id="legacy")]


class NowhereConnection:
    """A server nobody listens on: any request fails, so an answer must come from the cache."""

    context_name = "nowhere"
    server = "https://127.0.0.1:1"
    verify: ssl.SSLContext | bool = False
    proxy = None

    async def auth_headers(self) -> dict[str, str]:
        return {}

    async def refresh(self) -> bool:
        return False


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[KubeClient]:
    kube = sandbox_client(sandbox)
    yield kube
    await kube.aclose()


@pytest.fixture
async def nowhere() -> AsyncIterator[KubeClient]:
    kube = KubeClient(NowhereConnection(), timeout=5)  # type: ignore[arg-type]
    yield kube
    await kube.aclose()


@pytest.mark.parametrize("legacy", MODES)
async def test_both_modes_find_core_grouped_and_kubesphere_kinds(
    sandbox: RunningSandbox, client: KubeClient, tmp_path: Path, legacy: bool
) -> None:
    discovery = Discovery(client, tmp_path, sandbox.url(), legacy=legacy)
    kinds = await discovery.load()
    assert discovery.fetched_with == ("legacy" if legacy else "aggregated")
    assert discovery.failed_groups == ()

    pods = kinds.resolve("po")
    assert (pods.group, pods.version, pods.resource, pods.namespaced) == ("", "v1", "pods", True)
    assert pods.subresources >= {"log", "status", "exec"}
    assert pods.can("watch")
    assert "all" in pods.categories
    assert kinds.resolve("pods") is pods
    assert kinds.resolve("Pod") is pods

    deployments = kinds.resolve("deployments.apps")
    assert deployments.api_version == "apps/v1"
    assert deployments.short_names == ("deploy",)
    assert deployments.subresources == {"scale", "status"}

    templates = kinds.resolve("workspacetemplates")
    # v1alpha2 is served too; the preferred version is v1beta1.
    assert templates.api_version == "tenant.kubesphere.io/v1beta1"
    assert (templates.kind, templates.namespaced, templates.categories) == (
        "WorkspaceTemplate",
        False,
        ("tenant",),
    )
    assert templates.path(name="ws") == "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates/ws"

    clusters = kinds.resolve("clusters.cluster.kubesphere.io")
    assert (clusters.group, clusters.version, clusters.kind) == (
        "cluster.kubesphere.io",
        "v1alpha1",
        "Cluster",
    )
    assert kinds.resolve("Cluster") is clusters

    releases = kinds.resolve("applicationreleases")
    assert releases.short_names == ("apprls",)
    assert kinds.resolve("apprls") is releases

    # Two groups serve these names: core and the built-in groups win, as in kubectl.
    assert kinds.resolve("events").group == ""
    assert kinds.resolve("ev").group == ""
    assert kinds.resolve("events.events.k8s.io").group == "events.k8s.io"
    assert kinds.resolve("roles").group == "rbac.authorization.k8s.io"
    assert kinds.resolve("roles.iam.kubesphere.io").version == "v1beta1"
    assert kinds.resolve("resourcequotas").group == ""
    assert kinds.resolve("nodes").group == ""
    assert kinds.resolve("nodes.metrics.k8s.io").verbs == {"get", "list"}

    # What the sandbox announces as a subresource is not a kind of its own.
    with pytest.raises(UnknownKind):
        kinds.resolve("pods/log")


# kubectl's resource names and short names for the built-in groups beyond workloads, the
# (group, version, kind, namespaced) the resource browser must find, and the Table's columns.
BUILTIN_GROUP_KINDS = {
    "pdb": ("policy", "v1", "PodDisruptionBudget", True, "Allowed Disruptions"),
    "hpa": ("autoscaling", "v2", "HorizontalPodAutoscaler", True, "Targets"),
    "sc": ("storage.k8s.io", "v1", "StorageClass", False, "VolumeBindingMode"),
    "csidrivers": ("storage.k8s.io", "v1", "CSIDriver", False, "AttachRequired"),
    "csinodes": ("storage.k8s.io", "v1", "CSINode", False, "Drivers"),
    "volumeattachments": ("storage.k8s.io", "v1", "VolumeAttachment", False, "Attacher"),
    "pc": ("scheduling.k8s.io", "v1", "PriorityClass", False, "Global-Default"),
    "endpointslices": ("discovery.k8s.io", "v1", "EndpointSlice", True, "AddressType"),
    "runtimeclasses": ("node.k8s.io", "v1", "RuntimeClass", False, "Handler"),
    "csr": ("certificates.k8s.io", "v1", "CertificateSigningRequest", False, "SignerName"),
    "validatingwebhookconfigurations": (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        False,
        "Webhooks",
    ),
    "mutatingwebhookconfigurations": (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        False,
        "Webhooks",
    ),
    "apiservices": ("apiregistration.k8s.io", "v1", "APIService", False, "Available"),
    "flowschemas": (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "FlowSchema",
        False,
        "MatchingPrecedence",
    ),
    "prioritylevelconfigurations": (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "PriorityLevelConfiguration",
        False,
        "HandSize",
    ),
    "rc": ("", "v1", "ReplicationController", True, "Desired"),
    "podtemplates": ("", "v1", "PodTemplate", True, "Pod Labels"),
    "pv": ("", "v1", "PersistentVolume", False, "Claim"),
}


@pytest.mark.parametrize("legacy", MODES)
async def test_the_resource_browser_finds_every_built_in_group(
    sandbox: RunningSandbox, client: KubeClient, tmp_path: Path, legacy: bool
) -> None:
    kinds = await Discovery(client, tmp_path, sandbox.url(), legacy=legacy).load()
    for name, (group, version, kind_name, namespaced, column) in BUILTIN_GROUP_KINDS.items():
        kind = kinds.resolve(name)
        assert (kind.group, kind.version, kind.kind, kind.namespaced) == (
            group,
            version,
            kind_name,
            namespaced,
        ), name
        assert kind.can("list"), name
        assert kind.can("watch"), name
        table = await client.list(kind.path(), accept=TABLE_ACCEPT)
        assert column in [c["name"] for c in table["columnDefinitions"]], name
    assert "eviction" in kinds.resolve("pods").subresources
    assert "token" in kinds.resolve("serviceaccounts").subresources


async def test_aggregated_and_legacy_agree_on_every_kind(
    sandbox: RunningSandbox, client: KubeClient, tmp_path: Path
) -> None:
    aggregated = await Discovery(client, tmp_path / "a", sandbox.url()).load()
    legacy = await Discovery(client, tmp_path / "l", sandbox.url(), legacy=True).load()
    assert len(aggregated) > 50
    assert set(aggregated) == set(legacy)
    assert aggregated.aliases() == legacy.aliases()


async def test_cache_is_written_atomically_and_reused_without_a_request(
    sandbox: RunningSandbox, client: KubeClient, nowhere: KubeClient, tmp_path: Path
) -> None:
    first = Discovery(client, tmp_path, sandbox.url())
    assert first.cached() is None
    kinds = await first.load()

    port = sandbox.url().rsplit(":", 1)[1]
    assert first.cache_path == tmp_path / f"127.0.0.1_{port}" / "kinds.json"
    assert sorted(p.name for p in first.cache_path.parent.iterdir()) == ["kinds.json"]
    stored = orjson.loads(first.cache_path.read_bytes())
    assert stored["server"] == sandbox.url()
    assert stored["fetchedWith"] == "aggregated"

    # Same server and directory, but a client that cannot reach anything: only the cache answers.
    second = Discovery(nowhere, tmp_path, sandbox.url())
    reused = await second.load()
    assert list(reused) == list(kinds)
    assert second.fetched_with is None
    assert reused.resolve("apprls").resource == "applicationreleases"
    cached = second.cached()
    assert cached is not None
    assert list(cached) == list(kinds)

    # Past its ttl the cache is not trusted: the fetch is attempted, and fails typed.
    expired = Discovery(nowhere, tmp_path, sandbox.url(), ttl=0)
    with pytest.raises(Unreachable):
        await expired.load()
    assert expired.cached() is not None  # the first frame can still use the old copy
    with pytest.raises(Unreachable):
        await second.load(force=True)

    # Another server's cache lives elsewhere; the member cluster's is not mistaken for host's.
    other = Discovery(nowhere, tmp_path, sandbox.url("member"))
    assert other.cached() is None
    assert cache_key("https://10.0.0.1:6443/k8s/clusters/c-1") == "10.0.0.1_6443_k8s_clusters_c-1"


async def test_damaged_cache_is_ignored_and_replaced(
    sandbox: RunningSandbox, client: KubeClient, tmp_path: Path
) -> None:
    discovery = Discovery(client, tmp_path, sandbox.url())
    discovery.cache_path.parent.mkdir(parents=True)
    discovery.cache_path.write_bytes(
        b'{"format": 1, "server": "' + sandbox.url().encode() + b'", "kinds": [{"group": '
    )
    assert discovery.cached() is None
    kinds = await discovery.load()
    assert kinds.resolve("po").resource == "pods"
    assert discovery.fetched_with == "aggregated"
    assert discovery.cached() is not None


@pytest.mark.parametrize("legacy", MODES)
async def test_crd_created_at_run_time_is_found_after_a_forced_load(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path, legacy: bool
) -> None:
    running = fresh_sandbox()
    kube = sandbox_client(running)
    try:
        before = await Discovery(kube, tmp_path, running.url(), legacy=legacy).load()
        with pytest.raises(UnknownKind):
            before.resolve("gizmos")

        crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
        await kube.create(crd_path, _gizmo_crd())
        await _wait_established(kube, f"{crd_path}/gizmos.toys.example.com")

        discovery = Discovery(kube, tmp_path, running.url(), legacy=legacy)
        stale = await discovery.load()  # the disk cache is young: no request, no gizmos
        assert discovery.fetched_with is None
        with pytest.raises(UnknownKind):
            stale.resolve("gizmos")

        fresh = await discovery.load(force=True)
        gizmos = fresh.resolve("gizmos")
        assert (gizmos.group, gizmos.version, gizmos.kind) == ("toys.example.com", "v2", "Gizmo")
        assert fresh.resolve("gz") is gizmos
        assert fresh.resolve("Gizmo") is gizmos
        assert fresh.resolve("gizmos.toys.example.com") is gizmos
        assert gizmos.categories == ("toys",)
        assert gizmos.subresources == {"status", "scale"}
        assert (
            gizmos.path("play", "g1", "scale")
            == "/apis/toys.example.com/v2/namespaces/play/gizmos/g1/scale"
        )

        # The refetch replaced the disk copy too: a new Discovery sees gizmos without asking.
        assert (await Discovery(kube, tmp_path, running.url()).load()).resolve("gz") == gizmos
    finally:
        await kube.aclose()


async def test_resolve_refetches_once_for_an_unknown_name(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False)
    kube = sandbox_client(running)
    try:
        discovery = Discovery(kube, tmp_path, running.url())
        assert (await discovery.resolve("deploy")).resource == "deployments"
        assert discovery.fetched_with == "aggregated"
        with pytest.raises(UnknownKind):
            await discovery.resolve("workspacetemplates")  # no KubeSphere on this cluster

        await kube.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", _gizmo_crd())
        assert (await discovery.resolve("gz")).kind == "Gizmo"
        # Concurrent forced loads share one fetch rather than queueing several.
        results = await asyncio.gather(*(discovery.load(force=True) for _ in range(5)))
        assert all(r is results[0] for r in results)
    finally:
        await kube.aclose()


async def test_server_errors_propagate_typed(
    sandbox: RunningSandbox, client: KubeClient, tmp_path: Path
) -> None:
    sandbox.call(sandbox.cluster().faults.fail_next, 1, 500, "/apis")
    discovery = Discovery(client, tmp_path, sandbox.url())
    with pytest.raises(ServerError):
        await discovery.load()
    assert discovery.cached() is None

    connection = SandboxConnection(sandbox)
    connection.token = "not-a-token"
    refused = KubeClient(connection)  # type: ignore[arg-type]
    try:
        with pytest.raises(Unauthorized):
            await Discovery(refused, tmp_path, sandbox.url(), legacy=True).load()
    finally:
        await refused.aclose()


async def test_legacy_walk_survives_a_broken_group_but_does_not_cache_it(
    sandbox: RunningSandbox, client: KubeClient, tmp_path: Path
) -> None:
    sandbox.call(sandbox.cluster().faults.fail_next, 1, 503, "/apis/metrics.k8s.io")
    discovery = Discovery(client, tmp_path, sandbox.url(), legacy=True)
    partial = await discovery.load()
    assert discovery.failed_groups == ("metrics.k8s.io/v1beta1",)
    assert partial.resolve("po").resource == "pods"
    with pytest.raises(UnknownKind):
        partial.resolve("nodes.metrics.k8s.io")
    assert discovery.cached() is None

    complete = await discovery.load()  # a partial answer is not fresh: fetch again
    assert not discovery.failed_groups
    assert complete.resolve("nodes.metrics.k8s.io").kind == "NodeMetrics"
    assert discovery.cached() is not None


def _gizmo_crd() -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    scale = {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.toys.example.com"},
        "spec": {
            "group": "toys.example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "gizmos",
                "singular": "gizmo",
                "kind": "Gizmo",
                "shortNames": ["gz"],
                "categories": ["toys"],
            },
            "versions": [
                {"name": "v1", "served": True, "storage": False, "schema": schema},
                {
                    "name": "v2",
                    "served": True,
                    "storage": True,
                    "schema": schema,
                    "subresources": {"status": {}, "scale": scale},
                },
            ],
        },
    }


async def _wait_established(kube: KubeClient, path: str) -> None:
    async with asyncio.timeout(10):
        while True:
            crd = await kube.get(path)
            conditions = (crd.get("status") or {}).get("conditions") or ()
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                return
            await asyncio.sleep(0.05)
