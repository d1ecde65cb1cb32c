"""How a failed user action reaches the user: one notification with the server's words."""

from __future__ import annotations

import asyncio
from typing import Protocol

from textual.notifications import SeverityLevel

from kstui.backends.errors import KstuiError


class Notifier(Protocol):
    """What can show a notification: the App or any widget (a bare DOMNode cannot)."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...


def notify_failure(node: Notifier, error: BaseException) -> None:
    """A KstuiError shows its title and detail (or hint); anything else says what it was.
    A cancelled operation (the user moved on: a new list, context or namespace) is no failure."""
    if isinstance(error, asyncio.CancelledError):
        return
    if isinstance(error, KstuiError):
        node.notify(
            error.detail or error.hint or error.title,
            title=error.title,
            severity="error",
            timeout=8,
        )
    else:
        node.notify(
            f"{type(error).__name__}: {error}",
            title="unexpected error",
            severity="error",
            timeout=8,
        )
