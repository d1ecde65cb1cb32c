"""When the API servers asked to be left alone (429 with Retry-After), for polls to honour."""

from __future__ import annotations

import time

from kstui.backends.errors import TooManyRequests

MAX_WAIT = 600.0
"""A Retry-After beyond this is taken as this: a poll still comes back, and says when."""


class RetryAfter:
    """The latest moment any server named; errors that were swallowed count too."""

    def __init__(self) -> None:
        self.until = 0.0
        """time.monotonic() before which no poll should read again."""

    def note(self, error: object) -> None:
        if isinstance(error, TooManyRequests):
            wait = min(max(error.retry_after, 0.0), MAX_WAIT)
            self.until = max(self.until, time.monotonic() + wait)

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())
