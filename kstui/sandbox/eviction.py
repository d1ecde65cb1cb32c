"""The pods/eviction subresource: delete a pod unless a PodDisruptionBudget forbids it (429), as
kube-apiserver's eviction REST does, so `kubectl drain` is refused as on a real cluster."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kstui.sandbox.api import Call, read_body, respond
from kstui.sandbox.clock import rfc3339
from kstui.sandbox.controllers.disruption import PDBS
from kstui.sandbox.selectors import labels_match, selector_from_match_labels
from kstui.sandbox.status import ApiError

VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


async def _eviction_body(call: Call) -> dict[str, Any]:
    try:
        body = await read_body(call.request)
    except ApiError as error:
        if error.code != 415:
            raise
        body = None  # a body we cannot read: the URL names the pod, options stay default
    if body is not None and not isinstance(body, dict):
        raise ApiError.bad_request("Eviction must be an object")
    return body or {}


def _budgets_for(call: Call, pod: dict[str, Any]) -> list[dict[str, Any]]:
    labels = pod["metadata"].get("labels") or {}
    found = []
    for entry in call.store.select(PDBS, call.namespace):
        pdb = entry.decode()
        requirements = selector_from_match_labels((pdb.get("spec") or {}).get("selector"))
        if requirements and labels_match(requirements, labels):
            found.append(pdb)
    return found


def _too_many(message: str, cause: str) -> ApiError:
    return ApiError(
        429,
        "TooManyRequests",
        message,
        {"causes": [{"reason": "DisruptionBudget", "message": cause}]},
    )


async def evict(call: Call) -> web.Response:
    body = await _eviction_body(call)
    name = call.info.name
    sent = (body.get("metadata") or {}).get("name")
    if sent and sent != name:
        raise ApiError.bad_request("name in URL does not match name in Eviction object")
    options = body.get("deleteOptions") or {}
    dry_run = call.dry_run or options.get("dryRun") == ["All"]
    pod = call.store.get(("", "pods"), call.namespace, name)
    if pod is None:
        raise ApiError.not_found("pods", name)
    phase = (pod.get("status") or {}).get("phase")
    # Finished, pending or already terminating pods need no budget (canIgnorePDB).
    if phase not in ("Succeeded", "Failed", "Pending") and not pod["metadata"].get(
        "deletionTimestamp"
    ):
        budgets = _budgets_for(call, pod)
        if len(budgets) > 1:
            raise ApiError.internal(
                "This pod has more than one PodDisruptionBudget, which the "
                "eviction subresource does not support."
            )
        if budgets:
            _take_disruption(call, budgets[0], name, dry_run)
    preconditions = options.get("preconditions") or {}
    call.store.delete(
        call.kind,
        call.namespace,
        name,
        dry_run=dry_run,
        precondition_uid=preconditions.get("uid"),
        precondition_rv=preconditions.get("resourceVersion"),
    )
    return respond(
        {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201},
        201,
    )


def _take_disruption(call: Call, pdb: dict[str, Any], pod: str, dry_run: bool) -> None:
    """Check the budget and spend one disruption of it (status.disruptedPods records it)."""
    status = pdb.get("status") or {}
    meta = pdb["metadata"]
    if status.get("observedGeneration", 0) < meta.get("generation", 1):
        raise _too_many(
            VIOLATION,
            f"The disruption budget {meta['name']} is still being processed by the server.",
        )
    if status.get("disruptionsAllowed", 0) <= 0:
        raise _too_many(
            VIOLATION,
            f"The disruption budget {meta['name']} needs "
            f"{status.get('desiredHealthy', 0)} healthy pods and has "
            f"{status.get('currentHealthy', 0)} currently",
        )
    if dry_run:
        return
    status = {
        **status,
        "disruptionsAllowed": status["disruptionsAllowed"] - 1,
        "disruptedPods": {
            **(status.get("disruptedPods") or {}),
            pod: rfc3339(call.cluster.clock.now()),
        },
    }
    kind = call.cluster.registry.storage_kind(PDBS)
    assert kind is not None
    call.store.update(kind, {**pdb, "status": status}, subresource="status", check_rv=False)
