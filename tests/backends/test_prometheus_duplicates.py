"""A pod with two kube_pod_info series at once (scheduled between two samples without a
staleness marker: backfilled history, a second kube-state-metrics) must not break a level's
query. A real Prometheus, backfilled with promtool from a tiny OpenMetrics file written here,
answers kstui's expressions and the raw KubeSphere join side by side."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from kstui.backends.prometheus_queries import Target, expression
from tests.backfilled_prometheus import backfilled_prometheus
from tests.conftest import _need_prometheus

START = 1_700_000_000  # long past: the blocks are history, not the head
POD = 'namespace="shop", pod="web-7d9f8-abcde"'
KSM = 'job="kube-state-metrics"'


def _history() -> str:
    lines = ["# TYPE container_memory_working_set_bytes gauge"]
    lines += [
        "container_memory_working_set_bytes"
        f'{{job="kubelet", {POD}, container="web", image="nginx"}} {100 * 2**20} {START + i * 60}'
        for i in range(11)
    ]
    lines.append("# TYPE kube_pod_info gauge")
    # pending first (no node, no IP), then scheduled: both seen within the lookback
    lines += [
        f'kube_pod_info{{{KSM}, {POD}, node="", pod_ip=""}} 1 {START + i * 60}' for i in range(6)
    ]
    lines += [
        f'kube_pod_info{{{KSM}, {POD}, node="n1", pod_ip="10.0.0.7"}} 1 {START + i * 60}'
        for i in range(4, 11)
    ]
    lines.append("# TYPE kube_pod_owner gauge")
    for instance in ("ksm-0", "ksm-1"):  # two kube-state-metrics replicas
        lines += [
            f'kube_pod_owner{{{KSM}, {POD}, instance="{instance}", owner_kind="ReplicaSet", '
            f'owner_name="web-7d9f8", owner_is_controller="true"}} 1 {START + i * 60}'
            for i in range(11)
        ]
    return "\n".join(lines).replace(", ", ",") + "\n# EOF\n"  # OpenMetrics: no spaces


@pytest.fixture(scope="module")
def duplicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _need_prometheus()
    with backfilled_prometheus(tmp_path_factory.mktemp("dup-prom"), _history()) as url:
        yield url


def _query(url: str, expr: str) -> dict:  # type: ignore[type-arg]
    at = START + 5 * 60  # both kube_pod_info series and both owners are in the lookback
    return httpx.get(f"{url}/api/v1/query", params={"query": expr, "time": str(at)}).json()


def test_the_raw_join_fails_on_a_pod_seen_twice(duplicated: str) -> None:
    """The case itself: KubeSphere's verbatim join refuses it."""
    raw = (
        'sum by (namespace, pod) (container_memory_working_set_bytes{job="kubelet", pod!=""}) '
        "* on (namespace, pod) group_left(node) kube_pod_info"
    )
    answer = _query(duplicated, raw)
    assert answer["status"] == "error"
    assert "duplicate series" in answer["error"]


@pytest.mark.parametrize(
    "target",
    [
        Target("pod", namespace="shop", pod="web-7d9f8-abcde"),
        Target("pod", namespace="shop"),
        Target("pod", node="n1"),
        Target("workload", namespace="shop", workload_kind="Deployment", workload="web"),
    ],
    ids=["pod", "pods-of-project", "pods-of-node", "workload"],
)
def test_each_pod_level_answers_once_per_pod(duplicated: str, target: Target) -> None:
    answer = _query(duplicated, expression("memory", target))
    assert answer["status"] == "success", answer
    values = [float(item["value"][1]) for item in answer["data"]["result"]]
    assert values == [100 * 2**20]
