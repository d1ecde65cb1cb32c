"""Generated pods go on as many workers as the kubelet's default capacity needs, never more
than a node says it holds: a sandbox node with 5,000 pods exists nowhere, and in Observe a
node's level would have been half the cluster."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx

from tests.conftest import RunningSandbox
from tests.connections import SandboxConnection


def _nodes_and_pods(running: RunningSandbox) -> tuple[dict[str, int], Counter[str]]:
    connection = SandboxConnection(running)
    headers = {"Authorization": f"Bearer {connection.token}"}
    with httpx.Client(
        base_url=connection.server, verify=connection.verify, headers=headers
    ) as client:
        nodes = client.get("/api/v1/nodes").json()["items"]
        pods = client.get("/api/v1/pods").json()["items"]
    capacity = {n["metadata"]["name"]: int(n["status"]["capacity"]["pods"]) for n in nodes}
    placed = Counter(p["spec"].get("nodeName") for p in pods if p["spec"].get("nodeName"))
    return capacity, placed


def test_a_big_cluster_has_workers_enough_and_none_over_its_capacity(
    fresh_sandbox: Callable[..., RunningSandbox],
) -> None:
    capacity, placed = _nodes_and_pods(fresh_sandbox(pods=1000))
    assert len(capacity) == 1 + 10  # the control plane and ceil(1000 / 110) workers
    assert set(placed) <= set(capacity)
    assert all(count <= capacity[node] for node, count in placed.items()), placed


def test_a_small_cluster_keeps_its_two_workers(
    fresh_sandbox: Callable[..., RunningSandbox],
) -> None:
    capacity, _placed = _nodes_and_pods(fresh_sandbox(pods=20))
    assert sorted(capacity) == ["host-control-plane", "host-worker-1", "host-worker-2"]
