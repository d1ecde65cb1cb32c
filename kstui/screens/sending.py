"""A write from a screen, from the key to the server's answer, shown while in flight.

The answer may never come (a slow server): KubeClient then reads the object back
(write_outcome.py), and the notification says what the read-back found.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from kstui.backends.errors import NoAnswer
from kstui.screens.failures import Notifier, notify_failure
from kstui.widgets.mixin_bases import ScreenMixin
from kstui.widgets.resource_table import ResourceTable
from kstui.widgets.write_status import WriteStatus


class WriteHost(Protocol):
    """Where a write in flight shows (the row's pending mark, the status line)."""

    def write_began(self, key: str, text: str) -> int: ...

    def write_ended(self, token: int, applied: bool) -> None: ...


async def send_write(
    node: Notifier,
    host: WriteHost,
    key: str,
    doing: str,
    what: str,
    write: Callable[[], Awaitable[object]],
) -> bool:
    """`doing` shows until the answer ("scaling Deployment shop/web to 5…"); `what` names
    the write in the outcome ("scale of Deployment shop/web"). True when it was applied."""
    from kstui.backends import write_outcome  # orjson, yaml: on the first write, not at start

    token = host.write_began(key, doing)
    applied = False
    try:
        with write_outcome.late_answers() as late:
            await write()
        applied = True
    except NoAnswer as error:
        node.notify(
            f"{what}: {error.detail}",
            timeout=15,
            title="not applied" if error.applied is False else "outcome unknown",
            severity="error" if error.applied is False else "warning",
        )
    except Exception as error:
        notify_failure(node, error)
    finally:
        host.write_ended(token, applied)
    if applied:
        if late:
            node.notify(f"{what}: {late[-1].text}", title="applied", timeout=15)
        else:
            node.notify(doing.removesuffix("…"))
    return applied


async def reported(node: Notifier, call: Awaitable[object]) -> None:
    """An app worker's failure becomes a notification (no screen is there to catch it)."""
    try:
        await call
    except Exception as error:
        notify_failure(node, error)


class WritesInFlight(ScreenMixin):
    """For a screen with a ResourceTable and a WriteStatus: its writes are sent in app
    workers (the next key or leaving the screen must not cancel one: the server may be
    applying it), and the row and the status line show each until its answer."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.pending: set[str] = set()
        """Rows written to, until the watch shows the change."""
        self.in_flight: dict[int, str] = {}
        """WriteStatus token → row key, while a write waits for its answer."""

    def _send(
        self, key: str, doing: str, what: str, write: Callable[[], Awaitable[object]]
    ) -> None:
        self.app.run_worker(
            send_write(self.app, self, key, doing, what, write),
            group="write-send",
            exit_on_error=False,
        )

    def write_began(self, key: str, text: str) -> int:
        if not self.is_attached:
            return 0
        token = self.query_one(WriteStatus).begin(text)
        self.in_flight[token] = key
        self._show_pending()
        return token

    def write_ended(self, token: int, applied: bool) -> None:
        key = self.in_flight.pop(token, None)
        if not self.is_attached:
            return
        self.query_one(WriteStatus).end(token)
        if applied and key is not None:
            self.pending.add(key)  # until the watch shows the change
        self._show_pending()

    def _show_pending(self) -> None:
        self.query_one(ResourceTable).set_pending(self.pending | set(self.in_flight.values()))
