"""The log generator's rate knob (`sandbox.kstui.io/log-rate`, for bench/logs.py): a pod's
containers write that many lines a second, the same lines closer together."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from kstui.backends.errors import KstuiError
from kstui.sandbox.loggen import LogGenerator
from kstui.sandbox.podlogs import LOG_RATE_ANNOTATION
from tests.connections import sandbox_client


def test_a_rate_sets_lines_a_second() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    own = LogGenerator("ns", "pod", "app", "shop/app:1", start)
    fast = LogGenerator("ns", "pod", "app", "shop/app:1", start, rate=500)
    minute = start + timedelta(minutes=1)
    assert own.line_count_until(minute) < 400
    assert 0.95 * 30_000 <= fast.line_count_until(minute) <= 1.05 * 30_000
    same = [
        fast.line_at(i).text.split(" ", 1)[1] == own.line_at(i).text.split(" ", 1)[1]
        for i in range(9)
    ]
    assert all(same)  # the same lines, at other times


async def test_a_pod_annotated_with_a_rate_floods_its_log(sandbox: Any) -> None:
    kube = sandbox_client(sandbox)
    ns = "log-rate"
    try:
        await kube.create(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )
        await kube.create(
            f"/api/v1/namespaces/{ns}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "flood", "annotations": {LOG_RATE_ANNOTATION: "1000"}},
                "spec": {"containers": [{"name": "app", "image": "bench/flood:1"}]},
            },
        )
        path = f"/api/v1/namespaces/{ns}/pods/flood/log"
        lines: list[str] = []
        for _ in range(100):
            try:
                params = {"timestamps": "true", "tailLines": "1000"}
                batches = kube.stream_line_batches(path, params)
                lines = [line async for batch in batches for line in batch]
            except KstuiError:  # still starting
                lines = []
            if len(lines) == 1000:
                break
            await asyncio.sleep(0.1)
        assert len(lines) == 1000
        first = datetime.fromisoformat(lines[0].split()[0].replace("Z", "+00:00"))
        last = datetime.fromisoformat(lines[-1].split()[0].replace("Z", "+00:00"))
        assert 0.8 <= (last - first).total_seconds() <= 1.2  # 1,000 lines in about a second
    finally:
        await kube.aclose()
