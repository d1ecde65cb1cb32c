"""Deterministic resource usage for sandbox pods and nodes.

Feeds metrics.k8s.io (and later a Prometheus exporter). Usage is a pure function of
(identity, time): a per-container base level, smooth daily/hourly waves, noise that is
constant within a 15 s bucket, and never above the container's limits.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from kstui.sandbox.loggen import stable_hash
from kstui.sandbox.spikes import Spike

BUCKET_S = 15  # one noise sample per metrics-server-like scrape window
PAGE = 4096  # working sets are whole pages, so metrics serialize as Ki like the real thing
MI = 1 << 20
NANO = 1_000_000_000
_DAY, _HOUR = 86_400.0, 3_600.0

_SUFFIXES: dict[str, Decimal] = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    **{s + "i": Decimal(2 ** (10 * (i + 1))) for i, s in enumerate("KMGTPE")},
}
# The decimal exponent alternative comes first so "1E3" is 1000 while "1E" is exa.
_QTY_RE = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+))([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?")
_DEC_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BIN_SUFFIX = {0: "", 10: "Ki", 20: "Mi", 30: "Gi", 40: "Ti", 50: "Pi", 60: "Ei"}


@functools.lru_cache(maxsize=4096)  # few distinct quantities, parsed per sample
def parse_quantity_decimal(s: str) -> Decimal:
    m = _QTY_RE.fullmatch(s.strip())
    if m is None:
        raise ValueError(f"invalid quantity: {s!r}")
    number, suffix = m.group(1), m.group(2) or ""
    try:
        if suffix[:1] in ("e", "E") and len(suffix) > 1:
            return Decimal(number) * Decimal(10) ** int(suffix[1:])
        return Decimal(number) * _SUFFIXES[suffix]
    except InvalidOperation as exc:  # pragma: no cover - regex already filters
        raise ValueError(f"invalid quantity: {s!r}") from exc


def parse_quantity(s: str) -> float:
    """Kubernetes quantity -> plain number (cores for cpu, bytes for memory)."""
    return float(parse_quantity_decimal(s))


@functools.lru_cache(maxsize=4096)  # asked per container per sample
def cpu_nanocores(s: str) -> int:
    return int(parse_quantity_decimal(s) * NANO)


@functools.lru_cache(maxsize=4096)
def memory_bytes(s: str) -> int:
    return int(parse_quantity_decimal(s))


def _format_decimal(value: int, exp: int) -> str:
    # apimachinery canonical DecimalSI: drop factors of 1000 while a suffix exists.
    if value == 0:
        return "0"
    while value % 1000 == 0 and exp < 18:
        value, exp = value // 1000, exp + 3
    return f"{value}{_DEC_SUFFIX[exp]}"


def format_cpu(nanocores: int) -> str:
    """Like metrics-server (NewScaledQuantity(n, -9).String()): `12345678n`, `12m`, `1`."""
    return _format_decimal(int(nanocores), -9)


def format_memory(num_bytes: int) -> str:
    """Like metrics-server (NewQuantity(b, BinarySI).String()): `123456Ki`, `128Mi`."""
    value = int(num_bytes)
    if -1024 < value < 1024:  # apimachinery prints small BinarySI values as DecimalSI
        return _format_decimal(value, 0)
    exp = 0
    while value % 1024 == 0 and exp < 60:
        value, exp = value // 1024, exp + 10
    return f"{value}{_BIN_SUFFIX[exp]}"


@dataclass(frozen=True, slots=True)
class UsageProfile:
    """Stable per-container traits, exposed so tests/exporters can reason about them."""

    cpu_level: float  # 0..1 position inside the base range
    mem_level: float
    hot: bool  # runs near its cpu limit (only takes effect when a cpu limit exists)
    leaky: bool  # memory sawtooth: slow growth, then a drop (GC/compaction/restart)
    leak_period_s: float
    phase: float


@functools.lru_cache(maxsize=65_536)  # pure; asked per container per sample by the exporter
def usage_profile(namespace: str, pod: str, container: str) -> UsageProfile:
    seed = _seed(namespace, pod, container)
    u = [_unit(seed, k) for k in range(6)]
    return UsageProfile(
        cpu_level=u[0],
        mem_level=u[1],
        hot=u[2] < 0.12,
        leaky=u[3] < 0.15,
        leak_period_s=2 * _HOUR + u[4] * 10 * _HOUR,
        phase=u[5],
    )


@functools.lru_cache(maxsize=65_536)
def _seed(namespace: str, pod: str, container: str) -> int:
    return stable_hash("usage", namespace, pod, container)


def _unit(seed: int, *parts: object) -> float:
    return stable_hash(seed, *parts) / 2.0**64


def _epoch(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("naive datetime; use timezone-aware UTC datetimes")
    return at.timestamp()


def _wave(phase: float, t: float, daily: float, hourly: float) -> float:
    """Smooth multiplier around 1.0: business-day swell plus a faster hourly ripple."""
    return (
        1
        + daily * math.sin(2 * math.pi * (t / _DAY + phase))
        + hourly * math.sin(2 * math.pi * (t / _HOUR + 3 * phase))
    )


def _noise(seed: int, key: str, t: float, amplitude: float) -> float:
    return 1 + amplitude * (2 * _unit(seed, key, int(t // BUCKET_S)) - 1)


def _resource(
    requests: dict[str, str] | None, limits: dict[str, str] | None, name: str
) -> tuple[str | None, str | None]:
    lim = (limits or {}).get(name)
    # Kubernetes defaults a missing request to the limit.
    return (requests or {}).get(name) or lim, lim


SPIKE_CPU_CORES = 1.5
"""What a spiking container without a CPU limit burns (with one: nearly all of it)."""
SPIKE_MEMORY = 2.5
"""A memory spike's factor on the usual working set (under the limit still)."""


def _cpu(
    seed: int, p: UsageProfile, t: float, request: str | None, limit: str | None, spike: bool
) -> int:
    lim = cpu_nanocores(limit) if limit else None
    if spike:
        level = lim * 0.95 if lim else SPIKE_CPU_CORES * NANO
        return max(0, int(min(level * _noise(seed, "spike", t, 0.03), lim or level * 2)))
    if p.hot and lim:
        level, wave = lim * (0.88 + 0.1 * p.cpu_level), _wave(p.phase, t, 0.04, 0.02)
    else:
        level = (
            cpu_nanocores(request) * (0.2 + 0.7 * p.cpu_level)
            if request
            else (1 + 299 * p.cpu_level**2) * 1e6
        )  # squared: most pods idle-ish
        wave = _wave(p.phase, t, 0.2, 0.08)
    value = level * wave * _noise(seed, "cpu", t, 0.06)
    return max(0, int(min(value, lim) if lim else value))


def _memory(
    seed: int, p: UsageProfile, t: float, request: str | None, limit: str | None, spike: bool
) -> int:
    level = (
        memory_bytes(request) * (0.3 + 0.6 * p.mem_level)
        if request
        else (10 + 590 * p.mem_level**2) * MI
    )
    if p.leaky:
        frac = (t / p.leak_period_s + p.phase) % 1.0
        factor = 0.6 + 0.8 * frac  # grows for one period, then falls back
    else:
        factor = _wave(p.phase, t, 0.04, 0.01) * _noise(seed, "mem", t, 0.01)
    value = max(level * factor * (SPIKE_MEMORY if spike else 1), MI)
    if limit:  # stay under the limit: at the limit the kernel would OOM-kill instead
        value = min(value, memory_bytes(limit) * 0.97)
    return int(value) // PAGE * PAGE


def container_usage(
    namespace: str,
    pod: str,
    container: str,
    at: datetime,
    requests: dict[str, str] | None = None,
    limits: dict[str, str] | None = None,
    spike: Spike | None = None,
) -> tuple[int, int]:
    """(cpu nanocores, memory working-set bytes) of one container at `at` (its workload's
    `spike`, when told to, while active)."""
    t = _epoch(at)
    spiking = spike is not None and spike.active(t)
    cpu_spike = spiking and spike is not None and spike.cpu
    memory_spike = spiking and spike is not None and spike.memory
    seed = _seed(namespace, pod, container)
    p = usage_profile(namespace, pod, container)
    cpu_req, cpu_lim = _resource(requests, limits, "cpu")
    mem_req, mem_lim = _resource(requests, limits, "memory")
    return (
        _cpu(seed, p, t, cpu_req, cpu_lim, cpu_spike),
        _memory(seed, p, t, mem_req, mem_lim, memory_spike),
    )


def node_overhead(node: str, at: datetime) -> tuple[int, int]:
    """System (kubelet, runtime, kernel) usage on a node that no pod accounts for."""
    t = _epoch(at)
    seed = stable_hash("node-overhead", node)
    phase = _unit(seed, "phase")
    cpu = (80 + 170 * _unit(seed, "cpu")) * 1e6 * _wave(phase, t, 0.15, 0.05)
    cpu *= _noise(seed, "cpu", t, 0.08)
    mem = (600 + 900 * _unit(seed, "mem")) * MI * _wave(phase, t, 0.03, 0.01)
    return int(cpu), int(mem) // PAGE * PAGE
