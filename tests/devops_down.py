"""Tests' way to take the sandbox's DevOps API away: nothing answers at
`kubesphere-devops-system/devops-apiserver:9090` behind the service proxy for the block, then
the sandbox's own devops-apiserver is put back."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tests.conftest import RunningSandbox

KEY = ("kubesphere-devops-system", "devops-apiserver", "9090")


@contextlib.asynccontextmanager
async def devops_down(sandbox: RunningSandbox) -> AsyncIterator[None]:
    cluster = sandbox.sandbox.cluster()
    before = sandbox.thread.call(cluster.proxies.pop, KEY, None)
    assert before is not None, "the sandbox serves its own devops-apiserver"
    try:
        yield
    finally:
        sandbox.thread.call(cluster.proxies.__setitem__, KEY, before)
