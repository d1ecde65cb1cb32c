from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from statistics import median

import pytest

from kstui.sandbox.usage import (
    PAGE,
    container_usage,
    cpu_nanocores,
    format_cpu,
    format_memory,
    memory_bytes,
    node_overhead,
    parse_quantity,
    usage_profile,
)

T0 = datetime(2025, 5, 12, 9, 30, tzinfo=UTC)
MI = 1 << 20
REQ = {"cpu": "100m", "memory": "128Mi"}
LIM = {"cpu": "500m", "memory": "256Mi"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", 0.1),
        ("1", 1.0),
        ("2.5", 2.5),
        ("128Mi", 134_217_728.0),
        ("1Gi", 1_073_741_824.0),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("500k", 500_000.0),
        ("1G", 1e9),
        ("1Ki", 1024.0),
        ("12345678n", 0.012345678),
        ("250u", 0.00025),
        ("1E", 1e18),
        (".5", 0.5),
        ("-1", -1.0),
        ("+2", 2.0),
        ("1.5Gi", 1_610_612_736.0),
        ("0", 0.0),
        ("3e-3", 0.003),
        (" 64Mi ", 67108864.0),
    ],
)
def test_parse_quantity(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("text", ["", "abc", "1K", "1.2.3", "Mi", "1 Mi", "1e", "1mi", "--1"])
def test_parse_quantity_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid quantity"):
        parse_quantity(text)


def test_exact_helpers() -> None:
    assert cpu_nanocores("100m") == 100_000_000
    assert cpu_nanocores("12345678n") == 12_345_678
    assert memory_bytes("123456Ki") == 126_418_944


@pytest.mark.parametrize(
    ("nanocores", "text"),
    [
        (0, "0"),
        (12_345_678, "12345678n"),
        (12_000_000, "12m"),
        (12_340_000, "12340u"),
        (1_000_000_000, "1"),
        (1_500_000_000, "1500m"),
        (2_000_000_000_000, "2k"),
        (1, "1n"),
    ],
)
def test_format_cpu_matches_apimachinery(nanocores: int, text: str) -> None:
    assert format_cpu(nanocores) == text


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [
        (0, "0"),
        (126_418_944, "123456Ki"),
        (134_217_728, "128Mi"),
        (1 << 30, "1Gi"),
        (1536, "1536"),
        (1000, "1k"),
        (512, "512"),
        (123_456_789, "123456789"),
        (1025 * 1024, "1025Ki"),
    ],
)
def test_format_memory_matches_apimachinery(num_bytes: int, text: str) -> None:
    assert format_memory(num_bytes) == text


def test_format_round_trips() -> None:
    for n in [0, 1, 999, 1000, 12_345_678, 250_000_000, 3_999_999_999, 7 * 10**12]:
        assert cpu_nanocores(format_cpu(n)) == n
    for b in [0, 1, 1023, 1024, 4096 * 12345, 1536, 5 << 30, 123_456_789]:
        assert memory_bytes(format_memory(b)) == b


def sample_times(n: int = 1000) -> list[datetime]:
    # 1000 points spread over ~10 days with an odd step to hit many phases/buckets
    return [T0 + timedelta(seconds=i * 877) for i in range(n)]


def test_deterministic() -> None:
    a = container_usage("shop", "web-1", "app", T0, REQ, LIM)
    assert a == container_usage("shop", "web-1", "app", T0, REQ, LIM)
    assert a != container_usage("shop", "web-2", "app", T0, REQ, LIM)
    assert a == (62_552_120, 50_753_536)  # pinned: a model change should be deliberate
    assert (format_cpu(a[0]), format_memory(a[1])) == ("62552120n", "49564Ki")


def test_usage_never_exceeds_limits() -> None:
    times = sample_times()
    hot = [p for p in (f"svc-{i}" for i in range(60)) if usage_profile("shop", p, "app").hot]
    leaky = [p for p in (f"svc-{i}" for i in range(60)) if usage_profile("shop", p, "app").leaky]
    assert hot
    assert leaky
    for pod in [f"web-{i}" for i in range(6)] + hot[:2] + leaky[:2]:
        for at in times:
            cpu, mem = container_usage("shop", pod, "app", at, REQ, LIM)
            assert 0 < cpu <= 500_000_000
            assert 0 < mem <= 256 * MI
            assert mem % PAGE == 0


def test_limits_only_default_requests_and_stay_under() -> None:
    for at in sample_times(200):
        cpu, mem = container_usage(
            "shop", "lim-only", "app", at, None, {"cpu": "200m", "memory": "64Mi"}
        )
        assert cpu <= 200_000_000
        assert mem <= 64 * MI


def test_typical_level_relative_to_requests() -> None:
    ratios = []
    for pod in range(60):
        if usage_profile("shop", f"web-{pod}", "app").hot:
            continue
        cpus = [
            container_usage("shop", f"web-{pod}", "app", at, REQ, None)[0]
            for at in sample_times(48)
        ]
        ratios.append(median(cpus) / 100_000_000)
    assert min(ratios) > 0.15
    assert max(ratios) < 1.0


def test_without_requests_ranges() -> None:
    for pod in range(50):
        cpu, mem = container_usage("dev", f"p-{pod}", "c", T0, None, None)
        assert 0.5e6 <= cpu <= 300e6 * 1.4
        assert 5 * MI <= mem <= 600 * MI * 1.5


def test_hot_pods_run_near_cpu_limit() -> None:
    pods = [f"svc-{i}" for i in range(200)]
    hot = [p for p in pods if usage_profile("shop", p, "app").hot]
    assert 10 <= len(hot) <= 40
    for p in hot[:5]:
        cpus = [container_usage("shop", p, "app", at, REQ, LIM)[0] for at in sample_times(50)]
        assert median(cpus) >= 0.85 * 500_000_000
    cold = [p for p in pods if p not in hot][:5]
    for p in cold:
        assert container_usage("shop", p, "app", T0, REQ, LIM)[0] < 0.5 * 500_000_000


def test_leaky_memory_is_a_sawtooth() -> None:
    pod = next(f"leak-{i}" for i in range(100) if usage_profile("shop", f"leak-{i}", "app").leaky)
    mems = [
        container_usage("shop", pod, "app", T0 + timedelta(minutes=5 * i), REQ, None)[1]
        for i in range(12 * 24)
    ]
    deltas = [b - a for a, b in itertools.pairwise(mems)]
    drops = [d for d in deltas if d < -0.2 * max(mems)]
    assert drops  # a large sudden fall (GC / restart)
    assert sum(d > 0 for d in deltas) > 0.9 * len(deltas)  # otherwise it grows


def test_wave_moves_over_the_day() -> None:
    cpus = [
        container_usage("shop", "web-3", "app", T0 + timedelta(hours=h), REQ, None)[0]
        for h in range(24)
    ]
    assert max(cpus) > 1.2 * min(cpus)


def test_node_overhead() -> None:
    a = node_overhead("node-1", T0)
    assert a == node_overhead("node-1", T0)
    assert a != node_overhead("node-2", T0)
    for at in sample_times(200):
        cpu, mem = node_overhead("node-1", at)
        assert 50e6 <= cpu <= 400e6
        assert 500 * MI <= mem <= 2048 * MI


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        container_usage("a", "b", "c", datetime(2025, 1, 1))  # noqa: DTZ001
