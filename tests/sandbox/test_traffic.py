"""The sandbox's grayscale release, over real HTTP: the Strategy controller builds the
DestinationRule and VirtualService exactly as API.md §5.1 and §5.4 describe, the console's
merge patches of §5.3 go through (and a stale resourceVersion is a 409); a ServicePolicy."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator

import httpx
import pytest

from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.sandbox.test_http import connect
from tests.sandbox.traffic_lab import (
    DEPLOYMENTS,
    DR,
    ENABLED,
    MERGE,
    NS,
    SERVICES,
    STRATEGIES,
    VS,
    app_labels,
    check,
    eventually,
    make_service,
    make_version,
    ok,
    route,
    slider_patch,
    strategy,
    subsets,
    vs_spec,
    wait_subsets,
)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """A private sandbox: these tests rewrite the seeded strategies."""
    sandbox = _start(tmp_path_factory.mktemp("traffic"), SandboxOptions(clusters=1, pods=0))
    yield sandbox
    sandbox.thread.stop()


@pytest.fixture(scope="module")
def http(running: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(running) as client:
        yield client


# ------------------------------------------------------------------ the seeded 80/20 canary


def test_seeded_canary_vs_is_the_strategy_per_port(http: httpx.Client) -> None:
    """§5.4's result for the 80/20 example, built by the controller from the seeded objects."""
    assert vs_spec(http, "reviews") == {
        "hosts": ["reviews"],
        "http": [
            {
                "match": [{"port": 9080}],
                "route": [route("reviews", "v1", 80, 9080), route("reviews", "v2", 20, 9080)],
            }
        ],
    }
    assert subsets(http, "reviews") == ["v1", "v2"]


def test_slider_patch_and_take_over_reach_the_virtual_service(http: httpx.Client) -> None:
    before = ok(http.get(f"{STRATEGIES}/reviews-canary"))
    try:
        ok(
            http.patch(
                f"{STRATEGIES}/reviews-canary",
                json=slider_patch("reviews", "v1", "v2", 35),
                headers=MERGE,
            )
        )

        def at_35() -> None:
            assert vs_spec(http, "reviews")["http"] == [
                {
                    "match": [{"port": 9080}],
                    "route": [route("reviews", "v1", 65, 9080), route("reviews", "v2", 35, 9080)],
                }
            ]

        eventually(at_35)
        ok(
            http.patch(
                f"{STRATEGIES}/reviews-canary",
                json=slider_patch("reviews", "v1", "v2", 100),
                headers=MERGE,
            )
        )

        def taken_over() -> None:  # governor: one rule per port, 100 % to the governor
            assert vs_spec(http, "reviews")["http"] == [
                {"match": [{"port": 9080}], "route": [route("reviews", "v2", 100, 9080)]}
            ]

        eventually(taken_over)
        ok(
            http.patch(
                f"{STRATEGIES}/reviews-canary", json={"spec": {"governor": ""}}, headers=MERGE
            )
        )
        eventually(
            lambda: check(
                [r["weight"] for r in vs_spec(http, "reviews")["http"][0]["route"]] == [0, 100]
            )
        )
    finally:
        current = ok(http.get(f"{STRATEGIES}/reviews-canary"))
        current["spec"] = before["spec"]
        ok(http.put(f"{STRATEGIES}/reviews-canary", json=current))
        eventually(lambda: test_seeded_canary_vs_is_the_strategy_per_port(http))


def test_stale_resource_version_in_a_merge_patch_is_a_conflict(http: httpx.Client) -> None:
    """§5.3/§0.5: a merge patch carrying the resourceVersion read is refused with 409 once
    someone else wrote in between, and nothing changes; with the current one it applies."""
    read = ok(http.get(f"{STRATEGIES}/reviews-canary"))
    stale = read["metadata"]["resourceVersion"]
    annotated = {"metadata": {"annotations": {"lab/touched": "yes"}}}
    ok(http.patch(f"{STRATEGIES}/reviews-canary", json=annotated, headers=MERGE))
    body = slider_patch("reviews", "v1", "v2", 50)
    body["metadata"] = {"resourceVersion": stale}
    response = http.patch(f"{STRATEGIES}/reviews-canary", json=body, headers=MERGE)
    assert response.status_code == 409, response.text
    status = response.json()
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "Conflict", 409)
    after = ok(http.get(f"{STRATEGIES}/reviews-canary"))
    assert after["spec"] == read["spec"]
    body["metadata"] = {"resourceVersion": after["metadata"]["resourceVersion"]}
    body["spec"]["template"]["spec"]["http"][0]["route"][1]["weight"] = 20  # the same 80/20
    body["spec"]["template"]["spec"]["http"][0]["route"][0]["weight"] = 80
    applied = ok(http.patch(f"{STRATEGIES}/reviews-canary", json=body, headers=MERGE))
    assert applied["spec"]["template"]["spec"] == read["spec"]["template"]["spec"]


# ------------------------------------------------------------------ services of their own


def test_tcp_strategy_default_routing_and_governor(http: httpx.Client) -> None:
    """A TCP port: default routing is a tcp route to the first subset; the Strategy's `tcp`
    rules are copied with match.port and destination.port; the governor takes it all."""
    make_service(http, "ledger", [("mongo", 27017)])
    make_version(http, "ledger", "v1")
    make_version(http, "ledger", "v2")
    wait_subsets(http, "ledger", ["v1", "v2"])
    eventually(
        lambda: check(
            vs_spec(http, "ledger")
            == {
                "hosts": ["ledger"],
                "tcp": [{"match": [{"port": 27017}], "route": [route("ledger", "v1", 100, 27017)]}],
            }
        )
    )
    tcp = [{"match": [], "route": [route("ledger", "v1", 70), route("ledger", "v2", 30)]}]
    ok(http.post(STRATEGIES, json=strategy("ledger", "Canary", {"tcp": tcp})))
    eventually(
        lambda: check(
            vs_spec(http, "ledger")["tcp"]
            == [
                {
                    "match": [{"port": 27017}],
                    "route": [route("ledger", "v1", 70, 27017), route("ledger", "v2", 30, 27017)],
                }
            ]
        )
    )
    patch = slider_patch("ledger", "v1", "v2", 0, tcp=True)
    ok(http.patch(f"{STRATEGIES}/ledger-release", json=patch, headers=MERGE))
    eventually(
        lambda: check(
            vs_spec(http, "ledger")["tcp"]
            == [{"match": [{"port": 27017}], "route": [route("ledger", "v1", 100, 27017)]}]
        )
    )
    # offline: the Strategy goes, the controller falls back to default routing
    ok(http.delete(f"{STRATEGIES}/ledger-release"))
    eventually(
        lambda: check(
            vs_spec(http, "ledger")["tcp"]
            == [{"match": [{"port": 27017}], "route": [route("ledger", "v1", 100, 27017)]}]
        )
    )


def test_header_match_mirror_and_two_ports(http: httpx.Client) -> None:
    """Canary by content on a Service with an HTTP and a TCP port: the rules go to the HTTP
    port only, each match item gets the port, typed matchers survive; mirroring fills the
    mirror's port with the first Service port; a named default route keeps hand-set fields."""
    make_service(http, "catalog", [("http-web", 8080), ("metrics", 9100)])
    make_version(http, "catalog", "v1")
    make_version(http, "catalog", "v2")
    wait_subsets(http, "catalog", ["v1", "v2"])

    def default() -> None:
        assert vs_spec(http, "catalog") == {
            "hosts": ["catalog"],
            "http": [
                {
                    "name": "http-web",
                    "match": [{"port": 8080}],
                    "route": [route("catalog", "v1", 100, 8080)],
                }
            ],
            "tcp": [{"match": [{"port": 9100}], "route": [route("catalog", "v1", 100, 9100)]}],
        }

    eventually(default)
    match = {"headers": {"cookie": {"regex": "user=beta"}}, "uri": {"prefix": "/api"}}
    template = {
        "http": [
            {"match": [match], "route": [route("catalog", "v2", 100)]},
            {"route": [route("catalog", "v1", 100)]},
        ]
    }
    ok(http.post(STRATEGIES, json=strategy("catalog", "Canary", template)))

    def by_content() -> None:
        spec = vs_spec(http, "catalog")
        assert spec["http"] == [
            {"match": [{**match, "port": 8080}], "route": [route("catalog", "v2", 100, 8080)]},
            {"match": [{"port": 8080}], "route": [route("catalog", "v1", 100, 8080)]},
        ]
        assert "tcp" not in spec  # the template has no tcp rules for the TCP port

    eventually(by_content)
    mirror = {
        "http": [
            {"route": [route("catalog", "v1", 100)], "mirror": {"host": "catalog", "subset": "v2"}}
        ]
    }
    body = {"spec": {"type": "Mirror", "template": {"spec": mirror}}}
    ok(http.patch(f"{STRATEGIES}/catalog-release", json=body, headers=MERGE))
    eventually(
        lambda: check(
            vs_spec(http, "catalog")["http"]
            == [
                {
                    "match": [{"port": 8080}],
                    "route": [route("catalog", "v1", 100, 8080)],
                    "mirror": {"host": "catalog", "subset": "v2", "port": {"number": 8080}},
                }
            ]
        )
    )
    ok(http.delete(f"{STRATEGIES}/catalog-release"))
    eventually(default)
    vs = ok(http.get(f"{VS}/catalog"))
    vs["spec"]["http"][0]["timeout"] = "3s"
    ok(http.put(f"{VS}/catalog", json=vs))
    make_version(http, "catalog", "v3")
    wait_subsets(http, "catalog", ["v1", "v2", "v3"])
    ok(http.post(STRATEGIES, json=strategy("catalog", "Canary", template, policy="Paused")))
    time.sleep(0.3)
    assert vs_spec(http, "catalog")["http"][0]["timeout"] == "3s"  # preserved by name
    assert vs_spec(http, "catalog")["http"][0]["route"] == [route("catalog", "v1", 100, 8080)]


def test_wait_for_workload_ready_paused_and_two_strategies(http: httpx.Client) -> None:
    """WaitForWorkloadReady with a subset not in the rule: default routing until the version
    is ready; Paused: default routing; Immediately: applied whatever the subsets; a second
    Strategy for the component: the VirtualService is no longer updated."""
    make_service(http, "basket", [("http", 80)])
    make_version(http, "basket", "v1")
    wait_subsets(http, "basket", ["v1"])
    split = {"http": [{"route": [route("basket", "v1", 60), route("basket", "v2-0", 40)]}]}
    ok(http.post(STRATEGIES, json=strategy("basket", "Canary", split)))
    time.sleep(0.3)
    default_route = [route("basket", "v1", 100, 80)]
    assert vs_spec(http, "basket")["http"][0]["route"] == default_route
    make_version(http, "basket", "v2-0")  # subset name: "-" removed
    wait_subsets(http, "basket", ["v1", "v20"])
    assert vs_spec(http, "basket")["http"][0]["route"] == default_route  # "v2-0" ≠ "v20"
    fixed = {"http": [{"route": [route("basket", "v1", 60), route("basket", "v20", 40)]}]}
    body = {"spec": {"template": {"spec": fixed}}}
    ok(http.patch(f"{STRATEGIES}/basket-release", json=body, headers=MERGE))
    eventually(
        lambda: check(
            vs_spec(http, "basket")["http"][0]["route"]
            == [route("basket", "v1", 60, 80), route("basket", "v20", 40, 80)]
        )
    )
    paused = {"spec": {"strategyPolicy": "Paused"}}
    ok(http.patch(f"{STRATEGIES}/basket-release", json=paused, headers=MERGE))
    eventually(lambda: check(vs_spec(http, "basket")["http"][0]["route"] == default_route))
    immediately = {"spec": {"strategyPolicy": "Immediately", "template": {"spec": split}}}
    ok(http.patch(f"{STRATEGIES}/basket-release", json=immediately, headers=MERGE))
    eventually(
        lambda: check(
            vs_spec(http, "basket")["http"][0]["route"]
            == [route("basket", "v1", 60, 80), route("basket", "v2-0", 40, 80)]
        )
    )
    second = strategy("basket", "Canary", fixed)
    second["metadata"]["name"] = "basket-other"
    ok(http.post(STRATEGIES, json=second))
    ok(http.patch(f"{STRATEGIES}/basket-release", json=paused, headers=MERGE))
    time.sleep(0.3)
    assert vs_spec(http, "basket")["http"][0]["route"][1]["destination"]["subset"] == "v2-0"


def test_prerequisites_and_subsets_follow_the_deployments(http: httpx.Client) -> None:
    """§5.1: a Service without the annotation gets nothing; a version without the annotation,
    or with no ready replica, has no subset; a deleted version's subset disappears."""
    make_service(http, "search", [("http", 80)], mesh=False)
    make_version(http, "search", "v1")
    time.sleep(0.5)
    assert http.get(f"{DR}/search").status_code == 404
    assert http.get(f"{VS}/search").status_code == 404
    service = ok(http.get(f"{SERVICES}/search"))
    service["metadata"]["annotations"] = ENABLED
    ok(http.put(f"{SERVICES}/search", json=service))
    wait_subsets(http, "search", ["v1"])
    make_version(http, "search", "v2", mesh=False)
    make_version(http, "search", "v3")
    wait_subsets(http, "search", ["v1", "v3"])
    scaled = {"spec": {"replicas": 0}}
    ok(http.patch(f"{DEPLOYMENTS}/search-v3", json=scaled, headers=MERGE))
    wait_subsets(http, "search", ["v1"])
    ok(http.patch(f"{DEPLOYMENTS}/search-v3", json={"spec": {"replicas": 1}}, headers=MERGE))
    wait_subsets(http, "search", ["v1", "v3"])
    ok(http.delete(f"{DEPLOYMENTS}/search-v1"))
    wait_subsets(http, "search", ["v3"])
    eventually(
        lambda: check(
            vs_spec(http, "search")["http"][0]["route"] == [route("search", "v3", 100, 80)]
        )
    )
    assert copy.deepcopy(ok(http.get(f"{DR}/search"))["metadata"]["labels"]) == app_labels("search")


def test_service_policy_adds_its_traffic_policy(http: httpx.Client) -> None:
    """§5.1: a ServicePolicy labelled app=<component> adds trafficPolicy to the rule and to
    the subsets of the same name (its CRD keeps snake_case fields; the rule gets camelCase)."""
    make_service(http, "wallet", [("grpc", 50051)])
    make_version(http, "wallet", "v1")
    wait_subsets(http, "wallet", ["v1"])
    policy = {
        "apiVersion": "servicemesh.kubesphere.io/v1alpha2",
        "kind": "ServicePolicy",
        "metadata": {"name": "wallet", "labels": app_labels("wallet")},
        "spec": {
            "template": {
                "spec": {
                    "host": "wallet",
                    "traffic_policy": {"connection_pool": {"tcp": {"max_connections": 10}}},
                    "subsets": [
                        {
                            "name": "v1",
                            "labels": {"version": "v1"},
                            "traffic_policy": {
                                "connection_pool": {"http": {"http1_max_pending_requests": 5}}
                            },
                        }
                    ],
                }
            }
        },
    }
    policies = f"/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/{NS}/servicepolicies"
    ok(http.post(policies, json=policy))

    def applied() -> None:
        spec = ok(http.get(f"{DR}/wallet"))["spec"]
        assert spec["trafficPolicy"] == {"connectionPool": {"tcp": {"maxConnections": 10}}}
        assert spec["subsets"] == [
            {
                "name": "v1",
                "labels": {"version": "v1"},
                "trafficPolicy": {"connectionPool": {"http": {"http1MaxPendingRequests": 5}}},
            }
        ]

    eventually(applied)
    assert vs_spec(http, "wallet")["http"][0]["name"] == "grpc"  # grpc is an HTTP port (§5.1)
