"""Memory over a session: closed lists, their caches and the Esc history are let go.

Live objects are counted by weak references, not gc.get_objects(): that one does not see frozen
objects, and frozen objects that are never collected are exactly what is looked for here.
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

from textual.worker import WorkerState

from kstui.app import HISTORY
from kstui.config import Config, RefreshSettings
from kstui.screens.resources import ResourcesScreen
from kstui.widgets.resource_table import ResourceTable
from tests.ui.conftest import loaded, type_text, wait_until

BIG = 1200
"""Pods in the sandbox: above the 1,000 rows from which the app freezes the heap after a load."""


def _watching(app: Any) -> list[Any]:
    return [
        worker
        for worker in app.workers
        if worker.group == "watch" and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)
    ]


def _alive(refs: list[weakref.ref[Any]]) -> int:
    gc.collect()  # what is not frozen goes at the collector's leisure: now, for the test
    return sum(ref() is not None for ref in refs)


async def test_closed_big_lists_are_collected_and_the_frozen_heap_stays_flat(
    make_app, fresh_sandbox
) -> None:
    running = fresh_sandbox(pods=BIG)
    app = make_app(
        namespace="default",
        kubeconfig=running.kubeconfig,
        config=Config(refresh=RefreshSettings(grace_seconds=0.5)),
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot, minimum=0)
        root = app.screen
        open_counts, closed_counts = [], []
        for _cycle in range(4):
            await pilot.press("colon")
            await type_text(pilot, "po -A")
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: (
                    app.screen is not root
                    and app.screen.loaded
                    and app.screen.query_one(ResourceTable).row_count >= BIG
                ),
                "all pods",
                timeout=60,
            )
            screen = app.screen
            table = screen.query_one(ResourceTable)
            caches = [cache for cache in screen.backend.caches.caches() if len(cache.rows) >= BIG]
            assert len(caches) == 1
            await pilot.pause(0.1)
            open_counts.append(gc.get_freeze_count())
            refs = {
                "screen": weakref.ref(screen),
                "table": weakref.ref(table),
                "store": weakref.ref(table._store),
                "cache": weakref.ref(caches[0]),
            }
            del screen, table, caches
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is root, "the list to close")
            # The list goes once its workers end and the message loops let go of its last
            # messages, the cache after its grace period: each then settles the heap.
            await wait_until(
                pilot,
                lambda refs=refs: all(ref() is None for ref in refs.values()),
                "the closed list and its cache to be collected",
                timeout=20,
            )
            assert len(_watching(app)) == 1, "only the root list is watched"
            closed_counts.append(gc.get_freeze_count())
        one_list = open_counts[0] - closed_counts[0]
        assert one_list > BIG, (open_counts, closed_counts)  # a list's rows were frozen...
        # ...and each close unfreezes them: no cycle leaves a list behind in the frozen heap.
        assert closed_counts[-1] - closed_counts[0] < one_list / 2, (open_counts, closed_counts)


async def test_history_keeps_the_last_steps_and_not_their_rows(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        root = app.screen
        steps: list[weakref.ref[Any]] = []
        for step in range(HISTORY + 10):
            await app.go_to_kind("deploy" if step % 2 else "po")
            await loaded(pilot)
            steps.append(weakref.ref(app.screen))
        stack = app.screen_stack
        assert len(stack) == HISTORY + 1
        assert stack[0] is root, "the section's first screen stays"
        # Steps under the top keep what reopens them, not their rows or their watch.
        history = [s for s in stack[:-1] if isinstance(s, ResourcesScreen)]
        await wait_until(pilot, lambda: all(s.released for s in history), "released steps")
        assert all(s.query_one(ResourceTable).row_count == 0 and not s.names for s in history)
        await wait_until(pilot, lambda: len(_watching(app)) == 1, "one list watched")
        # The dropped steps are removed, and let go (Textual may keep one a while longer: a
        # task started while it was on screen keeps it in its context).
        await wait_until(
            pilot,
            lambda: all(ref() is None or not ref().is_attached for ref in steps[:10]),
            "the dropped steps to be removed",
        )
        await wait_until(
            pilot, lambda: _alive(steps) <= HISTORY + 1, "the dropped steps to go", timeout=30
        )
        # Esc goes back: the step lists again, with the cursor where it was.
        await pilot.press("escape")
        rows = await loaded(pilot, minimum=3)
        await pilot.press("down", "down")
        cursor = rows.cursor_key
        assert cursor == rows.visible_keys[2]
        await app.go_to_kind("po")
        await loaded(pilot)
        await pilot.press("escape")
        back = await loaded(pilot)
        assert back.cursor_key == cursor
        assert len(app.screen_stack) == HISTORY
