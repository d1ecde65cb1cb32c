"""Log streams of KubeClient: a streamed text answer's lines, a chunk at a time, on the
streams' own unbounded pool."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from kstui.backends.kube_transport import KubeTransport

Lines = list[str]  # one chunk's lines of a streamed answer


class KubeStreams(KubeTransport):
    """stream_line_batches."""

    async def stream_line_batches(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
    ) -> AsyncGenerator[Lines, None]:
        """Lines of a streamed text answer (pod logs with follow=true), without timeout, a
        chunk at a time: the lines each read completed (one step of the reader per chunk, not
        per line: a flood of short lines was mostly that step)."""
        await self._http()  # the network stack, loaded on a thread
        import httpx
        from httpx._decoders import LineDecoder

        if self._streams is None:
            self._streams = self._client(max_connections=None)
        async with self._open(
            "GET",
            path,
            params=params,
            read_timeout=None,
            headers={"Accept": "*/*"},
            http=self._streams,
        ) as response:
            decoder = LineDecoder()  # what httpx's aiter_lines splits with (splitlines')
            try:
                async for text in response.aiter_text():
                    lines = decoder.decode(text)
                    if lines:
                        yield lines
                rest = decoder.flush()
                if rest:
                    yield rest
            except httpx.HTTPError as exc:
                raise self._unreachable("GET", path, exc) from exc
