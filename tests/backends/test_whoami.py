"""Who we are (SelfSubjectReview): a review whose asker left before the answer still has its
failure heard, so nothing reports "Task exception was never retrieved" when it is collected (at
any moment: one collected inside another test's `ast.parse` broke that parse on Python 3.11)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from kstui.backends.backend import Backend, BackendSettings
from kstui.backends.kubeconfig import load_kubeconfig
from tests.backends.test_kubeconfig import single


class HangUp:
    """A TCP server that reads a request, waits until told, and closes without an answer."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.release = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.asked.set()
        await self.release.wait()
        writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def test_a_review_whose_asker_left_fails_heard(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hang_up = HangUp()
    port = await hang_up.start()
    kubeconfig = single(tmp_path / "config", {"server": f"http://127.0.0.1:{port}"}, {})
    settings = BackendSettings(cache_dir=tmp_path / "cache")
    backend = Backend(load_kubeconfig(str(kubeconfig)), "only", settings)
    try:
        asker = asyncio.create_task(backend.whoami())
        await asyncio.wait_for(hang_up.asked.wait(), 10)
        asker.cancel()  # the header gave up (its screen closed): the review goes on alone
        with pytest.raises(asyncio.CancelledError):
            await asker
        review = backend._review
        assert review is not None
        assert not review.done()
        hang_up.release.set()
        await asyncio.wait_for(asyncio.wait({review}), 10)
        # It failed (its repr says so; asking exception() here would be the hearing tested).
        assert "exception=" in repr(review)
    finally:
        await backend.aclose()
        await hang_up.stop()
    del asker, review, backend
    with caplog.at_level("ERROR", logger="asyncio"):
        gc.collect()
    assert "never retrieved" not in caplog.text
