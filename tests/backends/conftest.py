"""Fixtures of the backend tests: a sandbox with a real Prometheus (or the reason there is
none), a client on it, and a keyring that lives in memory; helpers the Prometheus tests share."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend

from kstui.backends.cluster_values import Flavor
from kstui.backends.prometheus import (
    Prometheus,
    prometheus_for,
)
from kstui.backends.quantity import parse_quantity as parse_decimal
from kstui.sandbox import prometheus as sandbox_prometheus
from kstui.sandbox.runtime import SandboxOptions
from tests.conftest import RunningSandbox, _start
from tests.connections import sandbox_client


def parse_quantity(text: str) -> float:
    return float(parse_decimal(text))


def _need_prometheus() -> None:
    if sandbox_prometheus.binaries() is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("prometheus/promtool are not installed: .ci/run installs them (CI=true)")
    pytest.skip("needs the `prometheus` package (apt-get install prometheus) for a real Prometheus")


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    """One cluster with 30 pods and its own Prometheus: 24 h of history, live scrapes."""
    _need_prometheus()
    running = _start(
        tmp_path_factory.mktemp("prom"), SandboxOptions(clusters=1, pods=30, prometheus=True)
    )
    started = time.perf_counter()
    error = running.thread.wait_prometheus(180)
    assert error == "", error
    print(f"prometheus ready {time.perf_counter() - started:.1f}s after the sandbox")  # noqa: T201
    yield running
    running.thread.stop()


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


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only: nothing on disk."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)
