"""Bad requests: each answered with kube-apiserver's Status (reason, code, message), and none of
them crashes the sandbox or changes what it stores. Real HTTP against the shared sandbox."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import RunningSandbox

NS = "bad-input"
CONFIGMAPS = f"/api/v1/namespaces/{NS}/configmaps"
PIPELINE_NS = "shop-cicdr7x2k"
WT = "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates"
PIPELINERUNS = f"/apis/devops.kubesphere.io/v1alpha3/namespaces/{PIPELINE_NS}/pipelineruns"
RBAC = "rbac.authorization.k8s.io"
# What these tests aim at; none of it may change (unless a test says so).
WATCHED_KEYS = {
    ("", "configmaps"),
    ("", "pods"),
    ("", "services"),
    ("", "namespaces"),
    ("apps", "deployments"),
    ("apps", "replicasets"),
    (RBAC, "rolebindings"),
    ("tenant.kubesphere.io", "workspacetemplates"),
    ("devops.kubesphere.io", "pipelineruns"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
}
# Outside NS, the names these tests try to create (other objects there may change meanwhile).
OUR_NAMES = {
    "bad-run",
    "typed-wrong",
    "with.dot",
    "n" * 64,
    "t11",
    "things.example.com",
    "no-such-ns",
    "orphan",
    "elsewhere",
}
MAY_WRITE = {
    "test_create_in_a_terminating_namespace_is_forbidden",
    "test_the_store_is_intact_and_the_server_still_answers",
}


def http_client(sandbox: RunningSandbox, user: str = "admin") -> httpx.Client:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    return httpx.Client(
        base_url=sandbox.url(),
        verify=context,
        timeout=20,
        headers={"Authorization": f"Bearer {sandbox.token('host', user)}"},
    )


@pytest.fixture(scope="module")
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with http_client(sandbox) as client:
        made = client.post(
            "/api/v1/namespaces",
            json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
        )
        assert made.status_code in (201, 409), made.text
        seeded = client.post(
            CONFIGMAPS,
            json={
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "keep"},
                "data": {"k": "v"},
            },
        )
        assert seeded.status_code in (201, 409), seeded.text
        deadline = time.monotonic() + 5  # the namespace controller has filled it in
        while client.get(f"{CONFIGMAPS}/kube-root-ca.crt").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield client


def _writes_since(
    sandbox: RunningSandbox, rv: int
) -> list[tuple[str, tuple[str, str], str, str]] | None:
    def collect() -> list[tuple[str, tuple[str, str], str, str]] | None:
        events = sandbox.cluster().store.events_since(rv)
        if events is None:
            return None
        return [
            (e.type, e.key, e.new.namespace, e.new.name)
            for e in events
            if e.key in WATCHED_KEYS and (e.new.namespace == NS or e.new.name in OUR_NAMES)
        ]

    return sandbox.call(collect)  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def nothing_written(
    request: pytest.FixtureRequest, sandbox: RunningSandbox, http: httpx.Client
) -> Iterator[None]:
    """Every refused request leaves the store as it was: no event for what the tests aim at."""
    rv = sandbox.call(lambda: sandbox.cluster().store.rv)
    yield
    if request.node.originalname in MAY_WRITE:
        return
    assert _writes_since(sandbox, rv) == []  # type: ignore[arg-type]


def status_of(response: httpx.Response, code: int, reason: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["kind"] == "Status"
    assert body["apiVersion"] == "v1"
    assert body["status"] == "Failure"
    assert (body["code"], body["reason"]) == (code, reason)
    return body


def configmap(name: str, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}}


# ------------------------------------------------------------------ bodies that do not parse


def test_malformed_json_is_a_bad_request(http: httpx.Client) -> None:
    for method, path, content_type in (
        ("POST", CONFIGMAPS, "application/json"),
        ("PUT", f"{CONFIGMAPS}/keep", "application/json"),
        ("PATCH", f"{CONFIGMAPS}/keep", "application/merge-patch+json"),
        ("PATCH", f"{CONFIGMAPS}/keep", "application/json-patch+json"),
    ):
        response = http.request(
            method,
            path,
            content=b'{"apiVersion": "v1", "kind": ',
            headers={"Content-Type": content_type},
        )
        body = status_of(response, 400, "BadRequest")
        assert body["message"].startswith("couldn't get version/kind; json parse error"), body


def test_malformed_yaml_apply_is_a_bad_request(http: httpx.Client) -> None:
    response = http.patch(
        f"{CONFIGMAPS}/applied",
        params={"fieldManager": "tests"},
        content=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [applied\n",
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    body = status_of(response, 400, "BadRequest")
    assert "couldn't get version/kind" in body["message"]


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"a configmap"', b"42", b"true"])
def test_a_body_that_is_not_an_object_is_a_bad_request(http: httpx.Client, raw: bytes) -> None:
    body = status_of(
        http.post(CONFIGMAPS, content=raw, headers={"Content-Type": "application/json"}),
        400,
        "BadRequest",
    )
    assert body["message"] == "Object 'Kind' is missing in request body"
    body = status_of(
        http.put(f"{CONFIGMAPS}/keep", content=raw, headers={"Content-Type": "application/json"}),
        400,
        "BadRequest",
    )
    assert body["message"] == "Object 'Kind' is missing in request body"


# ------------------------------------------------------------------ paths, scopes and verbs


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/widgets"),
        ("GET", "/api/v1/namespaces/default/widgets/x"),
        ("POST", "/api/v1/namespaces/default/widgets"),
        ("GET", "/apis/nope.io/v1/things"),
        ("GET", "/apis/apps/v9/deployments"),
        ("GET", "/apis/nope.io/v1"),
        ("GET", "/api/v1/pods/some-pod"),  # namespaced kind, item path without a namespace
        ("DELETE", "/api/v1/configmaps/keep"),
        ("POST", "/api/v1/configmaps"),  # create needs the namespace
        ("GET", "/api/v1/namespaces/default/nodes"),  # cluster-scoped kind under a namespace
        ("GET", "/api/v1/namespaces/default/nodes/host-control-plane"),
        ("GET", f"{WT.replace('/workspacetemplates', '/namespaces/default/workspacetemplates')}"),
        ("GET", f"{CONFIGMAPS}/keep/bogus"),  # no such subresource
        ("DELETE", f"{CONFIGMAPS}/keep/status"),  # configmaps have no status subresource
    ],
)
def test_unknown_paths_and_wrong_scopes_are_not_found(
    http: httpx.Client, method: str, path: str
) -> None:
    body = status_of(http.request(method, path), 404, "NotFound")
    assert body["message"] == "the server could not find the requested resource"
    assert body["details"] == {}


def test_a_missing_object_is_not_found_by_name(http: httpx.Client) -> None:
    body = status_of(http.get(f"{CONFIGMAPS}/nope"), 404, "NotFound")
    assert body["message"] == 'configmaps "nope" not found'
    assert body["details"] == {"name": "nope", "kind": "configmaps"}
    body = status_of(http.get(f"{WT}/nope"), 404, "NotFound")
    assert body["message"] == 'workspacetemplates.tenant.kubesphere.io "nope" not found'
    assert body["details"] == {
        "name": "nope",
        "group": "tenant.kubesphere.io",
        "kind": "workspacetemplates",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", CONFIGMAPS),  # update is for items, not collections
        ("PATCH", CONFIGMAPS),
        ("DELETE", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/x"),
        ("POST", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods"),
        ("POST", f"/api/v1/namespaces/{NS}/pods/x/log"),
        ("DELETE", f"/api/v1/namespaces/{NS}/pods/x/log"),
        ("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"),
    ],
)
def test_unsupported_verbs_are_method_not_allowed(
    http: httpx.Client, method: str, path: str
) -> None:
    body = status_of(
        http.request(
            method, path, content=b"{}", headers={"Content-Type": "application/merge-patch+json"}
        ),
        405,
        "MethodNotAllowed",
    )
    assert body["message"] == "the server does not allow this method on the requested resource"


# ------------------------------------------------------------------ names and schemas


@pytest.mark.parametrize(
    ("path", "kind", "name", "problem"),
    [
        (CONFIGMAPS, "ConfigMap", "Bad_Name", "a lowercase RFC 1123 subdomain must consist of"),
        (CONFIGMAPS, "ConfigMap", "UPPER", "a lowercase RFC 1123 subdomain must consist of"),
        (CONFIGMAPS, "ConfigMap", "a" * 300, "must be no more than 253 characters"),
        ("/api/v1/namespaces", "Namespace", "with.dot", "must not contain dots"),
        ("/api/v1/namespaces", "Namespace", "n" * 64, "must be no more than 63 characters"),
        (
            f"/api/v1/namespaces/{NS}/services",
            "Service",
            "1svc",
            "a DNS-1035 label must consist of lower case alphanumeric characters",
        ),
    ],
)
def test_invalid_names_are_invalid(
    http: httpx.Client, path: str, kind: str, name: str, problem: str
) -> None:
    sent = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}
    if kind == "Service":
        sent["spec"] = {"ports": [{"port": 80}]}
    body = status_of(http.post(path, json=sent), 422, "Invalid")
    assert body["message"].startswith(
        f'{kind} "{name}" is invalid: metadata.name: Invalid value: "{name}": '
    )
    assert problem in body["message"]
    assert body["details"]["name"] == name
    assert body["details"]["kind"] == kind
    cause = body["details"]["causes"][0]
    assert cause["field"] == "metadata.name"
    assert cause["reason"] == "FieldValueInvalid"
    assert problem in cause["message"]


def test_a_missing_name_is_invalid(http: httpx.Client) -> None:
    body = status_of(
        http.post(CONFIGMAPS, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
        422,
        "Invalid",
    )
    assert body["message"] == (
        'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "field": "metadata.name",
            "message": "Required value: name or generateName is required",
        }
    ]
    body = status_of(
        http.post(CONFIGMAPS, json={"apiVersion": "v1", "kind": "ConfigMap"}), 422, "Invalid"
    )
    assert body["details"]["causes"][0]["field"] == "metadata.name"


def test_a_workspacetemplate_violating_its_schema_is_invalid(http: httpx.Client) -> None:
    response = http.post(
        WT,
        json={
            "apiVersion": "tenant.kubesphere.io/v1beta1",
            "kind": "WorkspaceTemplate",
            "metadata": {"name": "typed-wrong"},
            "spec": {"template": {"spec": {"manager": 42}}, "placement": {"clusters": []}},
        },
    )
    body = status_of(response, 422, "Invalid")
    assert body["details"]["name"] == "typed-wrong"
    assert body["details"]["kind"] == "WorkspaceTemplate"
    assert body["details"]["group"] == "tenant.kubesphere.io"
    assert body["details"]["causes"] == [
        {
            "reason": "FieldValueTypeInvalid",
            "field": "spec.template.spec.manager",
            "message": 'Invalid value: "integer": spec.template.spec.manager in body must be of '
            'type string: "integer"',
        }
    ]
    assert body["message"].startswith(
        'WorkspaceTemplate.tenant.kubesphere.io "typed-wrong" is invalid: '
        "spec.template.spec.manager: Invalid value"
    )


def test_a_pipelinerun_violating_its_schema_is_invalid(http: httpx.Client) -> None:
    response = http.post(
        PIPELINERUNS,
        json={
            "apiVersion": "devops.kubesphere.io/v1alpha3",
            "kind": "PipelineRun",
            "metadata": {"name": "bad-run"},
            "spec": {"pipelineRef": "storefront-build"},
        },
    )
    body = status_of(response, 422, "Invalid")
    causes = body["details"]["causes"]
    assert [c["field"] for c in causes] == ["spec.pipelineRef"]
    assert causes[0]["reason"] == "FieldValueTypeInvalid"
    assert "must be of type object" in causes[0]["message"]
    # an update that breaks the schema is refused the same way
    current = http.get(f"{PIPELINERUNS}/storefront-build-4m7kq").json()
    current["spec"]["pipelineRef"] = ["not", "an", "object"]
    body = status_of(
        http.put(f"{PIPELINERUNS}/storefront-build-4m7kq", json=current), 422, "Invalid"
    )
    assert body["details"]["causes"][0]["field"] == "spec.pipelineRef"


# ------------------------------------------------------------------ sizes and media types


def test_a_body_over_3_mib_is_too_large(http: httpx.Client) -> None:
    big = configmap("huge") | {"data": {"blob": "x" * (3 * 1024 * 1024)}}
    body = status_of(http.post(CONFIGMAPS, json=big), 413, "RequestEntityTooLarge")
    assert body["message"] == "Request entity too large: limit is 3145728"


def test_protobuf_of_a_kind_without_a_decoder_is_unsupported_media_type(
    http: httpx.Client,
) -> None:
    headers = {"Content-Type": "application/vnd.kubernetes.protobuf"}
    widget = b"k8s\x00\n\x18\n\x0eexample.com/v1\x12\x06Widget"
    body = status_of(
        http.post(CONFIGMAPS, content=widget, headers=headers), 415, "UnsupportedMediaType"
    )
    assert body["message"] == (  # only what is truly accepted for it
        "the body of the request was in an unknown format - accepted media types include: "
        'application/json, application/yaml (got "application/vnd.kubernetes.protobuf")'
    )
    # an empty ConfigMap message is decoded, then answered as the same JSON would be
    empty = http.post(CONFIGMAPS, content=b"k8s\x00\n\x0f\n\x02v1\x12\tConfigMap", headers=headers)
    as_json = http.post(CONFIGMAPS, json={"kind": "ConfigMap", "apiVersion": "v1"})
    assert (empty.status_code, empty.json()) == (as_json.status_code, as_json.json())


def test_an_unknown_patch_type_is_unsupported_media_type(http: httpx.Client) -> None:
    body = status_of(
        http.patch(
            f"{CONFIGMAPS}/keep",
            content=b"{}",
            headers={"Content-Type": "application/x-custom-patch"},
        ),
        415,
        "UnsupportedMediaType",
    )
    assert body["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json, application/apply-patch+yaml"
    )
    body = status_of(
        http.patch(f"{WT}/acme-retail", content=b"{}", headers={"Content-Type": "text/plain"}),
        415,
        "UnsupportedMediaType",
    )
    assert body["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


def test_strategic_merge_patch_on_a_custom_resource_is_unsupported(http: httpx.Client) -> None:
    response = http.patch(
        f"{WT}/acme-retail",
        json={"spec": {"template": {}}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    body = status_of(response, 415, "UnsupportedMediaType")
    assert "application/strategic-merge-patch+json" not in body["message"]
    assert body["message"].endswith(
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


# ------------------------------------------------------------------ patches and namespaces


def test_a_failed_json_patch_test_is_invalid(http: httpx.Client) -> None:
    response = http.patch(
        f"{CONFIGMAPS}/keep",
        json=[
            {"op": "test", "path": "/data/k", "value": "something else"},
            {"op": "replace", "path": "/data/k", "value": "changed"},
        ],
        headers={"Content-Type": "application/json-patch+json"},
    )
    body = status_of(response, 422, "Invalid")
    assert body["message"] == "the server rejected our request due to an error in our request"
    assert body["details"] == {
        "causes": [
            {
                "reason": "UnexpectedServerResponse",
                "message": "testing value /data/k failed: test failed",
            }
        ]
    }
    assert http.get(f"{CONFIGMAPS}/keep").json()["data"] == {"k": "v"}


def test_a_namespace_mismatch_is_a_bad_request(http: httpx.Client) -> None:
    response = http.post(CONFIGMAPS, json=configmap("elsewhere", namespace="default"))
    body = status_of(response, 400, "BadRequest")
    assert body["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request"
    )
    current = http.get(f"{CONFIGMAPS}/keep").json()
    current["metadata"]["namespace"] = "default"
    status_of(http.put(f"{CONFIGMAPS}/keep", json=current), 400, "BadRequest")


def test_a_name_mismatch_on_update_is_a_bad_request(http: httpx.Client) -> None:
    current = http.get(f"{CONFIGMAPS}/keep").json()
    current["metadata"]["name"] = "other"
    body = status_of(http.put(f"{CONFIGMAPS}/keep", json=current), 400, "BadRequest")
    assert body["message"] == (
        "the name of the object (other) does not match the name on the URL (keep)"
    )


def test_create_in_a_missing_namespace_is_not_found(http: httpx.Client) -> None:
    response = http.post("/api/v1/namespaces/no-such-ns/configmaps", json=configmap("orphan"))
    body = status_of(response, 404, "NotFound")
    assert body["message"] == 'namespaces "no-such-ns" not found'
    assert body["details"] == {"name": "no-such-ns", "kind": "namespaces"}


def test_create_in_a_terminating_namespace_is_forbidden(
    http: httpx.Client, sandbox: RunningSandbox
) -> None:
    doomed = "bad-input-doomed"
    assert (
        http.post(
            "/api/v1/namespaces",
            json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": doomed}},
        ).status_code
        == 201
    )
    held = http.post(
        f"/api/v1/namespaces/{doomed}/configmaps",
        json=configmap("held", finalizers=["example.com/hold"]),
    )
    assert held.status_code == 201, held.text
    deleting = http.delete(f"/api/v1/namespaces/{doomed}")
    assert deleting.status_code in (200, 202)
    assert deleting.json()["status"]["phase"] == "Terminating"

    refused = http.post(f"/api/v1/namespaces/{doomed}/configmaps", json=configmap("late"))
    body = status_of(refused, 403, "Forbidden")
    assert body["message"] == (
        f'configmaps "late" is forbidden: unable to create new content '
        f"in namespace {doomed} because it is being terminated"
    )
    assert body["details"] == {"name": "late", "kind": "configmaps"}
    assert sandbox.stored(("", "configmaps"), doomed, "late") is None

    # let go of the last object: the namespace finishes terminating and is gone
    released = http.patch(
        f"/api/v1/namespaces/{doomed}/configmaps/held",
        json={"metadata": {"finalizers": None}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert released.status_code == 200, released.text
    deadline = time.monotonic() + 10
    while http.get(f"/api/v1/namespaces/{doomed}").status_code != 404:
        assert time.monotonic() < deadline, "the namespace never finished terminating"
        time.sleep(0.1)


# ------------------------------------------------------------------ wrong JSON types


@pytest.mark.parametrize(
    ("path", "sent", "message"),
    [
        (
            CONFIGMAPS,
            configmap("t1", labels=["a"]),
            "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
            "map[string]string",
        ),
        (
            CONFIGMAPS,
            configmap("t2", labels={"a": 1}),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
            "string",
        ),
        (
            CONFIGMAPS,
            configmap("t3", annotations=["a"]),
            "json: cannot unmarshal array into Go struct field "
            "ObjectMeta.metadata.annotations of type "
            "map[string]string",
        ),
        (
            CONFIGMAPS,
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 5}},
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type "
            "string",
        ),
        (
            CONFIGMAPS,
            configmap("t4", finalizers="example.com/x"),
            "json: cannot unmarshal string into Go struct field "
            "ObjectMeta.metadata.finalizers of type "
            "[]string",
        ),
        (
            CONFIGMAPS,
            configmap("t5", ownerReferences=["x"]),
            "json: cannot unmarshal string into Go struct field "
            "ObjectMeta.metadata.ownerReferences of "
            "type v1.OwnerReference",
        ),
        (
            CONFIGMAPS,
            configmap("t6") | {"data": {"n": 1}},
            "json: cannot unmarshal number into Go struct field ConfigMap.data of type string",
        ),
        (
            f"/apis/apps/v1/namespaces/{NS}/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "t7"},
                "spec": {
                    "replicas": "three",
                    "selector": {"matchLabels": {"a": "b"}},
                    "template": {
                        "metadata": {"labels": {"a": "b"}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                    },
                },
            },
            "json: cannot unmarshal string into Go struct field "
            "DeploymentSpec.spec.replicas of type "
            "int32",
        ),
        (
            f"/apis/apps/v1/namespaces/{NS}/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "t8"},
                "spec": "x",
            },
            "json: cannot unmarshal string into Go struct field Deployment.spec of type "
            "v1.DeploymentSpec",
        ),
        (
            f"/api/v1/namespaces/{NS}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "t9"},
                "spec": {"containers": {"name": "c", "image": "nginx"}},
            },
            "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type "
            "[]v1.Container",
        ),
        (
            f"/api/v1/namespaces/{NS}/services",
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "t10"},
                "spec": {"ports": "80"},
            },
            "json: cannot unmarshal string into Go struct field ServiceSpec.spec.ports of type "
            "[]v1.ServicePort",
        ),
        (
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t11"}, "spec": [1]},
            "json: cannot unmarshal array into Go struct field Namespace.spec of type "
            "v1.NamespaceSpec",
        ),
        (
            f"/apis/{RBAC}/v1/namespaces/{NS}/rolebindings",
            {
                "apiVersion": f"{RBAC}/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "t12"},
                "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
                "subjects": "alice",
            },
            "json: cannot unmarshal string into Go struct field RoleBinding.subjects of type "
            "[]v1.Subject",
        ),
        (
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": "things.example.com"},
                "spec": {
                    "group": "example.com",
                    "names": "things",
                    "scope": "Namespaced",
                    "versions": [],
                },
            },
            "json: cannot unmarshal string into Go struct field "
            "CustomResourceDefinitionSpec.spec.names "
            "of type v1.CustomResourceDefinitionNames",
        ),
        (
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": "pods"},
            },
            "json: cannot unmarshal string into Go struct field "
            "SelfSubjectAccessReviewSpec.spec.resourceAttributes of type v1.ResourceAttributes",
        ),
    ],
)
def test_wrong_json_types_are_refused_by_the_decoder(
    http: httpx.Client, sandbox: RunningSandbox, path: str, sent: dict[str, Any], message: str
) -> None:
    kind, version = sent["kind"], sent["apiVersion"].split("/")[-1]
    body = status_of(http.post(path, json=sent), 400, "BadRequest")
    assert (
        body["message"] == f'{kind} in version "{version}" cannot be handled as a {kind}: {message}'
    )
    # and the cluster still works for everyone, a tenant's RBAC checks included
    with http_client(sandbox, "alice") as tenant:
        assert tenant.get("/api/v1/namespaces/shop-prod/pods").status_code == 200


def test_a_patch_that_breaks_the_types_is_invalid(http: httpx.Client) -> None:
    for content_type, patch in (
        ("application/merge-patch+json", {"metadata": {"labels": ["x"]}}),
        ("application/json-patch+json", [{"op": "replace", "path": "/metadata", "value": "x"}]),
        ("application/strategic-merge-patch+json", {"data": {"k": 7}}),
    ):
        response = http.patch(
            f"{CONFIGMAPS}/keep", json=patch, headers={"Content-Type": content_type}
        )
        body = status_of(response, 422, "Invalid")
        cause = body["details"]["causes"][0]
        assert cause["field"] == "patch"
        assert cause["reason"] == "FieldValueInvalid"
        assert "json: cannot unmarshal" in cause["message"]
    assert http.get(f"{CONFIGMAPS}/keep").json()["data"] == {"k": "v"}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "ten"},
        {"watch": "1", "timeoutSeconds": "soon"},
    ],
)
def test_unparsable_query_parameters_are_bad_requests(
    http: httpx.Client, params: dict[str, str]
) -> None:
    body = status_of(http.get(CONFIGMAPS, params=params), 400, "BadRequest")
    value = next(iter(v for k, v in params.items() if k != "watch"))
    assert body["message"] == f'strconv.ParseInt: parsing "{value}": invalid syntax'


# ------------------------------------------------------------------ and afterwards


def test_the_store_is_intact_and_the_server_still_answers(
    http: httpx.Client, sandbox: RunningSandbox
) -> None:
    assert http.get("/healthz").text == "ok"
    listed = http.get(CONFIGMAPS).json()
    assert sorted(item["metadata"]["name"] for item in listed["items"]) == [
        "keep",
        "kube-root-ca.crt",
    ]
    assert http.get(f"{CONFIGMAPS}/keep").json()["data"] == {"k": "v"}
    names = {i["metadata"]["name"] for i in http.get(WT).json()["items"]}
    # Other test modules share this sandbox and may add workspaces; none of ours got in.
    assert {"acme-retail", "beta-labs"} <= names
    assert "typed-wrong" not in names
    runs = [i["metadata"]["name"] for i in http.get(PIPELINERUNS).json()["items"]]
    assert "bad-run" not in runs
    assert "storefront-build-4m7kq" in runs
    assert sandbox.stored(("", "namespaces"), "", "t11") is None
    assert sandbox.stored(("", "namespaces"), "", "with.dot") is None
    stored_run = sandbox.stored(
        ("devops.kubesphere.io", "pipelineruns"), PIPELINE_NS, "storefront-build-4m7kq"
    )
    assert stored_run is not None
    assert isinstance(stored_run["spec"]["pipelineRef"], dict)
    created = http.post(CONFIGMAPS, json=configmap("after-all") | {"data": {"ok": "yes"}})
    assert created.status_code == 201
    assert http.delete(f"{CONFIGMAPS}/after-all").status_code == 200
