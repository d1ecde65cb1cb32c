"""Reading plain Kubernetes objects (JSON dicts): metadata, labels, list items. No IO."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def meta_of(obj: Mapping[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def labels_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return meta_of(obj).get("labels") or {}


def annotations_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return meta_of(obj).get("annotations") or {}


def items(listed: Any) -> list[dict[str, Any]]:
    """The objects of a list answer (None and errors read as empty)."""
    return list(listed.get("items") or []) if isinstance(listed, dict) else []
