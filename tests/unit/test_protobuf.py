"""The sandbox's protobuf decoder on bytes built by hand, field numbers taken from the upstream
generated.proto files (k8s.io/api v0.36.3, k8s.io/apimachinery v0.36.3)."""

from __future__ import annotations

import json

import pytest

from kstui.sandbox import protobuf
from tests.sandbox.pbwire import blob, double, encode, entry, envelope, varint, vint

# ObjectMeta: name=1 namespace=3 creationTimestamp=8 labels=11
META = blob(1, "web") + blob(3, "shop") + blob(8, b"") + entry(11, "app", "web")


def test_secret_bytes_become_base64_and_zero_values_follow_go_json() -> None:
    # Secret: metadata=1 data=2 (map<string, bytes>) type=3 stringData=4 immutable=5 (*bool)
    raw = (
        blob(1, META)
        + entry(2, "pw", b"\x00\xffs3cret")
        + entry(2, "empty", b"")
        + blob(3, "Opaque")
        + vint(5, 0)
    )
    assert protobuf.decode(envelope("v1", "Secret", raw)) == {
        "kind": "Secret",
        "apiVersion": "v1",
        # a zero creationTimestamp is written as no bytes; it is `omitzero` in Go (v0.35+)
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "immutable": False,  # a pointer: false was sent, so false is kept
        "data": {"pw": "AP9zM2NyZXQ=", "empty": ""},
        "type": "Opaque",
    }


def test_deployment_pointers_inline_structs_quantities_and_int_or_string() -> None:
    volume = blob(1, "cache") + blob(2, blob(2, blob(1, "Memory") + blob(2, blob(1, "64Mi"))))
    container = (
        blob(1, "web")
        + blob(2, "nginx:1.27")
        + blob(6, vint(3, 8080))
        + blob(8, entry(1, "cpu", blob(1, "500m")))
    )
    pod_spec = blob(1, volume) + blob(2, container) + blob(14, b"")
    strategy = blob(1, "RollingUpdate") + blob(
        2, blob(1, vint(1, 0) + vint(2, 1)) + blob(2, vint(1, 1) + blob(3, "25%"))
    )
    spec = (
        vint(1, 0)
        + blob(2, entry(1, "app", "web"))
        + blob(3, blob(1, blob(8, b"")) + blob(2, pod_spec))
        + blob(4, strategy)
        + vint(5, 0)
    )
    body = protobuf.decode(
        envelope("apps/v1", "Deployment", blob(1, META) + blob(2, spec) + blob(3, b""))
    )
    assert body["spec"] == {
        "replicas": 0,  # *int32: zero is a value, not an absence
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {},
            "spec": {
                # VolumeSource is `json:",inline"`: its fields sit in the Volume itself
                "volumes": [
                    {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}
                ],
                "containers": [
                    {
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 8080}],
                        "resources": {"limits": {"cpu": "500m"}},
                    }
                ],
                "securityContext": {},
            },
        },
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"},
        },
        # minReadySeconds: int32 omitempty, sent as 0: left out as encoding/json would
    }
    assert body["status"] == {}  # a struct is never "empty" to encoding/json
    # core Event: firstTimestamp is a plain Time (no omitzero): zero is written as null
    event = protobuf.decode(envelope("v1", "Event", blob(1, META) + blob(6, b"")))
    assert event["firstTimestamp"] is None


def test_packed_and_unpacked_repeated_numbers_and_negative_int64() -> None:
    # PodSecurityContext: runAsUser=2 (*int64) supplementalGroups=4 (repeated int64)
    packed = blob(4, varint(1000) + varint(2000))
    unpacked = vint(4, 1000) + vint(4, 2000)
    for groups in (packed, unpacked):
        pod_spec = blob(2, blob(1, "c")) + blob(14, vint(2, -1) + groups)
        pod = protobuf.decode(envelope("v1", "Pod", blob(1, META) + blob(2, pod_spec)))
        assert pod["spec"]["securityContext"] == {
            "runAsUser": -1,
            "supplementalGroups": [1000, 2000],
        }
        assert pod["spec"]["containers"] == [{"name": "c", "resources": {}}]


def test_time_is_truncated_to_seconds_and_micro_time_keeps_microseconds() -> None:
    # LeaseSpec: holderIdentity=1 acquireTime=3 renewTime=4 (MicroTime: seconds=1 nanos=2)
    stamp = vint(1, 1_767_225_600) + vint(2, 123_456_789)
    spec = blob(1, "node-a") + blob(3, stamp) + blob(4, vint(1, 0))
    meta = blob(1, "lock") + blob(8, stamp)
    lease = protobuf.decode(
        envelope("coordination.k8s.io/v1", "Lease", blob(1, meta) + blob(2, spec))
    )
    assert lease["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert lease["spec"] == {
        "holderIdentity": "node-a",
        "acquireTime": "2026-01-01T00:00:00.123456Z",
        "renewTime": "1970-01-01T00:00:00.000000Z",
    }


def test_extra_values_raw_extensions_and_doubles() -> None:
    # SubjectAccessReviewSpec: user=3 extra=5 (map<string, ExtraValue{items=1}>)
    spec = blob(3, "bob") + blob(5, blob(1, "scopes") + blob(2, blob(1, "a") + blob(1, "b")))
    review = protobuf.decode(
        envelope("authorization.k8s.io/v1", "SubjectAccessReview", blob(1, b"") + blob(2, spec))
    )
    assert review["spec"] == {"user": "bob", "extra": {"scopes": ["a", "b"]}}
    # ControllerRevision: data=2 (RawExtension raw=1) revision=3 (int64, no omitempty)
    raw = blob(1, blob(1, "rev")) + blob(2, blob(1, b'{"spec":{"x":1}}'))
    revision = protobuf.decode(envelope("apps/v1", "ControllerRevision", raw))
    assert revision["data"] == {"spec": {"x": 1}}
    assert revision["revision"] == 0
    # JSONSchemaProps: type=5 maximum=9 (*float64); integral floats are written as integers
    schema = blob(5, "number") + double(9, 2.5)
    version = blob(1, "v1") + blob(4, blob(1, schema + double(11, 3.0)))
    crd = protobuf.decode(
        envelope(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            blob(1, b"") + blob(2, blob(7, version)),
        )
    )
    assert crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] == {
        "type": "number",
        "maximum": 2.5,
        "minimum": 3,
    }


def test_delete_options_under_any_group_version() -> None:
    # DeleteOptions: gracePeriodSeconds=1 preconditions=2 {uid=1} propagationPolicy=4 dryRun=5
    raw = vint(1, 0) + blob(2, blob(1, "u-1")) + blob(4, "Background") + blob(5, "All")
    for api_version in ("v1", "apps/v1", "meta.k8s.io/v1"):
        assert protobuf.decode(envelope(api_version, "DeleteOptions", raw)) == {
            "kind": "DeleteOptions",
            "apiVersion": api_version,
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": "u-1"},
            "propagationPolicy": "Background",
            "dryRun": ["All"],
        }


def test_unknown_kinds_and_broken_bodies_are_refused() -> None:
    with pytest.raises(protobuf.UnknownKind):
        protobuf.decode(envelope("example.com/v1", "Widget", b""))
    with pytest.raises(protobuf.ProtobufError, match="prefix"):
        protobuf.decode(b'{"kind": "Secret"}')
    good = envelope("v1", "Secret", blob(1, META))
    with pytest.raises(protobuf.ProtobufError):
        protobuf.decode(good[:-9])  # cut inside the metadata
    with pytest.raises(protobuf.ProtobufError, match="wire type"):
        protobuf.decode(envelope("v1", "Secret", vint(3, 7)))  # type is a string, not a number


def test_round_trip_of_a_go_style_object() -> None:
    """The test encoder and the decoder agree on a Go-style object of every feature."""
    obj = {
        "kind": "HorizontalPodAutoscaler",
        "apiVersion": "autoscaling/v2",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
            "minReplicas": 1,
            "maxReplicas": 5,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
        "status": {"desiredReplicas": 0, "currentMetrics": None},
    }
    assert protobuf.decode(encode(obj)) == obj


def test_table_names_its_sources() -> None:
    data = json.loads(protobuf.TABLE_PATH.read_text())
    repos = {source["repo"] for source in data["_source"]}
    assert {"github.com/kubernetes/api", "github.com/kubernetes/apimachinery"} <= repos
    assert all(len(source["commit"]) == 40 for source in data["_source"])
    for kind in (
        "v1/Secret",
        "policy/v1/PodDisruptionBudget",
        "storage.k8s.io/v1/StorageClass",
        "autoscaling/v2/HorizontalPodAutoscaler",
        "scheduling.k8s.io/v1/PriorityClass",
        "discovery.k8s.io/v1/EndpointSlice",
        "node.k8s.io/v1/RuntimeClass",
        "certificates.k8s.io/v1/CertificateSigningRequest",
        "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration",
        "apiregistration.k8s.io/v1/APIService",
        "flowcontrol.apiserver.k8s.io/v1/FlowSchema",
        "v1/ReplicationController",
        "v1/PodTemplate",
        "authentication.k8s.io/v1/TokenRequest",
        "policy/v1/Eviction",
    ):
        assert kind in data["kinds"], kind
