"""The sandbox's traffic samples over HTTP: what a 3.x host seeds (a Strategy of every kind and
the VirtualServices the controller made of them, a service without a Strategy, one failing
§5.1) and how a vanilla cluster's Istio and Gateway API routes take the writes of API.md §7.4."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.sandbox.test_http import connect
from tests.sandbox.traffic_lab import (
    DEPLOYMENTS,
    MERGE,
    STRATEGIES,
    ok,
    route,
    subsets,
    vs_spec,
)


@pytest.fixture(scope="module")
def v3_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    running = _start(
        tmp_path_factory.mktemp("traffic3"),
        SandboxOptions(clusters=1, pods=0, kubesphere_version="3"),
    )
    with connect(running) as client:
        yield client
    running.thread.stop()


def test_seeded_3x_strategies_and_what_the_controller_made_of_them(v3_http: httpx.Client) -> None:
    http = v3_http
    kinds = {
        s["metadata"]["name"]: (s["spec"]["type"], s["spec"]["governor"])
        for s in ok(http.get(STRATEGIES))["items"]
    }
    assert kinds == {
        "reviews-canary": ("Canary", ""),
        "ratings-canary": ("Canary", ""),
        "details-bluegreen": ("Bluegreen", "v1"),
        "productpage-canary": ("Canary", ""),
        "payments-mirror": ("Mirror", ""),
        "inventory-canary": ("Canary", ""),
    }
    assert [r["weight"] for r in vs_spec(http, "ratings")["http"][0]["route"]] == [90, 10]
    assert vs_spec(http, "details")["http"] == [
        {"match": [{"port": 9080}], "route": [route("details", "v1", 100, 9080)]}
    ]
    content = vs_spec(http, "productpage")["http"][0]["match"]
    assert content[0]["headers"] == {"cookie": {"regex": "^(.*?;)?(user=beta)(;.*)?$"}}
    assert content[1] == {
        "headers": {"User-Agent": {"regex": ".*(Android|iPhone).*"}},
        "port": 9080,
    }
    mirror = vs_spec(http, "payments")["http"][0]["mirror"]
    assert mirror == {"host": "payments", "subset": "v2", "port": {"number": 8080}}
    assert [r["weight"] for r in vs_spec(http, "inventory")["tcp"][0]["route"]] == [70, 30]
    assert vs_spec(http, "cart")["http"][0]["route"] == [route("cart", "v1", 100, 8080)]
    assert subsets(http, "cart") == ["v1", "v2"]  # two versions, no Strategy yet
    assert subsets(http, "search") == ["v1"]  # search-v2 lacks servicemesh.kubesphere.io/enabled
    failing = ok(http.get(f"{DEPLOYMENTS}/ratings-v2"))
    assert failing["metadata"]["annotations"]["sandbox.kstui.io/error-ratio"] == "0.2"
    assert failing["status"]["readyReplicas"] == 1


def test_vanilla_weights_by_json_patch_and_conditional_merge_patch(
    fresh_sandbox: Callable[..., RunningSandbox],
) -> None:
    """§7.4 on a vanilla cluster: the VirtualService's JSON patch with a `test` op applies, and
    is refused (422, nothing written) when the tested subset changed; an HTTPRoute merge patch
    with a stale resourceVersion is a 409."""
    running = fresh_sandbox(pods=0, kubesphere=False)
    vs = "/apis/networking.istio.io/v1/namespaces/bookstore/virtualservices/reviews"
    route = "/apis/gateway.networking.k8s.io/v1/namespaces/bookstore/httproutes/checkout"
    json_patch = {"Content-Type": "application/json-patch+json"}
    with connect(running) as http:
        ops = [
            {"op": "test", "path": "/spec/http/0/route/1/destination/subset", "value": "v2"},
            {"op": "replace", "path": "/spec/http/0/route/0/weight", "value": 80},
            {"op": "replace", "path": "/spec/http/0/route/1/weight", "value": 20},
        ]
        patched = ok(http.patch(vs, json=ops, headers=json_patch))
        assert [r["weight"] for r in patched["spec"]["http"][0]["route"]] == [80, 20]
        ops[0]["value"] = "v3"
        refused = http.patch(vs, json=ops, headers=json_patch)
        assert refused.status_code == 422, refused.text
        assert "test failed" in refused.text  # in the Status' causes, as kube-apiserver says
        assert (
            ok(http.get(vs))["metadata"]["resourceVersion"]
            == patched["metadata"]["resourceVersion"]
        )
        read = ok(http.get(route))
        rules = read["spec"]["rules"]
        rules[0]["backendRefs"][1]["weight"] = 50
        ok(http.patch(route, json={"metadata": {"labels": {"touched": "yes"}}}, headers=MERGE))
        body = {
            "metadata": {"resourceVersion": read["metadata"]["resourceVersion"]},
            "spec": {"rules": rules},
        }
        assert http.patch(route, json=body, headers=MERGE).status_code == 409
        body["metadata"]["resourceVersion"] = ok(http.get(route))["metadata"]["resourceVersion"]
        weights = ok(http.patch(route, json=body, headers=MERGE))["spec"]["rules"][0]["backendRefs"]
        assert [w["weight"] for w in weights] == [75, 50]
