"""A real Prometheus backfilled (promtool) with Istio series of two versions whose figures are
known exactly, and those figures computed here from the samples alone (not with PromQL):
request rate, 5xx ratio and p95 (linear interpolation within the bucket, as Prometheus's
histogram_quantile defines it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.backfilled_prometheus import backfilled_prometheus

START = 1_700_000_000
SCRAPE = 15
SAMPLES = 241  # one hour
END = START + (SAMPLES - 1) * SCRAPE
NAMESPACE = "shop-prod"
SERVICE = "reviews"
BOUNDS = (50.0, 100.0, 250.0, 500.0, 1000.0, float("inf"))

# per version: (requests/s answered 200, answered 503, cumulative requests/s per bucket)
VERSIONS = {
    "v1": (9.9, 0.1, (5.0, 9.0, 9.8, 10.0, 10.0, 10.0)),
    "v2": (1.8, 0.2, (0.5, 1.0, 1.5, 1.8, 2.0, 2.0)),
    # never failed: Istio has no 5xx series for it at all (a ratio of 0, not "no value")
    "v4": (5.0, 0.0, (2.0, 4.0, 5.0, 5.0, 5.0, 5.0)),
}


def _labels(version: str, extra: str = "") -> str:
    base = (
        f'reporter="destination",destination_service_namespace="{NAMESPACE}",'
        f'destination_service_name="{SERVICE}",destination_version="{version}",'
        f'destination_workload="{SERVICE}-{version}"'
    )
    return base + ("," + extra if extra else "")


def history(end: float = END) -> str:
    """The hour of samples ending at `end`."""
    start = int(end) - (SAMPLES - 1) * SCRAPE
    lines = ["# TYPE istio_requests counter"]
    for version, (ok, bad, _) in VERSIONS.items():
        for code, slope in (("200", ok), ("503", bad)):
            if not slope:
                continue  # a code never answered has no series
            labels = _labels(version, f'response_code="{code}"')
            lines += [
                f"istio_requests_total{{{labels}}} {1000 + slope * i * SCRAPE} {start + i * SCRAPE}"
                for i in range(SAMPLES)
            ]
    lines.append("# TYPE istio_request_duration_milliseconds histogram")
    for version, (_, _, buckets) in VERSIONS.items():
        for bound, slope in zip(BOUNDS, buckets, strict=True):
            le = "+Inf" if bound == float("inf") else f"{bound:g}"
            labels = _labels(version, f'le="{le}"')
            lines += [
                f"istio_request_duration_milliseconds_bucket{{{labels}}} "
                f"{1000 + slope * i * SCRAPE} {start + i * SCRAPE}"
                for i in range(SAMPLES)
            ]
    return "\n".join(lines) + "\n# EOF\n"


def expected(version: str) -> tuple[float, float, float]:
    """(requests/s, 5xx ratio, p95 ms) of `version` over any window inside the hour."""
    ok, bad, buckets = VERSIONS[version]
    rate = ok + bad
    rank = 0.95 * buckets[-1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(BOUNDS, buckets, strict=True):
        if count >= rank:
            p95 = lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
            break
        lower_bound, lower_count = bound, count
    return rate, bad / rate, p95


@contextmanager
def backfilled(directory: Path, end: float = END) -> Iterator[str]:
    """A Prometheus on 127.0.0.1 serving `history(end)`; its URL."""
    with backfilled_prometheus(directory, history(end)) as url:
        yield url
