"""usage_history: one target's CPU, memory and network in/out over a window, against the
sandbox's real Prometheus; every point equals what Prometheus answers, asked directly (its own
HTTP API, not kstui's client) at that instant."""

from __future__ import annotations

import time

import httpx
import pytest

from kstui.backends.observe_history import usage_history
from kstui.backends.prometheus import Prometheus
from kstui.backends.prometheus_queries import METRICS, WINDOWS, Target, expression
from tests.backends.conftest import _instance, _running_pod
from tests.conftest import RunningSandbox


async def direct_series(running: RunningSandbox, expr: str, at: float) -> list[float]:
    """Prometheus's own answer for `expr` at `at`: each series' value."""
    async with httpx.AsyncClient() as http:
        answer = (
            await http.get(
                f"{_instance(running).url}/api/v1/query", params={"query": expr, "time": str(at)}
            )
        ).json()
    assert answer["status"] == "success", answer
    return [float(item["value"][1]) for item in answer["data"]["result"]]


async def direct(running: RunningSandbox, expr: str, at: float) -> float | None:
    """Prometheus's own answer for `expr` at `at`, summed over its series (None: no series)."""
    found = await direct_series(running, expr, at)
    return sum(found) if found else None


async def test_each_metric_of_a_pod_equals_prometheus_at_the_same_instants(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    pod = await _running_pod(prom_admin.transport.kube)  # type: ignore[attr-defined]
    target = Target("pod", namespace=pod["metadata"]["namespace"], pod=pod["metadata"]["name"])
    end = time.time() - 30  # samples up to here are in
    history = await usage_history(prom_admin, target, "1h", end)
    seconds, step = WINDOWS["1h"]
    assert history.end == end // step * step
    assert (history.start, history.step, history.window) == (history.end - seconds, step, "1h")
    assert set(history.series) == set(METRICS)
    for metric in METRICS:
        points = history.series[metric]
        assert len(points) >= 55, (metric, len(points))
        for moment in (history.end, history.end - 10 * step, history.start + 5 * step):
            expected = await direct(prom, expression(metric, target), moment)
            assert history.at(metric, moment) == pytest.approx(expected, rel=1e-9), (
                metric,
                moment,
            )


async def test_a_target_of_many_series_is_their_sum(
    prom: RunningSandbox, prom_admin: Prometheus
) -> None:
    pod = await _running_pod(prom_admin.transport.kube)  # type: ignore[attr-defined]
    every_pod = Target("pod", namespace=pod["metadata"]["namespace"])  # all of its pods
    end = time.time() - 30
    history = await usage_history(prom_admin, every_pod, "15m", end)
    moment = history.end - 4 * history.step
    answer = await direct_series(prom, expression("memory", every_pod), moment)
    assert len(answer) > 1  # several pods: several series
    assert history.at("memory", moment) == pytest.approx(sum(answer), rel=1e-9)


async def test_an_unknown_window_is_refused(prom_admin: Prometheus) -> None:
    with pytest.raises(ValueError, match="one of 15m, 1h, 6h, 24h, 7d"):
        await usage_history(prom_admin, Target("cluster"), "2h")
