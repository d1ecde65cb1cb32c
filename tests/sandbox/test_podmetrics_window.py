"""metrics.k8s.io answers from one computation per 15 s window, as metrics-server answers from
its last scrape: asking again within the window computes nothing anew and says the same; the
next window says something new."""

from __future__ import annotations

from typing import Any

import pytest

from kstui.sandbox import podmetrics
from tests.connections import sandbox_client

METRICS = "/apis/metrics.k8s.io/v1beta1"
ASKS = (f"{METRICS}/nodes", f"{METRICS}/pods", f"{METRICS}/namespaces/shop-prod/pods")


async def test_two_asks_in_one_window_are_one_computation_and_a_new_window_a_new_one(
    fresh_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = fresh_sandbox(frozen=True)
    cluster = running.cluster()
    computed: list[str] = []
    model = podmetrics.container_usage

    def counted(*args: Any, **kwargs: Any) -> tuple[int, int]:
        computed.append(args[1])
        return model(*args, **kwargs)

    monkeypatch.setattr(podmetrics, "container_usage", counted)
    client = sandbox_client(running)
    try:
        first = [await client.get(path) for path in ASKS]
        assert computed, "the first ask computes usage"
        assert all(answer["items"] for answer in first)
        computed.clear()
        again = [await client.get(path) for path in ASKS]
        assert again == first
        assert computed == [], "asked again within the window: nothing is computed anew"

        running.call(cluster.clock.advance, 15)  # the next window
        later = [await client.get(path) for path in ASKS]
        assert computed, "a new window computes anew"
        for old, new in zip(first, later, strict=True):
            assert [i["timestamp"] for i in old["items"]] != [i["timestamp"] for i in new["items"]]
        assert [n["usage"] for n in later[0]["items"]] != [n["usage"] for n in first[0]["items"]]
    finally:
        await client.aclose()
