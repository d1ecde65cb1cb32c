"""The built-in groups beyond workloads (policy, autoscaling, storage, scheduling, discovery, node,
certificates, admission, aggregation, flow control; core RCs and PodTemplates): discovery, lists,
watches and kubectl's Table columns, the seeded objects, EndpointSlices that follow pods,
evictions refused by a PodDisruptionBudget, and HPA v1/v2 conversion. Real HTTP (httpx)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_http import AGGREGATED, TABLE, connect, ok

Fresh = Callable[..., RunningSandbox]

# (group, version, plural, namespaced, kind, kubectl's column headers)
KINDS = [
    (
        "",
        "v1",
        "replicationcontrollers",
        True,
        "ReplicationController",
        ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"],
    ),
    ("", "v1", "podtemplates", True, "PodTemplate", ["Name", "Containers", "Images", "Pod Labels"]),
    (
        "",
        "v1",
        "persistentvolumes",
        False,
        "PersistentVolume",
        [
            "Name",
            "Capacity",
            "Access Modes",
            "Reclaim Policy",
            "Status",
            "Claim",
            "StorageClass",
            "VolumeAttributesClass",
            "Reason",
            "Age",
            "VolumeMode",
        ],
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        True,
        "PodDisruptionBudget",
        ["Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"],
    ),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        True,
        "HorizontalPodAutoscaler",
        ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
    ),
    (
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        True,
        "HorizontalPodAutoscaler",
        ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"],
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        False,
        "StorageClass",
        [
            "Name",
            "Provisioner",
            "ReclaimPolicy",
            "VolumeBindingMode",
            "AllowVolumeExpansion",
            "Age",
        ],
    ),
    (
        "storage.k8s.io",
        "v1",
        "csidrivers",
        False,
        "CSIDriver",
        [
            "Name",
            "AttachRequired",
            "PodInfoOnMount",
            "StorageCapacity",
            "TokenRequests",
            "RequiresRepublish",
            "Modes",
            "Age",
        ],
    ),
    ("storage.k8s.io", "v1", "csinodes", False, "CSINode", ["Name", "Drivers", "Age"]),
    (
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        False,
        "VolumeAttachment",
        ["Name", "Attacher", "PV", "Node", "Attached", "Age"],
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        False,
        "PriorityClass",
        ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"],
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        True,
        "EndpointSlice",
        ["Name", "AddressType", "Ports", "Endpoints", "Age"],
    ),
    ("node.k8s.io", "v1", "runtimeclasses", False, "RuntimeClass", ["Name", "Handler", "Age"]),
    (
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        False,
        "CertificateSigningRequest",
        ["Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        False,
        "ValidatingWebhookConfiguration",
        ["Name", "Webhooks", "Age"],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        False,
        "MutatingWebhookConfiguration",
        ["Name", "Webhooks", "Age"],
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        False,
        "APIService",
        ["Name", "Service", "Available", "Age"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "flowschemas",
        False,
        "FlowSchema",
        ["Name", "PriorityLevel", "MatchingPrecedence", "DistinguisherMethod", "Age", "MissingPL"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "prioritylevelconfigurations",
        False,
        "PriorityLevelConfiguration",
        [
            "Name",
            "Type",
            "NominalConcurrencyShares",
            "Queues",
            "HandSize",
            "QueueLengthLimit",
            "Age",
        ],
    ),
]
SEEDED_EMPTY = {"replicationcontrollers", "podtemplates"}
KIND_IDS = [f"{k[2]}.{k[1]}" for k in KINDS]


def base(group: str, version: str) -> str:
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


@pytest.fixture(scope="module")
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(sandbox) as client:
        yield client


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll until `check` returns something truthy (controllers run on the sandbox's loop)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, "condition not reached in time"
            return result
        time.sleep(0.05)


# ------------------------------------------------------------------ discovery, lists, watches


def test_legacy_discovery_lists_every_new_group_and_kind(http: httpx.Client) -> None:
    groups = {g["name"]: g for g in ok(http.get("/apis"))["groups"]}
    assert groups["autoscaling"]["preferredVersion"]["version"] == "v2"
    assert [v["version"] for v in groups["autoscaling"]["versions"]] == ["v2", "v1"]
    for group, version, plural, namespaced, kind, _ in KINDS:
        if group:
            assert version in [v["version"] for v in groups[group]["versions"]], group
        resources = {r["name"]: r for r in ok(http.get(base(group, version)))["resources"]}
        entry = resources[plural]
        assert (entry["kind"], entry["namespaced"]) == (kind, namespaced)
        assert {"get", "list", "watch", "create"} <= set(entry["verbs"])
    core = {r["name"]: r for r in ok(http.get("/api/v1"))["resources"]}
    assert core["pods/eviction"] == {
        "name": "pods/eviction",
        "singularName": "",
        "namespaced": True,
        "kind": "Eviction",
        "verbs": ["create"],
        "group": "policy",
        "version": "v1",
    }
    assert core["serviceaccounts/token"]["kind"] == "TokenRequest"
    assert core["replicationcontrollers"]["shortNames"] == ["rc"]
    policy = {r["name"]: r for r in ok(http.get("/apis/policy/v1"))["resources"]}
    assert policy["poddisruptionbudgets"]["shortNames"] == ["pdb"]
    assert "poddisruptionbudgets/status" in policy


def test_aggregated_discovery_lists_every_new_group_and_kind(http: httpx.Client) -> None:
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in ("/api", "/apis"):
        answer = ok(http.get(path, headers={"Accept": AGGREGATED}))
        for item in answer["items"]:
            for version in item["versions"]:
                for resource in version["resources"]:
                    found[(item["metadata"]["name"], version["version"], resource["resource"])] = (
                        resource
                    )
    for group, version, plural, namespaced, kind, _ in KINDS:
        resource = found[(group, version, plural)]
        assert resource["responseKind"]["kind"] == kind
        assert resource["scope"] == ("Namespaced" if namespaced else "Cluster")
    assert found[("autoscaling", "v2", "horizontalpodautoscalers")]["categories"] == ["all"]
    assert found[("storage.k8s.io", "v1", "storageclasses")]["shortNames"] == ["sc"]


@pytest.mark.parametrize("spec", KINDS, ids=KIND_IDS)
def test_each_kind_lists_as_a_table_with_kubectls_columns_and_watches(
    http: httpx.Client, spec: tuple[Any, ...]
) -> None:
    group, version, plural, _, kind, columns = spec
    path = f"{base(group, version)}/{plural}"
    listed = ok(http.get(path))
    assert listed["kind"] == f"{kind}List"
    assert listed["apiVersion"] == (f"{group}/{version}" if group else version)
    if plural not in SEEDED_EMPTY:
        assert listed["items"], f"nothing seeded for {plural}"
    table = ok(http.get(path, headers={"Accept": TABLE}))
    assert [c["name"] for c in table["columnDefinitions"]] == columns
    assert all(len(row["cells"]) == len(columns) for row in table["rows"])
    assert len(table["rows"]) == len(listed["items"])
    # a watch from "0" starts with every object as ADDED
    with http.stream(
        "GET", path, params={"watch": "1", "resourceVersion": "0", "timeoutSeconds": "1"}
    ) as response:
        assert response.status_code == 200
        events = [json.loads(line) for line in response.iter_lines() if line]
    added = [e for e in events if e["type"] == "ADDED"]
    assert len(added) == len(listed["items"])
    assert all(e["object"]["kind"] == kind for e in added)


def test_table_cells_read_like_kubectl(http: httpx.Client) -> None:
    def rows(path: str) -> dict[str, list[Any]]:
        table = ok(http.get(path, headers={"Accept": TABLE}))
        return {row["cells"][0]: row["cells"] for row in table["rows"]}

    classes = rows("/apis/storage.k8s.io/v1/storageclasses")
    assert classes["standard (default)"][1:5] == [
        "rancher.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
        False,
    ]
    assert classes["fast-ssd"][1:5] == ["hostpath.csi.k8s.io", "Retain", "Immediate", True]
    hpas = rows("/apis/autoscaling/v2/namespaces/payments/horizontalpodautoscalers")
    assert hpas["web"][1] == "Deployment/web"
    assert hpas["web"][2].startswith("cpu: ")
    assert hpas["web"][2].endswith("%/80%")
    budgets = rows("/apis/policy/v1/namespaces/payments/poddisruptionbudgets")
    assert budgets["db"][1:3] == ["<none>", "1"]
    priorities = rows("/apis/scheduling.k8s.io/v1/priorityclasses")
    assert priorities["system-node-critical"][1:3] == [2000001000, False]
    assert priorities["batch-low"][4] == "Never"
    services = rows("/apis/apiregistration.k8s.io/v1/apiservices")
    assert services["v1beta1.metrics.k8s.io"][1:3] == ["kube-system/metrics-server", "True"]
    assert services["v1."][1:3] == ["Local", "True"]
    slices = rows("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices")
    assert slices["kubernetes"][1:4] == ["IPv4", "6443", "172.18.0.10"]


# ------------------------------------------------------------------ seeded objects


def test_seeded_volumes_are_bound_both_ways(http: httpx.Client) -> None:
    volumes = ok(http.get("/api/v1/persistentvolumes"))["items"]
    claims = {
        (c["metadata"]["namespace"], c["metadata"]["name"]): c
        for c in ok(http.get("/api/v1/persistentvolumeclaims"))["items"]
    }
    assert volumes
    assert len(claims) >= len(volumes)
    for volume in volumes:
        ref = volume["spec"]["claimRef"]
        claim = claims[(ref["namespace"], ref["name"])]
        assert ref["uid"] == claim["metadata"]["uid"]
        assert claim["spec"]["volumeName"] == volume["metadata"]["name"]
        assert claim["status"]["phase"] == volume["status"]["phase"] == "Bound"
        assert claim["status"]["capacity"] == volume["spec"]["capacity"]
    attached = ok(http.get("/apis/storage.k8s.io/v1/volumeattachments"))["items"]
    names = {v["metadata"]["name"] for v in volumes}
    assert attached
    assert all(a["spec"]["source"]["persistentVolumeName"] in names for a in attached)


def test_seeded_autoscalers_budgets_and_slices_match_the_workloads(http: httpx.Client) -> None:
    hpa = ok(http.get("/apis/autoscaling/v2/namespaces/payments/horizontalpodautoscalers/api"))
    deployment = ok(http.get("/apis/apps/v1/namespaces/payments/deployments/api"))
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "api",
    }
    assert hpa["status"]["currentReplicas"] == deployment["spec"]["replicas"]
    pdb = ok(http.get("/apis/policy/v1/namespaces/shop-prod/poddisruptionbudgets/reviews-v1"))
    status = pdb["status"]
    assert status["observedGeneration"] == pdb["metadata"]["generation"]
    assert status["expectedPods"] == 2
    assert status["desiredHealthy"] == 1
    assert status["disruptionsAllowed"] == status["currentHealthy"] - 1
    [reviews] = ok(
        http.get(
            "/apis/discovery.k8s.io/v1/namespaces/shop-prod/endpointslices",
            params={"labelSelector": "kubernetes.io/service-name=reviews"},
        )
    )["items"]
    service = ok(http.get("/api/v1/namespaces/shop-prod/services/reviews"))
    assert reviews["metadata"]["ownerReferences"][0]["uid"] == service["metadata"]["uid"]
    assert (
        reviews["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
        == "endpointslice-controller.k8s.io"
    )
    assert reviews["ports"] == [{"name": "http-web", "port": 9080, "protocol": "TCP"}]
    assert {e["targetRef"]["name"] for e in reviews["endpoints"]} >= {
        "reviews-v1-5d8c9f7b6c-2xk7p",
        "reviews-v1-5d8c9f7b6c-q9w4m",
    }
    hooks = ok(http.get("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"))
    assert (
        hooks["items"][0]["webhooks"][0]["clientConfig"]["service"]["namespace"]
        == "kubesphere-system"
    )


def test_hpa_is_served_and_written_as_v1_too(http: httpx.Client) -> None:
    path = "/apis/autoscaling/v1/namespaces/payments/horizontalpodautoscalers"
    web = ok(http.get(f"{path}/web"))
    assert web["apiVersion"] == "autoscaling/v1"
    assert web["spec"]["targetCPUUtilizationPercentage"] == 80
    assert "metrics" not in web["spec"]
    assert isinstance(web["status"]["currentCPUUtilizationPercentage"], int)
    made = ok(
        http.post(
            path,
            json={
                "apiVersion": "autoscaling/v1",
                "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "v1-made"},
                "spec": {
                    "scaleTargetRef": {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": "worker",
                    },
                    "minReplicas": 1,
                    "maxReplicas": 4,
                    "targetCPUUtilizationPercentage": 65,
                },
            },
        ),
        201,
    )
    assert made["apiVersion"] == "autoscaling/v1"
    assert made["spec"]["targetCPUUtilizationPercentage"] == 65
    stored = ok(
        http.get("/apis/autoscaling/v2/namespaces/payments/horizontalpodautoscalers/v1-made")
    )
    assert stored["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 65},
            },
        }
    ]
    ok(http.delete(f"{path}/v1-made"))


# ------------------------------------------------------------------ controllers, evictions

NS = "grp"


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "ports": [{"name": "http", "containerPort": 8080}],
                        }
                    ]
                },
            },
        },
    }


@contextlib.contextmanager
def _frozen(fresh_sandbox: Fresh) -> Iterator[tuple[RunningSandbox, httpx.Client]]:
    """A sandbox on a frozen clock with an empty namespace NS, and a client to it."""
    running = fresh_sandbox(frozen=True, pods=0, kubesphere=False)
    with connect(running) as http:
        ok(
            http.post(
                "/api/v1/namespaces",
                json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            ),
            201,
        )
        yield running, http


def _advance(running: RunningSandbox, seconds: float) -> None:
    running.call(running.cluster().clock.advance, seconds)


def _pods(http: httpx.Client, app: str) -> list[dict[str, Any]]:
    return ok(http.get(f"/api/v1/namespaces/{NS}/pods", params={"labelSelector": f"app={app}"}))[
        "items"
    ]


def _slice(http: httpx.Client, service: str) -> dict[str, Any] | None:
    found = ok(
        http.get(
            f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices",
            params={"labelSelector": f"kubernetes.io/service-name={service}"},
        )
    )
    return found["items"][0] if found["items"] else None


def _ready_ips(http: httpx.Client, service: str) -> set[str]:
    found = _slice(http, service) or {}
    return {e["addresses"][0] for e in found.get("endpoints") or [] if e["conditions"]["ready"]}


def _pod_ips(http: httpx.Client, app: str) -> set[str]:
    return {p["status"].get("podIP") for p in _pods(http, app) if p["status"].get("podIP")}


def test_an_endpointslice_follows_its_services_pods(fresh_sandbox: Fresh) -> None:
    with _frozen(fresh_sandbox) as (running, http):
        ok(http.post(f"/apis/apps/v1/namespaces/{NS}/deployments", json=_deployment("web", 2)), 201)
        ok(
            http.post(
                f"/api/v1/namespaces/{NS}/services",
                json={
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "web"},
                    "spec": {
                        "selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                    },
                },
            ),
            201,
        )
        made = wait_for(lambda: _slice(http, "web"))
        assert made["endpoints"] == []  # the pods have no IP yet
        assert made["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
        _advance(running, 5)
        wait_for(lambda: len(_ready_ips(http, "web")) == 2)
        assert _ready_ips(http, "web") == _pod_ips(http, "web")
        endpoint = _slice(http, "web")["endpoints"][0]  # type: ignore[index]
        assert endpoint["targetRef"]["kind"] == "Pod"
        assert endpoint["nodeName"]

        ok(
            http.patch(
                f"/apis/apps/v1/namespaces/{NS}/deployments/web",
                json={"spec": {"replicas": 3}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
        )
        wait_for(lambda: len(_pods(http, "web")) == 3)
        _advance(running, 5)
        wait_for(lambda: len(_ready_ips(http, "web")) == 3)
        gone = _pods(http, "web")[0]
        ok(http.delete(f"/api/v1/namespaces/{NS}/pods/{gone['metadata']['name']}"))
        wait_for(lambda: gone["status"]["podIP"] not in _ready_ips(http, "web"))
        _advance(running, 5)
        wait_for(lambda: len(_ready_ips(http, "web")) == 3)
        assert _ready_ips(http, "web") == _pod_ips(http, "web")

        ok(
            http.patch(
                f"/api/v1/namespaces/{NS}/services/web",
                json={"spec": {"selector": {"app": "nobody"}}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
        )
        wait_for(lambda: _slice(http, "web")["endpoints"] == [])  # type: ignore[index]
        ok(http.delete(f"/api/v1/namespaces/{NS}/services/web"))
        wait_for(lambda: _slice(http, "web") is None)


def _budget(name: str, app: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": app}}, **spec},
    }


def _evict(http: httpx.Client, pod: str) -> httpx.Response:
    return http.post(
        f"/api/v1/namespaces/{NS}/pods/{pod}/eviction",
        json={
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": pod, "namespace": NS},
        },
    )


def test_evictions_honour_disruption_budgets(fresh_sandbox: Fresh) -> None:
    pdbs = f"/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets"
    with _frozen(fresh_sandbox) as (running, http):
        ok(http.post(f"/apis/apps/v1/namespaces/{NS}/deployments", json=_deployment("db", 2)), 201)
        wait_for(lambda: len(_pods(http, "db")) == 2)
        _advance(running, 5)
        ok(http.post(pdbs, json=_budget("db", "db", minAvailable=2)), 201)
        status = wait_for(
            lambda: (
                (ok(http.get(f"{pdbs}/db")).get("status") or {}).get("observedGeneration")
                and ok(http.get(f"{pdbs}/db"))["status"]
            )
        )
        assert {
            k: status[k]
            for k in ("currentHealthy", "desiredHealthy", "disruptionsAllowed", "expectedPods")
        } == {"currentHealthy": 2, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 2}
        victim = _pods(http, "db")[0]["metadata"]["name"]
        refused = _evict(http, victim)
        assert refused.status_code == 429, refused.text
        body = refused.json()
        assert (body["reason"], body["message"]) == (
            "TooManyRequests",
            "Cannot evict pod as it would violate the pod's disruption budget.",
        )
        assert body["details"]["causes"] == [
            {
                "reason": "DisruptionBudget",
                "message": "The disruption budget db needs 2 healthy pods and has 2 currently",
            }
        ]
        assert http.get(f"/api/v1/namespaces/{NS}/pods/{victim}").status_code == 200

        ok(
            http.patch(
                f"{pdbs}/db",
                json={"spec": {"minAvailable": 1}},
                headers={"Content-Type": "application/merge-patch+json"},
            )
        )
        wait_for(lambda: ok(http.get(f"{pdbs}/db"))["status"]["disruptionsAllowed"] == 1)
        evicted = _evict(http, victim)
        assert evicted.status_code == 201, evicted.text
        assert evicted.json()["status"] == "Success"
        assert http.get(f"/api/v1/namespaces/{NS}/pods/{victim}").status_code == 404
        # the one allowed disruption is spent until the replacement is ready
        other = next(
            p["metadata"]["name"]
            for p in _pods(http, "db")
            if p["metadata"]["name"] != victim and p["status"].get("podIP")
        )
        assert _evict(http, other).status_code == 429
        _advance(running, 5)
        wait_for(lambda: ok(http.get(f"{pdbs}/db"))["status"]["disruptionsAllowed"] == 1)
        # a pod no budget covers goes at once; a missing one is 404
        ok(
            http.post(f"/apis/apps/v1/namespaces/{NS}/deployments", json=_deployment("free", 1)),
            201,
        )
        [free] = wait_for(lambda: _pods(http, "free"))
        assert _evict(http, free["metadata"]["name"]).status_code == 201
        assert _evict(http, "nosuch").status_code == 404
