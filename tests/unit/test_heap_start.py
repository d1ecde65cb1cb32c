"""The start pauses the collector until the first frame, then freezes what it made
(kstui/heap.py Heap.pause_for_start, Heap.started): the collections after it walk only what is
new. Run in a fresh interpreter: the collector is global."""

from __future__ import annotations

import json

from tests.fresh_python import fresh_python

CODE = """
import gc, json
from kstui.heap import Heap
unpaused = Heap()
unpaused.started()  # an app run without the start's pause (a test): nothing happens
frozen_unpaused = gc.get_freeze_count()
heap = Heap()
enabled_before = gc.isenabled()
heap.pause_for_start()
enabled_inside = gc.isenabled()
made = [[index] for index in range(1000)]  # what imports and the first screen make: for good
heap.started()
heap.started()  # once
frozen = gc.get_freeze_count()
heap.released()  # nothing frozen since the start: nothing to settle
settles_after_release = heap.settles
heap.settle()  # a big list loaded: frozen now, so dropping something settles again
heap.released()  # no loop running: settles at once
print(json.dumps({
    "frozen_unpaused": frozen_unpaused,
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
    assert seen["frozen_unpaused"] == 0
    assert seen["enabled_before"]
    assert not seen["enabled_inside"]
    assert seen["enabled_after"]
    assert seen["frozen"] >= 1000
    assert seen["settles_after_release"] == 0  # the start's freeze pins no list: no settle
    assert seen["settles_after_second_release"] == 2  # after a settle, a release settles
    assert seen["timers"] == []
