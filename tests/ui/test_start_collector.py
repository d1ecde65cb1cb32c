"""The collector paused for the start (kstui/__main__.py: HEAP.pause_for_start) runs again once
the app's first frame is drawn: left paused, every cycle made after would be kept for good."""

from __future__ import annotations

import gc

from kstui.heap import HEAP
from tests.ui.conftest import wait_until


async def test_the_collector_paused_for_the_start_runs_again_after_the_first_frame(
    make_app,
) -> None:
    collecting = gc.isenabled()
    HEAP.pause_for_start()
    try:
        assert not gc.isenabled()
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, gc.isenabled, "the collector running again", timeout=10)
    finally:
        HEAP.started()  # nothing if the app did it
        gc.unfreeze()  # this test process's heap, frozen by the start's end: as it was
        if collecting:
            gc.enable()
