"""Fixtures of the backend tests: a sandbox with a real Prometheus (or the reason there is
none), a client on it, and a keyring that lives in memory; helpers the Prometheus tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import (
    Prometheus,
    prometheus_for,
)
from kstui.backends.quantity import parse_quantity as parse_decimal
from kstui.sandbox import prometheus as sandbox_prometheus
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client


def parse_quantity(text: str) -> float:
    return float(parse_decimal(text))


def _instance(running: RunningSandbox) -> sandbox_prometheus.Instance:
    fleet = running.sandbox.prometheus
    assert fleet is not None
    return fleet.instances["host"]


async def _running_pod(client, namespace: str = "") -> dict:  # type: ignore[no-untyped-def]
    """A running pod of a Deployment on one of the cluster's Nodes."""
    path = f"/api/v1/namespaces/{namespace}/pods" if namespace else "/api/v1/pods"
    nodes = {n["metadata"]["name"] for n in (await client.get("/api/v1/nodes"))["items"]}
    return next(
        p
        for p in (await client.get(path))["items"]
        if p["status"].get("phase") == "Running"
        and p["spec"].get("nodeName") in nodes
        and (p["metadata"].get("ownerReferences") or [{}])[0].get("kind") == "ReplicaSet"
    )


@pytest.fixture
async def prom_admin(prom: RunningSandbox) -> AsyncIterator[Prometheus]:
    kube = sandbox_client(prom)
    yield prometheus_for("host", kube, Flavor.V4)
    await kube.aclose()
