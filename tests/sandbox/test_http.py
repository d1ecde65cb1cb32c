"""Conformance, client 3 of 3: plain HTTP (httpx) against the sandbox, checking the wire format
and the semantics kube-apiserver has: discovery, Tables, watch, writes, subresources, deletion,
reviews, authentication, the service proxy and pod logs."""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.conftest import RunningSandbox

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON_PATCH = {"Content-Type": "application/json-patch+json"}
CONFIGMAPS = ("", "configmaps")
DEPLOYMENTS = ("apps", "deployments")
REPLICASETS = ("apps", "replicasets")
UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}
STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) (.*)$")
REVIEWS_POD = "/api/v1/namespaces/shop-prod/pods/reviews-v1-5d8c9f7b6c-2xk7p"


def tls(sandbox: RunningSandbox) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=sandbox.ca_file())


def connect(sandbox: RunningSandbox, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or sandbox.token()}"}
    return httpx.Client(base_url=sandbox.url(), verify=tls(sandbox), headers=headers, timeout=20)


@pytest.fixture(scope="module")
def http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(sandbox) as client:
        yield client


@pytest.fixture(scope="module")
def alice(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(sandbox, sandbox.token("host", "alice")) as client:
        yield client


def ok(response: httpx.Response, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def make_namespace(http: httpx.Client, name: str) -> str:
    ok(http.post("/api/v1/namespaces", json={"metadata": {"name": name}}), 201)
    return name


def cm_path(ns: str, name: str = "") -> str:
    base = f"/api/v1/namespaces/{ns}/configmaps"
    return f"{base}/{name}" if name else base


def create_cm(
    http: httpx.Client, ns: str, name: str, data: dict[str, str] | None = None, **meta: Any
) -> dict[str, Any]:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, **meta},
        "data": data or {},
    }
    return ok(http.post(cm_path(ns), json=body), 201)  # type: ignore[no-any-return]


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
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
                "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
            },
        },
    }


def deploy_path(ns: str, name: str = "") -> str:
    base = f"/apis/apps/v1/namespaces/{ns}/deployments"
    return f"{base}/{name}" if name else base


def list_rv(http: httpx.Client, path: str) -> str:
    return ok(http.get(path))["metadata"]["resourceVersion"]  # type: ignore[no-any-return]


def watch_lines(
    http: httpx.Client,
    path: str,
    params: dict[str, Any],
    count: int | None = None,
    name_prefix: str = "",
) -> list[dict[str, Any]]:
    """Events of one watch, until `count` matching ones arrived or the server ended it."""
    events = []
    with http.stream("GET", path, params={"watch": "true", **params}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        for line in response.iter_lines():
            if not line.strip():
                continue
            event = json.loads(line)
            name = event["object"].get("metadata", {}).get("name", "")
            if event["type"] in ("ADDED", "MODIFIED", "DELETED") and not name.startswith(
                name_prefix
            ):
                continue
            events.append(event)
            if count is not None and len(events) == count:
                break
    return events


def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


# ------------------------------------------------------------------ discovery and friends


def test_core_discovery(http: httpx.Client) -> None:
    api = ok(http.get("/api"))
    assert api["kind"] == "APIVersions"
    assert api["versions"] == ["v1"]
    v1 = ok(http.get("/api/v1"))
    assert (v1["kind"], v1["apiVersion"], v1["groupVersion"]) == ("APIResourceList", "v1", "v1")
    by_name = {r["name"]: r for r in v1["resources"]}
    pods = by_name["pods"]
    assert (pods["singularName"], pods["namespaced"], pods["kind"]) == ("pod", True, "Pod")
    assert pods["shortNames"] == ["po"]
    assert "all" in pods["categories"]
    assert set(pods["verbs"]) == {
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    }
    subresources = [r for r in v1["resources"] if "/" in r["name"]]
    assert {"pods/log", "pods/status", "namespaces/finalize", "services/proxy"} <= {
        r["name"] for r in subresources
    }
    for entry in subresources:
        assert entry["singularName"] == ""
        assert "shortNames" not in entry
        assert "categories" not in entry
    assert by_name["pods/log"]["kind"] == "Pod"
    assert by_name["pods/log"]["verbs"] == ["get"]
    apps = ok(http.get("/apis/apps/v1"))
    assert apps["groupVersion"] == "apps/v1"
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert (scale["singularName"], scale["group"], scale["version"], scale["kind"]) == (
        "",
        "autoscaling",
        "v1",
        "Scale",
    )


def test_group_discovery_legacy_and_aggregated(http: httpx.Client) -> None:
    groups = ok(http.get("/apis"))
    assert groups["kind"] == "APIGroupList"
    assert groups["apiVersion"] == "v1"
    by_name = {g["name"]: g for g in groups["groups"]}
    assert by_name["apps"]["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    tenant = by_name["tenant.kubesphere.io"]
    assert tenant["preferredVersion"] == {
        "groupVersion": "tenant.kubesphere.io/v1beta1",
        "version": "v1beta1",
    }
    assert {
        "devops.kubesphere.io",
        "iam.kubesphere.io",
        "cluster.kubesphere.io",
        "servicemesh.kubesphere.io",
        "application.kubesphere.io",
    } <= set(by_name)
    assert ok(http.get("/apis/tenant.kubesphere.io"))["kind"] == "APIGroup"
    templates = ok(http.get("/apis/tenant.kubesphere.io/v1beta1"))
    entry = next(r for r in templates["resources"] if r["name"] == "workspacetemplates")
    assert (entry["kind"], entry["namespaced"], entry["singularName"]) == (
        "WorkspaceTemplate",
        False,
        "workspacetemplate",
    )

    response = http.get("/apis", headers={"Accept": f"{AGGREGATED},application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == AGGREGATED
    aggregated = response.json()
    assert aggregated["kind"] == "APIGroupDiscoveryList"
    assert aggregated["apiVersion"] == "apidiscovery.k8s.io/v2"
    items = {i["metadata"]["name"]: i for i in aggregated["items"]}
    assert "" not in items
    assert "apps" in items
    tenant_versions = [v["version"] for v in items["tenant.kubesphere.io"]["versions"]]
    assert tenant_versions[0] == "v1beta1"
    v1beta1 = items["tenant.kubesphere.io"]["versions"][0]
    workspacetemplates = next(
        r for r in v1beta1["resources"] if r["resource"] == "workspacetemplates"
    )
    assert workspacetemplates["scope"] == "Cluster"
    assert workspacetemplates["responseKind"] == {
        "group": "tenant.kubesphere.io",
        "version": "v1beta1",
        "kind": "WorkspaceTemplate",
    }
    devops = items["devops.kubesphere.io"]["versions"][0]
    runs = next(r for r in devops["resources"] if r["resource"] == "pipelineruns")
    assert runs["scope"] == "Namespaced"
    assert runs["singularResource"] == "pipelinerun"
    deployments = next(
        r for r in items["apps"]["versions"][0]["resources"] if r["resource"] == "deployments"
    )
    scale = next(s for s in deployments["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}

    core = http.get("/api", headers={"Accept": AGGREGATED})
    assert core.headers["content-type"] == AGGREGATED
    core_items = core.json()["items"]
    assert [i["metadata"]["name"] for i in core_items] == [""]
    pods = next(r for r in core_items[0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert {s["subresource"] for s in pods["subresources"]} >= {"log", "status"}


def test_version_health_openapi(http: httpx.Client, sandbox: RunningSandbox) -> None:
    version = ok(http.get("/version"))
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "35", "v1.35.2")
    assert version["platform"] == "linux/amd64"
    for path in ("/healthz", "/readyz", "/livez"):
        response = http.get(path)
        assert (response.status_code, response.text) == (200, "ok")
    # Health and version are public; discovery is not.
    anonymous = httpx.get(sandbox.url() + "/healthz", verify=tls(sandbox))
    assert (anonymous.status_code, anonymous.text) == (200, "ok")
    assert httpx.get(sandbox.url() + "/version", verify=tls(sandbox)).json() == version
    index = ok(http.get("/openapi/v3"))
    assert index["paths"]["api/v1"]["serverRelativeURL"].startswith("/openapi/v3/api/v1")
    assert "apis/apps/v1" in index["paths"]
    assert "apis/tenant.kubesphere.io/v1beta1" in index["paths"]
    document = ok(http.get(index["paths"]["apis/apps/v1"]["serverRelativeURL"]))
    assert document["openapi"].startswith("3.")
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
    }
    assert http.get("/openapi/v3/apis/nope/v1").status_code == 404


# ------------------------------------------------------------------ Table output


def test_table_for_pods(fresh_sandbox: Any) -> None:
    # A frozen clock: ages and restart times are exact, and no timer restarts the worker.
    running = fresh_sandbox(pods=0, frozen=True)
    with connect(running) as http:
        table = ok(http.get("/api/v1/namespaces/shop-prod/pods", headers={"Accept": TABLE}))
        reviews = ok(
            http.get(
                f"{REVIEWS_POD}", headers={"Accept": TABLE}, params={"includeObject": "Object"}
            )
        )
        paged = ok(http.get("/api/v1/pods", headers={"Accept": TABLE}, params={"limit": 5}))
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert int(table["metadata"]["resourceVersion"]) > 1000
    columns = table["columnDefinitions"]
    assert [c["name"] for c in columns] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    assert [c["priority"] for c in columns] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert all(set(c) == {"name", "type", "format", "description", "priority"} for c in columns)
    # the seeded pods (on this cluster's workers: the file names nodes it lacks); with one
    # cluster the app store's eu-web release also lands in shop-prod
    seeded = [r for r in table["rows"] if not r["cells"][0].startswith("eu-web-")]
    assert [r["cells"] for r in seeded] == [
        [
            "reviews-v1-5d8c9f7b6c-2xk7p",
            "2/2",
            "Running",
            "0",
            "5d22h",
            "10.233.90.17",
            "host-worker-1",
            "<none>",
            "<none>",
        ],
        [
            "reviews-v1-5d8c9f7b6c-q9w4m",
            "2/2",
            "Running",
            "1 (3d6h ago)",
            "5d22h",
            "10.233.71.5",
            "host-worker-1",
            "<none>",
            "<none>",
        ],
        [
            "reviews-v2-6f4b8d9c7d-lm3zt",
            "2/2",
            "Running",
            "0",
            "60m",
            "10.233.92.30",
            "host-worker-2",
            "<none>",
            "<none>",
        ],
        [
            "shop-worker-7c9d8b6f5-hv2rk",
            "0/1",
            "CrashLoopBackOff",
            "7 (18m ago)",
            "49m",
            "10.233.90.44",
            "host-worker-2",
            "<none>",
            "<none>",
        ],
    ]
    worker = seeded[3]["object"]
    assert (worker["kind"], worker["apiVersion"]) == ("PartialObjectMetadata", "meta.k8s.io/v1")
    assert worker["metadata"]["name"] == "shop-worker-7c9d8b6f5-hv2rk"
    assert worker["metadata"]["namespace"] == "shop-prod"
    assert "spec" not in worker

    assert len(reviews["rows"]) == 1
    assert reviews["rows"][0]["object"]["kind"] == "Pod"
    assert reviews["rows"][0]["object"]["spec"]["containers"][0]["name"] == "reviews"
    assert len(paged["rows"]) == 5
    assert paged["metadata"]["continue"]


def test_table_for_custom_kind(fresh_sandbox: Any) -> None:
    running = fresh_sandbox(pods=0, frozen=True)
    with connect(running) as http:
        table = ok(
            http.get(
                "/apis/devops.kubesphere.io/v1alpha3/namespaces/shop-cicdr7x2k/pipelineruns",
                headers={"Accept": TABLE},
            )
        )
        templates = ok(
            http.get(
                "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates", headers={"Accept": TABLE}
            )
        )
    assert table["kind"] == "Table"
    columns = [(c["name"], c["type"]) for c in table["columnDefinitions"]]
    assert columns == [("Name", "string"), ("ID", "string"), ("Phase", "string"), ("Age", "date")]
    assert table["columnDefinitions"][1]["description"] == "The id of a PipelineRun"
    assert [r["cells"] for r in table["rows"]] == [
        ["api-release-7fk2w", "5", "Pending", "29m"],
        ["storefront-build-4m7kq", "12", "Succeeded", "26h"],
        ["storefront-build-h2x9d", "13", "Failed", "109m"],
        ["storefront-build-p8vzc", "14", "Running", "8m"],
    ]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    # A CRD without printer columns: Name and Age.
    assert [c["name"] for c in templates["columnDefinitions"]] == ["Name", "Age"]
    assert {"acme-retail", "beta-labs"} <= {r["cells"][0] for r in templates["rows"]}


# ------------------------------------------------------------------ watch


def test_watch_resumes_without_losing_events(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-resume")
    start = list_rv(http, cm_path(ns))
    expected: list[tuple[str, str, str]] = []
    for i in range(10):
        created = create_cm(http, ns, f"item-{i}", {"n": "0"})
        expected.append(("ADDED", f"item-{i}", created["metadata"]["resourceVersion"]))
    for round_ in range(1, 4):
        for i in range(10):
            patched = ok(
                http.patch(
                    cm_path(ns, f"item-{i}"), headers=MERGE, json={"data": {"n": str(round_)}}
                )
            )
            expected.append(("MODIFIED", f"item-{i}", patched["metadata"]["resourceVersion"]))
    for i in range(0, 10, 1):
        ok(http.delete(cm_path(ns, f"item-{i}")))
        expected.append(("DELETED", f"item-{i}", ""))
    assert len(expected) == 50
    events = watch_lines(
        http,
        cm_path(ns),
        {"resourceVersion": start, "timeoutSeconds": 10},
        count=50,
        name_prefix="item-",
    )
    seen = [
        (e["type"], e["object"]["metadata"]["name"], e["object"]["metadata"]["resourceVersion"])
        for e in events
    ]
    assert [s[:2] for s in seen] == [e[:2] for e in expected]
    assert [s[2] for s in seen[:40]] == [e[2] for e in expected[:40]]
    versions = [int(s[2]) for s in seen]
    assert versions == sorted(versions)
    assert len(set(versions)) == 50
    assert [e["object"]["data"]["n"] for e in events[10:20]] == ["1"] * 10
    assert [e["object"]["data"]["n"] for e in events[40:]] == ["3"] * 10


def test_watch_bookmarks(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-bookmark")
    create_cm(http, ns, "one")
    # sendInitialEvents: the current state, then a bookmark that marks its end.
    initial = watch_lines(
        http,
        cm_path(ns),
        {
            "sendInitialEvents": "true",
            "allowWatchBookmarks": "true",
            "resourceVersionMatch": "NotOlderThan",
            "timeoutSeconds": 1,
        },
    )
    assert [e["type"] for e in initial] == ["ADDED", "ADDED", "BOOKMARK"]
    assert sorted(e["object"]["metadata"]["name"] for e in initial[:2]) == [
        "kube-root-ca.crt",
        "one",
    ]
    end = initial[2]["object"]
    assert end["kind"] == "ConfigMap"
    assert end["apiVersion"] == "v1"
    assert end["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(end["metadata"]["resourceVersion"]) >= int(
        initial[1]["object"]["metadata"]["resourceVersion"]
    )

    # A quiet watch gets a periodic BOOKMARK (every 5 s here) carrying a current version.
    start = list_rv(http, cm_path(ns))
    began = time.monotonic()
    events = watch_lines(
        http,
        cm_path(ns),
        {"resourceVersion": start, "allowWatchBookmarks": "true", "timeoutSeconds": 8},
        count=1,
    )
    assert time.monotonic() - began < 7.5
    assert events[0]["type"] == "BOOKMARK"
    bookmark = events[0]["object"]
    assert bookmark["kind"] == "ConfigMap"
    assert int(bookmark["metadata"]["resourceVersion"]) >= int(start)


def test_watch_expired_after_compaction(fresh_sandbox: Any) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    with connect(running) as http:
        make_namespace(http, "expiry")
        old = list_rv(http, cm_path("expiry"))
        create_cm(http, "expiry", "a")
        paged = ok(http.get("/api/v1/configmaps", params={"limit": 1}))
        assert paged["metadata"]["continue"]
        create_cm(http, "expiry", "b")  # the log moves on past the list's version
        running.call(running.cluster().store.compact)
        current = list_rv(http, cm_path("expiry"))
        started = time.monotonic()
        events = watch_lines(http, cm_path("expiry"), {"resourceVersion": old, "timeoutSeconds": 5})
        assert time.monotonic() - started < 2  # the stream ends right after the ERROR
        assert len(events) == 1
        assert events[0]["type"] == "ERROR"
        status = events[0]["object"]
        assert status == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "reason": "Expired",
            "code": 410,
            "message": f"too old resource version: {old} ({int(current) + 1})",
        }
        # Resuming from the newest version still works.
        fine = watch_lines(
            http, cm_path("expiry"), {"resourceVersion": current, "timeoutSeconds": 1}
        )
        assert fine == []
        # A continue token from before the compaction is expired too.
        expired = http.get(
            "/api/v1/configmaps", params={"limit": 1, "continue": paged["metadata"]["continue"]}
        )
        assert expired.status_code == 410
        assert expired.json()["reason"] == "Expired"


def test_watch_timeout_ends_stream(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-timeout")
    start = list_rv(http, cm_path(ns))
    began = time.monotonic()
    events = watch_lines(http, cm_path(ns), {"resourceVersion": start, "timeoutSeconds": 1})
    elapsed = time.monotonic() - began
    assert events == []
    assert 0.9 <= elapsed < 3


def test_watch_label_selector_leaving_is_deleted(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-selector")
    start = list_rv(http, cm_path(ns))
    created = create_cm(http, ns, "sel", {"v": "1"}, labels={"team": "a"})
    create_cm(http, ns, "other", labels={"team": "b"})
    moved = ok(
        http.patch(
            cm_path(ns, "sel"),
            headers=MERGE,
            json={"metadata": {"labels": {"team": "b"}}, "data": {"v": "2"}},
        )
    )
    back = ok(
        http.patch(cm_path(ns, "sel"), headers=MERGE, json={"metadata": {"labels": {"team": "a"}}})
    )
    ok(http.delete(cm_path(ns, "sel")))
    events = watch_lines(
        http,
        cm_path(ns),
        {"resourceVersion": start, "timeoutSeconds": 1, "labelSelector": "team=a"},
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "sel"),
        ("DELETED", "sel"),
        ("ADDED", "sel"),
        ("DELETED", "sel"),
    ]
    assert (
        events[0]["object"]["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    )
    # Leaving the selector: the last state that matched, at the version of the change.
    left = events[1]["object"]
    assert left["metadata"]["labels"] == {"team": "a"}
    assert left["data"] == {"v": "1"}
    assert left["metadata"]["resourceVersion"] == moved["metadata"]["resourceVersion"]
    assert events[2]["object"]["metadata"]["resourceVersion"] == back["metadata"]["resourceVersion"]
    assert events[2]["object"]["data"] == {"v": "2"}
    # A field selector watch of one object.
    named = watch_lines(
        http,
        cm_path(ns),
        {"resourceVersion": start, "timeoutSeconds": 1, "fieldSelector": "metadata.name=other"},
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in named] == [("ADDED", "other")]


# ------------------------------------------------------------------ write semantics


def test_dry_run_changes_nothing(http: httpx.Client, sandbox: RunningSandbox) -> None:
    ns = make_namespace(http, "http-dryrun")
    dry = {"dryRun": "All"}
    response = http.post(
        cm_path(ns), params=dry, json={"metadata": {"name": "ghost"}, "data": {"a": "1"}}
    )
    created = ok(response, 201)
    assert created["metadata"]["name"] == "ghost"
    assert created["data"] == {"a": "1"}
    assert created["metadata"]["uid"]
    assert sandbox.stored(CONFIGMAPS, ns, "ghost") is None
    assert http.get(cm_path(ns, "ghost")).status_code == 404

    real = create_cm(http, ns, "real", {"a": "1"})
    patched = ok(
        http.patch(cm_path(ns, "real"), params=dry, headers=MERGE, json={"data": {"a": "2"}})
    )
    assert patched["data"] == {"a": "2"}
    stored = sandbox.stored(CONFIGMAPS, ns, "real")
    assert stored is not None
    assert stored["data"] == {"a": "1"}
    assert stored["metadata"]["resourceVersion"] == real["metadata"]["resourceVersion"]

    put = dict(real, data={"a": "3"})
    assert ok(http.put(cm_path(ns, "real"), params=dry, json=put))["data"] == {"a": "3"}
    assert sandbox.stored(CONFIGMAPS, ns, "real")["data"] == {"a": "1"}  # type: ignore[index]

    deleted = http.delete(cm_path(ns, "real"), params=dry)
    assert deleted.status_code == 200
    stored = sandbox.stored(CONFIGMAPS, ns, "real")
    assert stored is not None
    assert stored["metadata"]["resourceVersion"] == real["metadata"]["resourceVersion"]
    assert "deletionTimestamp" not in stored["metadata"]

    # A dry-run Deployment makes no ReplicaSet either.
    ok(http.post(deploy_path(ns), params=dry, json=deployment("web")), 201)
    time.sleep(0.2)
    assert sandbox.stored(DEPLOYMENTS, ns, "web") is None
    assert ok(http.get(f"/apis/apps/v1/namespaces/{ns}/replicasets"))["items"] == []


def test_stale_resource_version_conflicts(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-conflict")
    first = create_cm(http, ns, "c", {"v": "1"})
    ok(http.patch(cm_path(ns, "c"), headers=MERGE, json={"data": {"v": "2"}}))
    conflict = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'Operation cannot be fulfilled on configmaps "c": the object has been '
        "modified; please apply your changes to the latest version and try "
        "again",
        "reason": "Conflict",
        "details": {"name": "c", "kind": "configmaps"},
        "code": 409,
    }
    stale = dict(first, data={"v": "3"})
    response = http.put(cm_path(ns, "c"), json=stale)
    assert response.status_code == 409
    assert response.json() == conflict
    # A patch that names a resourceVersion is a precondition too.
    response = http.patch(
        cm_path(ns, "c"),
        headers=MERGE,
        json={
            "metadata": {"resourceVersion": first["metadata"]["resourceVersion"]},
            "data": {"v": "4"},
        },
    )
    assert response.status_code == 409
    assert response.json() == conflict
    response = http.request(
        "DELETE",
        cm_path(ns, "c"),
        json={"preconditions": {"resourceVersion": first["metadata"]["resourceVersion"]}},
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    current = ok(http.get(cm_path(ns, "c")))
    assert current["data"] == {"v": "2"}
    # Without a resourceVersion a PUT is unconditional.
    unconditional = {"metadata": {"name": "c"}, "data": {"v": "5"}}
    assert ok(http.put(cm_path(ns, "c"), json=unconditional))["data"] == {"v": "5"}


def test_generation_bumps_on_spec_only(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-generation")
    created = ok(http.post(deploy_path(ns), json=deployment("web", 0)), 201)
    assert created["metadata"]["generation"] == 1
    path = deploy_path(ns, "web")
    labelled = ok(
        http.patch(
            path,
            headers=MERGE,
            json={"metadata": {"labels": {"x": "1"}, "annotations": {"note": "hi"}}},
        )
    )
    assert labelled["metadata"]["generation"] == 1
    assert int(labelled["metadata"]["resourceVersion"]) > int(
        created["metadata"]["resourceVersion"]
    )
    scaled = ok(
        http.patch(path, headers=MERGE, json={"spec": {"replicas": 0, "minReadySeconds": 5}})
    )
    assert scaled["metadata"]["generation"] == 2
    same = ok(http.patch(path, headers=MERGE, json={"spec": {"minReadySeconds": 5}}))
    assert same["metadata"]["generation"] == 2
    current = ok(http.get(path))
    current["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    del current["metadata"]["resourceVersion"]
    assert ok(http.put(path, json=current))["metadata"]["generation"] == 3
    # A client cannot set generation itself.
    forced = ok(http.patch(path, headers=MERGE, json={"metadata": {"generation": 40}}))
    assert forced["metadata"]["generation"] == 3


def test_status_subresource(fresh_sandbox: Any) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False, controllers=False)
    with connect(running) as http:
        ns = make_namespace(http, "status")
        path = deploy_path(ns, "web")
        body = deployment("web", 2)
        body["status"] = {"replicas": 7}
        created = ok(http.post(deploy_path(ns), json=body), 201)
        assert "status" not in created or created["status"].get("replicas") != 7

        sent = ok(http.get(path))
        sent["spec"]["replicas"] = 9
        sent["metadata"]["labels"]["changed"] = "yes"
        sent["status"] = {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1}
        updated = ok(http.put(path + "/status", json=sent))
        assert updated["status"] == {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1}
        assert updated["spec"]["replicas"] == 2
        assert updated["metadata"]["labels"] == {"app": "web"}
        assert updated["metadata"]["generation"] == 1

        main = ok(http.get(path))
        main["status"] = {"replicas": 100}
        main["spec"]["replicas"] = 3
        replaced = ok(http.put(path, json=main))
        assert replaced["spec"]["replicas"] == 3
        assert replaced["status"] == updated["status"]
        patched = ok(http.patch(path, headers=MERGE, json={"status": {"replicas": 50}}))
        assert patched["status"] == updated["status"]
        status_patch = ok(
            http.patch(
                path + "/status",
                headers=MERGE,
                json={"status": {"availableReplicas": 1}, "spec": {"replicas": 11}},
            )
        )
        assert status_patch["status"] == {
            "replicas": 2,
            "readyReplicas": 1,
            "observedGeneration": 1,
            "availableReplicas": 1,
        }
        assert status_patch["spec"]["replicas"] == 3
        stored = running.stored(DEPLOYMENTS, ns, "web")
        assert stored is not None
        assert stored["spec"]["replicas"] == 3
        assert stored["status"] == status_patch["status"]
        assert ok(http.get(path + "/status"))["status"] == status_patch["status"]


def test_scale_subresource(http: httpx.Client, sandbox: RunningSandbox) -> None:
    ns = make_namespace(http, "http-scale")
    created = ok(http.post(deploy_path(ns), json=deployment("web", 1)), 201)
    path = deploy_path(ns, "web") + "/scale"
    scale = ok(http.get(path))
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["metadata"]["name"] == "web"
    assert scale["metadata"]["namespace"] == ns
    assert scale["metadata"]["uid"] == created["metadata"]["uid"]
    assert scale["spec"] == {"replicas": 1}
    assert scale["status"]["selector"] == "app=web"
    patched = ok(http.patch(path, headers=MERGE, json={"spec": {"replicas": 4}}))
    assert patched["kind"] == "Scale"
    assert patched["spec"] == {"replicas": 4}
    stored = sandbox.stored(DEPLOYMENTS, ns, "web")
    assert stored is not None
    assert stored["spec"]["replicas"] == 4
    assert stored["metadata"]["generation"] == 2
    put = ok(
        http.put(
            path,
            json={
                "apiVersion": "autoscaling/v1",
                "kind": "Scale",
                "metadata": {"name": "web", "namespace": ns},
                "spec": {"replicas": 0},
            },
        )
    )
    assert put["spec"] == {"replicas": 0}
    stale = http.put(
        path,
        json={
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {"name": "web", "resourceVersion": scale["metadata"]["resourceVersion"]},
            "spec": {"replicas": 2},
        },
    )
    assert stale.status_code == 409
    assert stale.json()["reason"] == "Conflict"
    invalid = http.patch(path, headers=MERGE, json={"spec": {"replicas": -1}})
    assert invalid.status_code == 422
    assert invalid.json()["reason"] == "Invalid"
    assert sandbox.stored(DEPLOYMENTS, ns, "web")["spec"]["replicas"] == 0  # type: ignore[index]


# ------------------------------------------------------------------ deletion


def test_finalizers_hold_deletion(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-finalizer")
    create_cm(http, ns, "held", {"a": "1"}, finalizers=["example.com/hold"])
    start = list_rv(http, cm_path(ns))
    response = http.delete(cm_path(ns, "held"))
    assert response.status_code == 200  # as kube-apiserver: 202 only for orphanDependents=false
    pending = response.json()
    assert pending["kind"] == "ConfigMap"
    assert pending["metadata"]["deletionTimestamp"]
    assert pending["metadata"]["finalizers"] == ["example.com/hold"]
    kept = ok(http.get(cm_path(ns, "held")))
    assert kept["metadata"]["deletionTimestamp"] == pending["metadata"]["deletionTimestamp"]
    # Deleting again changes nothing; adding a finalizer now is not allowed.
    again = ok(http.delete(cm_path(ns, "held")))
    assert again["metadata"]["resourceVersion"] == kept["metadata"]["resourceVersion"]
    added = ok(
        http.patch(
            cm_path(ns, "held"),
            headers=MERGE,
            json={"metadata": {"finalizers": ["example.com/hold", "example.com/late"]}},
        )
    )
    assert added["metadata"]["finalizers"] == ["example.com/hold"]
    removed = http.patch(
        cm_path(ns, "held"),
        headers=JSON_PATCH,
        json=[{"op": "remove", "path": "/metadata/finalizers"}],
    )
    assert removed.status_code == 200
    assert http.get(cm_path(ns, "held")).status_code == 404
    events = watch_lines(
        http, cm_path(ns), {"resourceVersion": start, "timeoutSeconds": 1}, name_prefix="held"
    )
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED"]
    assert events[0]["object"]["metadata"]["deletionTimestamp"]
    assert events[1]["object"]["metadata"].get("finalizers") is None


def _make_owned(http: httpx.Client, ns: str, name: str) -> dict[str, Any]:
    """A Deployment and (from the controller) its ReplicaSet; returns the ReplicaSet."""
    ok(http.post(deploy_path(ns), json=deployment(name, 1)), 201)
    found: list[dict[str, Any]] = []

    def has_replicaset() -> bool:
        items = ok(
            http.get(
                f"/apis/apps/v1/namespaces/{ns}/replicasets",
                params={"labelSelector": f"app={name}"},
            )
        )["items"]
        found[:] = items
        return len(items) == 1

    wait_until(has_replicaset)
    rs = found[0]
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    assert rs["metadata"]["ownerReferences"][0]["name"] == name
    return rs


def test_propagation_policies(http: httpx.Client, sandbox: RunningSandbox) -> None:
    ns = make_namespace(http, "http-propagation")
    orphan_rs = _make_owned(http, ns, "orphan")
    response = http.request(
        "DELETE",
        deploy_path(ns, "orphan"),
        json={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "Success"
    assert response.json()["details"]["name"] == "orphan"
    orphan = sandbox.stored(REPLICASETS, ns, orphan_rs["metadata"]["name"])
    assert orphan is not None
    assert "ownerReferences" not in orphan["metadata"]
    assert orphan["metadata"]["uid"] == orphan_rs["metadata"]["uid"]

    for policy in ("Background", "Foreground"):
        name = policy.lower()
        rs = _make_owned(http, ns, name)
        response = http.delete(deploy_path(ns, name), params={"propagationPolicy": policy})
        assert response.status_code == 200, response.text
        assert http.get(deploy_path(ns, name)).status_code == 404
        wait_until(lambda rs=rs: sandbox.stored(REPLICASETS, ns, rs["metadata"]["name"]) is None)
        pods = ok(
            http.get(f"/api/v1/namespaces/{ns}/pods", params={"labelSelector": f"app={name}"})
        )["items"]
        assert [p for p in pods if not p["metadata"].get("deletionTimestamp")] == []
    assert sandbox.stored(REPLICASETS, ns, orphan_rs["metadata"]["name"]) is not None
    bad = http.delete(deploy_path(ns, "missing"), params={"propagationPolicy": "Sideways"})
    assert bad.status_code == 400


def test_delete_collection_by_label(http: httpx.Client) -> None:
    ns = make_namespace(http, "http-collection")
    for i in range(5):
        create_cm(http, ns, f"cm-{i}", labels={"drop": "yes" if i % 2 == 0 else "no"})
    response = ok(http.delete(cm_path(ns), params={"labelSelector": "drop=yes"}))
    assert response["kind"] == "ConfigMapList"
    assert sorted(i["metadata"]["name"] for i in response["items"]) == ["cm-0", "cm-2", "cm-4"]
    left = ok(http.get(cm_path(ns)))["items"]
    assert sorted(i["metadata"]["name"] for i in left) == ["cm-1", "cm-3", "kube-root-ca.crt"]


def test_namespace_deletion_removes_content(http: httpx.Client, sandbox: RunningSandbox) -> None:
    ns = make_namespace(http, "http-nsdelete")
    create_cm(http, ns, "data")
    ok(http.post(deploy_path(ns), json=deployment("web", 1)), 201)
    create_cm(http, ns, "held", finalizers=["example.com/hold"])
    response = http.delete(f"/api/v1/namespaces/{ns}")
    assert response.status_code == 200
    terminating = response.json()
    assert terminating["kind"] == "Namespace"
    assert terminating["status"]["phase"] == "Terminating"
    assert terminating["metadata"]["deletionTimestamp"]

    def only_held_left() -> bool:
        names = [i["metadata"]["name"] for i in ok(http.get(cm_path(ns)))["items"]]
        return names == ["held"] and not ok(http.get(deploy_path(ns)))["items"]

    wait_until(only_held_left)
    assert ok(http.get(f"/api/v1/namespaces/{ns}"))["status"]["phase"] == "Terminating"
    refused = http.post(cm_path(ns), json={"metadata": {"name": "late"}})
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        f'configmaps "late" is forbidden: unable to create new content in namespace {ns} '
        "because it is being terminated"
    )
    # Releasing the last finalizer lets the namespace go.
    ok(http.patch(cm_path(ns, "held"), headers=MERGE, json={"metadata": {"finalizers": None}}))
    wait_until(lambda: http.get(f"/api/v1/namespaces/{ns}").status_code == 404)
    for key in (CONFIGMAPS, DEPLOYMENTS, REPLICASETS, ("", "pods"), ("", "serviceaccounts")):
        left = sandbox.call(lambda key=key: list(sandbox.cluster().store.select(key, ns)))
        assert left == [], key


# ------------------------------------------------------------------ reviews and authentication


def _access(client: httpx.Client, **attributes: str) -> dict[str, Any]:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes},
    }
    answer = ok(
        client.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", json=review), 201
    )
    assert answer["kind"] == "SelfSubjectAccessReview"
    assert answer["spec"]["resourceAttributes"] == attributes
    return answer["status"]  # type: ignore[no-any-return]


def test_access_reviews(http: httpx.Client, alice: httpx.Client) -> None:
    assert _access(http, verb="delete", resource="nodes") == {"allowed": True}
    assert _access(alice, verb="list", resource="pods", namespace="shop-prod") == {
        "allowed": True,
        "reason": 'RBAC: allowed by RoleBinding "kubesphere:iam:alice-admin/shop-prod" of Role '
        '"kubesphere:iam:admin" to User "alice"',
    }
    assert _access(alice, verb="list", resource="pods", namespace="ml-research") == {
        "allowed": False
    }
    assert _access(alice, verb="list", resource="namespaces") == {"allowed": False}
    assert _access(
        alice, verb="list", group="tenant.kubesphere.io", resource="workspacetemplates"
    ) == {"allowed": False}

    rules = ok(
        alice.post(
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            json={
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectRulesReview",
                "spec": {"namespace": "shop-prod"},
            },
        ),
        201,
    )
    assert rules["kind"] == "SelfSubjectRulesReview"
    assert rules["status"]["incomplete"] is False
    resource_rules = rules["status"]["resourceRules"]
    assert {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]} in resource_rules
    assert {
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    } in resource_rules
    assert any("/api/*" in r["nonResourceURLs"] for r in rules["status"]["nonResourceRules"])
    elsewhere = ok(
        alice.post(
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            json={"spec": {"namespace": "ml-research"}},
        ),
        201,
    )["status"]["resourceRules"]
    assert {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]} not in elsewhere
    admin_rules = ok(
        http.post(
            "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            json={"spec": {"namespace": "default"}},
        ),
        201,
    )["status"]
    assert admin_rules["resourceRules"] == [
        {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
    ]

    for client, user in (
        (http, {"username": "admin", "groups": ["system:masters", "system:authenticated"]}),
        (alice, {"username": "alice", "groups": ["system:authenticated"]}),
    ):
        review = ok(
            client.post(
                "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
            ),
            201,
        )
        assert review["kind"] == "SelfSubjectReview"
        assert review["apiVersion"] == "authentication.k8s.io/v1"
        assert review["status"] == {"userInfo": user}


def test_tenant_forbidden_status(alice: httpx.Client) -> None:
    response = alice.get("/api/v1/namespaces")
    assert response.status_code == 403
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'namespaces is forbidden: User "alice" cannot list resource "namespaces" in '
        'API group "" at the cluster scope',
        "reason": "Forbidden",
        "details": {"kind": "namespaces"},
        "code": 403,
    }
    response = alice.delete("/api/v1/namespaces/ml-research/pods/x")
    assert response.status_code == 403
    assert response.json()["details"] == {"name": "x", "kind": "pods"}
    assert ok(alice.get("/api/v1/namespaces/shop-prod/pods"))["kind"] == "PodList"
    assert ok(alice.get("/apis"))["kind"] == "APIGroupList"  # discovery is for everyone


def test_unauthorized(sandbox: RunningSandbox) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ):
        response = httpx.get(
            sandbox.url() + "/api/v1/namespaces", headers=headers, verify=tls(sandbox)
        )
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
        assert response.headers["content-type"] == "application/json"
    response = httpx.get(
        sandbox.url() + "/apis",
        verify=tls(sandbox),
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


# ------------------------------------------------------------------ service proxy


async def test_service_proxy(sandbox: RunningSandbox) -> None:
    seen: list[dict[str, Any]] = []

    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        seen.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "body": body,
                "authorization": request.headers.get("Authorization"),
            }
        )
        return web.json_response(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "body": body,
            },
            status=201 if request.method == "POST" else 200,
            headers={"X-Upstream": "echo"},
        )

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(upstream)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    headers = {"Authorization": f"Bearer {sandbox.token()}"}
    try:
        async with httpx.AsyncClient(
            base_url=sandbox.url(), verify=tls(sandbox), headers=headers, timeout=20
        ) as http:
            ns = "http-proxy"
            assert (
                await http.post("/api/v1/namespaces", json={"metadata": {"name": ns}})
            ).status_code == 201
            for name in ("echo", "idle"):
                service = {
                    "metadata": {"name": name},
                    "spec": {
                        "selector": {"app": name},
                        "ports": [{"name": "http", "port": 8080, "targetPort": 80}],
                    },
                }
                created = await http.post(f"/api/v1/namespaces/{ns}/services", json=service)
                assert created.status_code == 201, created.text
            sandbox.call(
                sandbox.cluster().register_proxy, ns, "echo", 8080, f"http://127.0.0.1:{port}"
            )
            base = f"/api/v1/namespaces/{ns}/services"

            got = await http.get(
                f"{base}/echo:8080/proxy/api/v1/query",
                params={"query": 'up{job="x"}', "time": "12"},
            )
            assert got.status_code == 200
            assert got.headers["x-upstream"] == "echo"
            assert got.json() == {
                "method": "GET",
                "path": "/api/v1/query",
                "query": {"query": 'up{job="x"}', "time": "12"},
                "body": "",
            }
            assert seen[-1]["authorization"] is None  # the caller's token stays here

            posted = await http.post(
                f"{base}/echo:http/proxy/deep/path/",
                content=b"a=1&b=2",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert posted.status_code == 201
            assert posted.json() == {
                "method": "POST",
                "path": "/deep/path/",
                "query": {},
                "body": "a=1&b=2",
            }
            by_scheme = await http.get(f"{base}/http:echo:8080/proxy/")
            assert by_scheme.json()["path"] == "/"

            idle = await http.get(f"{base}/idle:8080/proxy/")
            assert idle.status_code == 503
            assert idle.json() == {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "reason": "ServiceUnavailable",
                "message": 'no endpoints available for service "idle"',
                "details": {},
                "code": 503,
            }
            missing = await http.get(f"{base}/missing:8080/proxy/")
            assert missing.status_code == 404
            assert missing.json()["reason"] == "NotFound"
            assert missing.json()["message"] == 'services "missing" not found'
            assert missing.json()["details"] == {"name": "missing", "kind": "services"}
            tenant = await http.get(
                f"{base}/echo:8080/proxy/",
                headers={"Authorization": f"Bearer {sandbox.token('host', 'alice')}"},
            )
            assert tenant.status_code == 403
            assert tenant.json()["message"] == (
                'services "echo" is forbidden: User "alice" cannot get resource "services/proxy" '
                f'in API group "" in the namespace "{ns}"'
            )
            assert len(seen) == 3
    finally:
        sandbox.call(sandbox.cluster().unregister_proxy, "http-proxy", "echo", 8080)
        await runner.cleanup()


# ------------------------------------------------------------------ pod logs


def _log(http: httpx.Client, pod: str = REVIEWS_POD, **params: Any) -> httpx.Response:
    return http.get(f"{pod}/log", params=params)


def test_pod_log_options(http: httpx.Client, sandbox: RunningSandbox) -> None:
    tail = _log(http, container="reviews", tailLines=4)
    assert tail.status_code == 200
    assert tail.headers["content-type"].startswith("text/plain")
    assert len(tail.text.splitlines()) == 4
    assert tail.text.endswith("\n")

    before = sandbox.call(sandbox.sandbox.clock.now)
    since = _log(http, container="reviews", sinceSeconds=10, timestamps="true")
    assert since.status_code == 200
    stamped = [STAMP.match(line) for line in since.text.splitlines()]
    assert stamped
    assert all(stamped)
    times = [
        datetime.fromisoformat(m.group(1).replace("Z", "+00:00"))  # type: ignore[union-attr]
        for m in stamped
    ]
    assert times == sorted(times)
    assert times[0] >= before - timedelta(seconds=10, milliseconds=1)
    # The window is the end of the full log: the same lines in the same order.
    recent = _log(http, container="reviews", tailLines=200, timestamps="true").text.splitlines()
    first = recent.index(since.text.splitlines()[0])
    assert recent[first : first + len(stamped)] == since.text.splitlines()

    worker = "/api/v1/namespaces/shop-prod/pods/shop-worker-7c9d8b6f5-hv2rk"
    limited = _log(http, worker, previous="true", limitBytes=100)
    assert limited.status_code == 200
    assert len(limited.content) == 100
    whole = _log(http, worker, previous="true").content
    assert len(whole) > 100
    assert whole[:100] == limited.content

    missing = _log(http)
    assert missing.status_code == 400
    assert missing.json()["reason"] == "BadRequest"
    assert missing.json()["message"] == (
        "a container name must be specified for pod reviews-v1-5d8c9f7b6c-2xk7p, choose one of: "
        "[reviews istio-proxy]"
    )
    wrong = _log(http, container="bogus")
    assert wrong.status_code == 400
    assert wrong.json()["message"] == (
        "container bogus is not valid for pod reviews-v1-5d8c9f7b6c-2xk7p"
    )
    previous = _log(http, container="reviews", previous="true")
    assert previous.status_code == 400
    assert previous.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'previous terminated container "reviews" in pod '
        '"reviews-v1-5d8c9f7b6c-2xk7p" not found',
        "reason": "BadRequest",
        "code": 400,
    }
    crashed = _log(http, worker, previous="true")
    assert crashed.status_code == 200
    assert crashed.text.rstrip().splitlines()[-1] == "worker exited with status 1"
    gone = _log(http, "/api/v1/namespaces/shop-prod/pods/nope", container="x")
    assert gone.status_code == 404
    assert gone.json()["message"] == 'pods "nope" not found'
