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
settles_after_release = heap.settles
heap.settle()  # a big list loaded: frozen now, so dropping something settles again
heap.released()  # no loop running: settles at once
print(json.dumps({
    "enabled_before": enabled_before,
    "enabled_inside": enabled_inside,
    "enabled_after": gc.isenabled(),
    "frozen": frozen,
    "settles_after_release": settles_after_release,
    "settles_after_second_release": heap.settles,
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
    assert seen["settles_after_release"] == 0  # the start's freeze pins no list: no settle
    assert seen["settles_after_second_release"] == 2  # after a settle, a release settles
    assert seen["timers"] == []
