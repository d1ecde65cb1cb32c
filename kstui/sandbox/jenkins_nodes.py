"""Blue Ocean node JSON for the sandbox's Jenkins (jenkins.py): a step or stage at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kstui.sandbox.clock import rfc3339


def timed_node(
    node_id: str,
    name: str,
    type_: str,
    start: datetime,
    now: datetime,
    end: datetime,
    state: str,
    result: str,
) -> dict[str, Any]:
    finished = state == "FINISHED"
    upto = end if finished else now
    return {
        "id": node_id,
        "displayName": name,
        "type": type_,
        "state": state,
        "result": result if finished else "UNKNOWN",
        "startTime": rfc3339(start),
        "durationInMillis": max(int((upto - start).total_seconds() * 1000), 0),
    }


def stage_node(
    node_id: str,
    name: str,
    type_: str,
    start: datetime,
    now: datetime,
    end: datetime,
    states: list[str],
    results: list[str],
) -> dict[str, Any]:
    if not states:
        return {"id": node_id, "displayName": name, "type": type_}
    if "RUNNING" in states:
        state = "RUNNING"
    elif "PAUSED" in states:
        state = "PAUSED"
    else:
        state = "FINISHED"
    result = "SUCCESS"
    for worst in ("FAILURE", "ABORTED", "UNSTABLE"):
        if worst in results:
            result = worst
            break
    return timed_node(node_id, name, type_, start, now, end, state, result)
