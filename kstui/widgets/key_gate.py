"""KeyGate: keys typed after a prompt's ⏎ or esc wait until its screen has acted on it.

Textual hands each key to whatever is focused *when the key is read*, through that widget's
queue, and runs a binding only once the key has bubbled up to the app. Keys read in one go
(a paste, fast typing over SSH, a busy app) are therefore all routed before the first one has
had any effect: after `:deploy⏎` the keys of `/ready⏎` went to the old screen's prompt or to a
table whose `r` restarts and whose `e` edits. So from a prompt's ⏎ or esc on, the app holds
the keys it reads until the prompt's owner posts `Prompt.Settled` to the app (the new list is
mounted and focused, the filter is set), then replays them in order to what is focused then.

Keys typed ahead at the shell, read before the first screen is mounted, wait for it: the first
list holds them until its prompt is there (it comes after the first frame: resources.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from textual import events
from textual.timer import Timer

from kstui.heap import HEAP
from kstui.widgets.mixin_bases import AppMixin

if TYPE_CHECKING:  # its module loads with the first prompt, after the first frame
    from kstui.widgets.prompt import Prompt


MOUNT_WAIT = 5.0
"""Seconds a key read before the first screen is mounted waits for it."""


class KeyGate(AppMixin):
    """The app's base: holds keys between a prompt's end and its effect."""

    _held_keys: list[events.Key] | None = None
    _holder: Prompt | None = None
    _watchdog: Timer | None = None
    _first_screen_seen = False
    """A key was read once the first screen was mounted (or waited for it)."""

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)
            return
        HEAP.input()  # the collector waits for a pause in the typing (heap.py)
        if not self._first_screen_seen:
            # Typed ahead at the shell, read before the first screen's on_mount: it may hold
            # the keys for its prompt (resources.py), which is not there yet; they wait for it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.screen._mounted_event.wait(), MOUNT_WAIT)
            self._first_screen_seen = True
        if self._held_keys is not None:
            self._held_keys.append(event)
            return
        from kstui.widgets.prompt import Prompt

        focused = self.focused
        prompt = focused if isinstance(focused, Prompt) else None
        ends_prompt = prompt is not None and prompt.ends_on(event.key)
        await super().on_event(event)
        if prompt is not None and ends_prompt:
            self.hold_keys(prompt)

    def hold_keys(self, holder: Prompt | None = None) -> None:
        """The keys read from now on wait for the next `Prompt.Settled`: `holder`'s, or with
        None the first screen's, once its prompt is mounted (screens/resources.py composes it
        after the first frame). The watchdog lets them go should nobody settle."""
        if self._held_keys is None:
            self._held_keys, self._holder = [], holder
        if self._watchdog is None:
            self._watchdog = self.set_interval(0.5, self._check_holder)

    def _check_holder(self) -> None:
        """A prompt removed before its screen could act (the screen closed): nobody settles."""
        if self._held_keys is None:
            if self._watchdog is not None:
                self._watchdog.stop()
                self._watchdog = None
        elif self._holder is None or not self._holder.is_attached:
            self.settle_keys()

    def settle_keys(self) -> None:
        """The keys held go on, once what is before them in the queue has been handled."""
        from kstui.widgets.prompt import Prompt

        self.post_message(Prompt.Settled())

    async def on_prompt_settled(self, event: Prompt.Settled) -> None:
        event.stop()
        held, self._held_keys, self._holder = self._held_keys or [], None, None
        for key in held:
            await self.on_event(key)  # a replayed ⏎ holds the rest again, in order
