"""Conformance, client 2 of 3: the official `kubernetes` Python client (pydantic models) against
the sandbox, configured from the sandbox's own kubeconfig file, over https with tokens."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from tests.conftest import RunningSandbox

PODS = ("", "pods")
CONFIGMAPS = ("", "configmaps")
DEPLOYMENTS = ("apps", "deployments")
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ")


@pytest.fixture(scope="module")
def api(sandbox: RunningSandbox) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig), context="host")
    yield api_client
    api_client.close()


@pytest.fixture(scope="module")
def tenant(sandbox: RunningSandbox) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(
        config_file=str(sandbox.kubeconfig), context="tenant"
    )
    yield api_client
    api_client.close()


def make_namespace(api: client.ApiClient, name: str) -> str:
    client.CoreV1Api(api).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
    )
    return name


def error_body(error: ApiException) -> dict[str, Any]:
    return json.loads(error.body)  # type: ignore[arg-type]


def deployment_body(name: str, replicas: int = 1, image: str = "nginx:1.27") -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


# ------------------------------------------------------------------ reads


def test_list_all_pods_deserializes(api: client.ApiClient, sandbox: RunningSandbox) -> None:
    pods = client.CoreV1Api(api).list_pod_for_all_namespaces()
    assert isinstance(pods, client.V1PodList)
    expected = sandbox.call(lambda: len(sandbox.cluster().store.bucket(PODS)))
    assert len(pods.items) == expected > 120
    assert int(pods.metadata.resource_version) > 1000
    for pod in pods.items:
        assert isinstance(pod, client.V1Pod)
        assert pod.metadata.uid
        assert pod.metadata.resource_version
        assert pod.metadata.creation_timestamp is not None
        for status in pod.status.container_statuses or []:
            assert isinstance(status, client.V1ContainerStatus)
            assert status.image
            assert status.image_id
            assert status.name
    worker = next(p for p in pods.items if p.metadata.name.startswith("shop-worker-"))
    assert worker.metadata.namespace == "shop-prod"
    # 7 restarts when seeded; the pod controller restarts it again after a 5-minute back-off.
    worker_status = worker.status.container_statuses[0]
    assert worker_status.restart_count >= 7
    assert worker_status.last_state.terminated.exit_code == 1
    assert worker_status.image_id.startswith("registry.acme.example/shop/worker@sha256:")
    # Generated pods are owned by a ReplicaSet, which is owned by a Deployment.
    generated = next(p for p in pods.items if p.metadata.namespace == "payments")
    owner = generated.metadata.owner_references[0]
    assert owner.kind == "ReplicaSet"
    assert owner.controller is True
    rs = client.AppsV1Api(api).read_namespaced_replica_set(owner.name, "payments")
    nginx = next(p for p in pods.items if p.spec.containers[0].image == "nginx:1.27.3")
    assert nginx.status.container_statuses[0].image_id.startswith(
        "docker.io/library/nginx@sha256:"
    )  # as containerd reports a Docker Hub image
    assert rs.metadata.owner_references[0].kind == "Deployment"


def test_label_and_field_selectors(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    reviews = core.list_namespaced_pod("shop-prod", label_selector="app=reviews")
    assert sorted(p.metadata.name for p in reviews.items) == [
        "reviews-v1-5d8c9f7b6c-2xk7p",
        "reviews-v1-5d8c9f7b6c-q9w4m",
        "reviews-v2-6f4b8d9c7d-lm3zt",
    ]
    v2 = core.list_namespaced_pod("shop-prod", label_selector="app=reviews,version!=v1")
    assert [p.metadata.name for p in v2.items] == ["reviews-v2-6f4b8d9c7d-lm3zt"]
    by_name = core.list_pod_for_all_namespaces(
        field_selector="metadata.name=reviews-v1-5d8c9f7b6c-2xk7p"
    )
    assert [(p.metadata.namespace, p.metadata.name) for p in by_name.items] == [
        ("shop-prod", "reviews-v1-5d8c9f7b6c-2xk7p")
    ]
    running = core.list_pod_for_all_namespaces(field_selector="status.phase=Running")
    assert running.items
    assert {p.status.phase for p in running.items} == {"Running"}
    not_running = core.list_pod_for_all_namespaces(field_selector="status.phase!=Running")
    assert all(p.status.phase != "Running" for p in not_running.items)
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_pod("shop-prod", field_selector="spec.bogus=1")
    assert caught.value.status == 400
    assert error_body(caught.value)["reason"] == "BadRequest"


def test_limit_and_continue_paging(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    whole = core.list_pod_for_all_namespaces()
    assert whole.metadata._continue is None
    names: list[tuple[str, str]] = []
    token = None
    pages = 0
    while True:
        page = core.list_pod_for_all_namespaces(limit=25, _continue=token)
        pages += 1
        assert len(page.items) <= 25
        names += [(p.metadata.namespace, p.metadata.name) for p in page.items]
        token = page.metadata._continue
        if not token:
            break
        assert len(page.items) == 25
    assert names == [(p.metadata.namespace, p.metadata.name) for p in whole.items]
    assert pages == -(-len(whole.items) // 25)
    # A label-selected list pages as well and never repeats an item.
    first = core.list_pod_for_all_namespaces(label_selector="app=web", limit=3)
    rest = core.list_pod_for_all_namespaces(
        label_selector="app=web", _continue=first.metadata._continue
    )
    paged = [p.metadata.name for p in first.items + rest.items]
    assert paged == [
        p.metadata.name for p in core.list_pod_for_all_namespaces(label_selector="app=web").items
    ]
    assert len(set(paged)) == len(paged) > 3


def test_read_deployment(api: client.ApiClient) -> None:
    deployment = client.AppsV1Api(api).read_namespaced_deployment("reviews-v1", "shop-prod")
    assert isinstance(deployment, client.V1Deployment)
    assert deployment.spec.replicas == 2
    assert deployment.spec.selector.match_labels == {
        "app": "reviews",
        "version": "v1",
        "app.kubernetes.io/name": "storefront",
        "app.kubernetes.io/version": "v1",
    }
    assert (
        deployment.spec.template.spec.containers[0].image
        == "registry.acme.example/shop/reviews:1.7.4"
    )
    assert deployment.status.ready_replicas == 2
    assert deployment.metadata.generation >= 1
    assert deployment.kind == "Deployment"
    assert deployment.api_version == "apps/v1"


# ------------------------------------------------------------------ writes


def test_configmap_create_and_patches(api: client.ApiClient, sandbox: RunningSandbox) -> None:
    ns = make_namespace(api, "pyc-cm")
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(
        ns,
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="settings", labels={"tier": "a"}),
            data={"mode": "blue", "keep": "yes"},
        ),
    )
    assert created.metadata.uid
    assert created.metadata.namespace == ns
    assert created.data == {"mode": "blue", "keep": "yes"}

    # A dict body goes as a strategic-merge patch: null deletes a key.
    patched = core.patch_namespaced_config_map(
        "settings", ns, {"data": {"mode": "green", "keep": None}}
    )
    assert patched.data == {"mode": "green"}
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)
    # An explicit merge patch.
    merged = core.patch_namespaced_config_map(
        "settings",
        ns,
        {"metadata": {"labels": {"tier": "b", "extra": "1"}}},
        _content_type="application/merge-patch+json",
    )
    assert merged.metadata.labels == {"tier": "b", "extra": "1"}
    assert merged.data == {"mode": "green"}
    # A list body goes as an RFC 6902 JSON patch.
    json_patched = core.patch_namespaced_config_map(
        "settings",
        ns,
        [
            {"op": "add", "path": "/data/extra", "value": "x"},
            {"op": "remove", "path": "/metadata/labels/extra"},
            {"op": "test", "path": "/data/mode", "value": "green"},
        ],
    )
    assert json_patched.data == {"mode": "green", "extra": "x"}
    assert json_patched.metadata.labels == {"tier": "b"}
    stored = sandbox.stored(CONFIGMAPS, ns, "settings")
    assert stored is not None
    assert stored["data"] == {"mode": "green", "extra": "x"}
    assert stored["metadata"]["resourceVersion"] == json_patched.metadata.resource_version

    with pytest.raises(ApiException) as caught:
        core.patch_namespaced_config_map(
            "settings", ns, [{"op": "test", "path": "/data/mode", "value": "blue"}]
        )
    assert caught.value.status == 422
    assert error_body(caught.value)["reason"] == "Invalid"


def test_deployment_create_and_patches(api: client.ApiClient, sandbox: RunningSandbox) -> None:
    ns = make_namespace(api, "pyc-deploy")
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment(ns, deployment_body("web", 2))
    assert created.metadata.generation == 1
    assert created.spec.replicas == 2
    # Defaults the server fills in, as kube-apiserver would.
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.restart_policy == "Always"

    patched = apps.patch_namespaced_deployment("web", ns, {"spec": {"replicas": 3}})
    assert patched.spec.replicas == 3
    assert patched.metadata.generation == 2
    # Strategic merge on containers merges by name.
    patched = apps.patch_namespaced_deployment(
        "web",
        ns,
        {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "nginx:1.28"}]}}}},
    )
    containers = patched.spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("main", "nginx:1.28")]
    assert patched.metadata.generation == 3
    labelled = apps.patch_namespaced_deployment(
        "web", ns, [{"op": "add", "path": "/metadata/labels/owner", "value": "team-a"}]
    )
    assert labelled.metadata.labels == {"app": "web", "owner": "team-a"}
    assert labelled.metadata.generation == 3  # metadata only: no new generation
    stored = sandbox.stored(DEPLOYMENTS, ns, "web")
    assert stored is not None
    assert stored["spec"]["replicas"] == 3
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


# ------------------------------------------------------------------ watch


def test_watch_configmaps(api: client.ApiClient) -> None:
    ns = make_namespace(api, "pyc-watch")
    core = client.CoreV1Api(api)
    start = core.list_namespaced_config_map(ns).metadata.resource_version
    events: list[tuple[str, str, dict[str, str] | None]] = []
    watcher = watch.Watch()

    def writer() -> None:
        core.create_namespaced_config_map(
            ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w"), data={"a": "1"})
        )
        core.patch_namespaced_config_map("w", ns, {"data": {"a": "2"}})
        core.delete_namespaced_config_map("w", ns)

    thread = threading.Thread(target=writer)
    thread.start()
    started = time.monotonic()
    for event in watcher.stream(
        core.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=5
    ):
        obj = event["object"]
        assert isinstance(obj, client.V1ConfigMap)
        if obj.metadata.name != "w":
            continue  # kube-root-ca.crt, made by the namespace controller
        events.append((event["type"], obj.metadata.name, obj.data))
        if event["type"] == "DELETED":
            watcher.stop()
    thread.join()
    assert time.monotonic() - started < 4.5  # stopped on DELETED, not by the timeout
    assert events == [
        ("ADDED", "w", {"a": "1"}),
        ("MODIFIED", "w", {"a": "2"}),
        ("DELETED", "w", {"a": "2"}),
    ]


# ------------------------------------------------------------------ logs


def test_pod_logs(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    pod = "reviews-v1-5d8c9f7b6c-2xk7p"
    tail = core.read_namespaced_pod_log(pod, "shop-prod", container="reviews", tail_lines=5)
    lines = tail.splitlines()
    assert len(lines) == 5
    assert tail.endswith("\n")
    stamped = core.read_namespaced_pod_log(
        pod, "shop-prod", container="reviews", tail_lines=3, timestamps=True
    )
    assert len(stamped.splitlines()) == 3
    assert all(TIMESTAMPED.match(line) for line in stamped.splitlines())
    # The same lines, with the timestamp prefix cut off.
    assert [line.split(" ", 1)[1] for line in stamped.splitlines()] == lines[-3:]
    sidecar = core.read_namespaced_pod_log(pod, "shop-prod", container="istio-proxy", tail_lines=2)
    assert len(sidecar.splitlines()) == 2
    assert sidecar != tail

    worker = next(
        p.metadata.name
        for p in core.list_namespaced_pod("shop-prod", label_selector="app=shop-worker").items
    )
    assert worker.startswith("shop-worker-")
    previous = core.read_namespaced_pod_log(worker, "shop-prod", container="worker", previous=True)
    assert previous.strip()
    assert previous == core.read_namespaced_pod_log(worker, "shop-prod", previous=True)

    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log(pod, "shop-prod", previous=True, container="reviews")
    assert caught.value.status == 400
    assert error_body(caught.value)["message"] == (
        'previous terminated container "reviews" in pod "reviews-v1-5d8c9f7b6c-2xk7p" not found'
    )


# ------------------------------------------------------------------ custom objects


def test_custom_objects(api: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api)
    templates = custom.list_cluster_custom_object(
        "tenant.kubesphere.io", "v1beta1", "workspacetemplates"
    )
    assert templates["kind"] == "WorkspaceTemplateList"
    assert templates["apiVersion"] == "tenant.kubesphere.io/v1beta1"
    names = [t["metadata"]["name"] for t in templates["items"]]
    assert names == sorted(names)  # other modules on this shared sandbox may add workspaces
    assert {"acme-retail", "beta-labs"} <= set(names)
    runs = custom.list_namespaced_custom_object(
        "devops.kubesphere.io", "v1alpha3", "shop-cicdr7x2k", "pipelineruns"
    )
    assert runs["kind"] == "PipelineRunList"
    names = {r["metadata"]["name"] for r in runs["items"]}
    assert {
        "storefront-build-4m7kq",
        "storefront-build-h2x9d",
        "storefront-build-p8vzc",
        "api-release-7fk2w",
    } <= names
    everywhere = custom.list_cluster_custom_object(
        "devops.kubesphere.io", "v1alpha3", "pipelineruns"
    )
    assert {r["metadata"]["name"] for r in everywhere["items"]} >= names
    one = custom.get_namespaced_custom_object(
        "devops.kubesphere.io",
        "v1alpha3",
        "shop-cicdr7x2k",
        "pipelineruns",
        "storefront-build-4m7kq",
    )
    assert one["kind"] == "PipelineRun"
    assert one["metadata"]["namespace"] == "shop-cicdr7x2k"
    with pytest.raises(ApiException) as caught:
        custom.get_cluster_custom_object(
            "tenant.kubesphere.io", "v1beta1", "workspacetemplates", "nope"
        )
    assert caught.value.status == 404
    body = error_body(caught.value)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'workspacetemplates.tenant.kubesphere.io "nope" not found'
    assert body["details"] == {
        "name": "nope",
        "group": "tenant.kubesphere.io",
        "kind": "workspacetemplates",
    }


# ------------------------------------------------------------------ errors


def test_tenant_forbidden(tenant: client.ApiClient) -> None:
    core = client.CoreV1Api(tenant)
    own = core.list_namespaced_pod("shop-prod")  # alice administers shop-prod
    assert {p.metadata.namespace for p in own.items} == {"shop-prod"}
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_pod("ml-research")
    error = caught.value
    assert error.status == 403
    body = error_body(error)
    assert body["reason"] == "Forbidden"
    assert body["code"] == 403
    assert body["message"] == (
        'pods is forbidden: User "alice" cannot list resource "pods" in '
        'API group "" in the namespace "ml-research"'
    )
    assert body["details"] == {"kind": "pods"}
    with pytest.raises(ApiException) as caught:
        core.read_namespace("ml-research")
    assert caught.value.status == 403
    assert error_body(caught.value)["message"] == (
        # kube-apiserver's RequestInfo takes a namespace's own name as its namespace.
        'namespaces "ml-research" is forbidden: User "alice" cannot get resource "namespaces" '
        'in API group "" in the namespace "ml-research"'
    )
    with pytest.raises(ApiException) as caught:
        client.CustomObjectsApi(tenant).list_cluster_custom_object(
            "tenant.kubesphere.io", "v1beta1", "workspacetemplates"
        )
    assert caught.value.status == 403
    assert error_body(caught.value)["message"] == (
        'workspacetemplates.tenant.kubesphere.io is forbidden: User "alice" cannot list '
        'resource "workspacetemplates" in API group "tenant.kubesphere.io" at the cluster scope'
    )


def test_not_found_already_exists_conflict(api: client.ApiClient) -> None:
    ns = make_namespace(api, "pyc-errors")
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_config_map("missing", ns)
    assert caught.value.status == 404
    body = error_body(caught.value)
    assert (body["kind"], body["status"], body["reason"], body["code"]) == (
        "Status",
        "Failure",
        "NotFound",
        404,
    )
    assert body["message"] == 'configmaps "missing" not found'
    assert body["details"] == {"name": "missing", "kind": "configmaps"}

    first = core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dup"), data={"v": "1"})
    )
    with pytest.raises(ApiException) as caught:
        core.create_namespaced_config_map(
            ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="dup"))
        )
    assert caught.value.status == 409
    body = error_body(caught.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'
    assert body["details"] == {"name": "dup", "kind": "configmaps"}

    core.patch_namespaced_config_map("dup", ns, {"data": {"v": "2"}})
    stale = first  # carries the old resourceVersion
    stale.data = {"v": "3"}
    with pytest.raises(ApiException) as caught:
        core.replace_namespaced_config_map("dup", ns, stale)
    assert caught.value.status == 409
    body = error_body(caught.value)
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "dup": the object has '
        "been modified; please apply your changes to the latest version "
        "and try again"
    )
    assert body["details"] == {"name": "dup", "kind": "configmaps"}
    fresh = core.read_namespaced_config_map("dup", ns)
    assert fresh.data == {"v": "2"}
    fresh.data = {"v": "3"}
    assert core.replace_namespaced_config_map("dup", ns, fresh).data == {"v": "3"}

    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment_body("d"))
    with pytest.raises(ApiException) as caught:
        apps.create_namespaced_deployment(ns, deployment_body("d"))
    body = error_body(caught.value)
    assert (caught.value.status, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'deployments.apps "d" already exists'
    assert body["details"] == {"name": "d", "group": "apps", "kind": "deployments"}


def test_scale_reviews_and_deletes(api: client.ApiClient, tenant: client.ApiClient) -> None:
    ns = make_namespace(api, "pyc-misc")
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(ns, deployment_body("web", 1))
    scale = apps.read_namespaced_deployment_scale("web", ns)
    assert isinstance(scale, client.V1Scale)
    assert scale.spec.replicas == 1
    assert scale.status.selector == "app=web"
    scaled = apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 0}})
    assert scaled.spec.replicas == 0
    assert apps.read_namespaced_deployment("web", ns).spec.replicas == 0

    review = client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(
                verb="delete", resource="pods", namespace="shop-prod"
            )
        )
    )
    mine = client.AuthorizationV1Api(tenant).create_self_subject_access_review(review)
    assert mine.status.allowed is True
    review.spec.resource_attributes.namespace = "ml-research"
    theirs = client.AuthorizationV1Api(tenant).create_self_subject_access_review(review)
    assert theirs.status.allowed is False
    whoami = client.AuthenticationV1Api(tenant).create_self_subject_review(
        client.V1SelfSubjectReview()
    )
    assert whoami.status.user_info.username == "alice"

    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="gone"))
    )
    # Deletes are typed `object` in this client: a Status, or the object when it lingers.
    status = core.delete_namespaced_config_map("gone", ns)
    assert (status["kind"], status["status"]) == ("Status", "Success")
    assert status["details"]["name"] == "gone"
    assert status["details"]["kind"] == "configmaps"
    assert status["details"]["uid"]
    deleted = apps.delete_namespaced_deployment("web", ns, propagation_policy="Background")
    assert deleted["status"] == "Success"
    assert deleted["details"]["group"] == "apps"
    namespace = core.delete_namespace(ns)
    assert namespace["kind"] == "Namespace"
    assert namespace["status"]["phase"] == "Terminating"
    deadline = time.monotonic() + 10
    while True:
        try:
            core.read_namespace(ns)
        except ApiException as error:
            assert error.status == 404  # noqa: PT017  (a poll until gone, not one call that raises)
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
