"""Protobuf request bodies over HTTP, one kind per served group plus updates, /status, /scale
and DeleteOptions: the same object sent as protobuf and as JSON is stored the same."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kstui.sandbox import protobuf
from tests.conftest import RunningSandbox
from tests.sandbox import pbwire
from tests.sandbox.test_http import connect, make_namespace, ok
from tests.sandbox.test_protobuf_kubectl import collection, comparable, served

PB = {"Content-Type": protobuf.MEDIA_TYPE}
META = {"name": "sample", "labels": {"app": "sample"}}


@pytest.fixture(scope="module")
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(sandbox) as client:
        yield client


def go_form(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a Go client holds it after reading it into its struct (every
    non-omitempty zero value present), the form both its JSON and protobuf writes start from."""
    return protobuf.decode(pbwire.encode(obj))


# One Go-style object per group (kinds not yet served are skipped until they are).
SAMPLES: list[tuple[tuple[str, str, str], dict[str, Any]]] = [
    (
        ("", "v1", "persistentvolumeclaims"),
        {
            "kind": "PersistentVolumeClaim",
            "apiVersion": "v1",
            "metadata": META,
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
            "status": {},
        },
    ),
    (
        ("coordination.k8s.io", "v1", "leases"),
        {
            "kind": "Lease",
            "apiVersion": "coordination.k8s.io/v1",
            "metadata": META,
            "spec": {
                "holderIdentity": "node-a",
                "leaseDurationSeconds": 40,
                "renewTime": "2026-01-01T00:00:00.250000Z",
            },
        },
    ),
    (
        ("events.k8s.io", "v1", "events"),
        {
            "kind": "Event",
            "apiVersion": "events.k8s.io/v1",
            "metadata": META,
            "eventTime": "2026-01-01T00:00:00.000001Z",
            "reportingController": "x/y",
            "reportingInstance": "y-1",
            "action": "Started",
            "reason": "Started",
            "regarding": {"kind": "Pod", "name": "p"},
            "note": "hello",
            "type": "Normal",
            "deprecatedSource": {},
            "deprecatedFirstTimestamp": None,
            "deprecatedLastTimestamp": None,
        },
    ),
    (
        ("networking.k8s.io", "v1", "networkpolicies"),
        {
            "kind": "NetworkPolicy",
            "apiVersion": "networking.k8s.io/v1",
            "metadata": META,
            "spec": {
                "podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"ports": [{"protocol": "TCP", "port": 5432}, {"port": "metrics"}]}],
                "policyTypes": ["Ingress"],
            },
        },
    ),
    (
        ("apps", "v1", "statefulsets"),
        {
            "kind": "StatefulSet",
            "apiVersion": "apps/v1",
            "metadata": META,
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "sample"}},
                "template": {
                    "metadata": {"labels": {"app": "sample"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {}}]},
                },
                "serviceName": "sample",
                "updateStrategy": {},
            },
            "status": {"replicas": 0, "availableReplicas": 0},
        },
    ),
    (
        ("policy", "v1", "poddisruptionbudgets"),
        {
            "kind": "PodDisruptionBudget",
            "apiVersion": "policy/v1",
            "metadata": META,
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "sample"}}},
            "status": {
                "disruptionsAllowed": 0,
                "currentHealthy": 0,
                "desiredHealthy": 0,
                "expectedPods": 0,
            },
        },
    ),
    (
        ("autoscaling", "v2", "horizontalpodautoscalers"),
        {
            "kind": "HorizontalPodAutoscaler",
            "apiVersion": "autoscaling/v2",
            "metadata": META,
            "spec": {
                "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                "minReplicas": 1,
                "maxReplicas": 4,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 80},
                        },
                    }
                ],
            },
            "status": {"desiredReplicas": 0, "currentMetrics": None},
        },
    ),
    (
        ("storage.k8s.io", "v1", "storageclasses"),
        {
            "kind": "StorageClass",
            "apiVersion": "storage.k8s.io/v1",
            "metadata": META,
            "provisioner": "example.com/disk",
            "parameters": {"type": "ssd"},
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
        },
    ),
    (
        ("scheduling.k8s.io", "v1", "priorityclasses"),
        {
            "kind": "PriorityClass",
            "apiVersion": "scheduling.k8s.io/v1",
            "metadata": META,
            "value": 1000,
            "description": "batch",
        },
    ),
    (
        ("discovery.k8s.io", "v1", "endpointslices"),
        {
            "kind": "EndpointSlice",
            "apiVersion": "discovery.k8s.io/v1",
            "metadata": META,
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.7"], "conditions": {"ready": True}}],
            "ports": [{"name": "http", "protocol": "TCP", "port": 80}],
        },
    ),
    (
        ("node.k8s.io", "v1", "runtimeclasses"),
        {
            "kind": "RuntimeClass",
            "apiVersion": "node.k8s.io/v1",
            "metadata": META,
            "handler": "runc",
        },
    ),
    (
        ("certificates.k8s.io", "v1", "certificatesigningrequests"),
        {
            "kind": "CertificateSigningRequest",
            "apiVersion": "certificates.k8s.io/v1",
            "metadata": META,
            "spec": {
                "request": "LS0tLS1CRUdJTi0tLS0t",
                "signerName": "example.com/signer",
                "usages": ["client auth"],
                "extra": {"scope": ["a", "b"]},
            },
            "status": {},
        },
    ),
    (
        ("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"),
        {
            "kind": "ValidatingWebhookConfiguration",
            "apiVersion": "admissionregistration.k8s.io/v1",
            "metadata": META,
            "webhooks": [
                {
                    "name": "check.example.com",
                    "clientConfig": {"url": "https://example.com/check", "caBundle": "Q0E="},
                    "rules": [
                        {
                            "operations": ["CREATE"],
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "resources": ["pods"],
                        }
                    ],
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                }
            ],
        },
    ),
    (
        ("apiregistration.k8s.io", "v1", "apiservices"),
        {
            "kind": "APIService",
            "apiVersion": "apiregistration.k8s.io/v1",
            "metadata": META,
            "spec": {
                "service": {"namespace": "kube-system", "name": "metrics-server", "port": 443},
                "group": "metrics.k8s.io",
                "version": "v1beta1",
                "insecureSkipTLSVerify": True,
                "groupPriorityMinimum": 100,
                "versionPriority": 100,
            },
            "status": {},
        },
    ),
    (
        ("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations"),
        {
            "kind": "PriorityLevelConfiguration",
            "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
            "metadata": META,
            "spec": {
                "type": "Limited",
                "limited": {
                    "nominalConcurrencyShares": 5,
                    "limitResponse": {
                        "type": "Queue",
                        "queuing": {"queues": 16, "handSize": 4, "queueLengthLimit": 50},
                    },
                },
            },
            "status": {},
        },
    ),
    (
        ("", "v1", "replicationcontrollers"),
        {
            "kind": "ReplicationController",
            "apiVersion": "v1",
            "metadata": META,
            "spec": {
                "replicas": 0,
                "selector": {"app": "sample"},
                "template": {
                    "metadata": {"labels": {"app": "sample"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {}}]},
                },
            },
            "status": {"replicas": 0},
        },
    ),
]


@pytest.mark.parametrize(
    ("resource", "sample"), SAMPLES, ids=[f"{r[2]}.{r[0] or 'core'}" for r, _ in SAMPLES]
)
def test_protobuf_create_stores_what_json_stores(
    resource: tuple[str, str, str], sample: dict[str, Any], http: httpx.Client
) -> None:
    assert go_form(sample) == sample, "the sample is not what a Go client would send"
    group, version, plural = resource
    if not served(http, group, version, plural):
        pytest.skip(f"the sandbox does not serve {plural}.{group} yet")
    stored = []
    for way in ("pb", "js"):
        ns = ""
        body = copy.deepcopy(sample)
        namespaced = _namespaced(http, group, version, plural)
        if namespaced:
            ns = make_namespace(http, f"{way}-{plural}-{group.split('.')[0] or 'core'}")
        else:
            body["metadata"] = {**body["metadata"], "name": f"sample-{way}"}
        path = collection(group, version, plural, ns)
        if way == "pb":
            created = ok(http.post(path, content=pbwire.encode(body), headers=PB), 201)
        else:
            created = ok(http.post(path, json=body), 201)
        stored.append(ok(http.get(f"{path}/{created['metadata']['name']}")))
    assert comparable(stored[0], ("status",)) == comparable(stored[1], ("status",))


def _namespaced(http: httpx.Client, group: str, version: str, plural: str) -> bool:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    found = next(r for r in ok(http.get(base))["resources"] if r["name"] == plural)
    return bool(found["namespaced"])


def _deployment(name: str) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {}}]},
            },
        },
    }


def test_update_status_and_scale_as_protobuf(http: httpx.Client) -> None:
    results = []
    for way in ("pb", "js"):
        ns = make_namespace(http, f"{way}-writes")
        path = f"/apis/apps/v1/namespaces/{ns}/deployments"
        ok(http.post(path, json=_deployment("web")), 201)

        def put(url: str, obj: dict[str, Any], way: str = way) -> Any:
            if way == "pb":
                return ok(http.put(url, content=pbwire.encode(obj), headers=PB))
            return ok(http.put(url, json=obj))

        current = go_form(ok(http.get(f"{path}/web")))  # read into the struct, as client-go
        current["spec"]["template"]["metadata"]["annotations"] = {"restarted": "now"}
        current["spec"]["paused"] = True
        put(f"{path}/web", current)
        current = go_form(ok(http.get(f"{path}/web")))
        current["status"] = {"observedGeneration": 7, "replicas": 1, "readyReplicas": 1}
        put(f"{path}/web/status", current)
        scale = ok(http.get(f"{path}/web/scale"))
        scale["spec"]["replicas"] = 3
        assert put(f"{path}/web/scale", go_form(scale))["spec"]["replicas"] == 3
        results.append(ok(http.get(f"{path}/web")))
    pb, js = results
    assert pb["spec"]["paused"] is True
    assert pb["spec"]["replicas"] == 3
    assert pb["spec"]["template"]["metadata"]["annotations"] == {"restarted": "now"}
    assert comparable(pb, ("status",)) == comparable(js, ("status",))


def test_delete_options_as_protobuf(http: httpx.Client) -> None:
    ns = make_namespace(http, "pb-delete")
    path = f"/api/v1/namespaces/{ns}/configmaps"
    uid = ok(http.post(path, json={"metadata": {"name": "c"}, "data": {"a": "1"}}), 201)[
        "metadata"
    ]["uid"]

    def delete(options: dict[str, Any]) -> httpx.Response:
        body = pbwire.encode({"kind": "DeleteOptions", "apiVersion": "v1", **options})
        return http.request("DELETE", f"{path}/c", content=body, headers=PB)

    refused = delete({"preconditions": {"uid": "not-" + uid}})
    assert refused.status_code == 409, refused.text
    assert delete({"dryRun": ["All"]}).status_code == 200
    assert http.get(f"{path}/c").status_code == 200  # a dry run deletes nothing
    assert (
        delete({"preconditions": {"uid": uid}, "propagationPolicy": "Background"}).status_code
        == 200
    )
    assert http.get(f"{path}/c").status_code == 404


def test_undecodable_protobuf_is_refused_with_what_is_accepted(http: httpx.Client) -> None:
    ns = make_namespace(http, "pb-refused")
    widget = pbwire.envelope("example.com/v1", "Widget", pbwire.blob(1, b""))
    refused = http.post(f"/api/v1/namespaces/{ns}/configmaps", content=widget, headers=PB)
    assert refused.status_code == 415
    assert (
        "accepted media types include: application/json, application/yaml (got"
        in refused.json()["message"]
    )
    # custom resources are JSON and YAML only, as on a real server
    crd_path = "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates"
    body = pbwire.encode({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}})
    refused = http.post(crd_path, content=body, headers=PB)
    assert refused.status_code == 415
    assert "application/vnd.kubernetes.protobuf (got" not in refused.json()["message"]
    broken = pbwire.encode({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}})[
        :-3
    ]
    answer = http.post(f"/api/v1/namespaces/{ns}/configmaps", content=broken, headers=PB)
    assert answer.status_code == 400, answer.text
