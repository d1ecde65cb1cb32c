"""A Backend's kinds stay current without a restart (issue 18): a disk copy is used at once and
revalidated in the background, and a CRD created while kstui runs appears in its kinds (the
palette's and completion's list), not only when `:kind` forces a refetch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from kstui.backends.backend import Backend, BackendSettings
from kstui.backends.kinds import UnknownKind
from kstui.backends.kubeconfig import load_kubeconfig
from tests.backends.test_discovery import _gizmo_crd
from tests.conftest import RunningSandbox
from tests.connections import sandbox_client

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def knows(backend: Backend, alias: str) -> bool:
    try:
        backend.kinds.resolve(alias)
    except UnknownKind:
        return False
    return True


async def until_known(backend: Backend, alias: str, seconds: float = 20) -> bool:
    """Waits on the backend's own kinds: never backend.resolve(), which would refetch."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if knows(backend, alias):
            return True
        await asyncio.sleep(0.1)
    return False


def backend_for(running: RunningSandbox, cache: Path) -> Backend:
    settings = BackendSettings(cache_dir=cache, kinds_settle=0.1)
    return Backend(load_kubeconfig(str(running.kubeconfig)), "host", settings)


async def test_a_crd_created_while_kstui_runs_appears_in_its_kinds(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False)
    backend = backend_for(running, tmp_path / "cache")
    kube = sandbox_client(running)
    try:
        await backend.open()
        await backend.kinds_ready()
        assert not knows(backend, "gizmos")
        await asyncio.sleep(0.5)  # the CRD watch has started
        await kube.create(CRDS, _gizmo_crd())
        assert await until_known(backend, "gz"), "the new CRD never reached the kinds"
        assert backend.kinds.resolve("gizmos").kind == "Gizmo"
    finally:
        await backend.aclose()
        await kube.aclose()


async def test_a_disk_copy_is_used_at_once_then_revalidated(
    fresh_sandbox: Callable[..., RunningSandbox], tmp_path: Path
) -> None:
    running = fresh_sandbox(kubesphere=False)
    cache = tmp_path / "cache"
    first = backend_for(running, cache)
    await first.open()
    await first.kinds_ready()  # writes the disk copy
    await first.aclose()
    kube = sandbox_client(running)
    try:
        await kube.create(CRDS, _gizmo_crd())  # while no kstui runs: the disk copy is stale
        backend = backend_for(running, cache)
        try:
            await backend.open()
            await backend.kinds_ready()
            assert not knows(backend, "gizmos")  # the young disk copy answered at once
            assert await until_known(backend, "gizmos"), "the disk copy was never revalidated"
        finally:
            await backend.aclose()
    finally:
        await kube.aclose()
