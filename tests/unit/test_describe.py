"""YAML, describe and diff views of objects: on the seed objects, and on real objects read from
the sandbox (a pod with its events, a Secret written through the API, a real 409)."""

from __future__ import annotations

import base64
import copy
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kstui.backends.describe import (
    LAST_APPLIED,
    MAX_TREE_LINES,
    describe,
    to_yaml,
    yaml_diff,
)
from kstui.backends.errors import Conflict
from kstui.backends.kube import KubeClient
from kstui.model import parse_timestamp
from tests.connections import sandbox_client

DATA = Path(__file__).resolve().parents[2] / "kstui" / "sandbox" / "data"
SEED = [d for d in yaml.safe_load_all((DATA / "seed-objects.yaml").read_text()) if d]
NOW = parse_timestamp("2025-05-12T09:10:00Z") or 0.0


def seed(kind: str, name: str) -> dict[str, Any]:
    return copy.deepcopy(
        next(o for o in SEED if (o["kind"], o["metadata"]["name"]) == (kind, name))
    )


def seed_events(name: str) -> list[dict[str, Any]]:
    return [
        copy.deepcopy(o)
        for o in SEED
        if o["kind"] == "Event" and o["involvedObject"]["name"] == name
    ]


def field(text: str, label: str) -> str:
    """The value on the first `Label:  value` line (any indent)."""
    match = re.search(rf"^ *{re.escape(label)}: +(.*)$", text, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{text}"
    return match.group(1)


def section(text: str, heading: str) -> str:
    """The lines under a top-level `Heading:` up to the next top-level line."""
    lines = text.splitlines()
    start = lines.index(f"{heading}:") + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i] and not lines[i][0].isspace()), len(lines)
    )
    return "\n".join(lines[start:end])


def secret(**overrides: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "db",
            "namespace": "payments",
            "annotations": {
                LAST_APPLIED: '{"data":{"password":"czNjcjN0LXZhbHVl"}}',
                "team": "payments",
            },
        },
        "data": {
            "password": base64.b64encode(b"s3cr3t-value").decode(),
            "token": base64.b64encode(b"x" * 24).decode(),
        },
        "stringData": {"note": "plain words"},
    }
    obj.update(overrides)
    return obj


# ---------------------------------------------------------------------------- to_yaml


def test_yaml_round_trips_every_seed_object_in_order() -> None:
    for obj in SEED:
        if obj["kind"] == "Secret":
            continue
        text = to_yaml(obj)
        assert yaml.safe_load(text) == obj, obj["metadata"]["name"]
        # Key order is the object's own, like kubectl's typed output.
        top_level = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
        assert top_level == list(obj), obj["metadata"]["name"]


def test_yaml_is_block_style_with_literal_multiline_strings() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"script": "set -e\nmake test\n", "list": "a"},
        "spec": {"items": [{"a": 1}, {"b": [1, 2]}]},
    }
    text = to_yaml(obj)
    assert "  script: |\n    set -e\n    make test\n" in text
    assert "  items:\n  - a: 1\n  - b:\n    - 1\n    - 2\n" in text  # kubectl's list indent
    assert not set("{}[]") & set(text)
    assert yaml.safe_load(text) == obj


def test_managed_fields_are_dropped_unless_asked() -> None:
    obj = seed("Deployment", "reviews-v1")
    obj["metadata"]["managedFields"] = [
        {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
    ]
    assert "managedFields" not in to_yaml(obj)
    assert "name: reviews-v1" in to_yaml(obj)
    kept = to_yaml(obj, drop_managed_fields=False)
    assert "managedFields:" in kept
    assert "manager: kubectl" in kept


def test_secret_values_are_masked_with_their_decoded_size() -> None:
    text = to_yaml(secret())
    loaded = yaml.safe_load(text)
    assert loaded["data"] == {"password": "<hidden: 12 bytes>", "token": "<hidden: 24 bytes>"}
    assert loaded["stringData"] == {"note": "<hidden: 11 bytes>"}
    annotations = loaded["metadata"]["annotations"]
    applied = secret()["metadata"]["annotations"][LAST_APPLIED]
    assert annotations[LAST_APPLIED] == f"<hidden: {len(applied)} bytes>"
    assert annotations["team"] == "payments"
    for leak in ("czNjcjN0", "s3cr3t", "plain words"):
        assert leak not in text


def test_reveal_shows_the_secret_as_stored() -> None:
    obj = secret()
    assert yaml.safe_load(to_yaml(obj, reveal_secrets=True)) == obj


def test_seed_helm_secret_is_masked() -> None:
    text = to_yaml(seed("Secret", "sh.helm.release.v1.shop-cache.v1"))
    assert "release: '<hidden: 1112 bytes>'" in text
    assert "SDRzSUFB" not in text


def test_only_core_secrets_are_masked() -> None:
    other = {
        "apiVersion": "example.io/v1",
        "kind": "Secret",
        "metadata": {"name": "x"},
        "data": {"k": "dmFsdWU="},
    }
    assert "dmFsdWU=" in to_yaml(other)
    # List items can come without apiVersion: mask rather than leak.
    bare = {"kind": "Secret", "metadata": {"name": "x"}, "data": {"k": "dmFsdWU="}}
    assert "dmFsdWU=" not in to_yaml(bare)


def test_views_never_mutate_their_input() -> None:
    objects = [
        secret(),
        seed("Pod", "shop-worker-7c9d8b6f5-hv2rk"),
        seed("Deployment", "reviews-v1"),
        seed("PipelineRun", "storefront-build-h2x9d"),
    ]
    objects[1]["metadata"]["managedFields"] = [{"manager": "kubelet"}]
    events = seed_events("shop-worker-7c9d8b6f5-hv2rk")
    before = copy.deepcopy((objects, events))
    for obj in objects:
        to_yaml(obj)
        to_yaml(obj, reveal_secrets=True, drop_managed_fields=False)
        describe(obj, events, NOW)
        yaml_diff(obj, objects[0])
    assert (objects, events) == before


# ---------------------------------------------------------------------------- describe on seeds


def test_describe_pod_from_seed() -> None:
    pod = seed("Pod", "shop-worker-7c9d8b6f5-hv2rk")
    pod["metadata"]["creationTimestamp"] = "2025-05-12T08:20:40Z"
    text = describe(pod, seed_events(pod["metadata"]["name"]), NOW)
    assert text.startswith("Name:         shop-worker-7c9d8b6f5-hv2rk\n")
    assert field(text, "Namespace") == "shop-prod"
    assert "Labels:       app=shop-worker\n              pod-template-hash=7c9d8b6f5\n" in text
    assert field(text, "Annotations") == "<none>"
    assert field(text, "Created") == "2025-05-12T08:20:40Z (49m ago)"
    assert field(text, "Status") == "Running"
    assert field(text, "IP") == "10.233.90.44"
    assert field(text, "Node") == "node-1/192.168.10.11"
    containers = section(text, "Containers")
    assert field(containers, "Image") == "registry.acme.example/shop/worker:2.3.1"
    assert field(containers, "State") == "Waiting"
    assert field(containers, "Reason") == "CrashLoopBackOff"
    assert field(containers, "Last State") == "Terminated"
    assert field(containers, "Exit Code") == "1"
    assert field(containers, "Ready") == "False"
    assert field(containers, "Restart Count") == "7"
    # Rows of one block share a label column, as kubectl's tabwriter does.
    assert "    Image:          registry" in containers
    assert "    Restart Count:  7" in containers
    conditions = section(text, "Conditions").splitlines()
    assert conditions[0].split() == ["Type", "Status"]
    assert conditions[2].split() == ["Ready", "False"]
    events = section(text, "Events").splitlines()
    assert events[0].split() == ["Type", "Reason", "Age", "From", "Message"]
    # Oldest first, by last occurrence; repeats as kubectl shows them.
    assert events[2].startswith("  Warning  Failed   18m (x7 over 49m)     kubelet  Error: ")
    assert events[3].startswith("  Warning  BackOff  4m19s (x31 over 48m)  kubelet  Back-off")


def test_describe_pod_resources_and_controller() -> None:
    pod = seed("Pod", "bert-finetune-xq2lp")
    pod["metadata"]["ownerReferences"] = [
        {"kind": "Job", "name": "bert-finetune", "apiVersion": "batch/v1", "controller": True}
    ]
    pod["metadata"]["deletionTimestamp"] = "2025-05-12T09:09:00Z"
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    text = describe(pod, [], NOW)
    assert field(text, "Controlled By") == "Job/bert-finetune"
    assert field(text, "Status") == "Terminating"
    assert field(text, "Terminating") == "since 2025-05-12T09:09:00Z (grace period 30s)"
    assert field(text, "Node") == "<none>"
    assert field(text, "IP") == "<none>"
    assert field(section(text, "Containers"), "nvidia.com/gpu") == "2"
    assert text.endswith("Events:  <none>\n")


def test_describe_deployment_from_seed() -> None:
    deployment = seed("Deployment", "reviews-v1")
    deployment["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    deployment["status"]["unavailableReplicas"] = 1
    text = describe(deployment, [], NOW)
    assert (
        field(text, "Replicas") == "2 desired | 2 updated | 2 total | 2 available | 1 unavailable"
    )
    assert field(text, "StrategyType") == "RollingUpdate"
    assert field(text, "RollingUpdateStrategy") == "0 max unavailable, 1 max surge"
    assert (
        field(text, "Selector")
        == "app=reviews,version=v1,app.kubernetes.io/name=storefront,app.kubernetes.io/version=v1"
    )
    template = section(text, "Pod Template")
    assert field(template, "Image") == "registry.acme.example/shop/reviews:1.7.4"
    assert field(template, "memory") == "1Gi"  # limits come first, as in kubectl
    conditions = section(text, "Conditions").splitlines()
    assert conditions[2].split() == ["Available", "True", "MinimumReplicasAvailable"]
    assert conditions[3].split() == ["Progressing", "True", "NewReplicaSetAvailable"]
    assert "deployment.kubernetes.io/revision: 3" in text


def test_describe_secret_shows_sizes_never_values() -> None:
    text = describe(secret(), [], NOW)
    assert field(text, "Type") == "Opaque"
    assert "Data\n====\n" in text
    assert field(text, "password") == "12 bytes"
    assert field(text, "token") == "24 bytes"
    assert LAST_APPLIED not in text  # kubectl leaves it out for every kind
    for leak in ("czNjcjN0", "s3cr3t", "plain words", "eHh4"):
        assert leak not in text


def test_describe_custom_resource_as_a_tree() -> None:
    run = seed("PipelineRun", "storefront-build-h2x9d")
    text = describe(run, seed_events("storefront-build-h2x9d"), NOW)
    assert field(text, "Kind") == "PipelineRun (devops.kubesphere.io/v1alpha3)"
    spec = section(text, "Spec")
    assert "  Pipeline Ref:\n    Kind:       Pipeline\n    Name:       storefront-build\n" in spec
    status = section(text, "Status")
    assert field(status, "Phase") == "Failed"
    assert "    - Type:                  Succeeded\n      Status:                False\n" in status
    assert "    - Type:                  Ready\n" in status
    # Long values are cut so the view stays readable.
    assert field(spec, "Jenkinsfile").endswith("...")
    events = section(text, "Events").splitlines()
    assert events[2].split()[:3] == ["Normal", "Updated", "108m"]
    assert "pipelinerun-controller" in events[2]


def test_label_like_maps_keep_their_keys() -> None:
    service = seed("Service", "reviews")
    text = describe(service, [], NOW)
    assert "    app.kubernetes.io/name:     storefront" in section(text, "Spec")
    assert field(section(text, "Spec"), "Target Port") == "9080"


def test_generic_tree_is_capped() -> None:
    big = {
        "apiVersion": "example.io/v1",
        "kind": "Big",
        "metadata": {"name": "big"},
        "spec": {f"field{i}": i for i in range(MAX_TREE_LINES + 50)},
    }
    text = describe(big, [], NOW)
    # 350 fields and the Spec heading: 351 rows, the first MAX_TREE_LINES shown.
    assert "\n... 51 more lines: see the YAML view\n" in text
    assert "  Field0:  " in text
    assert f"  Field{MAX_TREE_LINES - 2}:  " in text
    assert f"  Field{MAX_TREE_LINES - 1}:  " not in text


def test_long_annotations_are_cut() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {"note": "x" * 500, "multi": "a\nb"}},
    }
    text = describe(obj, [], NOW)
    assert "note: " + "x" * 140 + "...\n" in text
    assert "multi: a b\n" in text


def test_events_of_every_shape_are_ordered_oldest_first() -> None:
    events: list[dict[str, Any]] = [
        {
            "type": "Normal",
            "reason": "Third",
            "eventTime": "2025-05-12T09:09:00.000000Z",
            "reportingController": "ctrl",
            "note": "new-style event",
        },
        {
            "type": "Normal",
            "reason": "First",
            "firstTimestamp": "2025-05-12T08:00:00Z",
            "source": {"component": "kubelet"},
            "message": "only first\n  seen",
        },
        {
            "type": "Warning",
            "reason": "Second",
            "lastTimestamp": "2025-05-12T09:00:00Z",
            "count": 1,
            "reportingComponent": "scheduler",
            "message": "m",
        },
        {"type": "Normal", "reason": "Undated", "message": "no time"},
    ]
    rows = section(
        describe({"kind": "X", "metadata": {"name": "x"}}, events, NOW), "Events"
    ).splitlines()[2:]
    assert [row.split()[1] for row in rows] == ["Undated", "First", "Second", "Third"]
    assert "<unknown>" in rows[0]
    assert rows[1].split()[2:] == ["70m", "kubelet", "only", "first", "seen"]
    assert rows[2].split()[2:4] == ["10m", "scheduler"]
    assert rows[3].split()[2:] == ["60s", "ctrl", "new-style", "event"]


# ---------------------------------------------------------------------------- yaml_diff


def test_yaml_diff_shows_a_changed_field() -> None:
    before = seed("Deployment", "reviews-v1")
    after = copy.deepcopy(before)
    after["spec"]["replicas"] = 3
    diff = yaml_diff(before, after, before_label="yours", after_label="server")
    assert diff.startswith("--- yours\n+++ server\n")
    assert "\n-  replicas: 2\n+  replicas: 3\n" in diff
    assert yaml_diff(before, copy.deepcopy(before)) == ""


def test_yaml_diff_keeps_secrets_masked() -> None:
    before = secret()
    after = secret(data={"password": base64.b64encode(b"longer-secret-value").decode()})
    diff = yaml_diff(before, after)
    assert "+  password: '<hidden: 19 bytes>'" in diff
    assert "-  token: '<hidden: 24 bytes>'" in diff
    assert "bG9uZ2Vy" not in diff
    assert "bG9uZ2Vy" in yaml_diff(before, after, reveal_secrets=True)


# ---------------------------------------------------------------------------- real objects


@pytest.fixture
async def client(sandbox: Any) -> AsyncIterator[KubeClient]:
    kube = sandbox_client(sandbox)
    yield kube
    await kube.aclose()


@pytest.fixture
async def namespace(client: KubeClient) -> AsyncIterator[str]:
    name = f"describe-{uuid.uuid4().hex[:8]}"
    await client.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    yield name
    await client.delete(f"/api/v1/namespaces/{name}")


async def test_describe_a_real_pod_with_its_events(sandbox: Any, client: KubeClient) -> None:
    name = "shop-worker-7c9d8b6f5-hv2rk"
    pod = await client.get(f"/api/v1/namespaces/shop-prod/pods/{name}")
    events = (
        await client.list(
            "/api/v1/namespaces/shop-prod/events",
            {"fieldSelector": f"involvedObject.name={name},involvedObject.kind=Pod"},
        )
    )["items"]
    assert {e["reason"] for e in events} >= {"BackOff", "Failed"}
    now = sandbox.sandbox.clock.now().timestamp()
    text = describe(pod, events, now)

    assert field(text, "Name") == name
    assert field(text, "Controlled By") == "ReplicaSet/shop-worker-7c9d8b6f5"
    assert field(text, "Node") == f"{pod['spec']['nodeName']}/{pod['status']['hostIP']}"
    assert field(text, "Created").startswith(pod["metadata"]["creationTimestamp"] + " (")
    containers = section(text, "Containers")
    assert field(containers, "Restart Count") == str(
        pod["status"]["containerStatuses"][0]["restartCount"]
    )
    rows = section(text, "Events").splitlines()[2:]
    assert len(rows) == len(events)
    reasons = [row.split()[1] for row in rows]
    expected = sorted(events, key=lambda e: parse_timestamp(e["lastTimestamp"]) or 0.0)
    assert reasons == [e["reason"] for e in expected]
    # kubelet's, and the scheduler's Scheduled the sandbox seeds for a settled pod
    assert all(" kubelet " in row or " default-scheduler " in row for row in rows)


async def test_describe_and_yaml_of_a_real_deployment(client: KubeClient) -> None:
    deployment = await client.get("/apis/apps/v1/namespaces/shop-prod/deployments/reviews-v1")
    text = describe(deployment, [], 0.0)
    status = deployment["status"]
    assert field(text, "Replicas").startswith(
        f"{deployment['spec']['replicas']} desired | {status['updatedReplicas']} updated"
    )
    assert field(text, "RollingUpdateStrategy") == "25% max unavailable, 25% max surge"
    assert yaml.safe_load(to_yaml(deployment)) == deployment


async def test_a_real_secret_is_masked(client: KubeClient, namespace: str) -> None:
    created = await client.create(
        f"/api/v1/namespaces/{namespace}/secrets",
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "db", "annotations": {LAST_APPLIED: '{"stringData":"hunter22"}'}},
            "data": {
                "password": base64.b64encode(b"hunter22").decode(),
                "dsn": base64.b64encode(b"postgres://u:hunter22@db/app").decode(),
            },
        },
    )
    stored = await client.get(f"/api/v1/namespaces/{namespace}/secrets/db")
    assert stored["metadata"]["uid"] == created["metadata"]["uid"]

    masked = yaml.safe_load(to_yaml(stored))
    assert masked["data"] == {"password": "<hidden: 8 bytes>", "dsn": "<hidden: 28 bytes>"}
    assert masked["metadata"]["annotations"][LAST_APPLIED] == "<hidden: 25 bytes>"
    text = describe(stored, [], 0.0)
    assert field(text, "password") == "8 bytes"
    assert field(text, "dsn") == "28 bytes"
    for view in (to_yaml(stored), text):
        assert "hunter22" not in view
        assert base64.b64encode(b"hunter22").decode() not in view
    revealed = yaml.safe_load(to_yaml(stored, reveal_secrets=True))
    assert base64.b64decode(revealed["data"]["password"]) == b"hunter22"


async def test_yaml_diff_after_a_real_conflict(client: KubeClient, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    await client.create(
        path,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"mode": "blue"},
        },
    )
    mine = await client.get(f"{path}/settings")
    theirs = copy.deepcopy(mine)
    theirs["data"]["mode"] = "green"
    await client.replace(f"{path}/settings", theirs)
    mine["data"]["mode"] = "red"
    with pytest.raises(Conflict):
        await client.replace(f"{path}/settings", mine)

    current = await client.get(f"{path}/settings")
    diff = yaml_diff(mine, current, before_label="yours", after_label="server")
    assert "-  mode: red\n+  mode: green\n" in diff
    assert re.search(r"^-  resourceVersion: '\d+'$", diff, re.M)
    assert re.search(r"^\+  resourceVersion: '\d+'$", diff, re.M)
