"""Conversion between a built-in kind's served versions and its storage version.

Only HorizontalPodAutoscaler needs one today: stored as autoscaling/v2, served as v1 too, where
the CPU target is `targetCPUUtilizationPercentage` instead of a `metrics` entry (as
pkg/apis/autoscaling/v1/conversion.go does, without the annotations that carry the rest).
"""

from __future__ import annotations

from typing import Any

from kstui.sandbox.kinds import ResourceKind

HPA = ("autoscaling", "horizontalpodautoscalers")


def to_storage(kind: ResourceKind, obj: dict[str, Any]) -> None:
    """A body written at `kind.version`, in the storage version's shape (in place)."""
    if kind.storage_key == HPA and kind.version == "v1":
        _hpa_v1_to_v2(obj)


def from_storage(kind: ResourceKind, obj: dict[str, Any]) -> dict[str, Any]:
    """A stored object as `kind.version` serves it (a copy when the shapes differ)."""
    if kind.storage_key == HPA and kind.version == "v1":
        return _hpa_v2_to_v1(obj)
    return obj


def _cpu_utilization(items: list[dict[str, Any]] | None, side: str) -> int | None:
    for metric in items or ():
        resource = metric.get("resource") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            value = (resource.get(side) or {}).get("averageUtilization")
            if value is not None:
                return int(value)
    return None


def _hpa_v2_to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    spec, status = dict(obj.get("spec") or {}), dict(obj.get("status") or {})
    target = _cpu_utilization(spec.pop("metrics", None), "target")
    spec.pop("behavior", None)
    if target is not None:
        spec["targetCPUUtilizationPercentage"] = target
    current = _cpu_utilization(status.pop("currentMetrics", None), "current")
    status.pop("conditions", None)
    if current is not None:
        status["currentCPUUtilizationPercentage"] = current
    status.setdefault("currentReplicas", 0)
    status.setdefault("desiredReplicas", 0)
    converted = {**obj, "spec": spec}
    if "status" in obj:
        converted["status"] = status
    return converted


def _hpa_v1_to_v2(obj: dict[str, Any]) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict) and "targetCPUUtilizationPercentage" in spec:
        percent = spec.pop("targetCPUUtilizationPercentage")
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": percent},
                },
            }
        ]
    status = obj.get("status")
    if isinstance(status, dict) and "currentCPUUtilizationPercentage" in status:
        percent = status.pop("currentCPUUtilizationPercentage")
        status["currentMetrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": percent}},
            }
        ]
