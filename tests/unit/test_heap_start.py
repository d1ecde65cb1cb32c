"""The start freezes what the imports made (kstui/heap.py Heap.starting): the first frame's
collections then walk only what is new. Run in a fresh interpreter: the collector is global."""

from __future__ import annotations

import json

from tests.fresh_python import fresh_python

CODE = """
import gc, json
from kstui.heap import Heap
heap = Heap()
enabled_before = gc.isenabled()
with heap.starting():
    enabled_inside = gc.isenabled()
    made = [[index] for index in range(1000)]  # what imports make: alive for good
frozen = gc.get_freeze_count()
heap.released()  # nothing frozen since the start: nothing to settle
print(json.dumps({
    "enabled_before": enabled_before,
    "enabled_inside": enabled_inside,
    "enabled_after": gc.isenabled(),
    "frozen": frozen,
    "frozen_at_start": heap.frozen_at_start,
    "timers": sorted(heap._timers),
}))
"""


def test_the_start_collects_nothing_then_freezes_what_it_made() -> None:
    printed = fresh_python(CODE, timeout=60)
    seen = json.loads(printed)
    assert seen["enabled_before"]
    assert not seen["enabled_inside"]
    assert seen["enabled_after"]
    assert seen["frozen"] >= 1000
    assert seen["frozen"] <= seen["frozen_at_start"]  # what was frozen and since freed
    assert seen["timers"] == []  # the start's freeze pins no list: no settle for it
