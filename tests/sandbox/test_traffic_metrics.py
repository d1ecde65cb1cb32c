"""The sandbox's Istio metrics (exporter_istio.py): traffic per version follows the routes as
they are at each scrape, the failure profile annotations make a version fail and slow by
exactly what they say, counters never go back; and a real Prometheus serves them, history
included."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kstui.sandbox.exporter_istio import BUCKETS_MS, bucket_fractions, default_p95
from kstui.sandbox.prometheus import LiveExporter
from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.sandbox.test_http import connect

MERGE = {"Content-Type": "application/merge-patch+json"}
SERIES = re.compile(r"^(\w+)\{(.*)\} (\S+) (\d+)$")
PAIR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
STRATEGIES = "/apis/servicemesh.kubesphere.io/v1alpha2/namespaces/shop-prod/strategies"
DEPLOYMENTS = "/apis/apps/v1/namespaces/shop-prod/deployments"


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for line in text.splitlines():
        match = SERIES.match(line)
        if match:
            name, pairs, value, _ = match.groups()
            found[(name, frozenset(PAIR.findall(pairs)))] = float(value)
    return found


Scrape = dict[tuple[str, frozenset[tuple[str, str]]], float]


def increase(
    before: Scrape, after: Scrape, name: str, by: tuple[str, ...], **where: str
) -> dict[tuple[str, ...], float]:
    """sum by (…) (increase(name{where}[…])) between two scrapes, as PromQL would say it."""
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    for (metric, pairs), value in after.items():
        labels = dict(pairs)
        if metric != name or any(labels.get(k) != v for k, v in where.items()):
            continue
        sums[tuple(labels.get(k, "") for k in by)] += value - before.get((metric, pairs), 0.0)
    return dict(sums)


def quantile(q: float, buckets: dict[float, float]) -> float:
    """histogram_quantile over cumulative bucket increases (Prometheus' linear interpolation)."""
    bounds = sorted(buckets)
    total = buckets[float("inf")]
    rank = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if bound == float("inf"):
                return previous_bound
            return previous_bound + (bound - previous_bound) * (rank - previous_count) / (
                count - previous_count
            )
        previous_bound, previous_count = bound, count
    raise AssertionError("no bucket")


class Scraper:
    """The live exporter of one cluster, scraped at chosen times (a minute apart)."""

    def __init__(self, running: RunningSandbox) -> None:
        self.running = running
        self.exporter = LiveExporter(running.cluster())
        self.t = time.time() // 60 * 60

    def scrape(self, advance: float = 60.0) -> Scrape:
        self.t += advance
        text = self.running.call(self.exporter.render, self.t)
        return parse(str(text))


@pytest.fixture(scope="module")
def v3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = _start(
        tmp_path_factory.mktemp("mesh3"),
        SandboxOptions(clusters=1, pods=0, kubesphere_version="3"),
    )
    yield running
    running.thread.stop()


@pytest.fixture(scope="module")
def http(v3: RunningSandbox) -> Iterator[httpx.Client]:
    with connect(v3) as client:
        yield client


def shares(counts: dict[tuple[str, ...], float]) -> dict[str, float]:
    total = sum(counts.values())
    return {key[0]: round(value / total, 9) for key, value in counts.items()}


def test_rates_follow_the_weights_and_the_failure_profile(v3: RunningSandbox) -> None:
    scraper = Scraper(v3)
    first, second = scraper.scrape(), scraper.scrape()
    istio = [key for key in first if key[0].startswith("istio_")]
    assert istio
    assert all(second[key] >= first[key] for key in istio)  # counters only grow
    versions = ("destination_version",)
    ratings = increase(
        first,
        second,
        "istio_requests_total",
        versions,
        destination_service_name="ratings",
        reporter="destination",
    )
    assert shares(ratings) == {"v1": 0.9, "v2": 0.1}
    codes = increase(
        first,
        second,
        "istio_requests_total",
        ("destination_version", "response_code"),
        destination_service_name="ratings",
    )
    assert round(codes[("v2", "503")] / (codes[("v2", "503")] + codes[("v2", "200")]), 9) == 0.2
    assert ("v1", "503") not in codes  # no annotation: no errors
    buckets = increase(
        first,
        second,
        "istio_request_duration_milliseconds_bucket",
        ("le",),
        destination_workload="ratings-v2",
    )
    cumulative = {float(le[0]): value for le, value in buckets.items()}
    assert quantile(0.95, cumulative) == pytest.approx(900.0)
    count = increase(
        first,
        second,
        "istio_request_duration_milliseconds_count",
        (),
        destination_workload="ratings-v2",
    )
    assert count[()] == pytest.approx(cumulative[float("inf")])
    # blue-green under its governor, content rule, mirror, TCP
    assert shares(
        increase(
            first, second, "istio_requests_total", versions, destination_service_name="details"
        )
    ) == {"v1": 1.0}
    assert shares(
        increase(
            first, second, "istio_requests_total", versions, destination_service_name="productpage"
        )
    ) == {"v1": 0.9, "v2": 0.1}
    mirrored = increase(
        first, second, "istio_requests_total", versions, destination_service_name="payments"
    )
    assert mirrored[("v1",)] == pytest.approx(mirrored[("v2",)])  # a copy of every request
    assert not increase(
        first, second, "istio_requests_total", versions, destination_service_name="inventory"
    )
    tcp = increase(
        first,
        second,
        "istio_tcp_connections_opened_total",
        versions,
        destination_service_name="inventory",
    )
    assert shares(tcp) == {"v1": 0.7, "v2": 0.3}
    search = increase(
        first, second, "istio_requests_total", versions, destination_service_name="search"
    )
    assert set(search) == {("v1",)}  # v2 fails §5.1: no subset, default routing to v1
    assert set(
        increase(first, second, "istio_requests_total", versions, destination_service_name="cart")
    ) == {("v1",)}


def test_a_slider_patch_moves_the_traffic_and_an_annotation_fails_a_version(
    v3: RunningSandbox, http: httpx.Client
) -> None:
    scraper = Scraper(v3)
    before = scraper.scrape()
    route = [
        {"destination": {"host": "reviews", "subset": "v1"}, "weight": 40},
        {"destination": {"host": "reviews", "subset": "v2"}, "weight": 60},
    ]
    patch = {"spec": {"template": {"spec": {"http": [{"route": route}]}}, "governor": ""}}
    response = http.patch(f"{STRATEGIES}/reviews-canary", json=patch, headers=MERGE)
    assert response.status_code == 200, response.text
    bad = {
        "metadata": {
            "annotations": {
                "sandbox.kstui.io/error-ratio": "0.5",
                "sandbox.kstui.io/p95-ms": "2000",
            }
        }
    }
    assert http.patch(f"{DEPLOYMENTS}/reviews-v2", json=bad, headers=MERGE).status_code == 200

    def moved() -> bool:
        vs = http.get("/apis/networking.istio.io/v1/namespaces/shop-prod/virtualservices/reviews")
        return vs.json()["spec"]["http"][0]["route"][0]["weight"] == 40

    deadline = time.monotonic() + 10
    while not moved():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    middle = scraper.scrape()
    after = scraper.scrape()
    assert all(after[k] >= v for k, v in before.items() if k[0].startswith("istio_"))
    counts = increase(
        middle,
        after,
        "istio_requests_total",
        ("destination_version",),
        destination_service_name="reviews",
    )
    assert shares(counts) == {"v1": 0.4, "v2": 0.6}
    codes = increase(
        middle, after, "istio_requests_total", ("response_code",), destination_workload="reviews-v2"
    )
    assert round(codes[("503",)] / sum(codes.values()), 9) == 0.5
    buckets = increase(
        middle,
        after,
        "istio_request_duration_milliseconds_bucket",
        ("le",),
        destination_workload="reviews-v2",
    )
    assert quantile(0.95, {float(k[0]): v for k, v in buckets.items()}) == pytest.approx(2000.0)


def test_vanilla_istio_and_gateway_api_weights(fresh_sandbox: Any) -> None:
    running = fresh_sandbox(pods=0, kubesphere=False)
    scraper = Scraper(running)
    first, second = scraper.scrape(), scraper.scrape()
    by = ("destination_service_name", "destination_version")
    reviews = increase(first, second, "istio_requests_total", by, destination_app="reviews")
    assert shares({(k[1],): v for k, v in reviews.items()}) == {"v1": 0.9, "v2": 0.1}
    checkout = increase(first, second, "istio_requests_total", by, destination_app="checkout")
    assert {k[0] for k in checkout} == {"checkout-v1", "checkout-v2"}
    assert shares({(k[0],): v for k, v in checkout.items()}) == {
        "checkout-v1": 0.75,
        "checkout-v2": 0.25,
    }


def test_bucket_fractions_give_the_p95_back() -> None:
    """histogram_quantile(0.95) over the buckets is the p95 asked for, whatever bucket it is in."""
    for p95 in (30.0, 75.0, 120.0, 400.0, 900.0, 2000.0, 7000.0):
        fractions = bucket_fractions(p95)
        assert fractions == sorted(fractions)
        cumulative = {float(le): f for le, f in zip(BUCKETS_MS, fractions, strict=True)}
        cumulative[float("inf")] = 1.0
        assert quantile(0.95, cumulative) == pytest.approx(p95), p95


# ------------------------------------------------------------------ a real Prometheus


def _query(prom: RunningSandbox, expr: str, at: float | None = None) -> dict[str, float]:
    path = "/api/v1/namespaces/kubesphere-monitoring-system/services/prometheus-k8s:9090/proxy"
    params: dict[str, Any] = {"query": expr}
    if at is not None:
        params["time"] = at
    with connect(prom) as client:
        body = client.get(f"{path}/api/v1/query", params=params).json()
    assert body["status"] == "success", body
    return {",".join(r["metric"].values()): float(r["value"][1]) for r in body["data"]["result"]}


def test_prometheus_serves_the_canary_history_and_live(prom: RunningSandbox) -> None:
    """The seeded 80/20 canary through the real Prometheus: 24 h of backfilled history and the
    live scrapes both split 80/20, and histogram_quantile gives each version's p95 back."""
    selector = 'reporter="destination",destination_service_name="reviews"'
    then = time.time() - 3 * 3600
    past = _query(
        prom,
        f"sum by (destination_version) (increase(istio_requests_total{{{selector}}}[1h]))",
        then,
    )
    assert past["v2"] / (past["v1"] + past["v2"]) == pytest.approx(0.2, abs=0.005)
    p95 = _query(
        prom,
        "histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket"
        '{reporter="destination",destination_workload="reviews-v1"}[1h])))',
        then,
    )
    assert p95[""] == pytest.approx(default_p95("shop-prod", "reviews-v1"), rel=0.01)
    deadline = time.monotonic() + 30
    while True:
        live = _query(
            prom, f"sum by (destination_version) (rate(istio_requests_total{{{selector}}}[10s]))"
        )
        if len(live) == 2 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert live["v2"] / (live["v1"] + live["v2"]) == pytest.approx(0.2, abs=0.01)
