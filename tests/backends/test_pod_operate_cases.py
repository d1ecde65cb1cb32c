"""kstui's own operate clients against the sandbox, the cases the other files leave out: a
terminal resized on SIGWINCH reaching the container (the sandbox's `stty size` answers from
the resize channel), attach, port-forward and cp as an exec-plugin user (the plugin run again
after a 401 on a forward's WebSocket), and the pod deleted under a shell."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import struct
import termios
import time
from collections.abc import Callable
from pathlib import Path

from kstui.backends.pod_attach import AttachMode, open_attach
from kstui.backends.pod_copy import download, upload
from kstui.backends.pod_exec import ExecStream, ExecTarget, open_shell, run_command
from kstui.backends.port_forward import PortForward
from kstui.backends.tty_bridge import bridge
from tests.backends.test_kubeconfig import Plugin, issue, single, tls_cluster
from tests.backends.test_pod_exec import client_for, token_kubeconfig
from tests.backends.test_port_forward import free_port, redis_ping
from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS, admin_env
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.test_kubectl import kubectl

SHELL = ExecTarget(NS, "shell", "main")


def set_size(fd: int, rows: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


async def until(check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_a_resize_on_sigwinch_reaches_the_container(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    main, side = pty.openpty()
    set_size(side, 40, 120)
    seen = bytearray()
    loop = asyncio.get_running_loop()
    loop.add_reader(main, lambda: seen.extend(os.read(main, 65536)))
    try:
        async with (
            client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client,
            open_shell(client, SHELL) as stream,
        ):
            session = asyncio.ensure_future(bridge(stream, side, side))
            await until(lambda: b"/ # " in seen, "the prompt")
            os.write(main, b"stty size\r")
            await until(lambda: b"40 120\r\n" in seen, "the first size")  # sent at the start
            set_size(side, 50, 150)
            os.kill(os.getpid(), signal.SIGWINCH)  # what the terminal sends when resized
            await asyncio.sleep(0.2)
            os.write(main, b"stty size\r")
            await until(lambda: b"50 150\r\n" in seen, "the size after SIGWINCH")
            os.write(main, b"exit 0\r")
            assert await asyncio.wait_for(session, 10) == 0
    finally:
        loop.remove_reader(main)
        os.close(main)
        os.close(side)


async def test_attach_forward_and_copy_as_an_exec_plugin_user(
    tmp_path: Path, lab: RunningSandbox
) -> None:
    plugin = Plugin(tmp_path)
    first = issue(lab, "operate-first")
    plugin.answer(token=first)
    kubeconfig = single(tmp_path / "kubeconfig", tls_cluster(lab), {"exec": plugin.exec_entry()})
    source = tmp_path / "notes.txt"
    source.write_bytes(b"copied as an exec-plugin user\n")
    async with client_for(kubeconfig) as client:
        assert client.connection.auth == "exec"  # type: ignore[attr-defined]
        async with open_attach(client, SHELL, AttachMode(stdin=True, tty=True)) as stream:
            await stream.send(b"hostname\r")
            assert b"shell\r\n" in await _read_until(stream, b"shell\r\n")
        await upload(client, SHELL, source, "/tmp/notes.txt", lambda _n, _t: None)
        back = tmp_path / "back.txt"
        await download(client, SHELL, "/tmp/notes.txt", back, lambda _n, _t: None)
        assert back.read_bytes() == source.read_bytes()
        assert len(plugin.calls) == 1
        lab.call(lab.cluster().authn.revoke, first)  # the forward's WebSocket gets a 401 ...
        plugin.answer(token=issue(lab, "operate-second"))
        forward = PortForward(client, NS, "web", 6379, free_port())
        await forward.start()
        try:
            assert await redis_ping(forward.local) == b"+PONG\r\n"
        finally:
            await forward.stop()
        assert len(plugin.calls) == 2  # ... and the plugin ran again for it


async def _read_until(stream: ExecStream, text: bytes) -> bytes:
    seen = b""
    while text not in seen:
        output = await asyncio.wait_for(stream.next(), 10)
        assert output is not None, seen
        seen += output[1]
    return seen


async def test_the_pod_deleted_during_a_shell_ends_it(tmp_path: Path, lab: RunningSandbox) -> None:
    env = admin_env(lab)
    kubectl(env, "run", "-n", NS, "doomed-shell", "--image=busybox:1.36")
    deadline = time.monotonic() + 10
    while (lab.stored(("", "pods"), NS, "doomed-shell") or {}).get("status", {}).get(
        "phase"
    ) != "Running":
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    target = ExecTarget(NS, "doomed-shell", "doomed-shell")
    async with client_for(token_kubeconfig(tmp_path, lab, lab.token())) as client:
        async with open_shell(client, target) as stream:
            await _read_until(stream, b"/ # ")
            kubectl(env, "delete", "pod", "-n", NS, "doomed-shell", "--wait=false")
            while await asyncio.wait_for(stream.next(), 10) is not None:
                pass
            assert stream.exit_code() == 137  # killed with its pod, as kubelet does
        refused = await run_command(client, SHELL, ["true"])  # the client is fine after
        assert refused.exit_code == 0
