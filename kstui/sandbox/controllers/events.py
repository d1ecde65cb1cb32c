"""Recording core/v1 Events the way client-go's recorder does, repeats aggregated into a count."""

from __future__ import annotations

import hashlib
from typing import Any

from kstui.sandbox.clock import rfc3339
from kstui.sandbox.store import Store

EVENTS = ("", "events")


def record(
    store: Store,
    kind_lookup: Any,
    obj: dict[str, Any],
    type_: str,
    reason: str,
    message: str,
    component: str,
    host: str = "",
    field_path: str = "",
) -> None:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    now = store.clock.now()
    events_kind = kind_lookup(EVENTS)
    # Repeats (same reason and message for the same object) bump one event's count, as
    # client-go's correlator keys them; "Created pod: a" and "Created pod: b" are two events.
    digest = hashlib.blake2b(
        f"{meta.get('uid')}/{reason}/{field_path}/{message}".encode(), digest_size=8
    )
    key = f"{meta['name']}.{digest.hexdigest()}"
    existing = store.get(EVENTS, namespace, key)
    if existing is not None:
        existing["count"] = int(existing.get("count") or 1) + 1
        existing["lastTimestamp"] = rfc3339(now)
        existing["message"] = message
        store.update(events_kind, existing, check_rv=False)
        return
    source = {"component": component}
    if host:
        source["host"] = host
    involved = {
        "kind": obj["kind"],
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "apiVersion": obj["apiVersion"],
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if field_path:
        involved["fieldPath"] = field_path
    store.create(
        events_kind,
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": key, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": rfc3339(now),
            "lastTimestamp": rfc3339(now),
            "eventTime": None,
            "count": 1,
            "type": type_,
            "reportingComponent": component,
            "reportingInstance": host,
            "action": "",
        },
    )
