"""The Observe levels' history against the sandbox's real Prometheus: each row's CPU points are
the exported series for the same window, summed by the test itself with plain PromQL (not
KubeSphere's templates, not kstui's), one query per metric for the whole level."""

from __future__ import annotations

import time
from pathlib import Path

from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.observe_place import Place
from kstui.backends.observe_service import ObserveService
from kstui.backends.prometheus import Prometheus
from kstui.backends.prometheus_queries import WINDOWS
from kstui.backends.session import BackendSettings, Session
from tests.conftest import RunningSandbox

KUBELET_CPU = 'container_cpu_usage_seconds_total{job="kubelet", image!="", container!=""}'


async def test_pods_of_a_node_and_their_network_equal_the_exported_series(
    prom: RunningSandbox, prom_admin: Prometheus, tmp_path: Path
) -> None:
    session = Session(
        load_kubeconfig(str(prom.kubeconfig)),
        "host",
        "default",
        settings=BackendSettings(cache_dir=tmp_path / "discovery"),
    )
    service = ObserveService(session)
    try:
        nodes = await service.level(Place("nodes", context="host"))
        node = max(nodes.rows, key=lambda row: row.pods).key
        seconds, step = WINDOWS["1h"]
        end = (time.time() - 30) // step * step  # scrapes up to here are in: answers hold still
        place = Place("node", context="host", node=node)
        level = await service.level(place, now=end)
        assert level.history == ""
        expected = await prom_admin.query_range(
            f"sum by (namespace, pod) (irate({KUBELET_CPU}[5m]))", end - seconds, end, step
        )
        by_pod = {f"{s.labels['namespace']}/{s.labels['pod']}": s.points for s in expected}
        received = await prom_admin.query(
            'sum by (namespace, pod) (irate(container_network_receive_bytes_total{job="kubelet",'
            ' pod!=""}[5m]))',
            end,
        )
        rates = {f"{s.labels['namespace']}/{s.labels['pod']}": s.points[0][1] for s in received}
        compared = 0
        for row in level.rows:
            points = by_pod.get(row.key)
            if not points:
                continue
            assert len(row.history) == len(points), row.key
            for shown, (_at, value) in zip(row.history, points, strict=True):
                assert abs(shown - value) <= 0.0006, (row.key, shown, value)  # rounded to 1m
            assert row.net_in is not None
            assert abs(row.net_in - rates[row.key]) <= 1e-6 * max(1.0, rates[row.key])
            compared += 1
        assert compared >= 3
    finally:
        await service.history.aclose()
        await session.aclose()
