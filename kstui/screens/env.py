"""ScreenEnv: what every section screen is given by the app, in one frozen value."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from kstui.model import utc_now

if TYPE_CHECKING:
    from kstui.backends.session import Session
    from kstui.screens.resource_target import Target


def _nowhere(*_args: Any) -> None:
    """A navigation nobody wired (a screen shown on its own, in a test of that screen)."""


class ScreenEnv(NamedTuple):
    """The session, the clock, when the network may start, how lists coalesce, and where
    "open this elsewhere" goes. Screens pass it on unchanged to the screens they open."""

    session: Session
    frozen_now: float | None = None
    """Tests and snapshots freeze ages and the data-age clock."""
    first_frame: asyncio.Event | None = None
    """Set once the app's first frame is on the terminal; the network waits for it."""
    first_rows: asyncio.Event | None = None
    """Set once the start list's rows are drawn (or FOOTER_WAIT s passed): footers show their
    keys after them (widgets/footer.py), so the rows' frame does not wait for the keys'."""
    coalesce_seconds: float = 0.1
    """Live lists apply the changes of this long in one go."""
    start_kind: str = "pods"
    """The kind the browser opens on (`--kind`)."""
    open_resources: Callable[[Target], None] = _nowhere
    """Open a list in the resource browser (Esc comes back)."""
    open_logs: Callable[[str, str, Sequence[str]], None] = _nowhere
    """Open logs: (context, namespace, pod names)."""
    open_yaml: Callable[[str, str, str, str], object] = _nowhere
    """Open an object's YAML: (context, kind alias, namespace, name); the result is unused
    (the app's is a worker)."""
    complete: Callable[[str], list[str]] = lambda _text: []
    """Completions for the `:` prompt."""

    def now(self) -> float:
        """Seconds since the epoch: frozen in tests and snapshots."""
        return self.frozen_now if self.frozen_now is not None else utc_now()

    async def after_first_frame(self) -> None:
        """Connecting loads httpx and the kubernetes package: only after the first frame."""
        if self.first_frame is not None:
            await self.first_frame.wait()
