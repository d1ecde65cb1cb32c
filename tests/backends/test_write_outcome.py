"""Writes whose answer never comes: the sandbox applies them (or not) and answers after the
client gave up; KubeClient reads the object back and says what happened."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kstui.backends import write_outcome
from kstui.backends.backend import BackendSettings
from kstui.backends.errors import NoAnswer, Unreachable
from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.session import Session
from kstui.backends.workspaces import WorkspaceService
from tests.conftest import RunningSandbox
from tests.connections import SandboxConnection

WAIT = 1.0
"""The client's write timeout; the sandbox answers LATE seconds after (a busy machine must
not make an ordinary answer look late, nor a late one look on time)."""
LATE = 4.0
TEMPLATES = "/apis/tenant.kubesphere.io/v1beta1/workspacetemplates"


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[KubeClient]:
    kube = KubeClient(SandboxConnection(sandbox), write_timeout=WAIT)
    yield kube
    await kube.aclose()


async def configmap(client: KubeClient, sandbox: RunningSandbox) -> str:
    namespace = f"wo-{uuid.uuid4().hex[:6]}"
    await client.create(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
    )
    await client.create(
        f"/api/v1/namespaces/{namespace}/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"mode": "blue"},
        },
    )
    return f"/api/v1/namespaces/{namespace}/configmaps"


def late(sandbox: RunningSandbox, prefix: str, *, applied: bool = True) -> None:
    sandbox.call(sandbox.cluster().faults.answer_late, LATE, prefix, applied=applied)


async def test_a_late_patch_that_was_applied_returns_the_object_read_back(
    client: KubeClient, sandbox: RunningSandbox
) -> None:
    path = await configmap(client, sandbox)
    late(sandbox, path)
    with write_outcome.late_answers() as found:
        answer = await client.patch(f"{path}/settings", {"data": {"mode": "green"}})
    assert answer["data"] == {"mode": "green"}
    assert [o.text for o in found] == ["no answer in 1 s; read back: mode is green — applied"]


async def test_a_late_patch_that_was_not_applied_raises_no_answer(
    client: KubeClient, sandbox: RunningSandbox
) -> None:
    path = await configmap(client, sandbox)
    late(sandbox, path, applied=False)
    with pytest.raises(NoAnswer) as raised:
        await client.patch(f"{path}/settings", {"data": {"mode": "green"}})
    assert raised.value.applied is False
    assert (
        raised.value.detail == "no answer in 1 s; read back: mode is blue, not green — not applied"
    )
    assert (await client.get(f"{path}/settings"))["data"] == {"mode": "blue"}


async def test_put_post_and_delete_are_read_back(
    client: KubeClient, sandbox: RunningSandbox
) -> None:
    path = await configmap(client, sandbox)
    current = await client.get(f"{path}/settings")
    current["data"]["mode"] = "green"
    late(sandbox, path)
    with write_outcome.late_answers() as found:
        await client.replace(f"{path}/settings", current)
        late(sandbox, path)
        await client.create(
            path,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "extra"},
                "data": {"a": "1"},
            },
        )
        late(sandbox, path)
        await client.delete(f"{path}/extra")
    assert [o.said for o in found] == [
        "your changes are there",
        "extra exists as sent",
        "it is gone",
    ]
    stale = dict(current, data={"mode": "red"})  # the resourceVersion read before the PUT
    late(sandbox, path, applied=False)
    with pytest.raises(NoAnswer) as raised:
        await client.replace(f"{path}/settings", stale)
    assert raised.value.applied is False
    assert "mode is green, not red" in raised.value.detail


async def test_a_write_that_was_never_sent_is_a_plain_failure(sandbox: RunningSandbox) -> None:
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connection = SandboxConnection(sandbox)
    connection.server = f"https://127.0.0.1:{port}"
    kube = KubeClient(connection, write_timeout=WAIT)
    try:
        with pytest.raises(Unreachable) as raised:
            await kube.patch("/api/v1/namespaces/default/configmaps/x", {"data": {"a": "b"}})
        assert not isinstance(raised.value, NoAnswer)
        assert "the PATCH was not sent" in raised.value.detail
    finally:
        await kube.aclose()


@contextlib.asynccontextmanager
async def service_on(sandbox: RunningSandbox, cache: Path) -> AsyncIterator[WorkspaceService]:
    session = Session(
        load_kubeconfig(str(sandbox.kubeconfig)),
        "host",
        "default",
        settings=BackendSettings(cache_dir=cache, write_timeout=WAIT),
    )
    try:
        yield WorkspaceService(session)
    finally:
        await session.aclose()


async def test_a_workspaces_write_without_an_answer_goes_on_when_it_was_applied(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Deleting a workspace is two writes: the annotation's answer is late but it was
    applied, so the delete follows; a move that was not applied says so."""
    name = f"wsl-{uuid.uuid4().hex[:6]}"
    async with service_on(sandbox, tmp_path) as service:
        await service.writes.create_workspace(name, manager="alice", clusters=["host"])
        late(sandbox, f"{TEMPLATES}/{name}")
        with write_outcome.late_answers() as found:
            await service.writes.delete_workspace(name, projects="detach")
        assert [o.said for o in found] == ["deletion-propagation is Orphan"]
        held = sandbox.stored(("tenant.kubesphere.io", "workspacetemplates"), "", name)
        assert held is None or held["metadata"].get("deletionTimestamp")

        project = f"pl-{uuid.uuid4().hex[:6]}"
        await service.writes.create_project(name, context="host", name=project)
        late(sandbox, f"/api/v1/namespaces/{project}", applied=False)
        with pytest.raises(NoAnswer) as raised:
            await service.writes.move_project(context="host", namespace=project, workspace="other")
        assert raised.value.applied is False
        assert f"workspace is {name}, not other" in raised.value.detail
