"""kstui's exec client (pod_exec.py) against the sandbox's WebSocket exec: TLS with a token
from a real kubeconfig, and an exec-plugin user; RBAC, not running, distroless, a cut stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from kstui.backends.credentials import connect
from kstui.backends.kube import KubeClient
from kstui.backends.kubeconfig import load_kubeconfig
from kstui.backends.pod_exec import (
    STDOUT,
    ExecDenied,
    ExecTarget,
    NoProgram,
    NotRunning,
    StreamLost,
    open_exec,
    open_shell,
    preflight,
    run_command,
)
from tests.backends.test_kubeconfig import Plugin, issue, single, tls_cluster
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.exec_lab import viewer_token as viewer_token  # fixture

SHELL = ExecTarget(NS, "shell", "main")


@asynccontextmanager
async def client_for(kubeconfig: Path) -> AsyncIterator[KubeClient]:
    client = KubeClient(await connect(load_kubeconfig(str(kubeconfig))), timeout=10)
    try:
        yield client
    finally:
        await client.aclose()


def token_kubeconfig(tmp_path: Path, lab: RunningSandbox, token: str) -> Path:
    return single(tmp_path / "kubeconfig", tls_cluster(lab), {"token": token})


async def test_run_over_tls_with_a_token(tmp_path: Path, lab: RunningSandbox) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        pod = await preflight(client, SHELL)
        assert pod["metadata"]["name"] == "shell"
        listing = await run_command(client, SHELL, ["ls", "/"])
        assert listing.exit_code == 0
        assert {"bin", "etc", "tmp"} <= set(listing.stdout.decode().split())
        failed = await run_command(client, SHELL, ["sh", "-c", "frobnicate"])
        assert (failed.exit_code, failed.stderr) == (127, b"sh: frobnicate: not found\n")
        three = await run_command(client, SHELL, ["sh", "-c", "exit 3"])
        assert three.exit_code == 3
        piped = await run_command(client, SHELL, ["sh", "-c", "cat"], stdin=b"fed through stdin")
        assert piped.stdout == b"fed through stdin"
        big = b"0123456789abcdef" * (5 * 65536)  # 5 MiB: over a server's cap on one message
        assert (await run_command(client, SHELL, ["sh", "-c", "cat"], stdin=big)).stdout == big
        slept = await run_command(client, SHELL, ["sleep", "0.2"])  # the sandbox's sleep lasts
        assert (slept.exit_code, slept.stdout) == (0, b"")


async def test_v4_when_the_server_has_no_v5(tmp_path: Path, lab: RunningSandbox) -> None:
    async with (
        client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client,
        open_exec(client, SHELL, ["hostname"], protocols=("v4.channel.k8s.io",)) as stream,
    ):
        assert stream.protocol == "v4.channel.k8s.io"
        assert await stream.next() == (STDOUT, b"shell\n")
        assert await stream.next() is None
        assert stream.exit_code() == 0


async def test_exec_plugin_user_and_a_refresh_after_401(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    plugin = Plugin(tmp_path)
    first = issue(lab, "exec-first")
    plugin.answer(token=first)
    kubeconfig = single(tmp_path / "kubeconfig", tls_cluster(lab), {"exec": plugin.exec_entry()})
    async with client_for(kubeconfig) as client:
        assert client.connection.auth == "exec"  # type: ignore[attr-defined]
        assert (await run_command(client, SHELL, ["hostname"])).stdout == b"shell\n"
        lab.call(lab.cluster().authn.revoke, first)
        plugin.answer(token=issue(lab, "exec-second"))
        assert (await run_command(client, SHELL, ["id"])).exit_code == 0
        assert len(plugin.calls) == 2  # the handshake's 401 ran the plugin again


async def test_rbac_denied_says_why_before_connecting(
    tmp_path: Path, lab: RunningSandbox, viewer_token: str
) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, viewer_token)) as client:
        with pytest.raises(ExecDenied) as denied:
            await preflight(client, SHELL)
    error = denied.value
    assert error.title == f'RBAC does not let you exec into container "main" of pod {NS}/shell'
    assert error.detail.startswith(f"create pods/exec in namespace {NS}: ")
    assert "pods/exec" in error.hint


async def test_a_container_not_running(tmp_path: Path, lab: RunningSandbox) -> None:
    target = ExecTarget(NS, "starting", "slow")
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        with pytest.raises(NotRunning) as before:
            await preflight(client, target)
        with pytest.raises(NotRunning) as during:  # no preflight: the handshake's 500
            await run_command(client, target, ["ls"])
    assert before.value.title == f'container "slow" of pod {NS}/starting is not running'
    assert before.value.detail.startswith("waiting: ")
    assert during.value.title == before.value.title


async def test_distroless_has_no_shell(tmp_path: Path, lab: RunningSandbox) -> None:
    target = ExecTarget(NS, "api", "app")
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        with pytest.raises(NoProgram) as caught:
            async with open_shell(client, target):
                pass
        with pytest.raises(NoProgram) as command:
            await run_command(client, target, ["ls"])
    assert caught.value.title == f'no shell in the image of container "app" of pod {NS}/api'
    assert caught.value.detail == "tried bash, sh: executable file not found in $PATH"
    assert "distroless" in caught.value.hint
    assert command.value.program == "ls"


async def test_shell_falls_back_to_sh_and_resizes(tmp_path: Path, lab: RunningSandbox) -> None:
    async with (
        client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client,
        open_shell(client, SHELL) as stream,
    ):
        assert stream.argv == ["sh"]  # alpine has no bash
        assert await stream.next() == (STDOUT, b"/ # ")
        await stream.resize(120, 40)
        await stream.send(b"exit 3\r")
        screen = b""
        while (output := await stream.next()) is not None:
            screen += output[1]
        assert stream.exit_code() == 3


async def test_the_server_drops_the_websocket(tmp_path: Path, lab: RunningSandbox) -> None:
    seen: list[Any] = []
    async with (
        client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client,
        open_shell(client, SHELL) as stream,
    ):
        seen.append(await stream.next())
        lab.call(lab.cluster().faults.drop_streams)
        with pytest.raises(StreamLost) as lost:
            await stream.next()
    assert seen == [(STDOUT, b"/ # ")]
    assert lost.value.title == f'the connection to container "main" of pod {NS}/shell was cut'
