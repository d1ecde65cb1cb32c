"""How a failure reaches the user: a failed action as one notification with the server's words,
a failed list as the few words of a header and the lines of an empty table."""

from __future__ import annotations

import asyncio
from typing import Protocol

from textual.notifications import SeverityLevel

from kstui.backends.errors import BadRequest, Forbidden, KstuiError


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


def problem_text(error: KstuiError) -> str:
    """A failed list in a few words: what a 403 denies (`forbidden: alice cannot list secrets
    in namespace payments`), else the error's title."""
    return error.denied if isinstance(error, Forbidden) else error.title


def error_message(error: KstuiError, *, hint: bool = True) -> str:
    """What an empty table says when its list failed (a title and, if asked, the fix). A bad
    request (a label selector the server cannot parse) also gives the server's reason."""
    title = problem_text(error)
    if isinstance(error, BadRequest) and error.detail:
        title += f"\n{error.detail}"
    return f"{title}\n{error.hint}".strip() if hint else title
