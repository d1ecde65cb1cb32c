"""The cells of an Observe row (pure): usage now against limits, requests or allocatable
(`120m 24%L`), network, problems, and a sparkline of a history in block characters.

CPU is always in millicores and memory in MiB, so that a column sorts by its leading number."""

from __future__ import annotations

from collections.abc import Iterable

from kstui.backends.observe_levels import SEVERE, LevelRow

SPARK = "▁▂▃▄▅▆▇█"
FLAT = 0.02
"""A history that moves less than this share of its top is drawn level."""


def sparkline(values: Iterable[float], width: int = 12) -> str:
    """Values as block characters from their lowest to their highest, in `width` cells
    (averaged into buckets when there are more)."""
    points = list(values)
    if not points:
        return ""
    if len(points) > width:
        size = len(points) / width
        points = [
            _mean(points[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)])
            for i in range(width)
        ]
    low, top = min(points), max(points)
    if top <= 0:
        return SPARK[0] * len(points)
    if top - low <= FLAT * top:  # steady: a level line, not noise blown up
        return SPARK[3] * len(points)
    last = len(SPARK) - 1
    return "".join(SPARK[round((p - low) / (top - low) * last)] for p in points)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def cpu_cell(row: LevelRow) -> str:
    """`120m 24%L`: millicores now, and the share of the limit (L), request (R) or a node's
    allocatable (A) it uses."""
    a = row.amounts
    if a.cpu is None:
        return "—"
    figure = f"{round(a.cpu * 1000)}m"
    share = _share(a.cpu, row.capacity_cpu, a.cpu_limit, a.cpu_request, row.against)
    return f"{figure} {share}".rstrip()


def memory_cell(row: LevelRow) -> str:
    a = row.amounts
    if a.memory is None:
        return "—"
    figure = f"{round(a.memory / 2**20)}Mi"
    share = _share(a.memory, row.capacity_memory, a.memory_limit, a.memory_request, row.against)
    return f"{figure} {share}".rstrip()


def _share(used: float, capacity: float, limit: float | None, request: float, against: str) -> str:
    if against == "A" and capacity:
        return f"{round(used / capacity * 100)}%A"
    if limit:
        return f"{round(used / limit * 100)}%L"
    if request:
        return f"{round(used / request * 100)}%R"
    return ""


def ratio(row: LevelRow) -> float:
    """The fullest share of this row (for its tone): 0 when nothing bounds it."""
    a = row.amounts
    shares = []
    for used, capacity, limit in (
        (a.cpu, row.capacity_cpu, a.cpu_limit),
        (a.memory, row.capacity_memory, a.memory_limit),
    ):
        bound = capacity if row.against == "A" else (limit or 0.0)
        if used is not None and bound:
            shares.append(used / bound)
    return max(shares, default=0.0)


def rate_cell(value: float | None) -> str:
    return "—" if value is None else f"{round(value / 1024)}K"


def network_cell(row: LevelRow) -> str:
    if row.net_in is None and row.net_out is None:
        return "—"
    return f"{rate_cell(row.net_in)}/{rate_cell(row.net_out)}"


def problems_cell(row: LevelRow) -> str:
    severe = sorted(row.problems, key=lambda p: (p not in SEVERE, p))
    return ", ".join(p if row.problems[p] == 1 else f"{p}×{row.problems[p]}" for p in severe)
