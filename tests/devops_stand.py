"""Tests' hold on what answers at `kubesphere-devops-system/devops-apiserver:9090` behind the
sandbox's service proxy: a stand-in server for a test, or nothing (the DevOps API down), and
whatever the sandbox itself serves there put back afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tests.conftest import RunningSandbox
from tests.connections import sandbox_client

NS = "kubesphere-devops-system"
KEY = (NS, "devops-apiserver", "9090")


async def ensure_service(sandbox: RunningSandbox) -> None:
    admin = sandbox_client(sandbox)
    with contextlib.suppress(Exception):
        await admin.create("/api/v1/namespaces", {"metadata": {"name": NS}})
    with contextlib.suppress(Exception):
        await admin.create(
            f"/api/v1/namespaces/{NS}/services",
            {
                "metadata": {"name": "devops-apiserver"},
                "spec": {"selector": {"app": "devops"}, "ports": [{"port": 9090}]},
            },
        )
    await admin.aclose()


@contextlib.asynccontextmanager
async def devops_answers(sandbox: RunningSandbox, base_url: str | None) -> AsyncIterator[None]:
    """`base_url` answers for devops-apiserver (None: nothing does) until the block ends."""
    if base_url is not None:
        await ensure_service(sandbox)
    cluster = sandbox.sandbox.cluster()

    def swap(target: object) -> object:
        before = cluster.proxies.pop(KEY, None)
        if target is not None:
            cluster.proxies[KEY] = target  # type: ignore[assignment]
        return before

    if base_url is not None:
        from kstui.sandbox.cluster import ProxyTarget

        wanted: object = ProxyTarget(base_url.rstrip("/"))
    else:
        wanted = None
    before = sandbox.thread.call(swap, wanted)
    try:
        yield
    finally:
        sandbox.thread.call(swap, before)
