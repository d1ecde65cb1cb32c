"""kstui's attach (pod_attach.py) against the sandbox's WebSocket attach: a pod whose main
process is sh with stdin and a tty takes keys and answers; the detach keys through the terminal
bridge let go of it and the process runs on; a container without stdin is attached read-only."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from kstui.backends.pod_attach import DETACH, AttachMode, attach_mode, open_attach
from kstui.backends.pod_exec import ExecDenied, ExecStream, ExecTarget, preflight
from kstui.backends.tty_bridge import Detached, bridge
from tests.backends.test_pod_exec import client_for, token_kubeconfig
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.exec_lab import viewer_token as viewer_token  # fixture

SHELL = ExecTarget(NS, "shell", "main")


async def _until(stream: ExecStream, text: bytes) -> bytes:
    seen = b""
    while text not in seen:
        output = await asyncio.wait_for(stream.next(), 10)
        assert output is not None, seen
        seen += output[1]
    return seen


async def test_attach_to_a_shell_then_detach_leaves_it_running(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        pod = await preflight(client, SHELL, "attach")
        mode = attach_mode(pod, "main")
        assert mode == AttachMode(stdin=True, tty=True)
        async with open_attach(client, SHELL, mode) as stream:
            await _until(stream, b"/ # ")
            await stream.send(b"echo attached\r")
            assert b"attached\r\n" in await _until(stream, b"attached\r\n/ # ")
            keys_in, keys = os.pipe()
            out, out_w = os.pipe()
            os.write(keys, b"echo via-bridge\r" + DETACH[:1])  # ctrl+p held back ...
            task = asyncio.ensure_future(bridge(stream, keys_in, out_w, detach=DETACH))
            await asyncio.sleep(0.5)
            os.write(keys, DETACH[1:])  # ... and ctrl+q: detached
            with pytest.raises(Detached):
                await asyncio.wait_for(task, 10)
            os.close(out_w)
            shown = b""
            while chunk := os.read(out, 65536):
                shown += chunk
            for fd in (keys_in, keys, out):
                os.close(fd)
            assert b"via-bridge" in shown
            assert b"\x10" not in shown  # the detach keys never reached the container
        again = await preflight(client, SHELL, "attach")  # the process runs on
        state = again["status"]["containerStatuses"][0]
        assert "running" in state["state"]
        assert state["restartCount"] == pod["status"]["containerStatuses"][0]["restartCount"]
        async with open_attach(client, SHELL, mode) as stream:
            await stream.send(b"hostname\r")
            assert b"shell" in await _until(stream, b"shell\r\n")


async def test_read_only_attach_to_a_process_without_stdin(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    target = ExecTarget(NS, "web", "nginx")
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        pod = await preflight(client, target, "attach")
        mode = attach_mode(pod, "nginx")
        assert mode == AttachMode(stdin=False, tty=False)
        async with open_attach(client, target, mode) as stream:
            keys_in, keys = os.pipe()
            out, out_w = os.pipe()
            task = asyncio.ensure_future(bridge(stream, keys_in, out_w, detach=DETACH, keys=False))
            await asyncio.sleep(0.3)
            os.write(keys, b"\x03")  # nothing to send keys to: ctrl+c detaches too
            with pytest.raises(Detached):
                await asyncio.wait_for(task, 10)
            for fd in (keys_in, keys, out, out_w):
                os.close(fd)


async def test_rbac_denied_attach_says_why(
    tmp_path: Path, lab: RunningSandbox, viewer_token: str
) -> None:
    async with client_for(token_kubeconfig(tmp_path, lab, viewer_token)) as client:
        with pytest.raises(ExecDenied) as denied:
            await preflight(client, SHELL, "attach")
        with pytest.raises(ExecDenied) as refused:  # no preflight: the handshake's 403
            async with open_attach(client, SHELL, AttachMode(True, True)):
                pass
    assert (
        denied.value.title == f'RBAC does not let you attach to container "main" of pod {NS}/shell'
    )
    assert "pods/attach" in denied.value.detail
    assert refused.value.title == denied.value.title
    assert "pods/attach" in refused.value.hint
