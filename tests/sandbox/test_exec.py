"""exec, attach and port-forward over WebSocket: a minimal channel client, then real kubectl."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import pty
import re
import select
import socket
import ssl
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from tests.conftest import RunningSandbox
from tests.sandbox.test_kubectl import KubectlEnv, binary_of, kubectl
from tests.sandbox.test_kubectl import kubectl_env as kubectl_env  # each real kubectl

NS = "exec-lab"
PODS = f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: app-config, namespace: {NS}}}
data: {{"app.yaml": "greeting: hello\\n"}}
---
apiVersion: v1
kind: Secret
metadata: {{name: app-secret, namespace: {NS}}}
stringData: {{password: s3cret}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: viewer, namespace: {NS}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: pod-reader, namespace: {NS}}}
rules: [{{apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: viewer-reads-pods, namespace: {NS}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}}
subjects: [{{kind: ServiceAccount, name: viewer, namespace: {NS}}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: shell
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "0"}}
spec:
  containers:
  - name: main
    image: alpine:3.20
    command: [sh]
    stdin: true
    tty: true
    env: [{{name: GREETING, value: hello-from-env}}]
    volumeMounts:
    - {{name: config, mountPath: /etc/app}}
    - {{name: secret, mountPath: /etc/secret}}
  volumes:
  - {{name: config, configMap: {{name: app-config}}}}
  - {{name: secret, secret: {{secretName: app-secret}}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "0"}}
spec:
  containers:
  - {{name: nginx, image: "nginx:1.27.3", ports: [{{containerPort: 80, name: http}}]}}
  - {{name: cache, image: "redis:7.2.5", ports: [{{containerPort: 6379}}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "0"}}
spec:
  containers:
  - name: app
    image: gcr.io/distroless/static-debian12
    ports: [{{containerPort: 9090, name: metrics}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: starting
  namespace: {NS}
  annotations: {{sandbox.kstui.io/start-after: "3600"}}
spec:
  containers:
  - {{name: slow, image: "busybox:1.36"}}
---
apiVersion: v1
kind: Pod
metadata:
  name: homeless
  namespace: {NS}
  annotations: {{sandbox.kstui.io/unschedulable: "true"}}
spec:
  containers:
  - {{name: app, image: "busybox:1.36"}}
"""


@pytest.fixture(scope="module")
def lab(sandbox: RunningSandbox, tmp_path_factory: pytest.TempPathFactory) -> RunningSandbox:
    """The pods to exec into, applied once (the sandbox is shared: its own namespace)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    home = tmp_path_factory.mktemp("exec-home")
    env.update({"KUBECONFIG": str(sandbox.kubeconfig), "HOME": str(home)})
    kubectl(env, "create", "namespace", NS, check=False)
    kubectl(env, "apply", "-f", "-", stdin=PODS)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        phases = {
            name: ((sandbox.stored(("", "pods"), NS, name) or {}).get("status") or {}).get("phase")
            for name in ("shell", "web", "api")
        }
        if set(phases.values()) == {"Running"}:
            return sandbox
        time.sleep(0.2)
    raise AssertionError(f"pods did not start: {phases}")


class Channels:
    """What one exec said, per channel, and its Status."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.data: dict[int, bytes] = {}

    def text(self, channel: int) -> str:
        return self.data.get(channel, b"").decode()

    @property
    def status(self) -> dict[str, Any]:
        return json.loads(self.data[3])  # type: ignore[no-any-return]


async def _session(
    sandbox: RunningSandbox,
    path: str,
    query: list[tuple[str, str]],
    sends: list[bytes] = (),  # type: ignore[assignment]
    user: str = "admin",
    protocols: tuple[str, ...] = ("v5.channel.k8s.io", "v4.channel.k8s.io"),
) -> Channels:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    headers = {"Authorization": f"Bearer {sandbox.token('host', user)}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            sandbox.url() + path, params=query, protocols=protocols, ssl=context, headers=headers
        ) as ws,
    ):
        result = Channels(ws.protocol or "")
        for message in sends:
            await ws.send_bytes(message)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                channel = message.data[0]
                result.data[channel] = result.data.get(channel, b"") + message.data[1:]
        return result


def exec_(sandbox: RunningSandbox, pod: str, *command: str, **kwargs: Any) -> Channels:
    query = [("command", c) for c in command]
    query += [("stdout", "true"), ("stderr", "true"), *kwargs.pop("extra", [])]
    if kwargs.get("sends"):
        query.append(("stdin", "true"))
    path = f"/api/v1/namespaces/{NS}/pods/{pod}/exec"
    return asyncio.run(_session(sandbox, path, query, **kwargs))


async def _refused(sandbox: RunningSandbox, path: str, token: str = "") -> tuple[int, str]:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    headers = {"Authorization": f"Bearer {token or sandbox.token()}"}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(
                sandbox.url() + path, protocols=("v5.channel.k8s.io",), ssl=context, headers=headers
            )
        async with session.get(sandbox.url() + path, ssl=context, headers=headers) as plain:
            return caught.value.status, await plain.text()


def test_ls_root_and_os_release(lab: RunningSandbox) -> None:
    result = exec_(lab, "shell", "ls", "/")
    assert result.protocol == "v5.channel.k8s.io"
    assert {"bin", "etc", "proc", "tmp", "usr", "var"} <= set(result.text(1).split())
    assert result.status == {"metadata": {}, "status": "Success"}
    release = exec_(lab, "shell", "cat", "/etc/os-release")
    assert "ID=alpine" in release.text(1)
    debian = exec_(lab, "web", "cat", "/etc/os-release", extra=[("container", "nginx")])
    assert "Debian GNU/Linux 12 (bookworm)" in debian.text(1)


def test_v4_is_served_too(lab: RunningSandbox) -> None:
    result = exec_(lab, "shell", "hostname", protocols=("v4.channel.k8s.io",))
    assert result.protocol == "v4.channel.k8s.io"
    assert result.text(1) == "shell\n"


def test_env_and_mounted_config(lab: RunningSandbox) -> None:
    env = exec_(lab, "shell", "env").text(1)
    assert "GREETING=hello-from-env" in env.splitlines()
    assert "HOSTNAME=shell" in env.splitlines()
    assert exec_(lab, "shell", "cat", "/etc/app/app.yaml").text(1) == "greeting: hello\n"
    assert exec_(lab, "shell", "cat", "/etc/secret/password").text(1) == "s3cret"
    df = exec_(lab, "shell", "df").text(1)
    assert "/etc/app" in df
    assert "/etc/secret" in df


def test_exit_code_on_the_error_channel(lab: RunningSandbox) -> None:
    status = exec_(lab, "shell", "sh", "-c", "exit 3").status
    assert status["status"] == "Failure"
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


def test_unknown_command_127(lab: RunningSandbox) -> None:
    result = exec_(lab, "shell", "sh", "-c", "frobnicate --now")
    assert result.text(2) == "sh: frobnicate: not found\n"
    assert result.status["details"]["causes"][0]["message"] == "127"
    bash = exec_(lab, "web", "bash", "-c", "frobnicate", extra=[("container", "nginx")])
    assert bash.text(2) == "bash: frobnicate: command not found\n"


def test_bash_only_where_the_image_has_it(lab: RunningSandbox) -> None:
    refused = exec_(lab, "shell", "bash")
    assert refused.status["reason"] == "InternalError"
    assert 'exec: "bash": executable file not found in $PATH' in refused.status["message"]


def test_distroless_refuses_exec(lab: RunningSandbox) -> None:
    status = exec_(lab, "api", "sh").status
    assert status["code"] == 500
    assert status["message"].startswith("Internal error occurred: error executing command")
    assert "OCI runtime exec failed" in status["message"]


def test_interactive_tty_shell(lab: RunningSandbox) -> None:
    sends = [b"\x00cd /etc\r", b"\x00pwd\r", b"\x00echo $GREETING\r", b"\x00exit 4\r"]
    result = exec_(lab, "shell", "sh", sends=sends, extra=[("tty", "true")])
    screen = result.text(1)
    assert screen.startswith("/ # cd /etc\r\n/etc # pwd\r\n/etc\r\n/etc # ")
    assert "hello-from-env\r\n" in screen
    assert result.status["details"]["causes"][0]["message"] == "4"
    assert 2 not in result.data  # a tty has one output stream


def test_stdin_script_without_tty_ends_at_close(lab: RunningSandbox) -> None:
    sends = [b"\x00echo one\nls /etc/app\n", b"\xff\x00"]
    result = exec_(lab, "shell", "sh", sends=sends)
    assert result.text(1) == "one\napp.yaml\n"
    assert result.status["status"] == "Success"


@pytest.fixture(scope="module")
def viewer_token(lab: RunningSandbox) -> str:
    """A service account that may read pods but not exec, attach or forward."""
    made = kubectl(_admin(lab), "create", "token", "viewer", "-n", NS)
    return made.stdout.strip()


@pytest.mark.parametrize("subresource", ["exec", "attach", "portforward"])
def test_rbac_denied_before_upgrade(
    lab: RunningSandbox, viewer_token: str, subresource: str
) -> None:
    path = f"/api/v1/namespaces/{NS}/pods/shell/{subresource}?command=ls&stdout=true&ports=80"
    code, body = asyncio.run(_refused(lab, path, viewer_token))
    assert code == 403
    status = json.loads(body)
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        'pods "shell" is forbidden: User "system:serviceaccount:exec-lab:viewer" cannot create '
        f'resource "pods/{subresource}" in API group "" in the namespace "exec-lab"'
    )


def test_not_running_and_missing(lab: RunningSandbox) -> None:
    code, body = asyncio.run(
        _refused(lab, f"/api/v1/namespaces/{NS}/pods/starting/exec?command=ls&stdout=true")
    )
    assert (code, body) == (500, 'container not found ("slow")')
    code, body = asyncio.run(
        _refused(lab, f"/api/v1/namespaces/{NS}/pods/nope/exec?command=ls&stdout=true")
    )
    assert code == 404
    assert json.loads(body)["message"] == 'pods "nope" not found'
    for sub in ("exec?command=ls&stdout=true", "portforward?ports=80"):
        code, body = asyncio.run(_refused(lab, f"/api/v1/namespaces/{NS}/pods/homeless/{sub}"))
        assert code == 400
        assert json.loads(body)["message"] == "pod homeless does not have a host assigned"


async def _forward(sandbox: RunningSandbox, pod: str, port: int, payload: bytes) -> bytes:
    context = ssl.create_default_context(cafile=sandbox.ca_file())
    headers = {"Authorization": f"Bearer {sandbox.token()}"}
    path = f"/api/v1/namespaces/{NS}/pods/{pod}/portforward"
    received = b""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            sandbox.url() + path,
            params={"ports": str(port)},
            protocols=("portforward.k8s.io",),
            ssl=context,
            headers=headers,
        ) as ws,
    ):
        openings = [await ws.receive_bytes(), await ws.receive_bytes()]
        assert openings == [
            b"\x00" + port.to_bytes(2, "little"),
            b"\x01" + port.to_bytes(2, "little"),
        ]
        await ws.send_bytes(b"\x00" + payload)
        message = await ws.receive_bytes(timeout=5)
        received = message[1:] if message[0] == 0 else b"error: " + message[1:]
    return received


def test_port_forward_responders(lab: RunningSandbox) -> None:
    page = asyncio.run(_forward(lab, "web", 80, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert page.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"<h1>Welcome to nginx!</h1>" in page
    assert asyncio.run(_forward(lab, "web", 6379, b"PING\r\n")) == b"+PONG\r\n"
    metrics = asyncio.run(_forward(lab, "api", 9090, b"GET /metrics HTTP/1.1\r\n\r\n"))
    assert b"# TYPE http_requests_total counter" in metrics
    refused = asyncio.run(_forward(lab, "web", 81, b"GET / HTTP/1.1\r\n\r\n"))
    assert refused.startswith(b"error: error forwarding port 81")


def test_pod_deleted_during_a_shell(lab: RunningSandbox) -> None:
    async def scenario() -> Channels:
        context = ssl.create_default_context(cafile=lab.ca_file())
        headers = {"Authorization": f"Bearer {lab.token()}"}
        query = [("command", "sh"), ("stdin", "true"), ("stdout", "true"), ("tty", "true")]
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                lab.url() + f"/api/v1/namespaces/{NS}/pods/doomed/exec",
                params=query,
                protocols=("v5.channel.k8s.io",),
                ssl=context,
                headers=headers,
            ) as ws,
        ):
            result = Channels(ws.protocol or "")
            await ws.receive_bytes(timeout=5)  # the prompt
            kubectl(_admin(lab), "delete", "pod", "-n", NS, "doomed", "--wait=false")
            async for message in ws:
                if message.type == aiohttp.WSMsgType.BINARY:
                    result.data[message.data[0]] = message.data[1:]
            return result

    kubectl(_admin(lab), "run", "-n", NS, "doomed", "--image=busybox:1.36")
    deadline = time.monotonic() + 10
    while (lab.stored(("", "pods"), NS, "doomed") or {}).get("status", {}).get("phase") != (
        "Running"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    status = asyncio.run(scenario()).status
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "137"}]


def _admin(sandbox: RunningSandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update({"KUBECONFIG": str(sandbox.kubeconfig), "HOME": str(sandbox.kubeconfig.parent)})
    return env


# ------------------------------------------------------------------ real kubectl
# Each runs with the machine's kubectl and with kubectl 1.35 and 1.32 (KubectlEnv).


@pytest.mark.kubectl
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


@pytest.mark.kubectl
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


@pytest.mark.kubectl
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


@pytest.mark.kubectl
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


@pytest.mark.kubectl
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
        try:
            return process.wait(timeout=0.2 if until and until in screen else 3), screen
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None, screen
    finally:
        os.close(master)


@pytest.mark.kubectl
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


@pytest.mark.kubectl
def test_kubectl_attach_it(lab: RunningSandbox, kubectl_env: KubectlEnv) -> None:
    """The shell pod's main process is `sh` with stdin and a tty: attach talks to it."""
    wanted = b"\r\n/ # hostname\r\nshell\r\n/ # "
    args = ["attach", "-it", "-n", NS, "shell"]
    _, screen = _in_terminal(kubectl_env, args, [b"\r", b"hostname\r"], until=wanted)
    assert b"\r\n/ # hostname\r\nshell\r\n/ # " in screen


def test_drop_streams_fault_cuts_a_shell_and_a_forward(lab: RunningSandbox) -> None:
    """`drop-streams` cuts open exec and forward connections with no close frame and no status
    (for clients' tests of a server that goes away)."""

    async def scenario() -> list[Any]:
        context = ssl.create_default_context(cafile=lab.ca_file())
        headers = {"Authorization": f"Bearer {lab.token()}"}
        base = lab.url() + f"/api/v1/namespaces/{NS}/pods"
        seen: list[Any] = []
        async with aiohttp.ClientSession() as session:
            shell = await session.ws_connect(
                base + "/shell/exec?command=sh&stdin=true&stdout=true&tty=true",
                protocols=("v5.channel.k8s.io",),
                ssl=context,
                headers=headers,
            )
            forward = await session.ws_connect(
                base + "/web/portforward?ports=80",
                protocols=("portforward.k8s.io",),
                ssl=context,
                headers=headers,
            )
            assert await shell.receive_bytes(timeout=5) == b"\x01/ # "
            await forward.receive_bytes(timeout=5)
            await forward.receive_bytes(timeout=5)
            lab.call(lab.cluster().faults.drop_streams)
            for ws in (shell, forward):
                message = await ws.receive(timeout=5)
                seen.append(message.type)
                await ws.close()
        return seen

    kinds = asyncio.run(scenario())
    assert kinds == [aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSED]  # cut, no close frame
