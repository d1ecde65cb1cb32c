"""A level's query reads the series of what it shows, not the whole cluster's: the pods of a
project (or a workload) name the project in the usage's own selector, the pods of a node name
the node where the series carry it. The answers equal KubeSphere's whole-cluster join; what
Prometheus reads is counted by its own query statistics (`stats=all`)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from kstui.backends.observe_history_rows import HistoryRows
from kstui.backends.observe_levels import LevelRow
from kstui.backends.observe_place import Place
from kstui.backends.prometheus import Series
from kstui.backends.prometheus_queries import WINDOWS, Target, expression
from tests.backends.conftest import _instance
from tests.conftest import RunningSandbox

KUBELET_CPU = 'container_cpu_usage_seconds_total{job="kubelet", image!="", container!=""}'


def _range(running: RunningSandbox, expr: str) -> tuple[dict[str, list[Any]], int]:
    """Prometheus's own answer over the last hour (series → points) and the samples it read."""
    seconds, step = WINDOWS["1h"]
    end = time.time() // step * step - step  # a settled moment: no scrape lands in it
    answer = httpx.get(
        f"{_instance(running).url}/api/v1/query_range",
        params={"query": expr, "start": end - seconds, "end": end, "step": step, "stats": "all"},
        timeout=60,
    ).json()
    assert answer["status"] == "success", answer
    series = {
        ",".join(f"{k}={v}" for k, v in sorted(item["metric"].items())): item["values"]
        for item in answer["data"]["result"]
    }
    return series, int(answer["data"]["stats"]["samples"]["totalQueryableSamples"])


def _where(running: RunningSandbox, label: str) -> Counter[str]:
    """Running containers per namespace or node, from the exported series."""
    answer = httpx.get(
        f"{_instance(running).url}/api/v1/query",
        params={"query": f"count by ({label}) ({KUBELET_CPU})"},
        timeout=60,
    ).json()
    return Counter(
        {item["metric"][label]: int(item["value"][1]) for item in answer["data"]["result"]}
    )


def _labelled(series: Mapping[str, Any], label: str) -> Counter[str]:
    """Series per value of `label`, from _range's keys."""
    return Counter(
        part.split("=", 1)[1]
        for key in series
        for part in key.split(",")
        if part.startswith(f"{label}=")
    )


def _fewest(found: Counter[str]) -> str:
    assert len(found) > 1, found
    return min(found, key=lambda name: (found[name], name))


@pytest.mark.parametrize("metric", ["cpu", "memory", "net_in"])
def test_the_pods_of_a_project_read_only_its_series(prom: RunningSandbox, metric: str) -> None:
    everywhere, whole = _range(prom, expression(metric, Target("pod")))
    # A project with series in the hour asked (one another test made a minute ago has none)
    namespace = _fewest(_where(prom, "namespace") & _labelled(everywhere, "namespace"))
    narrowed, read = _range(prom, expression(metric, Target("pod", namespace=namespace)))
    assert narrowed
    assert narrowed == {k: v for k, v in everywhere.items() if f"namespace={namespace}," in k}
    assert read * 2 < whole, (read, whole)


def test_a_workload_reads_only_its_projects_series(prom: RunningSandbox) -> None:
    answer = httpx.get(
        f"{_instance(prom).url}/api/v1/query",
        params={"query": 'kube_pod_owner{owner_kind="ReplicaSet"}'},
        timeout=60,
    ).json()
    running = _where(prom, "namespace")
    owner = next(
        item["metric"]
        for item in sorted(answer["data"]["result"], key=lambda i: sorted(i["metric"].items()))
        if item["metric"]["namespace"] in running
    )
    namespace, deployment = owner["namespace"], owner["owner_name"].rpartition("-")[0]
    target = Target(
        "workload", namespace=namespace, workload_kind="Deployment", workload=deployment
    )
    narrowed, read = _range(prom, expression("cpu", target))
    assert narrowed
    # the same sum as KubeSphere's form, which rates every container of the cluster
    whole_form = expression("cpu", target).replace(f', namespace="{namespace}"}}[5m]', "}[5m]")
    assert whole_form != expression("cpu", target)
    everywhere, whole = _range(prom, whole_form)
    assert narrowed == everywhere
    assert read < whole, (read, whole)


def test_the_pods_of_a_node_read_its_series_by_their_node_label(prom: RunningSandbox) -> None:
    node = _fewest(_where(prom, "node"))
    by_label, read = _range(prom, expression("cpu", Target("pod", node=node, node_labelled=True)))
    joined, whole = _range(prom, expression("cpu", Target("pod", node=node)))
    assert by_label
    assert by_label == joined
    assert read < whole, (read, whole)


class _Unlabelled:
    """A Prometheus whose usage series carry no `node` label (plain kubernetes_sd scrapes):
    a selector naming the node finds nothing."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def _answer(self, expr: str) -> list[Series]:
        self.asked.append(expr)
        if 'node="n1"}[5m]' in expr or 'image!="", node="n1"}' in expr:
            return []
        return [Series({"namespace": "shop", "pod": "web-1"}, [(1.0, 0.25), (61.0, 0.5)])]

    async def query_range(self, expr: str, *_args: Any) -> list[Series]:
        return self._answer(expr)

    async def query(self, expr: str, *_args: Any) -> list[Series]:
        return self._answer(expr)


async def test_without_node_labels_a_node_is_asked_as_kubesphere_asks() -> None:
    rows_of: Mapping[str, Any] = {}
    history = HistoryRows(rows_of, {})  # type: ignore[arg-type]
    prometheus = _Unlabelled()
    history._prometheus["ctx"] = prometheus  # type: ignore[assignment]
    place = Place("node", context="ctx", node="n1")
    row = LevelRow("shop/web-1", "web-1", Target("pod", namespace="shop", pod="web-1"))
    assert await history.fill(place, [row], now=3_600.0) == ""
    assert row.history == [0.25, 0.5]
    assert row.net_in == 0.5
    assert any('node="n1"}[5m]' in e for e in prometheus.asked)  # by label first
    history.forget()
    prometheus.asked.clear()
    again = LevelRow("shop/web-1", "web-1", Target("pod", namespace="shop", pod="web-1"))
    assert await history.fill(place, [again], now=7_200.0) == ""
    assert again.history == [0.25, 0.5]
    assert prometheus.asked
    assert not any('node="n1"}[5m]' in e for e in prometheus.asked)  # remembered


def test_the_nodes_join_only_the_exporters_kube_pod_info(prom: RunningSandbox) -> None:
    answer = httpx.get(
        f"{_instance(prom).url}/api/v1/query",
        params={"query": 'group by (namespace) (node_cpu_seconds_total{job="node-exporter"})'},
        timeout=60,
    ).json()
    exporters = tuple(sorted(item["metric"]["namespace"] for item in answer["data"]["result"]))
    assert exporters
    for metric in ("cpu", "memory", "net_out"):
        narrowed, read = _range(prom, expression(metric, Target("node", exporters=exporters)))
        joined, whole = _range(prom, expression(metric, Target("node")))
        assert narrowed
        assert narrowed == joined
        assert read < whole, (metric, read, whole)


class _Exporters(_Unlabelled):
    """node-exporter runs in `monitoring`."""

    def _answer(self, expr: str) -> list[Series]:
        if expr.startswith("group by (namespace)"):
            self.asked.append(expr)
            return [Series({"namespace": "monitoring"}, [(1.0, 1.0)])]
        return super()._answer(expr)


async def test_the_nodes_level_asks_where_node_exporter_runs() -> None:
    history = HistoryRows({}, {})  # type: ignore[arg-type]
    prometheus = _Exporters()
    history._prometheus["ctx"] = prometheus  # type: ignore[assignment]
    row = LevelRow("n1", "n1", Target("node", node="n1"))
    assert await history.fill(Place("nodes", context="ctx"), [row], now=3_600.0) == ""
    asked = [e for e in prometheus.asked if "node_cpu_seconds_total" in e]
    assert asked[0].startswith("group by (namespace)")
    assert 'namespace=~"monitoring"' in asked[1]
