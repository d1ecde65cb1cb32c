"""Real kubectl (the machine's, 1.35 and 1.32) exec, exec -it, attach, cp and port-forward
against the sandbox's emulated containers."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import socket
import struct
import subprocess
import termios
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.exec_lab import NS
from tests.sandbox.exec_lab import lab as lab  # fixture
from tests.sandbox.exec_lab import viewer_token as viewer_token  # fixture
from tests.sandbox.test_kubectl import KubectlEnv, binary_of, kubectl
from tests.sandbox.test_kubectl import kubectl_env as kubectl_env  # each real kubectl

pytestmark = pytest.mark.kubectl


def test_kubectl_exec(lab: RunningSandbox, kubectl_env: KubectlEnv) -> None:
    listing = kubectl(kubectl_env, "exec", "-n", NS, "shell", "--", "ls", "/")
    assert "etc" in listing.stdout.split()
    failed = kubectl(
        kubectl_env, "exec", "-n", NS, "shell", "--", "sh", "-c", "exit 3", check=False
    )
    assert failed.returncode == 3, failed.stderr
    assert "command terminated with exit code 3" in failed.stderr
    piped = kubectl(kubectl_env, "exec", "-i", "-n", NS, "shell", "--", "cat", stdin="piped\n")
    assert piped.stdout == "piped\n"
    script = kubectl(
        kubectl_env,
        "exec",
        "-i",
        "-n",
        NS,
        "shell",
        "--",
        "sh",
        stdin="echo hi\nexit 5\n",
        check=False,
    )
    assert (script.returncode, script.stdout) == (5, "hi\n")
    unknown = kubectl(kubectl_env, "exec", "-n", NS, "shell", "--", "sh", "-c", "nope", check=False)
    assert (unknown.returncode, unknown.stderr.splitlines()[0]) == (127, "sh: nope: not found")


def test_kubectl_exec_refusals(
    lab: RunningSandbox, kubectl_env: KubectlEnv, viewer_token: str
) -> None:
    distroless = kubectl(kubectl_env, "exec", "-n", NS, "api", "--", "sh", check=False)
    assert distroless.returncode == 1
    assert 'exec: "sh": executable file not found in $PATH' in distroless.stderr
    waiting = kubectl(kubectl_env, "exec", "-n", NS, "starting", "--", "ls", check=False)
    assert waiting.stderr == 'error: unable to upgrade connection: container not found ("slow")\n'
    denied = kubectl(
        kubectl_env, "--token", viewer_token, "exec", "-n", NS, "shell", "--", "ls", check=False
    )
    assert denied.returncode == 1
    assert denied.stderr == (
        'Error from server (Forbidden): pods "shell" is forbidden: User '
        '"system:serviceaccount:exec-lab:viewer" cannot create resource "pods/exec" in API group '
        '"" in the namespace "exec-lab"\n'
    )


def test_kubectl_cp_both_ways(lab: RunningSandbox, kubectl_env: KubectlEnv, tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("copied in\n")
    target = f"/tmp/{kubectl_env.ns('notes')}.txt"
    kubectl(kubectl_env, "cp", str(source), f"{NS}/shell:{target}")
    inside = kubectl(kubectl_env, "exec", "-n", NS, "shell", "--", "cat", target)
    assert inside.stdout == "copied in\n"
    back = tmp_path / "back.yaml"
    kubectl(kubectl_env, "cp", f"{NS}/shell:/etc/app/app.yaml", str(back))
    assert back.read_text() == "greeting: hello\n"
    folder = tmp_path / "etc-app"
    kubectl(kubectl_env, "cp", f"{NS}/shell:/etc/app", str(folder))
    assert (folder / "app.yaml").read_text() == "greeting: hello\n"


def _started(process: subprocess.Popen[str], pattern: str) -> re.Match[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matching {pattern!r}")


def test_kubectl_port_forward(lab: RunningSandbox, kubectl_env: KubectlEnv, tmp_path: Path) -> None:
    big = bytes(range(256)) * (12 * 1024)  # 3 MiB, copied in, then served through the forward
    (tmp_path / "big.bin").write_bytes(big)
    name = kubectl_env.ns("big") + ".bin"
    where = f"{NS}/web:/usr/share/nginx/html/{name}"
    kubectl(kubectl_env, "cp", "-c", "nginx", str(tmp_path / "big.bin"), where)
    process = subprocess.Popen(
        [binary_of(kubectl_env), "port-forward", "-n", NS, "pod/web", ":80", ":6379"],
        env=kubectl_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        web = int(_started(process, r"127\.0\.0\.1:(\d+) -> 80")[1])
        redis = int(_started(process, r"127\.0\.0\.1:(\d+) -> 6379")[1])
        for _ in range(2):  # two connections through one forward
            page = httpx.get(f"http://127.0.0.1:{web}/", timeout=10)
            assert page.status_code == 200
            assert "<h1>Welcome to nginx!</h1>" in page.text
        assert httpx.get(f"http://127.0.0.1:{web}/nope", timeout=10).status_code == 404
        assert httpx.get(f"http://127.0.0.1:{web}/{name}", timeout=20).content == big
        with socket.create_connection(("127.0.0.1", redis), timeout=10) as raw:
            raw.sendall(b"PING\r\n")
            assert raw.recv(64) == b"+PONG\r\n"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_kubectl_attach(lab: RunningSandbox, kubectl_env: KubectlEnv) -> None:
    process = subprocess.Popen(
        [binary_of(kubectl_env), "attach", "-n", NS, "web", "-c", "nginx"],
        env=kubectl_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _started(process, r"HTTP/1\.1")
        assert '"GET' in line.string or '"POST' in line.string  # nginx's access log, live
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _in_terminal(
    env: KubectlEnv, args: list[str], keys: list[bytes], until: bytes = b""
) -> tuple[int | None, bytes]:
    """Run kubectl on a pseudo-terminal (as `-it` needs), typing `keys` whenever it is quiet,
    until it ends (or the screen shows `until`: then it is stopped)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [binary_of(env), *args], env=env, stdin=slave, stdout=slave, stderr=slave
    )
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([master], [], [], 0.3)
            if ready:
                try:
                    screen += os.read(master, 4096)
                except OSError:
                    break
                if until and until in screen:
                    break
            elif keys:
                os.write(master, keys.pop(0))
            elif process.poll() is not None:
                break
        # What it wrote last may still be in the pty when it has ended: read to the end
        while process.poll() is not None and select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        try:
            return process.wait(timeout=0.2 if until and until in screen else 3), screen
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None, screen
    finally:
        os.close(master)


def test_kubectl_exec_it(lab: RunningSandbox, kubectl_env: KubectlEnv) -> None:
    code, screen = _in_terminal(
        kubectl_env, ["exec", "-it", "-n", NS, "shell", "--", "sh"], [b"ls /etc\r", b"exit 3\r"]
    )
    assert code == 3
    assert screen.startswith(b"/ # ls /etc\r\napp  hostname  hosts  os-release  passwd")
    assert b"/ # exit 3\r\ncommand terminated with exit code 3\r\n" in screen
    code, screen = _in_terminal(
        kubectl_env,
        ["exec", "-it", "-n", NS, "web", "-c", "nginx", "--", "bash"],
        [b"cd /usr/share/nginx/html; ls index.html\r", b"\x04"],
    )
    assert code == 0
    assert screen == (
        b"root@web:/# cd /usr/share/nginx/html; ls index.html\r\nindex.html\r\n"
        b"root@web:/usr/share/nginx/html# exit\r\n"
    )


def test_kubectl_attach_it(lab: RunningSandbox, kubectl_env: KubectlEnv) -> None:
    """The shell pod's main process is `sh` with stdin and a tty: attach talks to it."""
    wanted = b"\r\n/ # hostname\r\nshell\r\n/ # "
    args = ["attach", "-it", "-n", NS, "shell"]
    _, screen = _in_terminal(kubectl_env, args, [b"\r", b"hostname\r"], until=wanted)
    assert b"\r\n/ # hostname\r\nshell\r\n/ # " in screen


def test_kubectl_exec_it_sends_the_terminal_size(
    lab: RunningSandbox, kubectl_env: KubectlEnv
) -> None:
    """kubectl sends its terminal's size on the resize channel; `stty size` answers from it."""
    keys = [b"stty size\r", b"exit\r"]
    code, screen = _in_terminal(kubectl_env, ["exec", "-it", "-n", NS, "shell", "--", "sh"], keys)
    assert code == 0
    assert b"/ # stty size\r\n24 80\r\n" in screen
