"""Bytes a call leaves allocated by kstui's code, as tracemalloc counts them: not what other
threads of the process allocate meanwhile. A test worker runs many test files, and an
in-process sandbox one of them started keeps serving (and allocating) in the background: a
whole run's worker counted 65 B a log line where the ring keeps ~25 B."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

FRAMES = 10
"""Enough of each allocation's stack to see whether kstui's code made it."""


def kept_by_kstui(call: Callable[[], object], *also: str) -> int:
    """What `call()` leaves allocated by kstui's code (its sandbox excepted) or by the files
    `also` names (a test's own, for what it builds for kstui to keep)."""
    ours = [
        tracemalloc.Filter(True, "*/kstui/*", all_frames=True),
        *(tracemalloc.Filter(True, path, all_frames=True) for path in also),
        tracemalloc.Filter(False, "*/kstui/sandbox/*", all_frames=True),
    ]
    gc.collect()
    tracemalloc.start(FRAMES)
    try:
        before = tracemalloc.take_snapshot().filter_traces(ours)
        call()
        gc.collect()
        after = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    return sum(stat.size_diff for stat in after.compare_to(before, "filename"))
