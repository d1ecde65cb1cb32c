"""How a WatchCache knows its rows are still the server's: bounds, a cheap probe, list pages
that must arrive in time, and the answers that mean "relist" (a resourceVersion the server has
not reached, a 404 on a listed row). A hung server is flagged within PROBE_AFTER + PROBE_TIMEOUT
(25 s) on a watch and LIST_TIMEOUT (15 s) on a list; its rows stay, marked stale."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from kstui.backends import errors
from kstui.backends.errors import KstuiError
from kstui.backends.kube import KubeClient

PROBE_AFTER = 15.0
"""Seconds of silence on a watch before a cheap probe asks whether the server still answers."""
PROBE_TIMEOUT = 10.0
"""A probe unanswered this long: the server is flagged as not answering."""
LIST_TIMEOUT = 15.0
"""A list page unanswered this long: the same."""
QUIET_RELIST = 90.0
"""Seconds with no event or bookmark before a relist: kube-apiserver bookmarks every minute."""


def not_answering(answered_at: float, detail: str) -> errors.Unreachable:
    since = time.strftime("%H:%M:%S", time.localtime(answered_at))
    return errors.Unreachable(
        f"server not answering since {since}",
        detail,
        "the rows shown are from then; kstui keeps trying",
    )


async def pages_in_time(
    pages: AsyncIterator[dict[str, Any]], within: float, answered: Callable[[], float]
) -> AsyncIterator[dict[str, Any]]:
    """Each page within `within` s, or Unreachable naming when the server last answered."""
    try:
        while True:
            try:
                async with asyncio.timeout(within):
                    page = await anext(pages)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise not_answering(answered(), f"no list page in {within:g}s") from None
            yield page
    finally:
        await pages.aclose()  # type: ignore[attr-defined]


async def probe(client: KubeClient, path: str, within: float) -> bool:
    """One cheap read of a list (one item): does the server still answer at all?"""
    try:
        async with asyncio.timeout(within):
            await client.get(path, {"limit": "1"})
    except (TimeoutError, errors.Unreachable):
        return False
    except KstuiError:
        pass  # an error answer is still an answer
    return True


def split_path(path: str) -> tuple[str, str, str, str]:
    """An API path as (group/version prefix, namespace, resource, name); "" for what it lacks.
    A subresource (`pods/x/log`) or anything longer gives no name."""
    parts = path.strip("/").split("/")
    size = 2 if parts[0] == "api" else 3
    prefix, rest = "/".join(parts[:size]), parts[size:]
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 2:
        return prefix, namespace, "", ""
    return prefix, namespace, rest[0], rest[1] if len(rest) == 2 else ""


def too_large(error: KstuiError) -> bool:
    """kube-apiserver's 504 for a resourceVersion it has not reached: it restarted, or was
    restored or failed over, behind what we saw. client-go relists on it too."""
    if not isinstance(error, errors.ApiError) or error.status_code != 504:
        return False
    return (
        any(c.get("reason") == "ResourceVersionTooLarge" for c in error.causes)
        or "Too large resource version" in error.detail
    )


def keeps_expiring(path: str, error: KstuiError | None) -> KstuiError:
    resource = path.rstrip("/").rsplit("/", 1)[-1]
    return errors.Gone(
        410,
        f"the list of {resource} keeps expiring (410 Gone)",
        error.detail if error is not None else "",
        "kstui relists with backoff; the rows shown may be stale",
        "Expired",
    )
