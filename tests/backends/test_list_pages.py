"""List pages (issue 18: stream the first page, ask less, ask in parallel): the next page is
asked for while the caller still handles this one, every row comes once, and a caller that
stops early leaves no request behind."""

from __future__ import annotations

import asyncio
from typing import Any

from kstui.backends.kube import KubeClient
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client


def recording(client: KubeClient) -> list[dict[str, Any]]:
    """The params of every GET the client starts."""
    asked: list[dict[str, Any]] = []
    get = client.get

    async def traced(path: str, params: Any = None, **options: Any) -> Any:
        asked.append(dict(params or {}))
        return await get(path, params, **options)

    client.get = traced  # type: ignore[method-assign]
    return asked


async def test_the_next_page_is_asked_for_while_this_one_is_handled(
    sandbox: RunningSandbox,
) -> None:
    client = sandbox_client(sandbox)
    try:
        whole = await client.get("/api/v1/pods")
        expected = sorted(item["metadata"]["uid"] for item in whole["items"])
        assert len(expected) > 10
        asked = recording(client)
        seen: list[str] = []
        pages = 0
        async for page in client.list_pages("/api/v1/pods", limit=4):
            pages += 1
            if (page.get("metadata") or {}).get("continue"):
                for _ in range(5):
                    await asyncio.sleep(0)  # the caller is busy with this page
                assert len(asked) == pages + 1, "the next page was not asked for yet"
                assert asked[-1]["continue"] == page["metadata"]["continue"]
            seen.extend(item["metadata"]["uid"] for item in page["items"])
        assert sorted(seen) == expected
        assert len(asked) == pages
    finally:
        await client.aclose()


async def test_stopping_early_cancels_the_page_asked_for_ahead(sandbox: RunningSandbox) -> None:
    client = sandbox_client(sandbox)
    try:
        pages = client.list_pages("/api/v1/pods", limit=4)
        await anext(pages)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await pages.aclose()  # type: ignore[attr-defined]
        assert all(task.done() for task in tasks)
    finally:
        await client.aclose()
