"""How a failed user action reaches the user: one notification with the server's words."""

from __future__ import annotations

from textual.dom import DOMNode

from kstui.backends.errors import KstuiError


def notify_failure(node: DOMNode, error: BaseException) -> None:
    """A KstuiError shows its title and detail (or hint); anything else says what it was."""
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
