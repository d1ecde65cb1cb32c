"""Per-version health through the Prometheus backend, against a real Prometheus backfilled with
Istio series: the figures equal those computed from the samples alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kstui.backends.prometheus import DirectTransport, Prometheus
from kstui.backends.prometheus_endpoint import PrometheusEndpoint
from kstui.backends.traffic_health import POINTS, Selector, read_health
from tests.conftest import _need_prometheus
from tests.traffic_prometheus import END, NAMESPACE, SERVICE, backfilled, expected


@pytest.fixture(scope="module")
def istio_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_prometheus()
    with backfilled(tmp_path_factory.mktemp("istio-prom")) as url:
        yield url


@pytest.mark.parametrize("window", ["5m", "15m", "1h"])
async def test_rate_errors_and_p95_per_version_equal_the_samples(
    istio_url: str, window: str
) -> None:
    prometheus = Prometheus(DirectTransport(PrometheusEndpoint(istio_url), "host", 10.0), 10.0)
    try:
        health = await read_health(
            prometheus, Selector(NAMESPACE, (SERVICE,)), ("v1", "v2", "v4"), window, END
        )
    finally:
        await prometheus.aclose()
    for version in ("v1", "v2", "v4"):
        rate, ratio, p95 = expected(version)
        figures = health.of(version)
        assert figures.rate == pytest.approx(rate, rel=1e-9)
        assert figures.error_ratio == pytest.approx(ratio, rel=1e-9)
        assert figures.p95_ms == pytest.approx(p95, rel=1e-9)
        assert len(figures.rates) == POINTS
        assert figures.rates[-1] == pytest.approx(rate, rel=1e-9)
        assert figures.p95s[-1] == pytest.approx(p95, rel=1e-9)
    assert health.problem == ""


async def test_a_version_without_requests_has_no_ratio_not_zero(istio_url: str) -> None:
    prometheus = Prometheus(DirectTransport(PrometheusEndpoint(istio_url), "host", 10.0), 10.0)
    try:
        health = await read_health(
            prometheus, Selector(NAMESPACE, (SERVICE,)), ("v1", "v3"), "5m", END
        )
    finally:
        await prometheus.aclose()
    assert health.of("v3").error_ratio is None
    assert health.of("v3").p95_ms is None
    assert health.of("v3").rate == 0.0
