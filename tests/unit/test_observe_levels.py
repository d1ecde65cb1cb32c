"""The Observe rows' pure parts: a pod's problems and owner, sums against limits, cells."""

from __future__ import annotations

from kstui.backends.observe_cells import cpu_cell, memory_cell, problems_cell, sparkline
from kstui.backends.observe_levels import LevelRow, group_pods, pod_facts, pod_usage


def _pod(name: str, *, limits: bool = True, **status: object) -> dict:
    resources = {"requests": {"cpu": "100m", "memory": "64Mi"}}
    if limits:
        resources["limits"] = {"cpu": "500m", "memory": "256Mi"}
    return {
        "metadata": {
            "namespace": "shop",
            "name": name,
            "labels": {"pod-template-hash": "5d8c9f7b6c"},
            "ownerReferences": [
                {"kind": "ReplicaSet", "name": "web-v1-5d8c9f7b6c", "controller": True}
            ],
        },
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "resources": resources}]},
        "status": {"phase": "Running", **status},
    }


def test_a_pods_problems_and_its_deployment() -> None:
    crashing = pod_facts(
        _pod(
            "web-1",
            containerStatuses=[
                {
                    "name": "app",
                    "ready": False,
                    "restartCount": 7,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
                }
            ],
        )
    )
    assert (crashing.workload_kind, crashing.workload) == ("Deployment", "web-v1")
    assert crashing.problems == ("CrashLoopBackOff", "OOMKilled")
    assert crashing.restarts == 7
    unready = pod_facts(
        _pod(
            "web-2",
            containerStatuses=[{"name": "app", "ready": False, "state": {"running": {}}}],
        )
    )
    assert unready.problems == ("NotReady",)
    assert pod_facts(_pod("web-3", phase="Pending")).problems == ("Pending",)


def test_sums_against_limits_only_when_every_pod_sets_one() -> None:
    usage = pod_usage(
        [
            {
                "metadata": {"namespace": "shop", "name": name},
                "containers": [{"name": "app", "usage": {"cpu": "250m", "memory": "128Mi"}}],
            }
            for name in ("a", "b")
        ]
    )
    limited = [pod_facts(_pod("a")), pod_facts(_pod("b"))]
    rows = group_pods(
        limited, usage, lambda _p: "all", {}, lambda _p, key: LevelRow(key, key, None)
    )  # type: ignore[arg-type]
    assert cpu_cell(rows["all"]) == "500m 50%L"
    assert memory_cell(rows["all"]) == "256Mi 50%L"
    mixed = [pod_facts(_pod("a")), pod_facts(_pod("b", limits=False))]
    rows = group_pods(mixed, usage, lambda _p: "all", {}, lambda _p, key: LevelRow(key, key, None))  # type: ignore[arg-type]
    assert cpu_cell(rows["all"]) == "500m 250%R"  # one pod unlimited: against requests


def test_problem_markers_severe_first_and_counted() -> None:
    row = LevelRow("k", "k", None)  # type: ignore[arg-type]
    row.problems.update(["Pending", "CrashLoopBackOff", "CrashLoopBackOff"])
    assert problems_cell(row) == "CrashLoopBackOff×2, Pending"


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([5, 5, 5]) == "▄▄▄"  # steady: level, not noise blown up
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert len(sparkline(list(range(100)), 10)) == 10
